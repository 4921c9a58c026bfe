// The PromQL every panel is made of, in one place: metric and recording-rule names (DESIGN.md's
// metric contract, alerts/README.md's recording rules) and the few shapes of query built on them.
// Panels never spell a metric name, an objective or a label value themselves.

/** Raw metrics of the contract (collector/metrics.ts); a unit test checks them against a live registry. */
export const METRIC = Object.freeze({
  probeRuns: 'channel_health_probe_runs_total',
  probeFailures: 'channel_health_probe_failures_total',
  probeDuration: 'channel_health_probe_duration_seconds',
  stepDuration: 'channel_health_probe_step_duration_seconds',
  probeSuccess: 'channel_health_probe_success',
  lastRun: 'channel_health_probe_last_run_timestamp_seconds',
  consecutiveFailures: 'channel_health_probe_consecutive_failures',
  events: 'channel_health_transactions_total',
  eventFailures: 'channel_health_transaction_failures_total',
  objective: 'channel_health_objective_ratio',
  businessErrors: 'channel_health_probe_business_errors_total',
});

/** Recording rules published by alerts/ (alerts/README.md). `W` is a rate window, `S` the SLO window. */
export const RECORD = Object.freeze({
  probeSuccess: (w: string) => `channel_health:probe_success_ratio:rate${w}`,
  probeSuccessByTransaction: (w: string) => `channel_health:probe_success_ratio_by_transaction:rate${w}`,
  probeSuccessByBackend: (w: string) => `channel_health:probe_success_ratio_by_backend:rate${w}`,
  probeFailuresDelta: (e: string) => `channel_health:probe_failures:delta${e}`,
  probeFailureThreshold: (e: string) => `channel_health:probe_failure_threshold:${e}`,
  probeEvidence: 'channel_health:probe_failure_evidence:any_window',
  backendFailingChannels: 'channel_health:backend_failing_channels:any_window',
  probeP95: (l: string) => `channel_health:probe_duration_p95_seconds:rate${l}`,
  probeBudget: (s: string) => `channel_health:probe_error_budget_remaining:${s}`,
  eventSuccess: (w: string) => `channel_health:event_success_ratio:rate${w}`,
  eventSuccessByTransaction: (w: string) => `channel_health:event_success_ratio_by_transaction:rate${w}`,
  eventSuccessByBackend: (w: string) => `channel_health:event_success_ratio_by_backend:rate${w}`,
  eventBurn: (w: string) => `channel_health:event_burn_rate:rate${w}`,
  eventBurnByTransaction: (w: string) => `channel_health:event_burn_rate_by_transaction:rate${w}`,
  events: (w: string) => `channel_health:events:increase${w}`,
  eventFailures: (w: string) => `channel_health:event_failures:increase${w}`,
  eventBudget: (s: string) => `channel_health:event_error_budget_remaining:${s}`,
});

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
  probe: { total: METRIC.probeRuns, failed: METRIC.probeFailures },
  event: { total: METRIC.events, failed: METRIC.eventFailures },
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
  return `max by (${key}) (${selector(METRIC.objective, matchers)})`;
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
