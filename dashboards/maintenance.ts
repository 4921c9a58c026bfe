// Maintenance windows drawn as annotations: the time a window was on (the contract's
// maintenance_active gauge at 1), one region per window and scope, so a red stretch of a panel
// that falls inside planned work reads as planned (docs/alerting.md, "Maintenance windows").
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { METRICS } from '../contract/metrics.js';
import type { Config } from '../config/index.js';
import { COLOR, DATASOURCE } from './panels.js';
import { anyOf, selector, union } from './promql.js';

const ON = (matchers: ReadonlyArray<readonly [string, string]>) => `${selector(METRICS.maintenanceActive.name, matchers)} == 1`;

/** Every window on, whatever it covers: the NOC overview's. */
export function allMaintenanceExpr(): string {
  return `${METRICS.maintenanceActive.name} == 1`;
}

/**
 * Windows that cover the selected transaction on the selected channels: those scoped to one of the
 * channels, and those scoped to a backend the transaction uses. Which backends a transaction uses
 * comes from the config, one term per transaction; `and on ()` its objective series keeps a term
 * only while that transaction is the one selected.
 */
export function detailMaintenanceExpr(config: Config, transactionVar: string, channelVar: string): string {
  const terms = [ON([['channel', channelVar], ['channel', '.+']])];
  for (const t of config.transactions) {
    if (t.backends.length === 0) continue;
    const selected = selector(METRICS.objective.name, [['transaction', transactionVar], ['transaction', t.id]]);
    terms.push(`${ON([['backend', anyOf(t.backends)]])} and on () ${selected}`);
  }
  return union(terms);
}

export function maintenanceAnnotation(expr: string): dashboard.AnnotationQueryBuilder {
  return new dashboard.AnnotationQueryBuilder()
    .name('Maintenance windows')
    .datasource(DATASOURCE)
    .enable(true)
    .iconColor(COLOR.blue)
    .expr(expr)
    // Windows have minute precision (Alertmanager's time intervals do too).
    .step('1m')
    .titleFormat('Maintenance: {{window}}')
    .textFormat('planned work on {{channel}}{{backend}}; alerts muted, time marked as planned in the weekly report')
    .tagKeys('window,channel,backend')
    .useValueForTime(false);
}
