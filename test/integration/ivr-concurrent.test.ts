// Twenty probe calls at once from one location: twenty ivr checks on one cron second, each with
// its own test account, on a trunk of 24 lines paced by the channel's rate cap as `run` paces it.
// A config has one check per channel and transaction, so besides the balance and bill queries the
// test gives the hotline eighteen more menu entries, each probed by one of those two flows.
// Over three firings every check runs at every firing, on time, and every call passes; the
// sandbox IVR holds twenty calls up at the same moment, so the calls really overlapped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProbeJournal } from '../../journal/store.js';
import { createLogger } from '../../logging/logger.js';
import { ChannelRateLimiter } from '../../synthetic/rate-limit.js';
import type { ProbeResult } from '../../synthetic/result.js';
import { Scheduler, checkOffsetMs } from '../../synthetic/scheduler.js';
import { waitFor } from '../support/processes.js';
import { startSandboxFixture, type SandboxFixture } from '../unit/journal-sandbox.js';

const CALLS = 20;
const FIRINGS = 3;
const PERIOD_S = 15;
const extra = Array.from({ length: CALLS - 2 }, (_, i) => `hotline_${String(i + 3).padStart(2, '0')}`);
const transactions = ['balance_query', 'bill_query', ...extra];
const ids = transactions.map((t) => `ivr.${t}`);

/** The shipped config with 24 test accounts, a 24-line trunk, twenty hotline entries and only their ivr checks. */
function twentyCalls(text: string): string {
  const accounts = Array.from({ length: 16 }, (_, i) => `    - { msisdn: "139000000${String(i + 9).padStart(2, '0')}", pin: { env: CH_SANDBOX_PIN } }\n`).join('');
  const entries = extra.map((t) => `  ${t}:\n    description: Hotline menu entry ${t}\n    tier: noncore\n    backends: [billing]\n    latencyThresholdMs: 1000\n`).join('');
  const flow = (i: number) => (i % 2 === 0 ? 'ivr_balance_query' : 'ivr_bill_query');
  const checks = transactions.map((t, i) => `  - { channel: ivr, transaction: ${t}, flow: ${flow(i)}, cron: "*/${PERIOD_S} * * * * *", timeout: 14s }\n`).join('');
  const out = text
    .replace(/( {4}- \{ msisdn: "13900000008".*\n)/, `$1${accounts}`)
    .replace(/( {6}number: "10086"\n)/, '$1      trunkLines: 24\n')
    .replace(/\ntransactions:\n/, `\ntransactions:\n${entries}`)
    .replace(/\nchecks:\n[\s\S]*?\n\n/, `\nchecks:\n${checks}\n`);
  if (!out.includes('13900000024') || !out.includes('trunkLines: 24') || !out.includes(`transaction: ${extra[extra.length - 1]}`)) throw new Error('the shipped config changed shape: update twentyCalls()');
  return out;
}

let fx: SandboxFixture;

beforeAll(async () => {
  fx = await startSandboxFixture(twentyCalls);
});
afterAll(async () => {
  await fx?.close();
});

describe('the hotline at one location', () => {
  it(`keeps ${CALLS} concurrent calls on schedule for ${FIRINGS} firings`, { timeout: 90_000 }, async () => {
    expect(fx.config.checks.map((c) => c.id)).toEqual(ids);
    const ivr = fx.config.channels.find((c) => c.id === 'ivr');
    const limiter = new ChannelRateLimiter(ivr?.rateLimitPerSecond as number);
    const runner = fx.runner(ProbeJournal.open(null), { rateLimiters: new Map([['ivr', limiter]]) });
    const results: ProbeResult[] = [];
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, fx.ivrCalls())), 20);
    const scheduler = new Scheduler({
      checks: fx.config.checks,
      runner,
      onResult: (r) => results.push(r),
      concurrency: fx.config.service.concurrency,
      log: createLogger({ level: 'silent' }),
    });
    scheduler.start();
    try {
      await waitFor(() => (results.length >= CALLS * FIRINGS ? true : undefined), (FIRINGS + 1) * PERIOD_S * 1000 + 15_000, `${CALLS * FIRINGS} results`);
    } finally {
      await scheduler.stop();
      clearInterval(sampler);
    }
    // Every firing of every check ran once: the planned seconds are the same three for all.
    const firings = [...new Set(results.map((r) => Math.floor((r.scheduledAt as number) / 1000) * 1000))].sort();
    expect(firings.slice(0, FIRINGS)).toHaveLength(FIRINGS);
    for (const [i, at] of firings.slice(0, FIRINGS).entries()) {
      expect(at % (PERIOD_S * 1000), `firing ${i} on the cron second`).toBe(0);
      const ran = results.filter((r) => r.scheduledAt !== null && r.scheduledAt >= at && r.scheduledAt < at + 1000);
      expect(ran.map((r) => r.checkId).sort(), `firing ${i}`).toEqual(ids);
      for (const r of ran) expect(r.scheduledAt, r.checkId).toBe(at + checkOffsetMs(r.checkId));
    }
    for (const id of ids) expect(scheduler.runState(id)?.overlapsSkipped, id).toBe(0);
    const failures = results.filter((r) => !r.ok).map((r) => `${r.checkId}@${r.scheduledAt}: ${r.reason}: ${r.failedStep}: ${r.detail}`);
    expect(failures).toEqual([]);
    // On time: every run started within the second it was planned for (the scheduler's lag).
    const lags = results.map((r) => r.startedAt - (r.scheduledAt as number)).sort((a, b) => a - b);
    const slowest = Math.max(...results.map((r) => r.durationMs));
    const perFiring = firings.slice(0, FIRINGS).map((at) => Math.max(...results.filter((r) => Math.floor((r.scheduledAt as number) / 1000) * 1000 === at).map((r) => r.startedAt - (r.scheduledAt as number))));
    process.stderr.write(`ivr-concurrent: ${results.length} calls; start lag p50 ${lags[lags.length >> 1]} ms, max per firing ${perFiring.join(', ')} ms; longest call ${Math.round(slowest)} ms; ${peak} calls up at once at the peak\n`);
    expect(lags[0]).toBeGreaterThanOrEqual(0);
    expect(lags[lags.length - 1], 'start lag, ms').toBeLessThan(1000);
    expect(peak, 'calls up at once at the sandbox IVR').toBe(CALLS);
    await waitFor(() => (fx.ivrCalls() === 0 ? true : undefined), 5000, 'every call to end');
  });
});
