// Recording rules: Prometheus does the arithmetic over time (docs/design.md). Their names come
// from contract/recording-rules.ts, which docs/metrics.md lists for dashboards and people.
import { parseDuration, tiersByHardDownRuns, type Config } from '../config/index.js';
import { METRICS, bucketSeries } from '../contract/metrics.js';
import { RATIO_WINDOWS, RECORD } from '../contract/recording-rules.js';
import { pairSelectors, periodGroups, thresholdGroups } from './check-groups.js';
import { errorBudgetRatio, matcher, promDuration, promNumber, selector } from './promql-text.js';
import { trafficRecordingRules } from './traffic.js';
import type { RecordingRule, RuleGroup } from './rule-types.js';

/** Windows the ratios are recorded over (contract/recording-rules.ts), in milliseconds. */
export const RATIO_WINDOWS_MS: readonly number[] = RATIO_WINDOWS.map(parseDuration);

const PAIR = 'channel, transaction, tier';
const CHECK = 'channel, transaction, tier, location';

type InMs<T> = { [K in keyof T]: T[K] extends (window: string) => string ? (windowMs: number) => string : T[K] };

/** The contract's recording-rule names (contract/recording-rules.ts), windows in milliseconds as the config holds them. */
export const record = Object.fromEntries(
  Object.entries(RECORD).map(([key, name]) => [key, typeof name === 'string' ? name : (windowMs: number) => name(promDuration(windowMs))]),
) as InMs<typeof RECORD>;

/** Transactions that depend on each backend, in config order of backends; backends nothing uses are left out. */
export function backendTransactions(config: Config): Array<{ backend: string; transactions: string[] }> {
  return config.backends
    .map((b) => ({ backend: b.id, transactions: config.transactions.filter((t) => t.backends.includes(b.id)).map((t) => t.id) }))
    .filter((b) => b.transactions.length > 0);
}

/** Windows whose exact failure counts are recorded: the evidence windows and the recovery window. */
export function deltaWindows(config: Config): number[] {
  return [...new Set([...config.alerting.evidenceWindowsMs, config.alerting.recoveryWindowMs])].sort((a, b) => a - b);
}

/** Alternatives over disjoint label sets, as one expression (promtool rejects two rules recording the same series). */
export function or(parts: readonly string[]): string {
  return parts.length === 1 ? (parts[0] as string) : parts.map((p) => `(${p})`).join('\nor\n');
}

/**
 * Successful / all. Failure counters are created on a check's first failure (docs/metrics.md), so
 * a pair that never failed has no failure series: it counts as 0 failures over its runs, a ratio
 * of 1, not an absent one.
 */
function successRatio(failures: string, total: string, by: string | null, sel: string, w: number): string {
  const agg = by === null ? 'sum' : `sum by (${by})`;
  const d = promDuration(w);
  const all = `${agg} (rate(${total}${sel}[${d}]))`;
  return `1 - ((${agg} (rate(${failures}${sel}[${d}])) or 0 * ${all}) / ${all})`;
}

/**
 * Exact failed runs per check in the window: the counter's difference over the window. A failure
 * series is created on the check's first failure of that reason. One absent at the window's start
 * that has fewer samples in the window than its check's runs counter (created at start, scraped in
 * the same scrapes) was missing from a scrape inside the window: it was born there, after that
 * scrape, and every failure it counts is in the window (increase() would miss the one it was born
 * with). Otherwise (series older than what Prometheus holds, a scrape gap) or where the difference
 * is negative (a restart reset the counter), the rise since the window's lowest sample: never more
 * than the truth. increase() would extrapolate 3 failures into 3.3, and thresholds here are small
 * whole numbers. max over instances: two collectors receiving the same agent's results count its
 * failures once.
 */
function failuresInWindow(w: number): string {
  const m = METRICS.probeFailures.name;
  const runs = METRICS.probeRuns.name;
  const d = promDuration(w);
  return [
    `max by (${CHECK}) (`,
    `  sum by (${CHECK}, instance) (`,
    `    (${m} - ${m} offset ${d}) >= 0`,
    `    or`,
    `    (`,
    `      (${m} unless ${m} offset ${d})`,
    `      and`,
    `      (count_over_time(${m}[${d}]) < on (${CHECK}, instance) group_left () count_over_time(${runs}[${d}]))`,
    `    )`,
    `    or`,
    `    (${m} - min_over_time(${m}[${d}]))`,
    `  )`,
    `)`,
  ].join('\n');
}

export function generateRecordingRules(config: Config): RuleGroup<RecordingRule>[] {
  const backends = backendTransactions(config);
  const probeFailures = METRICS.probeFailures.name;
  const probeRuns = METRICS.probeRuns.name;
  const eventFailures = METRICS.eventFailures.name;
  const events = METRICS.events.name;
  const { alerting } = config;

  const probes: RecordingRule[] = [];
  for (const w of RATIO_WINDOWS_MS) {
    probes.push({ record: record.probeSuccessRatio(w), expr: successRatio(probeFailures, probeRuns, PAIR, '', w) });
    probes.push({ record: record.probeSuccessRatioByTransaction(w), expr: successRatio(probeFailures, probeRuns, 'transaction, tier', '', w) });
    for (const b of backends) {
      probes.push({
        record: record.probeSuccessRatioByBackend(w),
        expr: successRatio(probeFailures, probeRuns, null, selector([matcher('transaction', b.transactions)]), w),
        labels: { backend: b.backend },
      });
    }
  }
  // Per-check constants first: later rules in this group join against them in the same evaluation.
  // A constant per check takes its label set from the check's own (pre-created) runs counter.
  const constant = (value: string, sel: string[]) => `${value} + 0 * max by (${PAIR}) (${probeRuns}${selector(sel)})`;
  probes.push({
    record: record.checkPeriod,
    expr: or(periodGroups(config).flatMap((g) => pairSelectors(g.checks, config).map((sel) => constant(promNumber(g.periodMs / 1000), sel)))),
  });
  const thresholds = thresholdGroups(config);
  for (const w of alerting.evidenceWindowsMs) {
    const parts = thresholds
      .filter((g) => g.windowMs === w && g.threshold.failures !== null)
      .flatMap((g) => pairSelectors(g.checks, config).map((sel) => constant(String(g.threshold.failures), sel)));
    if (parts.length > 0) probes.push({ record: record.probeFailureThreshold(w), expr: or(parts) });
  }
  for (const w of deltaWindows(config)) probes.push({ record: record.probeFailures(w), expr: failuresInWindow(w) });
  const evidence = [
    ...tiersByHardDownRuns(config.tiers).map(({ tiers, n }) =>
      `(max by (${CHECK}) (${METRICS.consecutiveFailures.name}${tiers === null ? '' : `{${matcher('tier', tiers)}}`}) >= ${n})`,
    ),
    ...alerting.evidenceWindowsMs.map((w) => `(${record.probeFailures(w)} >= on (channel, transaction) group_left () ${record.probeFailureThreshold(w)})`),
  ];
  probes.push({ record: record.evidence, expr: [`count by (${PAIR}) (`, `  ${evidence.join('\n  or\n  ')}`, ')'].join('\n') });
  for (const b of backends) {
    probes.push({
      record: record.backendFailingChannels,
      expr: `count(max by (channel) (${record.evidence}{${matcher('transaction', b.transactions)}}))`,
      labels: { backend: b.backend },
    });
  }
  const lw = alerting.latency.windowMs;
  probes.push({
    record: record.probeDurationP95(lw),
    expr: `histogram_quantile(0.95, sum by (le, channel, transaction) (rate(${bucketSeries(METRICS.probeDuration)}[${promDuration(lw)}])))`,
  });

  const eventRules: RecordingRule[] = [];
  for (const w of RATIO_WINDOWS_MS) {
    eventRules.push({ record: record.eventSuccessRatio(w), expr: successRatio(eventFailures, events, PAIR, '', w) });
    eventRules.push({ record: record.eventSuccessRatioByTransaction(w), expr: successRatio(eventFailures, events, 'transaction, tier', '', w) });
    for (const b of backends) {
      eventRules.push({
        record: record.eventSuccessRatioByBackend(w),
        expr: successRatio(eventFailures, events, null, selector([matcher('transaction', b.transactions)]), w),
        labels: { backend: b.backend },
      });
    }
    const perTier = (ratio: string) => or(config.tiers.map((t) => `(1 - ${ratio}{tier="${t.id}"}) / ${errorBudgetRatio(t.objective)}`));
    eventRules.push({ record: record.eventBurnRate(w), expr: perTier(record.eventSuccessRatio(w)) });
    eventRules.push({ record: record.eventBurnRateByTransaction(w), expr: perTier(record.eventSuccessRatioByTransaction(w)) });
    eventRules.push({ record: record.events(w), expr: `sum by (${PAIR}) (increase(${events}[${promDuration(w)}]))` });
    eventRules.push({ record: record.eventFailures(w), expr: `sum by (${PAIR}) (increase(${eventFailures}[${promDuration(w)}]))` });
  }

  const s = alerting.sloWindowMs;
  const d = promDuration(s);
  const budget: RecordingRule[] = (
    [
      [record.eventBudgetRemaining(s), eventFailures, events],
      [record.probeBudgetRemaining(s), probeFailures, probeRuns],
    ] as const
  ).map(([name, failures, total]) => ({
    record: name,
    expr: or(
      config.tiers.map((t) => {
        const sel = `{tier="${t.id}"}`;
        const all = `sum by (transaction, tier) (increase(${total}${sel}[${d}]))`;
        // No failure series at all (none created yet): nothing spent, not an absent budget.
        return `1 - ((sum by (transaction, tier) (increase(${failures}${sel}[${d}])) or 0 * ${all}) / ${all}) / ${errorBudgetRatio(t.objective)}`;
      }),
    ),
  }));

  return [
    { name: 'channel-health-probes', rules: probes },
    // Traffic against previous weeks reads this evaluation's hourly counts, so it comes last.
    { name: 'channel-health-events', rules: [...eventRules, ...trafficRecordingRules(config)] },
    // A 30-day range over raw counters is costly; every 5 minutes is plenty for a budget.
    { name: 'channel-health-budget', interval: '5m', rules: budget },
  ];
}
