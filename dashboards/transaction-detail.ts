// Transaction detail: the on-call drill-down for one transaction (variables transaction, channel,
// location). Success against the objective, failures by reason and by failing step, latency
// quantiles and per-step durations, probes and real traffic side by side, firing alerts and maintenance windows as annotations.
import { METRICS } from '../contract/metrics.js';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import type { Config } from '../config/index.js';
import { DASHBOARD_UID, finishDashboard, newDashboard, section } from './dashboard.js';
import { COLOR, DATASOURCE, barGaugePanel, neutralThresholds, risingThresholds, statPanel, tablePanel, timeSeriesPanel, type Query } from './panels.js';
import { PROBE_RUNS_ANCHOR, anyOf, burnFromFailureRatio, failureRatio, quantile, selector, successRatio, sumCounted, sumIncrease, sumRate, union, withLabel, type Matchers } from './promql.js';
import { BURN_FACTOR, dashboardSettings } from './settings.js';
import { detailMaintenanceExpr, maintenanceAnnotation } from './maintenance.js';

export const DETAIL_VARIABLES = Object.freeze({ transaction: 'transaction', channel: 'channel', location: 'location' });

/** Probe series carry location; real events do not (they come from the channel systems). */
const PROBE: Matchers = [
  ['transaction', '$transaction'],
  ['channel', '$channel'],
  ['location', '$location'],
];
const EVENT: Matchers = [
  ['transaction', '$transaction'],
  ['channel', '$channel'],
];
const OBJECTIVE_OF_SELECTED = `max(${selector(METRICS.objective.name, [['transaction', '$transaction']])})`;

const ALL: dashboard.VariableOption = { selected: true, text: ['All'], value: ['$__all'] };

function variables(): dashboard.QueryVariableBuilder[] {
  const labelValues = (metric: string, label: string) => `label_values(${metric}, ${label})`;
  const of = (q: string, name: string) =>
    new dashboard.QueryVariableBuilder(name)
      .label(name)
      .datasource(DATASOURCE)
      .query(q)
      .definition(q)
      .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
      .sort(dashboard.VariableSort.AlphabeticalAsc);
  const ofTransaction = selector(METRICS.probeRuns.name, [['transaction', '$transaction']]);
  return [
    // Transactions are listed from the objective series: every configured transaction has one from the first scrape.
    of(labelValues(METRICS.objective.name, 'transaction'), DETAIL_VARIABLES.transaction),
    // All by default, so a link that names only the transaction (or transaction and channel) shows every location.
    of(labelValues(ofTransaction, 'channel'), DETAIL_VARIABLES.channel).multi(true).includeAll(true).allValue('.*').current(ALL),
    of(labelValues(ofTransaction, 'location'), DETAIL_VARIABLES.location).multi(true).includeAll(true).allValue('.*').current(ALL),
  ];
}

function alertAnnotation(): dashboard.AnnotationQueryBuilder {
  return new dashboard.AnnotationQueryBuilder()
    .name('Alerts')
    .datasource(DATASOURCE)
    .enable(true)
    .iconColor(COLOR.red)
    .expr(`ALERTS{alertstate="firing", transaction=~"$transaction"}`)
    .step('30s')
    .titleFormat('{{alertname}}')
    .textFormat('{{severity}} {{channel}} {{backend}}')
    .tagKeys('severity,channel,backend')
    .useValueForTime(false);
}

/**
 * Failed runs per failing step, from the step-failure counters: a run stops at the first of its
 * own steps that fails, so the failing non-`always` step is where it stopped (compensating
 * `always` steps run after a failure too, so they are left out; their names come from the config,
 * the first check of each transaction). The union covers every configured transaction and
 * `$transaction` keeps only the selected one's terms.
 */
export function failuresByStepExpr(config: Config, window: string): string {
  const terms: string[] = [];
  for (const t of config.transactions) {
    const check = config.checks.find((c) => c.transaction === t.id);
    if (!check) continue;
    const names = check.steps.filter((st) => !st.always).map((st) => st.name);
    if (names.length === 0) continue;
    const scope: Matchers = [['transaction', t.id], ...PROBE];
    const counted = sumCounted(METRICS.stepFailures.name, [...scope, ['step', anyOf(names)]], window, ['step'], PROBE_RUNS_ANCHOR);
    // Every step of the flow shows, 0 where no run stopped (its counter is not created until then).
    const zero = `0 * ${sumIncrease(METRICS.probeRuns.name, scope, window, [])}`;
    terms.push(withLabel(union([counted, ...names.map((step) => withLabel(zero, 'step', step))]), 'transaction', t.id));
  }
  return union(terms);
}

/** The p95 threshold of each configured transaction as a series, kept for the selected transaction. */
export function latencyThresholdExpr(config: Config): string | null {
  const terms = config.transactions
    .filter((t) => t.latencyThresholdMs !== null)
    .map((t) => withLabel(`vector(${(t.latencyThresholdMs as number) / 1000})`, 'transaction', t.id));
  if (terms.length === 0) return null;
  return `(${union(terms)}) and on (transaction) ${selector(METRICS.objective.name, [['transaction', '$transaction']])}`;
}

export function transactionDetail(config: Config): dashboard.Dashboard {
  const s = dashboardSettings(config);
  const probeWindow = '$__rate_interval';
  const threshold = latencyThresholdExpr(config);
  const ratioOverTime = (source: 'probe' | 'event', matchers: Matchers): Query[] => [
    { expr: successRatio(source, matchers, probeWindow, ['channel']), legend: '{{channel}}' },
    { expr: OBJECTIVE_OF_SELECTED, legend: 'objective' },
  ];

  const builder = newDashboard({
    uid: DASHBOARD_UID.transactionDetail,
    title: 'Channel health — transaction detail',
    description: 'One transaction on the selected channels and probe locations: success against the objective, why and where it fails, how long it takes. Generated from the config.',
    refresh: '1m',
    from: 'now-6h',
    variables: variables(),
    annotations: [alertAnnotation(), maintenanceAnnotation(detailMaintenanceExpr(config, '$transaction', '$channel'))],
  })
    .withRow(section('$transaction over the selected range'))
    .withPanel(
      statPanel({
        title: 'Objective',
        description: `The transaction's success objective (${METRICS.objective.name}, from its tier).`,
        queries: [{ expr: OBJECTIVE_OF_SELECTED, instant: true }],
        unit: 'percentunit',
        decimals: 3,
        thresholds: neutralThresholds(),
        w: 4,
        h: 5,
      }),
    )
    .withPanel(
      statPanel({
        title: 'Success (probes)',
        description: 'Successful / all probe runs over the selected range, selected channels and locations.',
        queries: [{ expr: successRatio('probe', PROBE, '$__range', []), instant: true }],
        unit: 'percentunit',
        decimals: 3,
        thresholds: neutralThresholds(),
        w: 4,
        h: 5,
      }),
    )
    .withPanel(
      statPanel({
        title: 'Success (real traffic)',
        description: 'Successful / all real customer transactions reported by the channel systems over the selected range.',
        queries: [{ expr: successRatio('event', EVENT, '$__range', []), instant: true }],
        unit: 'percentunit',
        decimals: 3,
        thresholds: neutralThresholds(),
        noValue: 'no real traffic',
        w: 4,
        h: 5,
      }),
    )
    .withPanel(
      statPanel({
        title: 'Failure rate ÷ allowed',
        description: 'Failure ratio over the range divided by the share the objective allows (1 − objective): below 1 meets the objective (green), above 1 misses it (amber), 14.4 and more burns a 30-day budget in about two days (red).',
        queries: [
          { expr: burnFromFailureRatio(failureRatio('probe', PROBE, '$__range', ['transaction'])), instant: true, legend: 'probes' },
          { expr: burnFromFailureRatio(failureRatio('event', EVENT, '$__range', ['transaction'])), instant: true, legend: 'real' },
        ],
        unit: 'x',
        decimals: 2,
        thresholds: risingThresholds(1, BURN_FACTOR['1h']),
        background: true,
        showNames: true,
        w: 4,
        h: 5,
      }),
    )
    .withPanel(
      statPanel({
        title: 'Failed in a row (worst)',
        description: `Most consecutive failed probe runs on any selected channel and location now; red from ${s.hardDownRuns} (hard down).`,
        queries: [{ expr: `max(${selector(METRICS.consecutiveFailures.name, PROBE)})`, instant: true }],
        decimals: 0,
        thresholds: risingThresholds(1, s.hardDownRuns),
        background: true,
        w: 4,
        h: 5,
      }),
    )
    .withPanel(
      statPanel({
        title: 'p95 duration (probes)',
        description: 'p95 of whole probe runs over the range (all steps, cleanup included).',
        queries: [{ expr: quantile(0.95, METRICS.probeDuration.name, PROBE, '$__range', []), instant: true }],
        unit: 's',
        decimals: 2,
        thresholds: neutralThresholds(),
        w: 4,
        h: 5,
      }),
    )
    .withRow(section('Success against the objective'))
    .withPanel(
      timeSeriesPanel({
        title: 'Success ratio by channel — probes',
        description: 'Successful / all probe runs per channel; the dashed line is the objective.',
        queries: ratioOverTime('probe', PROBE),
        unit: 'percentunit',
        decimals: 3,
        max: 1,
        dashed: '^objective$',
        w: 12,
        h: 9,
      }).interval(s.probeStep),
    )
    .withPanel(
      timeSeriesPanel({
        title: 'Success ratio by channel — real traffic',
        description: 'Successful / all real customer transactions per channel; the dashed line is the objective.',
        queries: ratioOverTime('event', EVENT),
        unit: 'percentunit',
        decimals: 3,
        max: 1,
        dashed: '^objective$',
        w: 12,
        h: 9,
      }),
    )
    .withRow(section('Why and where it fails'))
    .withPanel(
      timeSeriesPanel({
        title: 'Failures by reason — probes',
        description: 'Failed probe runs per interval by reason (closed set: timeout, connect, tls, http_status, assertion, business_error, internal).',
        queries: [{ expr: sumIncrease(METRICS.probeFailures.name, PROBE, probeWindow, ['reason']), legend: '{{reason}}' }],
        bars: true,
        stacked: true,
        decimals: 0,
        min: 0,
        w: 8,
        h: 9,
      }).interval(s.probeStep),
    )
    .withPanel(
      timeSeriesPanel({
        title: 'Failures by reason — real traffic',
        description: 'Failed real customer transactions per interval by reason.',
        queries: [{ expr: sumIncrease(METRICS.eventFailures.name, EVENT, probeWindow, ['reason']), legend: '{{reason}}' }],
        bars: true,
        stacked: true,
        decimals: 0,
        min: 0,
        w: 8,
        h: 9,
      }),
    )
    .withPanel(
      barGaugePanel({
        title: 'Failed runs by failing step',
        description: 'Probe runs over the range that stopped at each step: the first of the run\'s own steps that failed (compensating steps left out). Counted from the step-failure counters, which are created on their first failure.',
        queries: [{ expr: failuresByStepExpr(config, '$__range'), legend: '{{step}}' }],
        decimals: 0,
        min: 0,
        thresholds: risingThresholds(1, 1),
        w: 8,
        h: 9,
        noValue: 'no failed runs',
      }),
    )
    .withPanel(
      barGaugePanel({
        title: 'Business error codes',
        description:
          'Business failure codes the failing probe steps answered over the range, by code and step. Codes the config does not list under businessCode.errors show as "other"; the weekly report gives their meanings.',
        queries: [{ expr: sumCounted(METRICS.businessErrors.name, PROBE, '$__range', ['code', 'step'], PROBE_RUNS_ANCHOR), legend: '{{code}} at {{step}}' }],
        decimals: 0,
        min: 0,
        thresholds: risingThresholds(1, 1),
        w: 8,
        h: 9,
        noValue: 'no business errors',
      }),
    )
    .withRow(section('How long it takes'))
    .withPanel(
      timeSeriesPanel({
        title: 'Probe duration p50 / p95 / p99',
        description: 'Whole-run duration quantiles over the selected channels and locations; the dashed line is the transaction\'s p95 threshold from the config.',
        queries: [
          { expr: quantile(0.5, METRICS.probeDuration.name, PROBE, probeWindow, []), legend: 'p50' },
          { expr: quantile(0.95, METRICS.probeDuration.name, PROBE, probeWindow, []), legend: 'p95' },
          { expr: quantile(0.99, METRICS.probeDuration.name, PROBE, probeWindow, []), legend: 'p99' },
          ...(threshold ? [{ expr: threshold, legend: 'p95 threshold' }] : []),
        ],
        unit: 's',
        min: 0,
        dashed: '^p95 threshold$',
        w: 12,
        h: 9,
      }).interval(s.probeStep),
    )
    .withPanel(
      timeSeriesPanel({
        title: 'Step duration p95',
        description:
          'p95 duration of each step that ran, so a slow step shows before its timeout fails the run: over the last-run durations each scrape saw, the slowest of the selected channels and locations.',
        queries: [{ expr: `max by (step) (quantile_over_time(0.95, ${selector(METRICS.stepLastDuration.name, PROBE)}[${probeWindow}]))`, legend: '{{step}}' }],
        unit: 's',
        min: 0,
        w: 12,
        h: 9,
      }).interval(s.probeStep),
    )
    .withPanel(
      timeSeriesPanel({
        title: 'Time by phase',
        description:
          "Where a run's time goes, by transport phase (HTTP dns, connect, tls, processing = waiting for the first byte, transfer; SMPP submitResp, reply), summed over its steps: the mean over each interval of the last runs, the slowest of the selected channels and locations. Connect and tls growing points at the network or the front end, processing at the back end.",
        queries: [{ expr: `max by (phase) (avg_over_time(${selector(METRICS.phaseDuration.name, PROBE)}[${probeWindow}]))`, legend: '{{phase}}' }],
        unit: 's',
        min: 0,
        stacked: true,
        w: 24,
        h: 9,
      }).interval(s.probeStep),
    )
    .withRow(section('Volume and the checks behind it'))
    .withPanel(
      timeSeriesPanel({
        title: 'Probe runs and real transactions per minute',
        description: 'Probes per minute (synthetic) beside real customer transactions per minute, by channel.',
        queries: [
          { expr: `60 * ${sumRate(METRICS.probeRuns.name, PROBE, probeWindow, ['channel'])}`, legend: '{{channel}} · probes' },
          { expr: `60 * ${sumRate(METRICS.events.name, EVENT, probeWindow, ['channel'])}`, legend: '{{channel}} · real' },
        ],
        unit: 'none',
        min: 0,
        w: 12,
        h: 9,
      }),
    )
    .withPanel(
      tablePanel({
        title: 'Checks now',
        description: 'Each selected channel and probe location: last run passed (1) or failed (0), failed runs in a row, seconds since the last run finished.',
        queries: [
          { expr: `max by (channel, location) (${selector(METRICS.probeSuccess.name, PROBE)})` },
          { expr: `max by (channel, location) (${selector(METRICS.consecutiveFailures.name, PROBE)})` },
          { expr: `time() - max by (channel, location) (${selector(METRICS.lastRun.name, PROBE)})` },
        ],
        columns: [
          { field: 'channel', title: 'Channel' },
          { field: 'location', title: 'Location' },
          { field: 'Value #A', title: 'Last run passed' },
          { field: 'Value #B', title: 'Failed in a row' },
          { field: 'Value #C', title: 'Seconds since last run' },
        ],
        sortBy: 'Failed in a row',
        coloured: ['Failed in a row'],
        thresholds: risingThresholds(1, s.hardDownRuns),
        w: 12,
        h: 9,
      }),
    );
  return finishDashboard(builder);
}

