// The PromQL every panel is made of, in one place: the few shapes of query built on the metric
// and recording-rule names of contract/. Panels take names from contract/ and never spell a
// metric name, an objective or a label value themselves.
import { METRICS } from '../contract/metrics.js';

/** Label matchers as label → regular expression (a literal id or a `$variable`); `=~` keeps "All" working. */
export type Matchers = ReadonlyArray<readonly [label: string, regex: string]>;

export function selector(metric: string, matchers: Matchers = []): string {
  if (matchers.length === 0) return metric;
  return `${metric}{${matchers.map(([label, value]) => `${label}=~"${value}"`).join(', ')}}`;
}

function by(labels: readonly string[]): string {
  return labels.length === 0 ? '' : ` by (${labels.join(', ')})`;
}

export function sumRate(metric: string, matchers: Matchers, window: string, labels: readonly string[]): string {
  return `sum${by(labels)} (rate(${selector(metric, matchers)}[${window}]))`;
}

export function sumIncrease(metric: string, matchers: Matchers, window: string, labels: readonly string[], offset?: string): string {
  return `sum${by(labels)} (increase(${selector(metric, matchers)}[${window}]${offset ? ` offset ${offset}` : ''}))`;
}

export type Source = 'probe' | 'event';

const COUNTERS: Record<Source, { total: string; failed: string }> = {
  probe: { total: METRICS.probeRuns.name, failed: METRICS.probeFailures.name },
  event: { total: METRICS.events.name, failed: METRICS.eventFailures.name },
};

/** Failed / all over a window, from the raw counters (for filters the recording rules do not keep, like location). */
export function failureRatio(source: Source, matchers: Matchers, window: string, labels: readonly string[], offset?: string): string {
  const { total, failed } = COUNTERS[source];
  return `${sumIncrease(failed, matchers, window, labels, offset)} / ${sumIncrease(total, matchers, window, labels, offset)}`;
}

export function successRatio(source: Source, matchers: Matchers, window: string, labels: readonly string[], offset?: string): string {
  return `1 - (${failureRatio(source, matchers, window, labels, offset)})`;
}

/**
 * The objective per transaction (or per tier). `max` folds the copies every collector exports, so a
 * join on it stays one-to-one however many instances Prometheus scrapes.
 */
export function objective(key: 'transaction' | 'tier' = 'transaction', matchers: Matchers = []): string {
  return `max by (${key}) (${selector(METRICS.objective.name, matchers)})`;
}

/** `ratio` ÷ the share of failures the objective allows: 1 = failing exactly as fast as allowed. */
export function burnFromFailureRatio(failureRatioExpr: string, key: 'transaction' | 'tier' = 'transaction'): string {
  return `(${failureRatioExpr}) / on (${key}) group_left () (1 - ${objective(key)})`;
}

export function burnFromSuccessRatio(successRatioExpr: string, key: 'transaction' | 'tier' = 'transaction'): string {
  return burnFromFailureRatio(`1 - (${successRatioExpr})`, key);
}

/** `expr` compared with the objective, 1 where it falls short and 0 where it meets it. */
export function belowObjective(successRatioExpr: string, key: 'transaction' | 'tier' = 'transaction'): string {
  return `(${successRatioExpr}) < bool on (${key}) group_left () ${objective(key)}`;
}

export function quantile(q: number, histogram: string, matchers: Matchers, window: string, labels: readonly string[], offset?: string): string {
  const bucket = selector(`${histogram}_bucket`, matchers);
  return `histogram_quantile(${q}, sum by (${['le', ...labels].join(', ')}) (rate(${bucket}[${window}]${offset ? ` offset ${offset}` : ''})))`;
}

/** Adds a constant label to every series of `expr` (to tell apart the parts of a union). */
export function withLabel(expr: string, label: string, value: string): string {
  return `label_replace(${expr}, "${label}", "${value}", "", "")`;
}

/** Union of expressions whose series differ by at least one label. */
export function union(exprs: readonly string[]): string {
  return exprs.length === 1 ? (exprs[0] as string) : exprs.map((e) => `(${e})`).join(' or ');
}

/** An alternation regex of ids from the config (ids are `[a-z0-9_]`, nothing to escape). */
export function anyOf(ids: readonly string[]): string {
  return ids.join('|');
}
