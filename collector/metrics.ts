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
}

export interface ChannelHealthMetrics {
  readonly registry: Registry;
  /** Counts one probe run and updates the last-run gauges. The caller has checked the labels. */
  recordResult(result: ProbeResult): void;
  /** Counts one real customer transaction reported by a channel system. */
  recordEvent(event: RealEvent): void;
  /** Pre-creates the zero series of a probing location (the local one is done at start). */
  addLocation(location: string): void;
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

  buildInfo.set({ version: options.version }, 1);
  const tierOf = new Map(config.transactions.map((t) => [t.id, t.tier]));
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
    },
  };
}
