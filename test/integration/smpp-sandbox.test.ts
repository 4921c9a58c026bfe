// The SMS hall over SMPP, end to end on loopback: the shipped sms flows through our prober's
// shared bind to the sandbox SMSC, in front of the same state as the HTTP channels. Every SMSC
// fault fails only the sms pairs, with its own reason and detail, and they recover once it is
// cleared (a refused bind comes back by itself); a billing fault fails the billing transactions
// on sms with business_error and the code, as on the other channels.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeResult } from '../../synthetic/result.js';
import { startSandboxFixture, type SandboxFixture } from '../unit/journal-sandbox.js';
import { ProbeJournal } from '../../journal/store.js';
import { waitFor } from '../support/processes.js';

const SMS = ['balance_query', 'topup', 'bill_query', 'plan_change', 'data_addon', 'profile_update', 'other_query'].map((t) => `sms.${t}`);
const WEB = ['web.balance_query', 'web.topup', 'web.other_query'];

let fx: SandboxFixture;
let runner: ReturnType<SandboxFixture['runner']>;

beforeAll(async () => {
  fx = await startSandboxFixture((text) =>
    text
      .replace('timeout: 10s', 'timeout: 2s')
      // A refused bind is retried every second here (30 s at most by default).
      .replace('serviceNumber: "10086"', 'serviceNumber: "10086"\n      rebindMax: 1s'),
  );
  runner = fx.runner(ProbeJournal.open(null));
});
afterAll(async () => {
  await fx?.close();
});

const run = (id: string): Promise<ProbeResult> => runner.run(fx.check(id), { trigger: 'manual', scheduledAt: null });
const runAll = async (ids: string[]): Promise<Record<string, ProbeResult>> => {
  const out: Record<string, ProbeResult> = {};
  // One after another: the runs share eight test accounts, as the scheduler's runs would.
  for (const id of ids) out[id] = await run(id);
  return out;
};
const summary = (results: Record<string, ProbeResult>) => Object.fromEntries(Object.entries(results).map(([id, r]) => [id, r.ok ? 'ok' : `${r.reason}`]));

describe('the SMS hall over SMPP', () => {
  it('runs all seven sms transactions through the SMSC, with SMPP phases and values from the replies', async () => {
    const before = await fx.balances();
    const results = await runAll(SMS);
    expect(summary(results)).toEqual(Object.fromEntries(SMS.map((id) => [id, 'ok'])));
    const bill = results['sms.bill_query'] as ProbeResult;
    const step = bill.steps[0];
    expect(step?.phases?.submitResp).toBeGreaterThan(0);
    expect(step?.phases?.reply).toBeGreaterThanOrEqual(step?.phases?.submitResp ?? Infinity);
    expect(step?.status).toBe(0);
    // Every money-moving flow undid itself: the balances are where they were.
    expect(await fx.balances()).toEqual(before);
  });

  const faults: Array<{ name: string; fault: Record<string, unknown>; reason: string; detail: RegExp }> = [
    { name: 'throttle', fault: { scope: { channel: 'sms' }, mode: 'throttle' }, reason: 'http_status', detail: /submit_sm refused: ESME_RTHROTTLED/ },
    { name: 'bind_refused', fault: { scope: { channel: 'sms' }, mode: 'bind_refused' }, reason: 'connect', detail: /SMPP bind/ },
    { name: 'no_reply', fault: { scope: { channel: 'sms' }, mode: 'no_reply' }, reason: 'timeout', detail: /no reply to the test number within the check timeout/ },
    { name: 'slow replies', fault: { scope: { channel: 'sms' }, mode: 'latency', latencyMs: 4000 }, reason: 'timeout', detail: /no reply to the test number/ },
    { name: 'bad_reply', fault: { scope: { channel: 'sms' }, mode: 'bad_reply' }, reason: 'assertion', detail: /reply does not match .*感谢您的来信/ },
  ];

  for (const f of faults) {
    it(`${f.name}: fails only the sms pairs with ${f.reason}, and they recover once it is cleared`, async () => {
      await fx.fault(f.fault);
      try {
        const failing = await runAll(['sms.balance_query', 'sms.other_query']);
        for (const r of Object.values(failing)) {
          expect(r, r.checkId).toMatchObject({ ok: false, reason: f.reason });
          expect(r.detail, r.checkId).toMatch(f.detail);
        }
        expect(summary(await runAll(WEB))).toEqual(Object.fromEntries(WEB.map((id) => [id, 'ok'])));
      } finally {
        await fx.clearFaults();
      }
      // The bind comes back by itself; the probes pass again without anyone touching the prober.
      await waitFor(async () => ((await run('sms.balance_query')).ok ? true : undefined), 15_000, 'sms.balance_query to pass again');
      expect(summary(await runAll(['sms.other_query', 'sms.topup']))).toEqual({ 'sms.other_query': 'ok', 'sms.topup': 'ok' });
    });
  }

  it('a billing fault fails the billing transactions on sms with business_error and its code, like on web', async () => {
    await fx.fault({ scope: { backend: 'billing' }, mode: 'error' });
    try {
      const results = await runAll([...SMS, 'web.balance_query']);
      for (const id of ['sms.balance_query', 'sms.bill_query', 'sms.topup', 'sms.plan_change', 'web.balance_query']) {
        expect(results[id], id).toMatchObject({ ok: false, reason: 'business_error' });
        expect(results[id]?.steps.find((s) => s.reason === 'business_error')?.businessCode, id).toBe('5101');
      }
      expect(results['sms.balance_query']?.detail).toMatch(/^business code 5101: 计费系统繁忙/);
      for (const id of ['sms.data_addon', 'sms.profile_update', 'sms.other_query']) expect(results[id], id).toMatchObject({ ok: true });
    } finally {
      await fx.clearFaults();
    }
  });

  it('gives each reply to the run that asked: two runs on the bind at once get their own answers', async () => {
    const [a, b] = await Promise.all([run('sms.balance_query'), run('sms.other_query')]);
    expect(a).toMatchObject({ ok: true });
    expect(b).toMatchObject({ ok: true });
  });
});
