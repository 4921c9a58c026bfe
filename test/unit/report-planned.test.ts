// Planned time from the maintenance windows' state samples: minute-aligned intervals clipped to the
// period, overlaps counted once, and a window covering a pair through its channel or a backend.
import { describe, expect, it } from 'vitest';
import { mergeIntervals, plannedFor, windowEpisodes } from '../../report/planned.js';

const FROM = 1_800_000_000 - (1_800_000_000 % 86_400);
const TO = FROM + 86_400;
const series = (labels: Record<string, string>, on: Array<[number, number]>, every = 15) => {
  const points: Array<[number, number]> = [];
  for (let t = FROM - 3600; t <= TO; t += every) points.push([t, on.some(([a, b]) => t >= a && t < b) ? 1 : 0]);
  return { labels, points };
};

describe('planned time', () => {
  it('reads each run of samples at 1 from its first minute to the minute of the first 0', () => {
    // Scraped at :07 past each quarter minute: the window 02:00–03:00 is read as exactly that hour.
    const s = series({ window: 'w', channel: 'app' }, [[FROM + 7200, FROM + 10_800]], 15);
    s.points = s.points.map(([t, v]) => [t + 7, v]);
    expect(windowEpisodes([s], FROM, TO)).toEqual([{ window: 'w', channel: 'app', backend: null, intervals: [[FROM + 7200, FROM + 10_800]] }]);
  });

  it('clips to the period, keeps a window still on at the end, and drops series never on', () => {
    const before = series({ window: 'a', backend: 'billing' }, [[FROM - 1800, FROM + 600]]);
    const after = series({ window: 'b', channel: 'web' }, [[TO - 600, TO + 600]]);
    const off = series({ window: 'c', channel: 'sms' }, []);
    expect(windowEpisodes([before, after, off], FROM, TO).map((e) => [e.window, e.backend ?? e.channel, e.intervals])).toEqual([
      ['a', 'billing', [[FROM, FROM + 600]]],
      ['b', 'web', [[TO - 600, TO]]],
    ]);
  });

  it('covers a pair through its channel or a backend of its transaction, overlaps once', () => {
    const episodes = windowEpisodes(
      [series({ window: 'app-release', channel: 'app' }, [[FROM + 3600, FROM + 7200]]), series({ window: 'boss', backend: 'billing' }, [[FROM + 5400, FROM + 9000]])],
      FROM,
      TO,
    );
    expect(plannedFor(episodes, 'app', ['billing'])).toEqual([[FROM + 3600, FROM + 9000]]);
    expect(plannedFor(episodes, 'app', [])).toEqual([[FROM + 3600, FROM + 7200]]);
    expect(plannedFor(episodes, 'web', ['billing'])).toEqual([[FROM + 5400, FROM + 9000]]);
    expect(plannedFor(episodes, 'web', ['crm'])).toEqual([]);
    expect(mergeIntervals([[5, 9], [1, 3], [3, 4]])).toEqual([[1, 4], [5, 9]]);
  });
});
