// The metric contract: every metric the program serves, with its type, labels and help, written
// once. The collector registers these, the generators (alerts, dashboards) and the report query
// them by these names; nothing else spells a `channel_health_` name. docs/metrics.md explains
// them for people (test/unit/contract.test.ts keeps its tables equal to this file).
//
// A new metric is one entry here, then the code that records it. Imports nothing from the project.

export const METRIC_PREFIX = 'channel_health_';

export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface MetricSpec<L extends string = string> {
  /** The name as registered (a counter's `_total` included; a histogram's base name). */
  readonly name: string;
  readonly type: MetricType;
  readonly labelNames: readonly L[];
  readonly help: string;
}

const spec = <const L extends string>(name: string, type: MetricType, labelNames: readonly L[], help: string): MetricSpec<L> =>
  Object.freeze({ name: `${METRIC_PREFIX}${name}`, type, labelNames: Object.freeze([...labelNames]), help });

/**
 * The probe-duration histogram's bucket ladder (seconds), before the config adds every
 * transaction's `latencyThresholdMs` and the longest check `timeout`. A 1-2-5 ladder from 250 ms:
 * what is read from it is p50/p95/p99 against thresholds of a second or more (exact at each
 * threshold, which the latency alert counts against) and week-over-week trends, for which linear
 * interpolation inside a ×2-×2.5 bucket is close enough; below 250 ms nothing is compared. Each
 * bound is one series per check, so every bound has to earn its place (docs/metrics.md).
 */
/**
 * The `phase` label's closed set: the transports' own phases a step result may carry (HTTP's, as
 * blackbox_exporter's probe_http_duration_seconds names them, SMPP's and SIP's). A result naming
 * another phase keeps it in the result, never as a series: SIP's `call` (INVITE to the end of the
 * call) is the run's own duration again, which the run histogram and the last-run gauge carry.
 */
export const PROBE_PHASES = Object.freeze(['dns', 'connect', 'tls', 'processing', 'transfer', 'submitResp', 'reply', 'postDial', 'answer', 'firstPrompt', 'response'] as const);

export const DURATION_LADDER_SECONDS = Object.freeze([0.25, 0.5, 1, 2, 5] as const);

const CHECK = ['channel', 'transaction', 'tier', 'location'] as const;
const PAIR = ['channel', 'transaction', 'tier'] as const;

export const METRICS = Object.freeze({
  // ---- contract v1: probes ----
  probeRuns: spec('probe_runs_total', 'counter', CHECK, 'Synthetic probe runs, by channel, transaction, tier and probing location.'),
  probeFailures: spec(
    'probe_failures_total',
    'counter',
    [...CHECK, 'reason'],
    'Failed synthetic probe runs, by failure reason (closed set). Created on the first failure of each reason (at zero from the start for checks with metricsDetail full).',
  ),
  probeDuration: spec('probe_duration_seconds', 'histogram', ['channel', 'transaction', 'location'], 'Duration of a whole probe run (all steps, cleanup included).'),
  stepLastDuration: spec(
    'probe_step_last_duration_seconds',
    'gauge',
    ['channel', 'transaction', 'step', 'location'],
    "Duration of each step that ran in the check's last run (quantile_over_time gives its percentiles).",
  ),
  phaseDuration: spec(
    'probe_phase_duration_seconds',
    'gauge',
    ['channel', 'transaction', 'location', 'phase'],
    "Time the check's last run spent in each transport phase (HTTP dns, connect, tls, processing, transfer; SMPP submitResp, reply; SIP postDial, answer, firstPrompt, response), summed over its steps; a phase keeps its value from the last run that went through it.",
  ),
  stepDuration: spec(
    'probe_step_duration_seconds',
    'histogram',
    ['channel', 'transaction', 'step', 'location'],
    'Duration of each probe step that ran, as a histogram: only for checks with metricsDetail full.',
  ),
  probeSuccess: spec('probe_success', 'gauge', CHECK, 'Outcome of the last probe run: 1 success, 0 failure.'),
  lastRun: spec('probe_last_run_timestamp_seconds', 'gauge', ['channel', 'transaction', 'location'], 'Unix time at which the last probe run finished.'),
  consecutiveFailures: spec('probe_consecutive_failures', 'gauge', CHECK, 'Probe runs failed in a row; 0 after a success.'),
  // ---- contract v1: real events, objectives, build ----
  events: spec('transactions_total', 'counter', PAIR, 'Real customer transactions reported by the channel systems.'),
  eventFailures: spec('transaction_failures_total', 'counter', [...PAIR, 'reason'], 'Failed real customer transactions, by failure reason (closed set). Created on the first failure of each reason.'),
  objective: spec('objective_ratio', 'gauge', ['transaction', 'tier'], 'Success objective of each transaction (from its tier).'),
  buildInfo: spec('build_info', 'gauge', ['version'], 'Always 1; the version label says which build is running.'),
  // ---- failing steps and business codes (created on first failure, not at zero) ----
  stepFailures: spec(
    'probe_step_failures_total',
    'counter',
    ['channel', 'transaction', 'step', 'location', 'reason'],
    'Probe steps that ran and failed, by step and failure reason; compensating (always) steps included. Created on first failure.',
  ),
  businessErrors: spec(
    'probe_business_errors_total',
    'counter',
    ['channel', 'transaction', 'step', 'location', 'code'],
    "Failed probe steps that answered a business failure code, by code (the channel's known codes; `other` for the rest). Created on first failure.",
  ),
  probeSkipped: spec(
    'probe_skipped_total',
    'counter',
    [...CHECK, 'reason'],
    "Probe runs that did not probe because the probe's own resources were short (reason no_free_account: no test account free before the deadline); never counted as runs or failures. Created on first skip.",
  ),
  eventBusinessErrors: spec(
    'transaction_business_errors_total',
    'counter',
    ['channel', 'transaction', 'code'],
    "Failed real customer transactions that carried a business failure code, by code (the channel's known codes; `other` for the rest). Created on first failure.",
  ),
  // ---- safety (processes that probe: run and agents) ----
  journalPending: spec(
    'journal_pending',
    'gauge',
    ['state'],
    'Unfinished money-moving probe runs in the journal: intended (outcome unknown), done (compensation due), flagged (a human must look).',
  ),
  breakerOpen: spec(
    'probe_breaker_open',
    'gauge',
    ['channel', 'transaction', 'location'],
    'Circuit breaker of a check: 1 open (probing at a backed-off cadence, skipped firings produce no result), 0 closed.',
  ),
  // ---- maintenance windows (every process serving the contract) ----
  maintenanceActive: spec(
    'maintenance_active',
    'gauge',
    ['window', 'channel', 'backend'],
    'Maintenance window state: 1 while the window is on, 0 otherwise; one series per window and each channel or backend in its scope.',
  ),
  // ---- transports (processes that probe) ----
  smppBindUp: spec(
    'smpp_bind_up',
    'gauge',
    ['channel', 'location'],
    'SMPP transceiver bind of an smpp channel at this location: 1 bound, 0 down or binding.',
  ),
  tlsCertExpiry: spec(
    'tls_cert_expiry_timestamp_seconds',
    'gauge',
    ['channel', 'origin'],
    "Earliest notAfter (unix seconds) of the certificate chain an https channel's origin presented, as blackbox_exporter's probe_ssl_earliest_cert_expiry; set at each new TLS connection that passed verification. Created on the first one.",
  ),
  // ---- the /metrics endpoint (collector and run) ----
  scrapeRefused: spec(
    'scrape_refused_total',
    'counter',
    [],
    'Scrapes of /metrics refused with 503 CH_SCRAPE_BUSY: every place taken and the queue full, or no place within service.scrape.queueTimeout.',
  ),
  // ---- ingest (collector and run) ----
  eventDuration: spec(
    'transaction_duration_seconds',
    'histogram',
    ['channel', 'transaction'],
    'Latency of real customer transactions, as reported by the channel systems (events that carry latencyMs).',
  ),
  ingestItems: spec(
    'ingest_items_total',
    'counter',
    ['endpoint', 'outcome'],
    'Pushed results and real events taken in, by endpoint and outcome (accepted, or a duplicate of one recorded before).',
  ),
  ingestRefused: spec(
    'ingest_refused_total',
    'counter',
    ['endpoint', 'code'],
    'Ingest requests refused whole, by endpoint and error code; nothing of a refused request is recorded.',
  ),
  // ---- agents' own delivery state ----
  agentResults: spec('agent_results_total', 'counter', [], 'Probe results this agent produced (written to its spool); kept across restarts.'),
  agentSpoolPending: spec('agent_spool_pending', 'gauge', ['collector'], 'Results in the spool not yet acknowledged by the collector.'),
  agentPushes: spec('agent_pushes_total', 'counter', ['collector', 'outcome'], 'Batches pushed to a collector, by outcome (ok: acknowledged; failed: retried later).'),
  agentResultsRefused: spec(
    'agent_results_refused_total',
    'counter',
    ['collector'],
    'Results a collector refused for good (unknown label, out of its window); dropped from the spool for that collector.',
  ),
  agentOldestPendingAge: spec(
    'agent_oldest_pending_age_seconds',
    'gauge',
    ['collector'],
    'How long the oldest result waiting for the collector has waited; 0 when none waits.',
  ),
  // ---- the weekly report on schedule (run and collector with report.prometheus) ----
  reportAttempts: spec('report_attempts_total', 'counter', [], 'Tries at making the scheduled weekly report (each retry counts).'),
  reportFailures: spec('report_failures_total', 'counter', [], 'Tries at making the scheduled weekly report that failed (Prometheus unreachable, no data, a file not written).'),
  reportLastSuccess: spec('report_last_success_timestamp_seconds', 'gauge', [], 'When the newest report in the report folder was written (unix seconds); 0 when there is none.'),
  reportDue: spec(
    'report_due_timestamp_seconds',
    'gauge',
    [],
    'The last scheduled time a report fell due (unix seconds); 0 before the first one. A last success older than this means the report is not made yet.',
  ),
});

export type MetricKey = keyof typeof METRICS;

/** The series a histogram exposes: `_bucket` (with `le`), `_count` and `_sum`. */
export const bucketSeries = (histogram: MetricSpec): string => `${histogram.name}_bucket`;
export const countSeries = (histogram: MetricSpec): string => `${histogram.name}_count`;

/** The metric Prometheus records for every firing or pending alert (not ours, named here so no query spells it). */
export const ALERTS_SERIES = 'ALERTS';
