// The arithmetic the report does on Prometheus's answers: pure functions, unit-tested on their own.
// Prometheus does the arithmetic over time (increase, histogram_quantile); these only combine totals.
import type { AlertEpisode, Outcomes, PeakBucket, SuccessFigures, Trend } from './model.js';

/** Rounds away float noise from increase() (e.g. 1199.9999999) without hiding real fractions. */
export function round(value: number, digits = 6): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function emptyOutcomes(): Outcomes {
  return { total: 0, failures: 0, byReason: {} };
}

export function addOutcomes(a: Outcomes, b: Outcomes): Outcomes {
  const byReason: Record<string, number> = { ...a.byReason };
  for (const [reason, n] of Object.entries(b.byReason)) byReason[reason] = round((byReason[reason] ?? 0) + n);
  return { total: round(a.total + b.total), failures: round(a.failures + b.failures), byReason: sortKeys(byReason) };
}

export function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Success against the objective. The error budget is the failures the objective allows for the
 * volume seen: 10,000 top-ups at 0.9998 allow 2 failures, so 3 failures spend 150 % of it.
 */
export function successFigures(total: number, failures: number, objective: number | null): SuccessFigures {
  if (total <= 0) return { successRatio: null, verdict: 'no_data', marginPoints: null, allowedFailures: null, budgetSpent: null };
  const successRatio = round(1 - failures / total, 10);
  if (objective === null) return { successRatio, verdict: 'no_objective', marginPoints: null, allowedFailures: null, budgetSpent: null };
  const allowedFailures = round(total * (1 - objective));
  return {
    successRatio,
    verdict: successRatio >= objective ? 'met' : 'missed',
    marginPoints: round((successRatio - objective) * 100, 6),
    allowedFailures,
    budgetSpent: allowedFailures > 0 ? round(failures / allowedFailures) : null,
  };
}

/** Reasons by failures, most first; ties by name so the order is stable. */
export function rankReasons(byReason: Record<string, number>): Array<[string, number]> {
  return Object.entries(byReason)
    .filter(([, n]) => n > 0)
    .sort(([ra, a], [rb, b]) => b - a || (ra < rb ? -1 : 1));
}

export function topReason(byReason: Record<string, number>): string | null {
  return rankReasons(byReason)[0]?.[0] ?? null;
}

/** (current − previous) ÷ previous; null when there is nothing to compare against. */
export function relativeChange(current: number | null, previous: number | null): number | null {
  if (current === null || previous === null || previous === 0) return null;
  return round((current - previous) / previous);
}

/**
 * The busiest bucket. `points` are [end of bucket (unix s), count in the bucket], as a range query
 * of increase(x[bucket]) returns them; the earliest bucket wins a tie.
 */
export function peakBucket(points: ReadonlyArray<readonly [number, number]>, bucketSeconds: number): PeakBucket | null {
  let best: readonly [number, number] | null = null;
  for (const p of points) if (best === null || p[1] > best[1]) best = p;
  if (best === null || best[1] <= 0) return null;
  return { start: isoSeconds(best[0] - bucketSeconds), count: round(best[1], 3), perSecond: round(best[1] / bucketSeconds) };
}

export function isoSeconds(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString();
}

/** Ordinary least squares y = intercept + slope·x; null with fewer than two distinct x. */
export function leastSquares(points: ReadonlyArray<readonly [number, number]>): { slope: number; intercept: number } | null {
  const n = points.length;
  if (n < 2) return null;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (const [x, y] of points) {
    sxx += (x - mx) ** 2;
    sxy += (x - mx) * (y - my);
  }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

/**
 * The peak rate (per second) of each day: 24-hour slices from `originSeconds`. Buckets are
 * [end, count] as in peakBucket; a bucket belongs to the day its start falls in. Days without
 * any bucket are left out, so a gap in the data does not read as a quiet day.
 */
export function dailyPeaks(points: ReadonlyArray<readonly [number, number]>, originSeconds: number, bucketSeconds: number): Array<{ day: number; startSeconds: number; perSecond: number }> {
  const byDay = new Map<number, number>();
  for (const [end, count] of points) {
    const day = Math.floor((end - bucketSeconds - originSeconds) / 86_400);
    byDay.set(day, Math.max(byDay.get(day) ?? 0, count / bucketSeconds));
  }
  return [...byDay.entries()]
    .sort(([a], [b]) => a - b)
    .map(([day, perSecond]) => ({ day, startSeconds: originSeconds + day * 86_400, perSecond: round(perSecond) }));
}

/** Fewest days a trend is fitted through. */
export const MIN_TREND_DAYS = 3;

export const TREND_METHOD =
  'Ordinary least squares through the peak load per second of each day of this and the previous period; ' +
  'projected forward in a straight line from the fitted value at the last day; weeks to capacity = (capacity − fitted value) ÷ (slope × 7). ' +
  `Needs at least ${MIN_TREND_DAYS} days with data.`;

export function projectTrend(peaks: ReadonlyArray<{ day: number; startSeconds: number; perSecond: number }>, capacityPerSecond: number | null): Trend {
  const dailyPeaksOut = peaks.map((p) => ({ start: isoSeconds(p.startSeconds), perSecond: p.perSecond }));
  const fit = peaks.length >= MIN_TREND_DAYS ? leastSquares(peaks.map((p) => [p.day, p.perSecond] as const)) : null;
  if (fit === null) {
    return { dailyPeaks: dailyPeaksOut, slopePerDay: null, fittedNowPerSecond: null, projectedIn4WeeksPerSecond: null, weeksToCapacity: null, status: 'not_enough_data' };
  }
  const lastDay = (peaks.at(-1) as { day: number }).day;
  const fittedNow = fit.intercept + fit.slope * lastDay;
  const slope = round(fit.slope, 9);
  let weeksToCapacity: number | null = null;
  let status: Trend['status'] = slope > 0 ? 'rising' : 'flat_or_falling';
  if (capacityPerSecond !== null && fittedNow >= capacityPerSecond) {
    status = 'at_or_over_capacity';
    weeksToCapacity = 0;
  } else if (capacityPerSecond !== null && slope > 0) {
    weeksToCapacity = round((capacityPerSecond - fittedNow) / (slope * 7), 3);
  }
  return {
    dailyPeaks: dailyPeaksOut,
    slopePerDay: slope,
    fittedNowPerSecond: round(fittedNow),
    projectedIn4WeeksPerSecond: round(fittedNow + slope * 28),
    weeksToCapacity,
    status,
  };
}

export const ALERT_METHOD =
  'From the raw samples of ALERTS{alertstate="firing"} in the period: each firing rule evaluation counts for one evaluation interval ' +
  '(the median gap between the alert\'s samples); a gap longer than 1.5 intervals ends an episode.';

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Median gap between consecutive timestamps; null with fewer than two. */
export function medianGap(times: readonly number[]): number | null {
  const gaps: number[] = [];
  for (let i = 1; i < times.length; i++) gaps.push((times[i] as number) - (times[i - 1] as number));
  return median(gaps);
}

/**
 * Episodes of one alert from its firing samples (unix seconds, ascending), clipped to the period.
 * `fallbackGap` is used for an alert seen in a single evaluation (the other alerts' interval).
 */
export function alertEpisodes(times: readonly number[], fromSeconds: number, toSeconds: number, fallbackGap: number | null): AlertEpisode[] {
  if (times.length === 0) return [];
  const gap = medianGap(times) ?? fallbackGap ?? 0;
  const episodes: AlertEpisode[] = [];
  let first = times[0] as number;
  let last = first;
  const close = () => {
    const end = Math.min(last + gap, toSeconds);
    episodes.push({
      start: isoSeconds(first),
      end: isoSeconds(end),
      durationSeconds: round(end - first, 3),
      startedBefore: gap > 0 && first - fromSeconds < gap,
      ongoingAtEnd: gap > 0 && toSeconds - last < gap,
    });
  };
  for (const t of times.slice(1)) {
    if (t - last > 1.5 * gap) {
      close();
      first = t;
    }
    last = t;
  }
  close();
  return episodes;
}
