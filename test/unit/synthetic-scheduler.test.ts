import cron from 'node-cron';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Check } from '../../config/index.js';
import { createLogger } from '../../logging/logger.js';
import type { ProbeResult } from '../../synthetic/result.js';
import { checkOffsetMs, checkOffsetSeconds, cronExpressionFor, groupBySchedule, Scheduler, stableHash } from '../../synthetic/scheduler.js';

const check = (id: string, intervalMs: number): Check => ({
  id,
  channel: 'web',
  transaction: 'topup',
  tier: 'core',
  schedule: { kind: 'interval', intervalMs },
  periodMs: intervalMs,
  timeoutMs: 1000,
  accountPool: null,
  metricsDetail: 'standard',
  steps: [],
  maxAmount: null,
  moneyMoving: null,
  origin: 'checks[0]',
});

describe('schedule offsets', () => {
  it('are deterministic and within the period', () => {
    expect(stableHash('web.topup')).toBe(stableHash('web.topup'));
    for (const id of ['web.topup', 'app.topup', 'sms.balance_query']) {
      const o = checkOffsetSeconds(id, 30);
      expect(o).toBeGreaterThanOrEqual(0);
      expect(o).toBeLessThan(30);
      expect(checkOffsetSeconds(id, 30)).toBe(o);
    }
  });
  it('spread 35 checks over a 30 s period instead of bunching them', () => {
    const channels = ['web', 'app', 'sms', 'ivr', 'kiosk'];
    const txs = ['topup', 'balance_query', 'bill_query', 'plan_change', 'data_addon', 'profile_update', 'other_query'];
    const perSecond = new Map<number, number>();
    for (const c of channels) for (const t of txs) {
      const o = checkOffsetSeconds(`${c}.${t}`, 30);
      perSecond.set(o, (perSecond.get(o) ?? 0) + 1);
    }
    expect(perSecond.size).toBeGreaterThanOrEqual(15);
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(5);
  });
  it('spread 1000 checks evenly: no second gets more than twice its share', () => {
    const counts = new Array(30).fill(0);
    for (let i = 0; i < 1000; i++) counts[checkOffsetSeconds(`check-${i}.topup`, 30)]++;
    expect(Math.max(...counts)).toBeLessThan((1000 / 30) * 2);
    expect(Math.min(...counts)).toBeGreaterThan((1000 / 30) / 2);
  });
});

describe('cron expressions for intervals', () => {
  const gaps = (expr: string, n = 12) => {
    const task = cron.createTask(expr, () => undefined);
    const runs = task.getNextRuns(n).map((d) => d.getTime());
    void task.destroy();
    return runs.slice(1).map((t, i) => t - (runs[i] as number));
  };
  it.each([
    [1000],
    [10_000],
    [30_000],
    [60_000],
    [300_000],
    [900_000],
    [3_600_000],
    [7_200_000],
  ])('runs every %i ms exactly, at the check\'s offset', (ms) => {
    const c = check(`web.x${ms}`, ms);
    const expr = cronExpressionFor(c);
    expect(cron.validate(expr), expr).toBe(true);
    expect(new Set(gaps(expr, ms >= 3_600_000 ? 6 : 12))).toEqual(new Set([ms]));
    const task = cron.createTask(expr, () => undefined);
    const first = task.getNextRuns(1)[0] as Date;
    void task.destroy();
    const offset = checkOffsetSeconds(c.id, ms / 1000);
    expect((first.getTime() / 1000) % (ms / 1000)).toBe(offset);
  });
  it('passes cron schedules through unchanged', () => {
    expect(cronExpressionFor({ ...check('a', 30_000), schedule: { kind: 'cron', expression: '0 */5 * * * *' } })).toBe('0 */5 * * * *');
  });
});

describe('millisecond offsets', () => {
  it('are deterministic, within the second, and independent of the offset second', () => {
    for (const id of ['web.topup', 'app.topup', 'sms.balance_query']) {
      const ms = checkOffsetMs(id);
      expect(ms).toBe(checkOffsetMs(id));
      expect(ms).toBeGreaterThanOrEqual(0);
      expect(ms).toBeLessThan(1000);
    }
    // Checks that share an offset second must not also share a millisecond.
    const sameSecond = Array.from({ length: 2000 }, (_, i) => `c${i}.topup`).filter((id) => checkOffsetSeconds(id, 30) === 7);
    expect(sameSecond.length).toBeGreaterThan(30);
    expect(new Set(sameSecond.map(checkOffsetMs)).size).toBeGreaterThan(sameSecond.length * 0.9);
  });
  it('spread 5000 checks on 30 s so that no millisecond starts more than a handful', () => {
    const perMs = new Map<number, number>();
    const perTenth = new Array(10).fill(0);
    for (let i = 0; i < 5000; i++) {
      const id = `ch${i}.topup`;
      const at = checkOffsetSeconds(id, 30) * 1000 + checkOffsetMs(id);
      perMs.set(at, (perMs.get(at) ?? 0) + 1);
      perTenth[Math.floor(checkOffsetMs(id) / 100)]++;
    }
    expect(Math.max(...perMs.values())).toBeLessThanOrEqual(6);
    expect(Math.min(...perTenth)).toBeGreaterThan(400);
    expect(Math.max(...perTenth)).toBeLessThan(600);
  });
});

describe('groupBySchedule', () => {
  it('puts 1000 checks on 30 s into at most 30 timers, each check once, ordered by millisecond', () => {
    const checks = Array.from({ length: 1000 }, (_, i) => check(`c${i}.topup`, 30_000));
    const groups = groupBySchedule(checks);
    expect(groups.length).toBeLessThanOrEqual(30);
    expect(groups.flatMap((g) => g.checks.map((c) => c.id)).sort()).toEqual(checks.map((c) => c.id).sort());
    for (const g of groups) {
      for (const c of g.checks) expect(cronExpressionFor(c)).toBe(g.expression);
      expect(g.offsetsMs).toEqual(g.checks.map((c) => checkOffsetMs(c.id)));
      expect([...g.offsetsMs].sort((a, b) => a - b)).toEqual(g.offsetsMs);
      expect(g.missedExecutionTolerance).toBe(29_000);
    }
  });
  it('keeps checks with different periods or cron expressions apart', () => {
    const cronCheck = (id: string, expression: string): Check => ({ ...check(id, 60_000), schedule: { kind: 'cron', expression } });
    const groups = groupBySchedule([cronCheck('a', '0 */5 * * * *'), cronCheck('b', '0 */5 * * * *'), cronCheck('c', '30 */5 * * * *'), check('d', 10_000), check('e', 60_000)]);
    const byMembers = groups.map((g) => g.checks.map((c) => c.id).sort().join(','));
    expect(byMembers).toContain('a,b');
    expect(byMembers).toContain('c');
    expect(groups).toHaveLength(4);
  });
});

describe('Scheduler', () => {
  const T0 = Date.UTC(2030, 0, 1, 0, 0, 0);
  const silent = createLogger({ level: 'silent' });
  const resultOf = (c: Check, scheduledAt: number | null): ProbeResult => ({
    version: 1, id: `r${Date.now()}${c.id.length}`, checkId: c.id, channel: c.channel, transaction: c.transaction, tier: c.tier, location: 'x',
    trigger: 'schedule', scheduledAt, startedAt: Date.now(), durationMs: 0, ok: true, reason: null, failedStep: null, detail: null, cleanupFailed: false, steps: [],
  });
  /** Planned start times (epoch ms) of an interval check in [from, to). */
  const plannedTimes = (c: Check, from: number, to: number) => {
    const s = c.periodMs / 1000;
    const out: number[] = [];
    for (let sec = Math.ceil(from / 1000); sec * 1000 < to; sec++) {
      if (sec % s === checkOffsetSeconds(c.id, s)) out.push(sec * 1000 + checkOffsetMs(c.id));
    }
    return out.filter((t) => t >= from && t < to);
  };

  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('starts every check at its planned second and millisecond, with scheduledAt the planned time', async () => {
    const checks = Array.from({ length: 40 }, (_, i) => check(`c${i}.topup`, 10_000));
    const starts: Array<[string, number | null, number]> = [];
    const scheduler = new Scheduler({
      checks,
      runner: { run: async (c, o) => (starts.push([c.id, o.scheduledAt, Date.now()]), resultOf(c, o.scheduledAt)) },
      onResult: () => undefined,
      concurrency: 64,
      log: silent,
    });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(30_000);
    await scheduler.stop();
    // node-cron's first tick is the second after the start.
    const expected = checks.flatMap((c) => plannedTimes(c, T0 + 1000, T0 + 30_000).map((t) => `${c.id}@${t}`)).sort();
    expect(starts.map(([id, at]) => `${id}@${at}`).sort()).toEqual(expected);
    expect(expected.length).toBeGreaterThanOrEqual(40 * 2);
    // Under a fake clock nothing is late: each run starts exactly when planned.
    for (const [, at, startedAt] of starts) expect(startedAt).toBe(at);
    // Not all on one millisecond: the second's checks are spread across it.
    expect(new Set(starts.map(([, at]) => (at as number) % 1000)).size).toBeGreaterThan(30);
  });

  it('reports the next planned run, millisecond included', async () => {
    const c = check('web.topup', 10_000);
    const scheduler = new Scheduler({ checks: [c], runner: { run: async (x, o) => resultOf(x, o.scheduledAt) }, onResult: () => undefined, concurrency: 1, log: silent });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(1);
    expect(scheduler.runState(c.id)?.nextRunAt).toBe(plannedTimes(c, T0 + 1000, T0 + 20_000)[0]);
    await scheduler.stop();
    expect(scheduler.runState(c.id)?.nextRunAt).toBeNull();
  });

  it('skips a firing while the previous run of the same check is still going', async () => {
    const c = check('web.topup', 10_000);
    let runs = 0;
    const scheduler = new Scheduler({
      checks: [c],
      runner: { run: (x, o) => (runs++, new Promise((r) => setTimeout(() => r(resultOf(x, o.scheduledAt)), 15_000))) },
      onResult: () => undefined,
      concurrency: 4,
      log: silent,
    });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(runs).toBe(1);
    expect(scheduler.runState(c.id)?.overlapsSkipped).toBe(1);
    const stopped = scheduler.stop();
    await vi.advanceTimersByTimeAsync(15_000);
    await stopped;
  });

  it('never runs more checks at once than the concurrency limit, and queues the rest', async () => {
    const checks = Array.from({ length: 30 }, (_, i) => check(`c${i}.topup`, 10_000));
    let running = 0;
    let peak = 0;
    let done = 0;
    const scheduler = new Scheduler({
      checks,
      runner: {
        run: async (x, o) => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((r) => setTimeout(r, 4_000));
          running--;
          done++;
          return resultOf(x, o.scheduledAt);
        },
      },
      onResult: () => undefined,
      concurrency: 3,
      log: silent,
    });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(9_999);
    expect(peak).toBe(3);
    expect(scheduler.load().inFlight).toBe(3);
    const stopped = scheduler.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    await stopped;
    expect(done).toBeGreaterThan(3);
    expect(peak).toBe(3);
  });

  it('starts nothing after stop, not even checks still waiting for their millisecond', async () => {
    const checks = Array.from({ length: 50 }, (_, i) => check(`c${i}.topup`, 10_000));
    let runs = 0;
    const scheduler = new Scheduler({ checks, runner: { run: async (x, o) => (runs++, resultOf(x, o.scheduledAt)) }, onResult: () => undefined, concurrency: 64, log: silent });
    scheduler.start();
    // Into the first second that has checks, part-way through its milliseconds.
    const first = Math.min(...checks.flatMap((c) => plannedTimes(c, T0 + 1000, T0 + 11_000)));
    await vi.advanceTimersByTimeAsync(first - T0 + 1);
    const before = runs;
    expect(before).toBeGreaterThan(0);
    await scheduler.stop();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(runs).toBe(before);
  });
});
