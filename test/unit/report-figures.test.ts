import { describe, expect, it } from 'vitest';
import {
  addOutcomes,
  alertEpisodes,
  dailyPeaks,
  leastSquares,
  medianGap,
  peakBucket,
  projectTrend,
  rankReasons,
  relativeChange,
  successFigures,
} from '../../report/figures.js';

describe('success against objective', () => {
  it('counts the budget as failures over the failures the objective allows', () => {
    // 10,000 top-ups at five sigma allow 2 failures.
    const missed = successFigures(10_000, 3, 0.9998);
    expect(missed).toEqual({ successRatio: 0.9997, verdict: 'missed', marginPoints: expect.closeTo(-0.01, 9), allowedFailures: 2, budgetSpent: 1.5 });
    const met = successFigures(10_000, 2, 0.9998);
    expect(met.verdict).toBe('met');
    expect(met.budgetSpent).toBe(1);
    expect(met.marginPoints).toBeCloseTo(0, 9);
    expect(successFigures(500, 30, 0.94)).toMatchObject({ successRatio: 0.94, verdict: 'met', allowedFailures: 30, budgetSpent: 1 });
    expect(successFigures(500, 31, 0.94).verdict).toBe('missed');
  });

  it('says when there is no volume or no objective', () => {
    expect(successFigures(0, 0, 0.9998)).toEqual({ successRatio: null, verdict: 'no_data', marginPoints: null, allowedFailures: null, budgetSpent: null });
    expect(successFigures(100, 1, null)).toMatchObject({ successRatio: 0.99, verdict: 'no_objective', budgetSpent: null });
  });

  it('adds outcomes reason by reason', () => {
    const sum = addOutcomes({ total: 10, failures: 2, byReason: { timeout: 2 } }, { total: 5, failures: 3, byReason: { connect: 1, timeout: 2 } });
    expect(sum).toEqual({ total: 15, failures: 5, byReason: { connect: 1, timeout: 4 } });
    expect(Object.keys(sum.byReason)).toEqual(['connect', 'timeout']);
  });

  it('ranks reasons by failures, ties by name, zeros left out', () => {
    expect(rankReasons({ timeout: 3, assertion: 3, connect: 7, internal: 0 })).toEqual([
      ['connect', 7],
      ['assertion', 3],
      ['timeout', 3],
    ]);
  });

  it('computes relative change only against something', () => {
    expect(relativeChange(110, 100)).toBeCloseTo(0.1, 9);
    expect(relativeChange(90, 100)).toBeCloseTo(-0.1, 9);
    expect(relativeChange(5, 0)).toBeNull();
    expect(relativeChange(null, 3)).toBeNull();
  });
});

describe('peak load and trend', () => {
  it('finds the busiest bucket and names its start', () => {
    const points: Array<[number, number]> = [
      [3600, 100],
      [7200, 360],
      [10_800, 360],
      [14_400, 50],
    ];
    expect(peakBucket(points, 3600)).toEqual({ start: '1970-01-01T01:00:00.000Z', count: 360, perSecond: 0.1 });
    expect(peakBucket([], 3600)).toBeNull();
    expect(peakBucket([[3600, 0]], 3600)).toBeNull();
  });

  it('fits a least-squares line', () => {
    const fit = leastSquares([
      [0, 1],
      [1, 3],
      [2, 5],
      [3, 7],
    ]);
    expect(fit?.slope).toBeCloseTo(2, 12);
    expect(fit?.intercept).toBeCloseTo(1, 12);
    // Noisy points: the textbook answer for (1,2),(2,3),(3,5),(4,4): slope 0.8, intercept 1.5.
    const noisy = leastSquares([
      [1, 2],
      [2, 3],
      [3, 5],
      [4, 4],
    ]);
    expect(noisy?.slope).toBeCloseTo(0.8, 12);
    expect(noisy?.intercept).toBeCloseTo(1.5, 12);
    expect(leastSquares([[1, 1]])).toBeNull();
    expect(leastSquares([[1, 1], [1, 2]])).toBeNull();
  });

  it('takes the peak of each day and skips days without data', () => {
    const origin = 1_000_000;
    // Buckets are reported at their end; the bucket ending at origin + 1 h starts on day 0.
    const points: Array<[number, number]> = [
      [origin + 3600, 36],
      [origin + 7200, 72],
      [origin + 86_400, 18], // starts 23:00 on day 0
      [origin + 2 * 86_400 + 3600, 3600],
    ];
    expect(dailyPeaks(points, origin, 3600)).toEqual([
      { day: 0, startSeconds: origin, perSecond: 0.02 },
      { day: 2, startSeconds: origin + 2 * 86_400, perSecond: 1 },
    ]);
  });

  it('projects a rising trend to the weeks left before capacity', () => {
    const peaks = [0, 1, 2, 3, 4, 5, 6].map((day) => ({ day, startSeconds: day * 86_400, perSecond: 10 + day }));
    const trend = projectTrend(peaks, 24);
    expect(trend.slopePerDay).toBeCloseTo(1, 9);
    expect(trend.fittedNowPerSecond).toBeCloseTo(16, 9);
    expect(trend.projectedIn4WeeksPerSecond).toBeCloseTo(44, 9);
    expect(trend.weeksToCapacity).toBeCloseTo(8 / 7, 3);
    expect(trend.status).toBe('rising');
    expect(trend.dailyPeaks[0]).toEqual({ start: '1970-01-01T00:00:00.000Z', perSecond: 10 });
  });

  it('says flat, over capacity, or not enough data', () => {
    const flat = projectTrend([0, 1, 2, 3].map((day) => ({ day, startSeconds: 0, perSecond: 5 - day * 0.5 })), 10);
    expect(flat).toMatchObject({ status: 'flat_or_falling', weeksToCapacity: null });
    const over = projectTrend([0, 1, 2].map((day) => ({ day, startSeconds: 0, perSecond: 12 })), 10);
    expect(over).toMatchObject({ status: 'at_or_over_capacity', weeksToCapacity: 0 });
    const noCapacity = projectTrend([0, 1, 2].map((day) => ({ day, startSeconds: 0, perSecond: day })), null);
    expect(noCapacity).toMatchObject({ status: 'rising', weeksToCapacity: null });
    expect(projectTrend([{ day: 0, startSeconds: 0, perSecond: 1 }, { day: 1, startSeconds: 0, perSecond: 2 }], 10)).toMatchObject({ status: 'not_enough_data', slopePerDay: null });
  });
});

describe('alert episodes from raw ALERTS samples', () => {
  const minutes = (start: number, n: number) => Array.from({ length: n }, (_, i) => start + i * 60);

  it('splits on gaps and counts one evaluation interval per sample', () => {
    const times = [...minutes(10_000, 30), ...minutes(20_000, 10)];
    const episodes = alertEpisodes(times, 0, 100_000, null);
    expect(episodes.map((e) => e.durationSeconds)).toEqual([1800, 600]);
    expect(episodes[0]).toMatchObject({ start: new Date(10_000_000).toISOString(), end: new Date(11_800_000).toISOString(), startedBefore: false, ongoingAtEnd: false });
  });

  it('clips to the period and marks alerts already or still firing', () => {
    const episodes = alertEpisodes(minutes(0, 10), 30, 570, null);
    expect(episodes).toHaveLength(1);
    expect(episodes[0]).toMatchObject({ durationSeconds: 570, startedBefore: true, ongoingAtEnd: true });
  });

  it('uses the other alerts\' interval for an alert seen once', () => {
    expect(alertEpisodes([500], 0, 1000, 15)[0]?.durationSeconds).toBe(15);
    expect(alertEpisodes([500], 0, 1000, null)[0]?.durationSeconds).toBe(0);
    expect(alertEpisodes([], 0, 1000, 15)).toEqual([]);
    expect(medianGap([0, 10, 20, 100])).toBe(10);
  });
});
