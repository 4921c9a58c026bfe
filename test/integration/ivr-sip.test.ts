// The hotline over SIP, end to end on loopback: the shipped ivr flows through our SIP prober to
// the sandbox IVR, in front of the same state as the HTTP channels and the SMSC. Every IVR fault
// fails only the ivr pairs, with its own reason and detail, and they recover once it is cleared;
// a billing fault makes the IVR say "system busy", which fails with business_error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProbeJournal } from '../../journal/store.js';
import type { ProbeResult } from '../../synthetic/result.js';
import { waitFor } from '../support/processes.js';
import { startSandboxFixture, type SandboxFixture } from '../unit/journal-sandbox.js';

const IVR = ['balance_query', 'bill_query', 'topup', 'plan_change'].map((t) => `ivr.${t}`);
const WEB = ['web.balance_query', 'web.other_query'];

let fx: SandboxFixture;
let runner: ReturnType<SandboxFixture['runner']>;

beforeAll(async () => {
  // 20 s instead of 28 s: the faults that never answer fail at the deadline.
  fx = await startSandboxFixture((text) => text.replace(/timeout: 28s/g, 'timeout: 20s'));
  runner = fx.runner(ProbeJournal.open(null));
});
afterAll(async () => {
  await fx?.close();
});

const run = (id: string): Promise<ProbeResult> => runner.run(fx.check(id), { trigger: 'manual', scheduledAt: null });
const runAll = async (ids: string[]): Promise<Record<string, ProbeResult>> => Object.fromEntries(await Promise.all(ids.map(async (id) => [id, await run(id)] as const)));
const summary = (results: Record<string, ProbeResult>) => Object.fromEntries(Object.entries(results).map(([id, r]) => [id, r.ok ? 'ok' : `${r.reason}: ${r.failedStep}: ${r.detail}`]));

describe('the hotline over SIP', () => {
  it('runs the four ivr transactions as calls, with SIP phases and values heard digit by digit', async () => {
    const before = await fx.balances();
    const results = await runAll(IVR);
    expect(summary(results)).toEqual(Object.fromEntries(IVR.map((id) => [id, 'ok'])));
    const balance = results['ivr.balance_query'] as ProbeResult;
    const [dial, press, hangup] = balance.steps;
    expect(dial?.status).toBe(200);
    expect(dial?.phases?.postDial).toBeGreaterThan(0);
    expect(dial?.phases?.answer).toBeGreaterThanOrEqual(dial?.phases?.postDial ?? Infinity);
    expect(dial?.phases?.firstPrompt).toBeGreaterThan(0);
    expect(press?.phases?.response).toBeGreaterThan(0);
    expect(hangup).toMatchObject({ ok: true, status: 200 });
    expect(hangup?.phases?.call).toBeGreaterThan(press?.phases?.response ?? Infinity);
    // Every money-moving flow undid itself, and every call ended.
    expect(await fx.balances()).toEqual(before);
    await waitFor(() => (fx.ivrCalls() === 0 ? true : undefined), 5000, 'every call to end');
  });

  const faults: Array<{ name: string; fault: Record<string, unknown>; reason: string; detail: RegExp }> = [
    { name: 'busy', fault: { scope: { channel: 'ivr' }, mode: 'busy' }, reason: 'http_status', detail: /^SIP 486 Busy Here$/ },
    { name: 'unavailable', fault: { scope: { channel: 'ivr' }, mode: 'unavailable' }, reason: 'http_status', detail: /^SIP 503 Service Unavailable$/ },
    { name: 'no_answer', fault: { scope: { channel: 'ivr' }, mode: 'no_answer' }, reason: 'timeout', detail: /no answer by the deadline \(last provisional 180\)/ },
    { name: 'slow answer', fault: { scope: { channel: 'ivr' }, mode: 'latency', latencyMs: 30_000 }, reason: 'timeout', detail: /no answer by the deadline/ },
    { name: 'silence', fault: { scope: { channel: 'ivr' }, mode: 'silence' }, reason: 'assertion', detail: /^silence: no prompt within 4000 ms where "welcome" was expected$/ },
    { name: 'wrong_prompt', fault: { scope: { channel: 'ivr' }, mode: 'wrong_prompt' }, reason: 'assertion', detail: /^expected prompt "welcome", heard "agent"$/ },
  ];

  for (const f of faults) {
    it(`${f.name}: fails only the ivr pairs with ${f.reason}, and they recover once it is cleared`, async () => {
      await fx.fault(f.fault);
      try {
        const [failing, web] = await Promise.all([runAll(['ivr.balance_query', 'ivr.bill_query']), runAll(WEB)]);
        for (const r of Object.values(failing)) {
          expect(r, r.checkId).toMatchObject({ ok: false, reason: f.reason, failedStep: 'dial' });
          expect(r.detail, r.checkId).toMatch(f.detail);
        }
        expect(summary(web)).toEqual(Object.fromEntries(WEB.map((id) => [id, 'ok'])));
      } finally {
        await fx.clearFaults();
      }
      expect(summary(await runAll(['ivr.balance_query']))).toEqual({ 'ivr.balance_query': 'ok' });
    });
  }

  it('with 3% RTP loss and 40 ms jitter a healthy call passes every time, and a wrong prompt fails every time', async () => {
    await fx.fault({ scope: { channel: 'ivr' }, mode: 'rtp_loss', rate: 0.03 });
    await fx.fault({ scope: { channel: 'ivr' }, mode: 'rtp_jitter', latencyMs: 40 });
    try {
      const RUNS = 8;
      const healthy = await Promise.all(Array.from({ length: RUNS }, () => run('ivr.balance_query')));
      const passed = healthy.filter((r) => r.ok).length;
      expect({ passed, failures: healthy.filter((r) => !r.ok).map((r) => `${r.failedStep}: ${r.detail}`) }).toEqual({ passed: RUNS, failures: [] });
      await fx.fault({ scope: { channel: 'ivr', transaction: 'balance_query' }, mode: 'wrong_prompt' });
      const wrong = await Promise.all(Array.from({ length: RUNS }, () => run('ivr.balance_query')));
      const caught = wrong.filter((r) => !r.ok && r.reason === 'assertion' && r.failedStep === 'balance' && r.detail === 'expected prompt "balance_is", heard "bill_is"').length;
      expect({ caught, of: RUNS }).toEqual({ caught: RUNS, of: RUNS });
    } finally {
      await fx.clearFaults();
    }
  });

  it('billing down: the IVR says "system busy", which fails balance and bill with business_error; web fails as ever', async () => {
    await fx.fault({ scope: { backend: 'billing' }, mode: 'error' });
    try {
      const results = await runAll(['ivr.balance_query', 'ivr.bill_query']);
      expect(results['ivr.balance_query']).toMatchObject({ ok: false, reason: 'business_error', failedStep: 'balance', detail: 'expected prompt "balance_is", heard "system_busy" (the IVR\'s refusal)' });
      expect(results['ivr.bill_query']).toMatchObject({ ok: false, reason: 'business_error', failedStep: 'bill' });
    } finally {
      await fx.clearFaults();
    }
    expect(summary(await runAll(['ivr.balance_query']))).toEqual({ 'ivr.balance_query': 'ok' });
  });
});
