// Recording-rule names: the interface between the rules alerts/ generates and what dashboards/
// (and people writing their own queries) read. Names follow `channel_health:<what>:<window>`;
// `window` is a Prometheus duration (`5m`, `30d`) already written out. RECORDING_RULES says what
// each one holds; docs/metrics.md's "Recording rules" table is rendered from it.
import { METRIC_PREFIX } from './metrics.js';

const NAMESPACE = METRIC_PREFIX.slice(0, -1);
const windowed =
  (what: string, kind: 'rate' | 'delta' | 'increase' | '') =>
  (window: string): string =>
    `${NAMESPACE}:${what}:${kind}${window}`;
const fixed = (what: string, level: string): string => `${NAMESPACE}:${what}:${level}`;

export const RECORD = Object.freeze({
  probeSuccessRatio: windowed('probe_success_ratio', 'rate'),
  probeSuccessRatioByTransaction: windowed('probe_success_ratio_by_transaction', 'rate'),
  probeSuccessRatioByBackend: windowed('probe_success_ratio_by_backend', 'rate'),
  probeFailures: windowed('probe_failures', 'delta'),
  probeFailureThreshold: windowed('probe_failure_threshold', ''),
  checkPeriod: fixed('check_period_seconds', 'config'),
  evidence: fixed('probe_failure_evidence', 'any_window'),
  backendFailingChannels: fixed('backend_failing_channels', 'any_window'),
  probeDurationP95: windowed('probe_duration_p95_seconds', 'rate'),
  probeBudgetRemaining: windowed('probe_error_budget_remaining', ''),
  eventSuccessRatio: windowed('event_success_ratio', 'rate'),
  eventSuccessRatioByTransaction: windowed('event_success_ratio_by_transaction', 'rate'),
  eventSuccessRatioByBackend: windowed('event_success_ratio_by_backend', 'rate'),
  eventBurnRate: windowed('event_burn_rate', 'rate'),
  eventBurnRateByTransaction: windowed('event_burn_rate_by_transaction', 'rate'),
  events: windowed('events', 'increase'),
  eventFailures: windowed('event_failures', 'increase'),
  eventBudgetRemaining: windowed('event_error_budget_remaining', ''),
  eventsExpected: fixed('events_expected', 'increase1h'),
  holiday: fixed('holiday', 'active'),
});

export type RecordKey = keyof typeof RECORD;

export interface RecordingRuleDoc {
  key: RecordKey;
  /** Which window the placeholder in the name stands for (see WINDOW_PLACEHOLDERS), if any. */
  window: keyof typeof WINDOW_PLACEHOLDERS | null;
  labels: readonly string[];
  value: string;
}

/** The placeholders of the documented names, and what they stand for. */
/** Windows every ratio, burn rate and count is recorded over (`W`): those the burn-rate pairs need, and what dashboards show. */
export const RATIO_WINDOWS = Object.freeze(['5m', '30m', '1h', '2h', '6h', '1d', '3d'] as const);

export const WINDOW_PLACEHOLDERS = Object.freeze({
  W: RATIO_WINDOWS.map((w) => `\`${w}\``).join(' '),
  E: 'each of `alerting.evidenceWindows` (docs/config.md)',
  L: '`alerting.latency.window`',
  S: '`alerting.sloWindow`',
});

const PAIR = ['channel', 'transaction', 'tier'];
const BY_TRANSACTION = ['transaction', 'tier'];

/** Every recording rule, in the order the docs list them. */
export const RECORDING_RULES: readonly RecordingRuleDoc[] = Object.freeze([
  { key: 'probeSuccessRatio', window: 'W', labels: PAIR, value: 'successful / all probe runs' },
  { key: 'probeSuccessRatioByTransaction', window: 'W', labels: BY_TRANSACTION, value: 'same, pooled over channels and locations' },
  { key: 'probeSuccessRatioByBackend', window: 'W', labels: ['backend'], value: "same, pooled over the backend's transactions" },
  { key: 'probeFailures', window: 'E', labels: [...PAIR, 'location'], value: 'exact count of failed runs in the window' },
  { key: 'probeFailureThreshold', window: 'E', labels: PAIR, value: 'failures in `E` that page/warn (binomial bound)' },
  { key: 'checkPeriod', window: null, labels: PAIR, value: "the check's period from the config" },
  { key: 'evidence', window: null, labels: PAIR, value: '1 while hard down or over a threshold (absent otherwise)' },
  { key: 'backendFailingChannels', window: null, labels: ['backend'], value: 'channels with evidence on a transaction of the backend' },
  { key: 'probeDurationP95', window: 'L', labels: ['channel', 'transaction'], value: 'p95 probe duration' },
  { key: 'probeBudgetRemaining', window: 'S', labels: BY_TRANSACTION, value: '1 − (probe error ratio / (1 − objective))' },
  { key: 'eventSuccessRatio', window: 'W', labels: PAIR, value: 'real events: successful / all' },
  { key: 'eventSuccessRatioByTransaction', window: 'W', labels: BY_TRANSACTION, value: 'same, pooled over channels' },
  { key: 'eventSuccessRatioByBackend', window: 'W', labels: ['backend'], value: "same, pooled over the backend's transactions" },
  { key: 'eventBurnRate', window: 'W', labels: PAIR, value: 'error ratio / (1 − objective)' },
  { key: 'eventBurnRateByTransaction', window: 'W', labels: BY_TRANSACTION, value: 'same, pooled over channels' },
  { key: 'events', window: 'W', labels: PAIR, value: 'real events in the window' },
  { key: 'eventFailures', window: 'W', labels: PAIR, value: 'failed real events in the window' },
  { key: 'eventBudgetRemaining', window: 'S', labels: BY_TRANSACTION, value: '1 − (error ratio over `S` / (1 − objective)); negative when overspent' },
  { key: 'eventsExpected', window: null, labels: PAIR, value: 'real events expected in the hour: the mean of `events:increase1h` at the same hour of up to `alerting.trafficDrop.weeks` previous weeks that exist and whose hour touched no holiday' },
  { key: 'holiday', window: null, labels: [], value: '1 while the last hour touches a business-clock day of `alerting.holidays`: the day and the hour after it, whose count still holds holiday traffic (absent otherwise)' },
]);

/** A rule's documented name: `channel_health:events:increase<W>`. */
export function documentedName(rule: RecordingRuleDoc): string {
  const name = RECORD[rule.key];
  return typeof name === 'string' ? name : name(`<${rule.window ?? ''}>`);
}
