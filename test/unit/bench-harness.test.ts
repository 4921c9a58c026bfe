// The bench harness works end to end on a tiny plan (real workers, real blackbox_exporter, all on
// loopback) and produces the JSON keys the docs promise. No timing is asserted: figures are
// recorded by `npm run bench`, not judged here. Needs the build (dist/bench), as `npm test` does.
import { describe, expect, it } from 'vitest';
import { runBench } from '../../bench/main.js';
import { replaceSection, renderTables } from '../../bench/report.js';
import { analyse } from '../../bench/schedule-precision.js';
import { checkOffsetMs, checkOffsetSeconds } from '../../synthetic/scheduler.js';

describe('bench harness', () => {
  it('runs every part on a tiny plan and reports the promised figures', async () => {
    const r = await runBench({
      mode: 'quick',
      command: 'test',
      parts: ['probe', 'schedule', 'scrape', 'memory'],
      progress: () => undefined,
      plan: {
        probe: { probes: 20, rate: 100, warmup: 5, rounds: 1 },
        schedule: [{ checks: 30, interval: '1s', durationMs: 5000, runner: 'stub' }],
        scrape: { checks: 14, locations: 2, renders: 1 },
        memoryChecks: 70,
      },
    });
    expect(r.probeCpuRatioVsBlackbox).toBeGreaterThan(0);
    expect(Number.isFinite(r.probeCpuRatioVsBlackbox)).toBe(true);
    expect(r.probe?.subjects.map((s) => [s.ok, s.failed])).toEqual([[20, 0], [20, 0], [20, 0], [20, 0]]);
    expect(r.probe?.blackboxVersion).toMatch(/^\d+\.\d+/);
    const [s] = r.schedule;
    expect(s?.missedRuns).toBe(0);
    expect(s?.unplannedRuns).toBe(0);
    expect(s?.firings).toBeGreaterThanOrEqual(30);
    expect(s?.lagP99Ms).toBeGreaterThanOrEqual(0);
    expect(s?.runQueueWaitShare).toBeGreaterThanOrEqual(0);
    // Three-step checks: runs, success, consecutive failures, last run, the run histogram's 9
    // series (the 0.25-5 s ladder and the 10 s timeout, +Inf, sum, count) and each step's last
    // duration: 16; and a failure counter on the checks with a failed run among those recorded
    // (one run in ten fails), created on that failure.
    expect(r.scrape?.seriesPerCheck).toBeGreaterThanOrEqual(16);
    expect(r.scrape?.seriesPerCheck).toBeLessThan(17);
    expect(s?.lateFirings).toBeGreaterThanOrEqual(s?.lateOffCpu ?? 0);
    expect(s?.lagP99OnCpuMs).toBeLessThanOrEqual(s?.lagP99Ms ?? 0);
    expect(r.scrape?.blackboxSeriesPerTarget).toBeGreaterThan(5);
    expect(r.memory?.checks).toBe(70);
    expect(r.memory?.heapBytesPerCheck).toBeGreaterThan(0);
    expect(r.goals.map((g) => g.goal)).toContain('probe CPU vs blackbox_exporter (1-step HTTP)');
    expect(renderTables(r)).toContain('blackbox_exporter http_2xx');
  }, 90_000);
});

describe('schedule analysis', () => {
  const ids = ['a.topup', 'b.topup', 'c.topup'];
  const startedAt = Date.UTC(2030, 0, 1, 0, 0, 0);
  const stoppedAt = startedAt + 10_000;
  const planned = (id: string) => {
    const out: number[] = [];
    for (let sec = startedAt / 1000 + 2; sec <= stoppedAt / 1000 - 2; sec++) if (sec % 2 === checkOffsetSeconds(id, 2)) out.push(sec * 1000 + checkOffsetMs(id));
    return out;
  };
  it('counts a run that did not happen as missed and one at the wrong time as unplanned', () => {
    const firings: Array<[number, number, number, number]> = ids.flatMap((id, i) => planned(id).map((t) => [i, t, 3, 0] as [number, number, number, number]));
    const dropped = firings.pop() as [number, number, number, number];
    firings.push([dropped[0], dropped[1] + 1, 3, 0]);
    const result = analyse({ checks: 3, interval: '2s', durationMs: 10_000, runner: 'stub' }, ids, { startedAt, stoppedAt, firings, overlapsSkipped: 0, failedRuns: 0, cpuSeconds: 0.1, runQueueWaitSeconds: 0.5 });
    expect(result.expectedRuns).toBe(ids.flatMap(planned).length);
    expect(result.missedRuns).toBe(1);
    expect(result.unplannedRuns).toBe(1);
    expect(result.lagP99Ms).toBe(3);
    expect(result.runQueueWaitShare).toBeCloseTo(0.05);
  });

  it("tells a late firing that waited for the process's own CPU from one whose process was not running", () => {
    // Two firings of a.topup, each 50 ms late. The first waited while the process used 45 ms of CPU
    // (our work held it), the second while it used 1 ms (other processes held the cores).
    const [first, second] = planned('a.topup') as [number, number];
    const firings: Array<[number, number, number, number]> = [
      [0, first - 100, 0, 1000],
      [0, first, 50, 1045],
      [0, second - 100, 0, 2000],
      [0, second, 50, 2001],
    ];
    const result = analyse({ checks: 1, interval: '2s', durationMs: 10_000, runner: 'stub' }, ['a.topup'], { startedAt, stoppedAt, firings, overlapsSkipped: 0, failedRuns: 0, cpuSeconds: 0.1, runQueueWaitSeconds: 0 });
    expect(result.lateFirings).toBe(2);
    expect(result.lateOffCpu).toBe(1);
    expect(result.lagP99Ms).toBe(50);
    expect(result.lagP99OnCpuMs).toBe(45);
  });
});

describe('RESULTS.md section', () => {
  it('replaces only the Performance section', () => {
    const before = '# Bench results\n\n## Detection\n\nkeep me\n\n## Performance\n\nold\n\n## Later\n\nkeep me too\n';
    const after = replaceSection(before, '## Performance\n\nnew figures\n');
    expect(after).toBe('# Bench results\n\n## Detection\n\nkeep me\n\n## Performance\n\nnew figures\n\n## Later\n\nkeep me too\n');
    expect(replaceSection('# Bench results\n\n## Detection\n\nx\n', '## Performance\n\ny\n')).toBe('# Bench results\n\n## Detection\n\nx\n\n## Performance\n\ny\n');
  });
});
