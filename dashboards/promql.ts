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

/**
 * What a counter created on its first increment (the failure counters) counted over the window
 * ending now: the last value minus the value at the window's start, or all of it for a series born
 * inside the window: absent at its start, with fewer samples in the window than `anchor`, the
 * counter created at start and scraped with it, sharing the `on` labels. increase() would miss the
 * increment the series was born with and extrapolate at the edges; it is the fallback for a reset
 * and for a series Prometheus first saw already grown.
 */
export function sumCounted(metric: string, matchers: Matchers, window: string, labels: readonly string[], anchor: { metric: string; on: readonly string[] }): string {
  const m = selector(metric, matchers);
  const last = `last_over_time(${m}[${window}])`;
  const a = selector(anchor.metric, matchers.filter(([label]) => anchor.on.includes(label)));
  const born = `(${last} unless ${m} offset ${window}) and (count_over_time(${m}[${window}]) < on (${[...anchor.on, 'job', 'instance'].join(', ')}) group_left () count_over_time(${a}[${window}]))`;
  return `sum${by(labels)} ((${last} - ${m} offset ${window}) >= 0 or (${born}) or increase(${m}[${window}]))`;
}

/** The anchor of the probe-side failure counters: the check's runs counter. */
export const PROBE_RUNS_ANCHOR = Object.freeze({ metric: METRICS.probeRuns.name, on: Object.freeze(['channel', 'transaction', 'location']) });

export type Source = 'probe' | 'event';

const COUNTERS: Record<Source, { total: string; failed: string }> = {
  probe: { total: METRICS.probeRuns.name, failed: METRICS.probeFailures.name },
  event: { total: METRICS.events.name, failed: METRICS.eventFailures.name },
};

/**
 * Failed / all over a window, from the raw counters (for filters the recording rules do not keep,
 * like location). Failure counters are created on the first failure: where none exists yet the
 * failures are 0, not absent.
 */
export function failureRatio(source: Source, matchers: Matchers, window: string, labels: readonly string[], offset?: string): string {
  const { total, failed } = COUNTERS[source];
  const all = sumIncrease(total, matchers, window, labels, offset);
  return `(${sumIncrease(failed, matchers, window, labels, offset)} or 0 * ${all}) / ${all}`;
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
