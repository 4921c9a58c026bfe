// Planned time: when maintenance windows (config `maintenance:`, exported as their on/off state)
// covered a transaction on a channel, so the report can give its figures with and without it.
// Pure functions of Prometheus's samples and the config's transaction → backends.
import { METRICS } from '../contract/metrics.js';
import type { RangeSeries } from './prometheus.js';

export type Interval = readonly [number, number];

export interface WindowEpisodes {
  window: string;
  /** The channel or backend the series names (a window has one series per channel and backend). */
  channel: string | null;
  backend: string | null;
  /** [start, end) in unix seconds, clipped to the period. */
  intervals: Interval[];
}

export const PLANNED_METHOD =
  `Planned time is when a maintenance window (config maintenance:, exported as ${METRICS.maintenanceActive.name}) covered the channel, or a backend the transaction uses. ` +
  'Windows start and end on whole minutes, so each run of scraped samples at 1 is read from the minute of its first sample to the minute of the first sample at 0 after it. ' +
  'Figures without planned time leave out the runs and transactions counted inside those intervals (each counter\'s value at the interval\'s end minus its value at the start).';

const minute = (s: number) => Math.floor(s / 60) * 60;

/** Each series' intervals at 1, minute-aligned and clipped to [from, to). */
export function windowEpisodes(series: readonly RangeSeries[], fromSeconds: number, toSeconds: number): WindowEpisodes[] {
  const out: WindowEpisodes[] = [];
  for (const s of series) {
    const intervals: Interval[] = [];
    let start: number | null = null;
    for (const [t, v] of s.points) {
      if (v > 0 && start === null) start = minute(t);
      else if (v <= 0 && start !== null) {
        intervals.push([start, minute(t)]);
        start = null;
      }
    }
    // Still on at the last sample: planned up to the period's end.
    if (start !== null) intervals.push([start, toSeconds]);
    const clipped = intervals.map(([a, b]) => [Math.max(a, fromSeconds), Math.min(b, toSeconds)] as const).filter(([a, b]) => b > a);
    if (clipped.length === 0) continue;
    out.push({ window: s.labels.window ?? '', channel: s.labels.channel || null, backend: s.labels.backend || null, intervals: clipped });
  }
  return out;
}

/** Overlapping or touching intervals merged, ascending. */
export function mergeIntervals(intervals: readonly Interval[]): Interval[] {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const [a, b] of sorted) {
    const last = out.at(-1);
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** The planned intervals of a transaction on a channel: windows on the channel or on a backend it uses. */
export function plannedFor(episodes: readonly WindowEpisodes[], channel: string, backends: readonly string[]): Interval[] {
  return mergeIntervals(episodes.filter((e) => e.channel === channel || (e.backend !== null && backends.includes(e.backend))).flatMap((e) => e.intervals));
}
