import cron from 'node-cron';
import { describe, expect, it } from 'vitest';
import type { Check } from '../../config/index.js';
import { checkOffsetSeconds, cronExpressionFor, stableHash } from '../../synthetic/scheduler.js';

const check = (id: string, intervalMs: number): Check => ({
  id,
  channel: 'web',
  transaction: 'topup',
  tier: 'core',
  schedule: { kind: 'interval', intervalMs },
  periodMs: intervalMs,
  timeoutMs: 1000,
  accountPool: null,
  steps: [],
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
