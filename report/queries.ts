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

/** Volume per channel and transaction over the range ending at the evaluation time. */
export function totalsQuery(basis: Basis, rangeSeconds: number): string {
  return `sum by (channel, transaction, tier) (increase(${TOTAL_OF[basis]}[${promRange(rangeSeconds)}]))`;
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
 * The counter created at start beside each counter created on its first increment, scraped with
 * it, and the labels they share: a failure series with fewer samples in the range than its anchor
 * was missing from a scrape inside the range, so it was born there.
 */
const ANCHOR_OF: Readonly<Record<string, { metric: string; on: readonly string[] }>> = {
  [SERIES.probeFailures]: { metric: SERIES.probeRuns, on: ['channel', 'transaction', 'location'] },
  [SERIES.stepFailures]: { metric: SERIES.probeRuns, on: ['channel', 'transaction', 'location'] },
  [SERIES.businessErrors]: { metric: SERIES.probeRuns, on: ['channel', 'transaction', 'location'] },
  [SERIES.realFailures]: { metric: SERIES.realTotal, on: ['channel', 'transaction'] },
  [SERIES.realBusinessErrors]: { metric: SERIES.realTotal, on: ['channel', 'transaction'] },
};

/**
 * What a counter counted in the range ending at the evaluation time. increase() cannot see the
 * step from "no series" to a first value and extrapolates at the edges; without a reset the exact
 * figure is the last value minus the value at the start. For the counters created on their first
 * increment (failures, failing steps, business codes: docs/metrics.md), a series absent at the
 * start counts whole when it was born inside the range (fewer samples than its anchor, above);
 * one Prometheus first saw already grown (it started scraping mid-range) and series that reset in
 * the range fall back to increase(), which never counts what came before Prometheus saw it.
 */
export function countedQuery(metric: string, by: readonly string[], rangeSeconds: number): string {
  const r = promRange(rangeSeconds);
  const last = `last_over_time(${metric}[${r}])`;
  const reset = `resets(${metric}[${r}]) > 0`;
  const anchor = ANCHOR_OF[metric];
  const bornInside = anchor
    ? `((${last} unless ${reset}) and (count_over_time(${metric}[${r}]) < on (${[...anchor.on, 'job', 'instance'].join(', ')}) group_left () count_over_time(${anchor.metric}[${r}])))`
    : `(${last} unless ${reset})`;
  return `sum by (${by.join(', ')}) (((${last} - ${metric} offset ${r}) unless ${reset}) or ${bornInside} or increase(${metric}[${r}]))`;
}

/** The raw samples of every maintenance window's state in the range (1 on, 0 off). */
export function maintenanceQuery(rangeSeconds: number): string {
  return `${SERIES.maintenance}[${promRange(rangeSeconds)}]`;
}
