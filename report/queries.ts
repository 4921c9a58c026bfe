// The PromQL the report asks, built in one place from the raw metrics of the metric contract
// (contract/metrics.ts), so the report works whether or not recording rules are loaded.
import { ALERTS_SERIES, METRICS, bucketSeries } from '../contract/metrics.js';
import type { Basis } from './model.js';

/** The series the report reads, by what they are to the report (names from the contract). */
export const SERIES = {
  realTotal: METRICS.events.name,
  realFailures: METRICS.eventFailures.name,
  probeRuns: METRICS.probeRuns.name,
  probeFailures: METRICS.probeFailures.name,
  probeDuration: bucketSeries(METRICS.probeDuration),
  stepFailures: METRICS.stepFailures.name,
  businessErrors: METRICS.businessErrors.name,
  realBusinessErrors: METRICS.eventBusinessErrors.name,
  objective: METRICS.objective.name,
  alerts: ALERTS_SERIES,
  maintenance: METRICS.maintenanceActive.name,
} as const;

/** PromQL range for a number of seconds: whole seconds, the one unit that is always exact. */
export function promRange(seconds: number): string {
  return `${Math.round(seconds)}s`;
}

const TOTAL_OF: Record<Basis, string> = { real: SERIES.realTotal, probe: SERIES.probeRuns };
const FAILURES_OF: Record<Basis, string> = { real: SERIES.realFailures, probe: SERIES.probeFailures };

/** Volume per channel and transaction over the range ending at the evaluation time. */
export function totalsQuery(basis: Basis, rangeSeconds: number): string {
  return `sum by (channel, transaction, tier) (increase(${TOTAL_OF[basis]}[${promRange(rangeSeconds)}]))`;
}

export function failuresQuery(basis: Basis, rangeSeconds: number): string {
  return `sum by (channel, transaction, tier, reason) (increase(${FAILURES_OF[basis]}[${promRange(rangeSeconds)}]))`;
}

/** The objective in force at the end of the range (a changed config shows its last value). */
export function objectiveQuery(rangeSeconds: number): string {
  return `max by (transaction, tier) (last_over_time(${SERIES.objective}[${promRange(rangeSeconds)}]))`;
}

/** Probe latency quantile over the whole range; `by` is the grouping besides `le`. */
export function latencyQuery(quantile: number, by: readonly string[], rangeSeconds: number): string {
  return `histogram_quantile(${quantile}, sum by (${[...by, 'le'].join(', ')}) (increase(${SERIES.probeDuration}[${promRange(rangeSeconds)}])))`;
}

/** Load per channel in each bucket: evaluated every bucket, each point counts the bucket before it. */
export function loadQuery(basis: Basis, bucketSeconds: number): string {
  return `sum by (channel) (increase(${TOTAL_OF[basis]}[${promRange(bucketSeconds)}]))`;
}

/** The raw firing samples of every alert in the range (a range selector, not resampled). */
export function alertsQuery(rangeSeconds: number): string {
  return `${SERIES.alerts}{alertstate="firing"}[${promRange(rangeSeconds)}]`;
}

/**
 * What a counter counted in the range ending at the evaluation time, for counters created on their
 * first increment (the step-failure counters, docs/metrics.md). increase() cannot see the step
 * from "no series" to its first value and extrapolates at the edges; without a reset the exact
 * figure is the last value minus the value at the start (0 for a series born inside the range).
 * Series that reset in the range fall back to increase().
 */
export function countedQuery(metric: string, by: readonly string[], rangeSeconds: number): string {
  const r = promRange(rangeSeconds);
  const last = `last_over_time(${metric}[${r}])`;
  const reset = `resets(${metric}[${r}]) > 0`;
  return `sum by (${by.join(', ')}) (((${last} - ${metric} offset ${r}) unless ${reset}) or (${last} unless ${reset}) or increase(${metric}[${r}]))`;
}

/** The raw samples of every maintenance window's state in the range (1 on, 0 off). */
export function maintenanceQuery(rangeSeconds: number): string {
  return `${SERIES.maintenance}[${promRange(rangeSeconds)}]`;
}
