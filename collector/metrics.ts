// Registers the metric contract (contract/metrics.ts) in a registry and records into it. Nothing
// else in the program registers a metric or passes loose label strings: it calls the typed
// functions below. Recording a probe result is `resultUpdates` applied to the registry, the same
// list of changes the collector commits to disk first, so the two cannot disagree.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { maintenanceActive, type Config } from '../config/index.js';
import { DURATION_LADDER_SECONDS, METRICS, PROBE_PHASES, type MetricSpec } from '../contract/metrics.js';
import { FAILURE_REASONS, type FailureReason, type ProbeResult } from '../synthetic/result.js';

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
  /** Reads the probe journal's unfinished entries at every scrape (processes that probe; call once). */
  observeJournal(source: () => JournalPending): void;
  /** Reads the circuit breakers' states at every scrape (processes that probe; call once). */
  observeBreakers(source: () => Iterable<BreakerSample>): void;
  /** Counts one scrape of /metrics refused by the gate (service.scrape). */
  countRefusedScrape(): void;
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
  /** Epoch milliseconds now; maintenance-window state is read from it at every scrape (Date.now by default). */
  clock?: () => number;
}

/**
 * Bucket bounds (seconds) of the duration histograms: the contract's ladder, every transaction's
 * latency threshold (so "slower than the threshold" is an exact bucket: the latency alert reads
 * it) and the longest check timeout (a run cannot last longer, so a timed-out run is told from a
 * slow one and nothing sits in a bucket that cannot fill).
 */
export function durationBuckets(config: Config): number[] {
  const thresholds = config.transactions.flatMap((t) => (t.latencyThresholdMs === null ? [] : [t.latencyThresholdMs / 1000]));
  const longest = config.checks.reduce((max, c) => Math.max(max, c.timeoutMs / 1000), 0);
  return [...new Set([...DURATION_LADDER_SECONDS, ...thresholds, ...(longest > 0 ? [longest] : [])])].sort((a, b) => a - b);
}

type Collect<L extends string> = (this: Gauge<L>) => void;

/** A counter of the contract, registered in `registry`. */
export function counter<L extends string>(spec: MetricSpec<L>, registry: Registry): Counter<L> {
  return new Counter({ name: spec.name, help: spec.help, labelNames: spec.labelNames, registers: [registry] });
}

/** A gauge of the contract; `collect` (if given) runs at every scrape. */
export function gauge<L extends string>(spec: MetricSpec<L>, registry: Registry, collect?: Collect<L>): Gauge<L> {
  return new Gauge({ name: spec.name, help: spec.help, labelNames: spec.labelNames, registers: [registry], ...(collect ? { collect } : {}) });
}

/** A histogram of the contract with these bucket bounds (seconds). */
export function histogram<L extends string>(spec: MetricSpec<L>, registry: Registry, buckets: number[]): Histogram<L> {
  return new Histogram({ name: spec.name, help: spec.help, labelNames: spec.labelNames, buckets, registers: [registry] });
}

/** The build-info gauge, set to 1 for `version`. */
function buildInfo(registry: Registry, version: string): void {
  gauge(METRICS.buildInfo, registry).set({ version }, 1);
}

/** The journal gauge, read from `source` at every scrape; `run` and agents that move money serve it. */
export function observeJournal(registry: Registry, source: () => JournalPending): void {
  gauge(METRICS.journalPending, registry, function () {
    const counts = source();
    for (const state of ['intended', 'done', 'flagged'] as const) this.set({ state }, counts[state]);
  });
}

/** The breaker gauge, read from `source` at every scrape; `run` and agents serve it. */
export function observeBreakers(registry: Registry, source: () => Iterable<BreakerSample>): void {
  gauge(METRICS.breakerOpen, registry, function () {
    for (const b of source()) this.set({ channel: b.channel, transaction: b.transaction, location: b.location }, b.open ? 1 : 0);
  });
}

/**
 * The SMPP bind gauge of a probing process: 1 while the channel's bind at `location` is up. Every
 * smpp channel has a series from the first scrape: a bind never attempted is down.
 */
export function observeSmppBinds(registry: Registry, channels: readonly string[], location: string, bound: () => ReadonlySet<string>): void {
  gauge(METRICS.smppBindUp, registry, function () {
    const up = bound();
    for (const channel of channels) this.set({ channel, location }, up.has(channel) ? 1 : 0);
  });
}

/**
 * The certificate-expiry gauge of a probing process: returns what the http prober calls at each
 * new verified TLS connection (synthetic/probers/http.ts), which sets the origin's series.
 */
export function tlsCertificateGauge(registry: Registry): (observation: { channel: string; origin: string; notAfterMs: number }) => void {
  const expiry = gauge(METRICS.tlsCertExpiry, registry);
  return (o) => expiry.set({ channel: o.channel, origin: o.origin }, Math.floor(o.notAfterMs / 1000));
}

export function createMetrics(registry: Registry, config: Config, options: MetricsOptions): ChannelHealthMetrics {
  const buckets = durationBuckets(config);
  const probeRuns = counter(METRICS.probeRuns, registry);
  const probeFailures = counter(METRICS.probeFailures, registry);
  histogram(METRICS.probeDuration, registry, buckets);
  gauge(METRICS.stepLastDuration, registry);
  gauge(METRICS.phaseDuration, registry);
  histogram(METRICS.stepDuration, registry, buckets);
  gauge(METRICS.probeSuccess, registry);
  gauge(METRICS.lastRun, registry);
  gauge(METRICS.consecutiveFailures, registry);
  const transactions = counter(METRICS.events, registry);
  counter(METRICS.eventFailures, registry);
  // Failure counters are made on first failure, not pre-created: checks × reasons × locations (×
  // steps × codes) zero series would be most of what a check costs, for counts nearly always
  // absent. The rules and the report count a series born inside their window (docs/metrics.md).
  counter(METRICS.stepFailures, registry);
  counter(METRICS.businessErrors, registry);
  counter(METRICS.probeSkipped, registry);
  counter(METRICS.eventBusinessErrors, registry);
  const objective = gauge(METRICS.objective, registry);
  const scrapeRefused = counter(METRICS.scrapeRefused, registry);
  scrapeRefused.inc(0);
  buildInfo(registry, options.version);
  // Planned work on now or not, one series per window and channel or backend it names (config
  // `maintenance:`): dashboards annotate it, the weekly report marks the time as planned.
  const clock = options.clock ?? Date.now;
  gauge(METRICS.maintenanceActive, registry, function () {
    const now = clock();
    for (const w of config.maintenance) {
      const on = maintenanceActive(w, now, config.service.utcOffsetMinutes) ? 1 : 0;
      for (const channel of w.channels) this.set({ window: w.id, channel }, on);
      for (const backend of w.backends) this.set({ window: w.id, backend }, on);
    }
  });

  const tierOf = new Map(config.transactions.map((t) => [t.id, t.tier]));
  const rules = resultSeriesRules(config);
  for (const t of config.transactions) objective.set({ transaction: t.id, tier: t.tier }, t.objective);

  // A zero total for every configured pair, so rate() and absent-vs-zero work from the first scrape.
  for (const channel of config.channels) {
    for (const t of config.transactions) transactions.inc({ channel: channel.id, transaction: t.id, tier: t.tier }, 0);
  }
  const knownLocations = new Set<string>();
  const addLocation = (location: string) => {
    if (knownLocations.has(location)) return;
    knownLocations.add(location);
    for (const check of config.checks) {
      const labels = { channel: check.channel, transaction: check.transaction, tier: check.tier, location };
      probeRuns.inc(labels, 0);
      // Full detail: rate() over the failure counters sees the first failure too.
      if (check.metricsDetail === 'full') for (const reason of FAILURE_REASONS) probeFailures.inc({ ...labels, reason }, 0);
    }
  };
  addLocation(config.service.location);
  for (const location of options.locations ?? []) addLocation(location);

  return {
    registry,
    addLocation,
    observeJournal: (source) => observeJournal(registry, source),
    observeBreakers: (source) => observeBreakers(registry, source),
    countRefusedScrape: () => scrapeRefused.inc(),
    recordResult(result) {
      addLocation(result.location);
      for (const update of resultUpdates(result, rules)) applyUpdate(registry, update);
    },
    recordEvent(event) {
      // No latency here: it goes to the ingest metrics' histogram (createIngestMetrics).
      const tier = tierOf.get(event.transaction) as string;
      for (const update of eventUpdates({ ...event, tier, latencyMs: null })) applyUpdate(registry, update);
    },
  };
}

/** One SeriesUpdate made to the registry's metric of that name. */
function applyUpdate(registry: Registry, u: SeriesUpdate): void {
  const metric = registry.getSingleMetric(u.metric);
  if (u.op === 'observe' && metric instanceof Histogram) metric.observe(u.labels, u.value);
  else if (u.op === 'inc' && (metric instanceof Counter || metric instanceof Gauge)) metric.inc(u.labels, u.value);
  else if (u.op === 'set' && metric instanceof Gauge) metric.set(u.labels, u.value);
  else throw new Error(`no ${u.kind} ${u.metric} to ${u.op}`);
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

/** How a result becomes series: business codes bounded by the config, and which checks keep full detail. */
export interface ResultSeriesRules {
  codeLabel: CodeLabeler;
  /** True for a check (channel × transaction) with `metricsDetail: full`: per-step histograms too. */
  fullDetail(channel: string, transaction: string): boolean;
}

export function resultSeriesRules(config: Config): ResultSeriesRules {
  const full = new Set(config.checks.filter((c) => c.metricsDetail === 'full').map((c) => `${c.channel}\u0000${c.transaction}`));
  return { codeLabel: businessCodeLabels(config), fullDetail: (channel, transaction) => full.has(`${channel}\u0000${transaction}`) };
}

/** The steps of a run that ran and failed, with their reasons and bounded business codes. */
export function failedSteps(result: ProbeResult, codeLabel: CodeLabeler): Array<{ step: string; reason: FailureReason; code: string | null }> {
  return result.steps
    .filter((st) => !st.ok && !st.skipped)
    .map((st) => ({ step: st.name, reason: st.reason ?? 'internal', code: codeLabel(result.channel, st.businessCode) }));
}

// ---------------------------------------------------------------------------------------------
// Ingest, the collector's durable state, and the agent's own metrics (docs/metrics.md,
// "Ingest and agents").

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
  const items = counter(METRICS.ingestItems, registry);
  const refused = counter(METRICS.ingestRefused, registry);
  const eventLatency = histogram(METRICS.eventDuration, registry, durationBuckets(config));
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
 * What recording a probe result does to the series, as data: recordResult applies exactly this
 * list, and the collector commits the same list to disk before it touches the registry.
 */
export function resultUpdates(result: ProbeResult, rules: ResultSeriesRules): SeriesUpdate[] {
  const { channel, transaction, tier, location } = result;
  // A run that never probed (no free test account) says nothing about the channel: it is counted
  // apart and touches no run, failure, success or duration series (docs/safety.md).
  // The last-run time still moves: the check is running, only blind (ChannelHealthProbeRunsSkipped
  // says so; ChannelHealthCheckNotReporting stays for a check that stopped).
  if (result.skipped !== undefined) {
    return [
      { kind: 'counter', metric: METRICS.probeSkipped.name, labels: { channel, transaction, tier, location, reason: result.skipped }, op: 'inc', value: 1 },
      { kind: 'gauge', metric: METRICS.lastRun.name, labels: { channel, transaction, location }, op: 'set', value: (result.startedAt + result.durationMs) / 1000 },
    ];
  }
  const labels = { channel, transaction, tier, location };
  const out: SeriesUpdate[] = [
    { kind: 'counter', metric: METRICS.probeRuns.name, labels, op: 'inc', value: 1 },
    { kind: 'histogram', metric: METRICS.probeDuration.name, labels: { channel, transaction, location }, op: 'observe', value: result.durationMs / 1000 },
  ];
  const full = rules.fullDetail(channel, transaction);
  for (const step of result.steps) {
    if (step.skipped) continue;
    const stepLabels = { channel, transaction, step: step.name, location };
    // A step skipped in this run keeps its previous value: the gauge is the last time it ran.
    out.push({ kind: 'gauge', metric: METRICS.stepLastDuration.name, labels: stepLabels, op: 'set', value: step.durationMs / 1000 });
    if (full) out.push({ kind: 'histogram', metric: METRICS.stepDuration.name, labels: stepLabels, op: 'observe', value: step.durationMs / 1000 });
  }
  // Phases as blackbox exports them: one last-run gauge per phase, not a histogram per phase.
  for (const [phase, ms] of phaseTotals(result)) {
    out.push({ kind: 'gauge', metric: METRICS.phaseDuration.name, labels: { channel, transaction, location, phase }, op: 'set', value: ms / 1000 });
  }
  out.push({ kind: 'gauge', metric: METRICS.lastRun.name, labels: { channel, transaction, location }, op: 'set', value: (result.startedAt + result.durationMs) / 1000 });
  for (const f of failedSteps(result, rules.codeLabel)) {
    out.push({ kind: 'counter', metric: METRICS.stepFailures.name, labels: { channel, transaction, step: f.step, location, reason: f.reason }, op: 'inc', value: 1 });
    if (f.code !== null) out.push({ kind: 'counter', metric: METRICS.businessErrors.name, labels: { channel, transaction, step: f.step, location, code: f.code }, op: 'inc', value: 1 });
  }
  if (result.ok) {
    out.push({ kind: 'gauge', metric: METRICS.probeSuccess.name, labels, op: 'set', value: 1 });
    out.push({ kind: 'gauge', metric: METRICS.consecutiveFailures.name, labels, op: 'set', value: 0 });
  } else {
    out.push({ kind: 'counter', metric: METRICS.probeFailures.name, labels: { ...labels, reason: result.reason ?? 'internal' }, op: 'inc', value: 1 });
    out.push({ kind: 'gauge', metric: METRICS.probeSuccess.name, labels, op: 'set', value: 0 });
    out.push({ kind: 'gauge', metric: METRICS.consecutiveFailures.name, labels, op: 'inc', value: 1 });
  }
  return out;
}

const KNOWN_PHASES: ReadonlySet<string> = new Set(PROBE_PHASES);

/** Milliseconds per phase of the contract's closed set, summed over the run's steps that went through it. */
export function phaseTotals(result: ProbeResult): Map<string, number> {
  const totals = new Map<string, number>();
  for (const step of result.steps) {
    for (const [phase, ms] of Object.entries(step.phases ?? {})) {
      if (KNOWN_PHASES.has(phase)) totals.set(phase, (totals.get(phase) ?? 0) + ms);
    }
  }
  return totals;
}

/** What recordEvent (and observeEventLatency, when the event has a latency) do, as data. */
export function eventUpdates(event: RealEvent & { tier: string; latencyMs: number | null }): SeriesUpdate[] {
  const { channel, transaction, tier } = event;
  const out: SeriesUpdate[] = [{ kind: 'counter', metric: METRICS.events.name, labels: { channel, transaction, tier }, op: 'inc', value: 1 }];
  if (!event.ok) out.push({ kind: 'counter', metric: METRICS.eventFailures.name, labels: { channel, transaction, tier, reason: event.reason ?? 'internal' }, op: 'inc', value: 1 });
  if (!event.ok && event.code) out.push({ kind: 'counter', metric: METRICS.eventBusinessErrors.name, labels: { channel, transaction, code: event.code }, op: 'inc', value: 1 });
  if (event.latencyMs !== null) out.push({ kind: 'histogram', metric: METRICS.eventDuration.name, labels: { channel, transaction }, op: 'observe', value: event.latencyMs / 1000 });
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
  const produced = counter(METRICS.agentResults, registry);
  const pending = gauge(METRICS.agentSpoolPending, registry);
  const pushes = counter(METRICS.agentPushes, registry);
  const refused = counter(METRICS.agentResultsRefused, registry);
  gauge(METRICS.agentOldestPendingAge, registry, function () {
    for (const collector of options.collectors) this.set({ collector }, options.oldestPendingAgeSeconds(collector) ?? 0);
  });
  buildInfo(registry, options.version);
  // The same two safety gauges `run` serves: an agent that tops up accounts must show its
  // unfinished journal entries and open breakers where it is scraped.
  if (options.journal) observeJournal(registry, options.journal);
  if (options.breakers) observeBreakers(registry, options.breakers);
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

export interface ReportMetrics {
  countAttempt(): void;
  countFailure(): void;
  setLastSuccess(unixSeconds: number): void;
  setDue(unixSeconds: number): void;
}

/**
 * The scheduled weekly report (`report:` in the config): tries, failed tries, when the last report
 * was made and when the last one fell due. The generated ChannelHealthWeeklyReportMissing alert
 * compares the last two.
 */
export function createReportMetrics(registry: Registry): ReportMetrics {
  const attempts = counter(METRICS.reportAttempts, registry);
  const failures = counter(METRICS.reportFailures, registry);
  const lastSuccess = gauge(METRICS.reportLastSuccess, registry);
  const due = gauge(METRICS.reportDue, registry);
  attempts.inc(0);
  failures.inc(0);
  return {
    countAttempt: () => attempts.inc(),
    countFailure: () => failures.inc(),
    setLastSuccess: (s) => lastSuccess.set(s),
    setDue: (s) => due.set(s),
  };
}
