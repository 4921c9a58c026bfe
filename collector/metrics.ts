// The metric contract (DESIGN.md, "Metric contract (v1)") in one file. Nothing else in the
// program names a metric or passes loose label strings: it calls the typed functions below.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Config } from '../config/index.js';
import { FAILURE_REASONS, type FailureReason, type ProbeResult } from '../synthetic/result.js';

export const METRIC_PREFIX = 'channel_health_';

/** Seconds; the transactions' latency thresholds are added so p95-over-threshold is exact at the threshold. */
export const DURATION_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30] as const;

export interface RealEvent {
  channel: string;
  transaction: string;
  ok: boolean;
  reason: FailureReason | null;
  /** Business failure code as a label value (already bounded: a listed code or `other`); null when none was given. */
  code?: string | null;
}

export interface ChannelHealthMetrics {
  readonly registry: Registry;
  /** Counts one probe run and updates the last-run gauges. The caller has checked the labels. */
  recordResult(result: ProbeResult): void;
  /** Counts one real customer transaction reported by a channel system. */
  recordEvent(event: RealEvent): void;
  /** Pre-creates the zero series of a probing location (the local one is done at start). */
  addLocation(location: string): void;
  /** Reads the probe journal's unfinished entries at every scrape (processes that probe). */
  observeJournal(source: () => JournalPending): void;
  /** Reads the circuit breakers' states at every scrape (processes that probe). */
  observeBreakers(source: () => Iterable<BreakerSample>): void;
}

/** Unfinished probe-journal entries: awaiting an outcome, awaiting compensation, flagged for a human. */
export interface JournalPending {
  intended: number;
  done: number;
  flagged: number;
}

export interface BreakerSample {
  channel: string;
  transaction: string;
  location: string;
  /** Open or half-open (its one trial out): the check runs at a backed-off cadence. */
  open: boolean;
}

export interface MetricsOptions {
  version: string;
  /** Locations whose series exist from the start; the config's own location is always included. */
  locations?: readonly string[];
}

export function durationBuckets(config: Config): number[] {
  const extra = config.transactions.flatMap((t) => (t.latencyThresholdMs === null ? [] : [t.latencyThresholdMs / 1000]));
  return [...new Set([...DURATION_BUCKETS, ...extra])].sort((a, b) => a - b);
}

export function createMetrics(registry: Registry, config: Config, options: MetricsOptions): ChannelHealthMetrics {
  const buckets = durationBuckets(config);
  const probeRuns = new Counter({
    name: 'channel_health_probe_runs_total',
    help: 'Synthetic probe runs, by channel, transaction, tier and probing location.',
    labelNames: ['channel', 'transaction', 'tier', 'location'] as const,
    registers: [registry],
  });
  const probeFailures = new Counter({
    name: 'channel_health_probe_failures_total',
    help: 'Failed synthetic probe runs, by failure reason (closed set).',
    labelNames: ['channel', 'transaction', 'tier', 'location', 'reason'] as const,
    registers: [registry],
  });
  const probeDuration = new Histogram({
    name: 'channel_health_probe_duration_seconds',
    help: 'Duration of a whole probe run (all steps, cleanup included).',
    labelNames: ['channel', 'transaction', 'location'] as const,
    buckets,
    registers: [registry],
  });
  const stepDuration = new Histogram({
    name: 'channel_health_probe_step_duration_seconds',
    help: 'Duration of each probe step that ran.',
    labelNames: ['channel', 'transaction', 'step', 'location'] as const,
    buckets,
    registers: [registry],
  });
  const probeSuccess = new Gauge({
    name: 'channel_health_probe_success',
    help: 'Outcome of the last probe run: 1 success, 0 failure.',
    labelNames: ['channel', 'transaction', 'tier', 'location'] as const,
    registers: [registry],
  });
  const lastRun = new Gauge({
    name: 'channel_health_probe_last_run_timestamp_seconds',
    help: 'Unix time at which the last probe run finished.',
    labelNames: ['channel', 'transaction', 'location'] as const,
    registers: [registry],
  });
  const consecutiveFailures = new Gauge({
    name: 'channel_health_probe_consecutive_failures',
    help: 'Probe runs failed in a row; 0 after a success.',
    labelNames: ['channel', 'transaction', 'tier', 'location'] as const,
    registers: [registry],
  });
  const transactions = new Counter({
    name: 'channel_health_transactions_total',
    help: 'Real customer transactions reported by the channel systems.',
    labelNames: ['channel', 'transaction', 'tier'] as const,
    registers: [registry],
  });
  const transactionFailures = new Counter({
    name: 'channel_health_transaction_failures_total',
    help: 'Failed real customer transactions, by failure reason (closed set).',
    labelNames: ['channel', 'transaction', 'tier', 'reason'] as const,
    registers: [registry],
  });
  // Made on first failure, not pre-created: checks × steps × reasons × locations (× codes) would
  // multiply the zero series by ten for counts that are almost always absent.
  const stepFailures = new Counter({
    name: 'channel_health_probe_step_failures_total',
    help: 'Probe steps that ran and failed, by step and failure reason; compensating (always) steps included. Created on first failure.',
    labelNames: ['channel', 'transaction', 'step', 'location', 'reason'] as const,
    registers: [registry],
  });
  const businessErrors = new Counter({
    name: 'channel_health_probe_business_errors_total',
    help: 'Failed probe steps that answered a business failure code, by code (the channel\'s known codes; `other` for the rest). Created on first failure.',
    labelNames: ['channel', 'transaction', 'step', 'location', 'code'] as const,
    registers: [registry],
  });
  const eventBusinessErrors = new Counter({
    name: 'channel_health_transaction_business_errors_total',
    help: 'Failed real customer transactions that carried a business failure code, by code (the channel\'s known codes; `other` for the rest). Created on first failure.',
    labelNames: ['channel', 'transaction', 'code'] as const,
    registers: [registry],
  });
  const objective = new Gauge({
    name: 'channel_health_objective_ratio',
    help: 'Success objective of each transaction (from its tier).',
    labelNames: ['transaction', 'tier'] as const,
    registers: [registry],
  });
  const buildInfo = new Gauge({
    name: 'channel_health_build_info',
    help: 'Always 1; the version label says which build is running.',
    labelNames: ['version'] as const,
    registers: [registry],
  });

  let journalSource: (() => JournalPending) | null = null;
  const journalPending = new Gauge({
    name: 'channel_health_journal_pending',
    help: 'Unfinished money-moving probe runs in the journal: intended (outcome unknown), done (compensation due), flagged (a human must look).',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      if (!journalSource) return;
      const counts = journalSource();
      for (const state of ['intended', 'done', 'flagged'] as const) this.set({ state }, counts[state]);
    },
  });
  let breakerSource: (() => Iterable<BreakerSample>) | null = null;
  const breakerOpen = new Gauge({
    name: 'channel_health_probe_breaker_open',
    help: 'Circuit breaker of a check: 1 open (probing at a backed-off cadence, skipped firings produce no result), 0 closed.',
    labelNames: ['channel', 'transaction', 'location'] as const,
    registers: [registry],
    collect() {
      if (!breakerSource) return;
      for (const b of breakerSource()) this.set({ channel: b.channel, transaction: b.transaction, location: b.location }, b.open ? 1 : 0);
    },
  });

  buildInfo.set({ version: options.version }, 1);
  const tierOf = new Map(config.transactions.map((t) => [t.id, t.tier]));
  const codeLabel = businessCodeLabels(config);
  for (const t of config.transactions) objective.set({ transaction: t.id, tier: t.tier }, t.objective);

  // Zero series for every configured pair, so rate() and absent-vs-zero work from the first scrape.
  for (const channel of config.channels) {
    for (const t of config.transactions) {
      transactions.inc({ channel: channel.id, transaction: t.id, tier: t.tier }, 0);
      for (const reason of FAILURE_REASONS) transactionFailures.inc({ channel: channel.id, transaction: t.id, tier: t.tier, reason }, 0);
    }
  }
  const knownLocations = new Set<string>();
  const addLocation = (location: string) => {
    if (knownLocations.has(location)) return;
    knownLocations.add(location);
    for (const check of config.checks) {
      const labels = { channel: check.channel, transaction: check.transaction, tier: check.tier, location };
      probeRuns.inc(labels, 0);
      for (const reason of FAILURE_REASONS) probeFailures.inc({ ...labels, reason }, 0);
    }
  };
  addLocation(config.service.location);
  for (const location of options.locations ?? []) addLocation(location);

  return {
    registry,
    addLocation,
    observeJournal(source) {
      journalSource = source;
      // The series exist from the first scrape, so "nothing pending" is a 0, not an absent series.
      for (const state of ['intended', 'done', 'flagged'] as const) journalPending.set({ state }, 0);
    },
    observeBreakers(source) {
      breakerSource = source;
      for (const b of source()) breakerOpen.set({ channel: b.channel, transaction: b.transaction, location: b.location }, b.open ? 1 : 0);
    },
    recordResult(result) {
      const { channel, transaction, tier, location } = result;
      addLocation(location);
      const labels = { channel, transaction, tier, location };
      probeRuns.inc(labels);
      probeDuration.observe({ channel, transaction, location }, result.durationMs / 1000);
      for (const step of result.steps) {
        if (!step.skipped) stepDuration.observe({ channel, transaction, step: step.name, location }, step.durationMs / 1000);
      }
      const finishedSeconds = (result.startedAt + result.durationMs) / 1000;
      lastRun.set({ channel, transaction, location }, finishedSeconds);
      for (const f of failedSteps(result, codeLabel)) {
        stepFailures.inc({ channel, transaction, step: f.step, location, reason: f.reason });
        if (f.code !== null) businessErrors.inc({ channel, transaction, step: f.step, location, code: f.code });
      }
      if (result.ok) {
        probeSuccess.set(labels, 1);
        consecutiveFailures.set(labels, 0);
      } else {
        probeFailures.inc({ ...labels, reason: result.reason ?? 'internal' });
        probeSuccess.set(labels, 0);
        consecutiveFailures.inc(labels);
      }
    },
    recordEvent(event) {
      const tier = tierOf.get(event.transaction) as string;
      transactions.inc({ channel: event.channel, transaction: event.transaction, tier });
      if (!event.ok) transactionFailures.inc({ channel: event.channel, transaction: event.transaction, tier, reason: event.reason ?? 'internal' });
      if (!event.ok && event.code) eventBusinessErrors.inc({ channel: event.channel, transaction: event.transaction, code: event.code });
    },
  };
}

/** Label value of a channel's business code: listed in the config (`businessCode.errors`), else `other`. */
export type CodeLabeler = (channel: string, code: string | null) => string | null;

export function businessCodeLabels(config: Config): CodeLabeler {
  const rules = new Map(config.channels.map((c) => [c.id, c.businessCode]));
  return (channel, code) => {
    const rule = rules.get(channel);
    // No code, or one that means success (the step failed on something else, e.g. its latency).
    if (code === null || rule?.success.includes(code)) return null;
    return rule && Object.hasOwn(rule.errors, code) ? code : 'other';
  };
}

/** The steps of a run that ran and failed, with their reasons and bounded business codes. */
export function failedSteps(result: ProbeResult, codeLabel: CodeLabeler): Array<{ step: string; reason: FailureReason; code: string | null }> {
  return result.steps
    .filter((st) => !st.ok && !st.skipped)
    .map((st) => ({ step: st.name, reason: st.reason ?? 'internal', code: codeLabel(result.channel, st.businessCode) }));
}

// ---------------------------------------------------------------------------------------------
// Ingest, the collector's durable state, and the agent's own metrics (docs/metrics.md,
// "Ingest and agents"). Additions beside the v1 contract above, which they leave unchanged.

export const INGEST_ENDPOINTS = ['results', 'events'] as const;
export type IngestEndpoint = (typeof INGEST_ENDPOINTS)[number];
export const INGEST_OUTCOMES = ['accepted', 'duplicate'] as const;
export type IngestOutcome = (typeof INGEST_OUTCOMES)[number];

type Labels = Record<string, string>;

export interface IngestMetrics {
  /** Items recorded (`accepted`) or recognised as recorded before (`duplicate`). */
  countItems(endpoint: IngestEndpoint, outcome: IngestOutcome, n: number): void;
  /** A refused request, by the error code it was answered with (a closed set, pre-created at zero). */
  countRefused(endpoint: IngestEndpoint, code: string): void;
  /** Latency a channel system reported with a real event (`latencyMs`). */
  observeEventLatency(channel: string, transaction: string, seconds: number): void;
}

/**
 * `codes` is the closed set of error codes a refusal can carry; every endpoint × code series
 * exists from the start, so a refused request changes values, never the series set.
 */
export function createIngestMetrics(registry: Registry, config: Config, codes: readonly string[]): IngestMetrics {
  const items = new Counter({
    name: 'channel_health_ingest_items_total',
    help: 'Pushed results and real events taken in, by endpoint and outcome (accepted, or a duplicate of one recorded before).',
    labelNames: ['endpoint', 'outcome'] as const,
    registers: [registry],
  });
  const refused = new Counter({
    name: 'channel_health_ingest_refused_total',
    help: 'Ingest requests refused whole, by endpoint and error code; nothing of a refused request is recorded.',
    labelNames: ['endpoint', 'code'] as const,
    registers: [registry],
  });
  const eventLatency = new Histogram({
    name: 'channel_health_transaction_duration_seconds',
    help: 'Latency of real customer transactions, as reported by the channel systems (events that carry latencyMs).',
    labelNames: ['channel', 'transaction'] as const,
    buckets: durationBuckets(config),
    registers: [registry],
  });
  const known = new Set(codes);
  for (const endpoint of INGEST_ENDPOINTS) {
    for (const outcome of INGEST_OUTCOMES) items.inc({ endpoint, outcome }, 0);
    for (const code of known) refused.inc({ endpoint, code }, 0);
  }
  return {
    countItems: (endpoint, outcome, n) => items.inc({ endpoint, outcome }, n),
    countRefused: (endpoint, code) => refused.inc({ endpoint, code: known.has(code) ? code : 'CH_INTERNAL' }),
    observeEventLatency: (channel, transaction, seconds) => eventLatency.observe({ channel, transaction }, seconds),
  };
}

/** One change to one series, as recordResult/recordEvent make it; the unit of the durable state. */
export interface SeriesUpdate {
  kind: 'counter' | 'gauge' | 'histogram';
  metric: string;
  labels: Labels;
  /** inc: add (counters, gauges); set: replace (gauges); observe: one histogram observation. */
  op: 'inc' | 'set' | 'observe';
  value: number;
}

/**
 * What recordResult does to the series, as data, so the collector can commit it to disk before
 * it touches the registry. It must mirror recordResult exactly: the restore test in
 * test/unit/ingest-durable.test.ts compares a restored registry with the live one.
 */
export function resultUpdates(result: ProbeResult, codeLabel: CodeLabeler): SeriesUpdate[] {
  const { channel, transaction, tier, location } = result;
  const labels = { channel, transaction, tier, location };
  const out: SeriesUpdate[] = [
    { kind: 'counter', metric: 'channel_health_probe_runs_total', labels, op: 'inc', value: 1 },
    { kind: 'histogram', metric: 'channel_health_probe_duration_seconds', labels: { channel, transaction, location }, op: 'observe', value: result.durationMs / 1000 },
  ];
  for (const step of result.steps) {
    if (!step.skipped) out.push({ kind: 'histogram', metric: 'channel_health_probe_step_duration_seconds', labels: { channel, transaction, step: step.name, location }, op: 'observe', value: step.durationMs / 1000 });
  }
  out.push({ kind: 'gauge', metric: 'channel_health_probe_last_run_timestamp_seconds', labels: { channel, transaction, location }, op: 'set', value: (result.startedAt + result.durationMs) / 1000 });
  for (const f of failedSteps(result, codeLabel)) {
    out.push({ kind: 'counter', metric: 'channel_health_probe_step_failures_total', labels: { channel, transaction, step: f.step, location, reason: f.reason }, op: 'inc', value: 1 });
    if (f.code !== null) out.push({ kind: 'counter', metric: 'channel_health_probe_business_errors_total', labels: { channel, transaction, step: f.step, location, code: f.code }, op: 'inc', value: 1 });
  }
  if (result.ok) {
    out.push({ kind: 'gauge', metric: 'channel_health_probe_success', labels, op: 'set', value: 1 });
    out.push({ kind: 'gauge', metric: 'channel_health_probe_consecutive_failures', labels, op: 'set', value: 0 });
  } else {
    out.push({ kind: 'counter', metric: 'channel_health_probe_failures_total', labels: { ...labels, reason: result.reason ?? 'internal' }, op: 'inc', value: 1 });
    out.push({ kind: 'gauge', metric: 'channel_health_probe_success', labels, op: 'set', value: 0 });
    out.push({ kind: 'gauge', metric: 'channel_health_probe_consecutive_failures', labels, op: 'inc', value: 1 });
  }
  return out;
}

/** What recordEvent (and observeEventLatency, when the event has a latency) do, as data. */
export function eventUpdates(event: RealEvent & { tier: string; latencyMs: number | null }): SeriesUpdate[] {
  const { channel, transaction, tier } = event;
  const out: SeriesUpdate[] = [{ kind: 'counter', metric: 'channel_health_transactions_total', labels: { channel, transaction, tier }, op: 'inc', value: 1 }];
  if (!event.ok) out.push({ kind: 'counter', metric: 'channel_health_transaction_failures_total', labels: { channel, transaction, tier, reason: event.reason ?? 'internal' }, op: 'inc', value: 1 });
  if (!event.ok && event.code) out.push({ kind: 'counter', metric: 'channel_health_transaction_business_errors_total', labels: { channel, transaction, code: event.code }, op: 'inc', value: 1 });
  if (event.latencyMs !== null) out.push({ kind: 'histogram', metric: 'channel_health_transaction_duration_seconds', labels: { channel, transaction }, op: 'observe', value: event.latencyMs / 1000 });
  return out;
}

/** A series' accumulated value as the durable state keeps it. */
export interface SeriesValue {
  kind: SeriesUpdate['kind'];
  metric: string;
  labels: Labels;
  /** Counter or gauge value; a histogram's sum. */
  value: number;
  /** Histograms: observations in total, and per finite upper bound (non-cumulative). */
  count: number;
  buckets: Readonly<Record<string, number>>;
}

interface HistogramEntry {
  labels: Labels;
  bucketValues: Record<string, number>;
  sum: number;
  count: number;
}

/**
 * Puts persisted values back into a freshly made registry (counters are added to the zero
 * series, gauges set). Returns the series it could not restore (a metric or bucket layout that
 * no longer exists), which the caller logs; those start from zero like any counter reset.
 */
export function restoreSeries(registry: Registry, series: Iterable<SeriesValue>): SeriesValue[] {
  const skipped: SeriesValue[] = [];
  for (const s of series) {
    const metric = registry.getSingleMetric(s.metric);
    if (!metric) {
      skipped.push(s);
    } else if (s.kind === 'counter' && metric instanceof Counter) {
      metric.inc(s.labels, s.value);
    } else if (s.kind === 'gauge' && metric instanceof Gauge) {
      metric.set(s.labels, s.value);
    } else if (s.kind === 'histogram' && metric instanceof Histogram) {
      if (!restoreHistogram(metric, s)) skipped.push(s);
    } else {
      skipped.push(s);
    }
  }
  return skipped;
}

// prom-client has no public way to set a histogram's buckets (observe() adds one at a time), so
// the restore writes its per-series entry, the same object observe() updates. The durable-state
// test fails loudly if a prom-client upgrade changes that shape.
function restoreHistogram(histogram: Histogram, s: SeriesValue): boolean {
  const internals = histogram as unknown as { hashMap: Record<string, HistogramEntry> };
  const find = () => Object.values(internals.hashMap).find((e) => sameLabels(e.labels, s.labels));
  let entry = find();
  if (!entry) {
    histogram.zero(s.labels);
    entry = find();
  }
  if (!entry || typeof entry.sum !== 'number' || typeof entry.count !== 'number' || typeof entry.bucketValues !== 'object') {
    throw new Error('prom-client histogram internals are not as expected; durable state cannot be restored');
  }
  const target = entry;
  if (!Object.keys(s.buckets).every((le) => le in target.bucketValues)) return false;
  for (const [le, n] of Object.entries(s.buckets)) target.bucketValues[le] = (target.bucketValues[le] ?? 0) + n;
  target.sum += s.value;
  target.count += s.count;
  return true;
}

function sameLabels(a: Labels, b: Labels): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

export interface AgentMetrics {
  readonly registry: Registry;
  /** A result is on disk in the spool: it counts as produced from now on. */
  countProduced(n: number): void;
  setPending(collector: string, n: number): void;
  countPush(collector: string, outcome: 'ok' | 'failed'): void;
  /** Results a collector refused for good (an unknown label, out of its window): dropped, logged. */
  countRefused(collector: string, n: number): void;
}

export interface AgentMetricsOptions {
  version: string;
  collectors: readonly string[];
  /** Results produced before this start (kept in the spool), so the counter survives restarts. */
  producedBefore: number;
  /** Seconds the oldest result waiting for this collector has waited; null when none waits. */
  oldestPendingAgeSeconds: (collector: string) => number | null;
  /** The probe journal's unfinished entries, when a check of the agent moves money. */
  journal?: () => JournalPending;
  /** The checks' circuit breakers. */
  breakers?: () => Iterable<BreakerSample>;
}

/** The agent's /metrics: its own delivery state only; probe outcomes are exported by collectors. */
export function createAgentMetrics(registry: Registry, options: AgentMetricsOptions): AgentMetrics {
  const produced = new Counter({
    name: 'channel_health_agent_results_total',
    help: 'Probe results this agent produced (written to its spool); kept across restarts.',
    registers: [registry],
  });
  const pending = new Gauge({
    name: 'channel_health_agent_spool_pending',
    help: 'Results in the spool not yet acknowledged by the collector.',
    labelNames: ['collector'] as const,
    registers: [registry],
  });
  const pushes = new Counter({
    name: 'channel_health_agent_pushes_total',
    help: 'Batches pushed to a collector, by outcome (ok: acknowledged; failed: retried later).',
    labelNames: ['collector', 'outcome'] as const,
    registers: [registry],
  });
  const refused = new Counter({
    name: 'channel_health_agent_results_refused_total',
    help: 'Results a collector refused for good (unknown label, out of its window); dropped from the spool for that collector.',
    labelNames: ['collector'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'channel_health_agent_oldest_pending_age_seconds',
    help: 'How long the oldest result waiting for the collector has waited; 0 when none waits.',
    labelNames: ['collector'] as const,
    registers: [registry],
    collect() {
      for (const collector of options.collectors) this.set({ collector }, options.oldestPendingAgeSeconds(collector) ?? 0);
    },
  });
  new Gauge({ name: 'channel_health_build_info', help: 'Always 1; the version label says which build is running.', labelNames: ['version'] as const, registers: [registry] }).set(
    { version: options.version },
    1,
  );
  // The same two safety gauges `run` serves (createMetrics above): an agent that tops up accounts
  // must show its unfinished journal entries and open breakers where it is scraped.
  const { journal, breakers } = options;
  if (journal) {
    new Gauge({
      name: 'channel_health_journal_pending',
      help: 'Unfinished money-moving probe runs in the journal: intended (outcome unknown), done (compensation due), flagged (a human must look).',
      labelNames: ['state'] as const,
      registers: [registry],
      collect() {
        const counts = journal();
        for (const state of ['intended', 'done', 'flagged'] as const) this.set({ state }, counts[state]);
      },
    });
  }
  if (breakers) {
    new Gauge({
      name: 'channel_health_probe_breaker_open',
      help: 'Circuit breaker of a check: 1 open (probing at a backed-off cadence, skipped firings produce no result), 0 closed.',
      labelNames: ['channel', 'transaction', 'location'] as const,
      registers: [registry],
      collect() {
        for (const b of breakers()) this.set({ channel: b.channel, transaction: b.transaction, location: b.location }, b.open ? 1 : 0);
      },
    });
  }
  produced.inc(options.producedBefore);
  for (const collector of options.collectors) {
    pending.set({ collector }, 0);
    refused.inc({ collector }, 0);
    for (const outcome of ['ok', 'failed'] as const) pushes.inc({ collector, outcome }, 0);
  }
  return {
    registry,
    countProduced: (n) => produced.inc(n),
    setPending: (collector, n) => pending.set({ collector }, n),
    countPush: (collector, outcome) => pushes.inc({ collector, outcome }),
    countRefused: (collector, n) => refused.inc({ collector }, n),
  };
}
