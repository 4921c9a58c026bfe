// The sandbox IVR on loopback, called by our user agent: it answers the hotline number from a
// test subscriber (digest challenge first), speaks the menu, takes keys as RFC 4733 events
// (barge-in), reads the balance from the same state as the other channels digit by digit, moves
// money through the top-up menu, and shows its faults on the call (486, 503, no answer,
// silence, wrong prompt, "system busy" for a backend fault).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../../config/index.js';
import { IVR_PROMPTS } from '../../sandbox/ivr-menu.js';
import { startSandboxIvr, type SandboxIvr } from '../../sandbox/ivr.js';
import { createSandboxState, type SandboxState } from '../../sandbox/state.js';
import { PromptMatcher, valueOf } from '../../synthetic/probers/sip/prompt-match.js';
import { SipCall } from '../../synthetic/probers/sip/user-agent.js';
import { synthesisePrompt } from '../../telephony/prompt-voice.js';
import { waitFor } from '../support/processes.js';
import { SHIPPED } from '../unit/journal-sandbox.js';

const MSISDN = '13900000001';
const TRUNK_PASSWORD = 'trunk-pw-for-tests';
let config: Config;
let state: SandboxState;
let ivr: SandboxIvr;
const matcher = new PromptMatcher(Object.entries(IVR_PROMPTS).map(([id, text]) => ({ id, samples: synthesisePrompt(text) })));
const DIGITS = new Set([...'0123456789', 'point']);
const SYMBOLS = { point: '.', ...Object.fromEntries([...'0123456789'].map((d) => [d, d])) };

beforeAll(async () => {
  config = parseConfig(SHIPPED, 'channel-health.yaml');
  // The shipped channels, with ivr as a sip channel (the IVR's fault checks need its transport).
  config = { ...config, channels: config.channels.map((c) => (c.id === 'ivr' ? { ...c, transport: 'sip' as const } : c)) };
  state = createSandboxState({ config, accounts: Object.values(config.accounts).flat().map((a) => ({ msisdn: a.msisdn, pin: 'x' })) });
  ivr = await startSandboxIvr({ state, lines: [{ channel: 'ivr', number: '10086', username: 'probe', password: TRUNK_PASSWORD }] });
});
afterAll(async () => {
  await ivr?.close();
});

function caller(from = MSISDN, password = TRUNK_PASSWORD): SipCall {
  return new SipCall({
    server: { host: '127.0.0.1', port: ivr.port },
    requestUri: `sip:10086@127.0.0.1:${ivr.port}`,
    from: `sip:${from}@channel-health.invalid`,
    localAddress: '127.0.0.1',
    credentials: { username: 'probe', password: { env: 'IVR_TRUNK_PASSWORD' } },
    readSecret: () => password,
  });
}

/** The audio a prompt is told by: the matcher aligns up to 2 s of a reference, ±30 % pace. */
const HEARD_ENOUGH = 2.7 * 8000;

/** Waits until a prompt after `from` has been heard whole (or what follows it is); returns it. */
async function hear(call: SipCall, from: number) {
  return waitFor(() => {
    const audio = call.audio.samples();
    const first = matcher.identify(audio, from);
    if (first.kind === 'silence' || audio.length - first.startSample < HEARD_ENOUGH) return undefined;
    if (first.kind !== 'prompt') throw new Error(`heard no known prompt (nearest ${first.nearest})`);
    return { first, audio };
  }, 10_000, 'a prompt', 50);
}

const fault = (body: Parameters<SandboxState['faults']['add']>[0]) => state.faults.add(body);

describe('the sandbox IVR', () => {
  it('challenges, answers, greets, and reads the balance digit by digit after 1', async () => {
    const call = caller();
    try {
    const setup = await call.dial(AbortSignal.timeout(5000));
    expect(setup).toMatchObject({ ok: true, timings: { provisional: [100, 180] } });
    const greeting = await hear(call, 0);
    expect(greeting.first).toMatchObject({ kind: 'prompt', id: 'welcome' });
    // Heard from when the key has gone: the menu it cut short is not the answer.
    await call.sendDigits('1');
    const mark = call.audio.samples().length;
    const answer = await waitFor(() => {
      const audio = call.audio.samples();
      const intro = matcher.identify(audio, mark);
      if (intro.kind !== 'prompt' || intro.id === 'menu') return undefined;
      const digits = matcher.sequence(audio, intro.endSample, 12, DIGITS);
      const value = valueOf(digits.filter((d) => d.kind === 'prompt'), SYMBOLS);
      return value && /\.[0-9]{2}$/.test(value) ? { intro, value } : undefined;
    }, 10_000, 'the balance', 100);
    expect(answer.intro).toMatchObject({ id: 'balance_is' });
    expect(Number(answer.value)).toBe(state.accounts.balanceFen(MSISDN) / 100);
    expect((await call.hangup()).byeStatus).toBe(200);
    await waitFor(() => (ivr.activeCalls() === 0 ? true : undefined), 3000, 'the call to end');
    } finally {
      await call.hangup();
    }
  });

  it('refuses a wrong trunk password (403), an unknown caller (403) and an unknown number (404)', async () => {
    const wrong = await caller(MSISDN, 'not-it').dial(AbortSignal.timeout(3000));
    expect(wrong).toMatchObject({ ok: false, kind: 'rejected', status: 403 });
    const stranger = await caller('13800000000').dial(AbortSignal.timeout(3000));
    expect(stranger).toMatchObject({ ok: false, kind: 'rejected', status: 403 });
    const other = new SipCall({ server: { host: '127.0.0.1', port: ivr.port }, requestUri: `sip:10010@127.0.0.1:${ivr.port}`, from: `sip:${MSISDN}@x.invalid`, localAddress: '127.0.0.1' });
    expect(await other.dial(AbortSignal.timeout(3000))).toMatchObject({ ok: false, kind: 'rejected', status: 404 });
  });

  it('tops up 1 yuan through the menu (3, 1, amount#, order#) and refunds it (3, 2, order#) on the same state', async () => {
    const before = state.accounts.balanceFen(MSISDN);
    const call = caller();
    try {
    expect(await call.dial(AbortSignal.timeout(5000))).toMatchObject({ ok: true });
    await hear(call, 0);
    const step = async (keys: string, expected: string) => {
      await call.sendDigits(keys);
      const mark = call.audio.samples().length;
      expect((await hear(call, mark)).first.id).toBe(expected);
    };
    await step('31', 'enter_amount');
    await step('1#', 'enter_order');
    await step('4242#', 'topup_done');
    expect(state.accounts.balanceFen(MSISDN)).toBe(before + 100);
    await step('32', 'enter_order');
    await step('4242#', 'refund_done');
    expect(state.accounts.balanceFen(MSISDN)).toBe(before);
    } finally {
      await call.hangup();
    }
  });

  const setupFaults = [
    { mode: 'busy' as const, expect: { ok: false, kind: 'rejected', status: 486 } },
    { mode: 'unavailable' as const, expect: { ok: false, kind: 'rejected', status: 503 } },
  ];
  for (const f of setupFaults) {
    it(`${f.mode}: the call is refused with ${f.expect.status}`, async () => {
      const added = fault({ scope: { channel: 'ivr' }, mode: f.mode });
      try {
        expect(await caller().dial(AbortSignal.timeout(3000))).toMatchObject(f.expect);
      } finally {
        state.faults.remove(added.id);
      }
    });
  }

  it('no_answer: it rings until the caller gives up, and the CANCEL ends it', async () => {
    const added = fault({ scope: { channel: 'ivr' }, mode: 'no_answer' });
    try {
      const call = caller();
      const setup = await call.dial(AbortSignal.timeout(1500));
      expect(setup).toMatchObject({ ok: false, kind: 'timeout' });
      expect(setup.timings.provisional).toContain(180);
      await call.hangup();
      await waitFor(() => (ivr.activeCalls() === 0 ? true : undefined), 3000, 'the cancelled call to end');
    } finally {
      state.faults.remove(added.id);
    }
  });

  it('silence: the call is answered and nothing is said', async () => {
    const added = fault({ scope: { channel: 'ivr' }, mode: 'silence' });
    try {
      const call = caller();
      try {
        expect(await call.dial(AbortSignal.timeout(3000))).toMatchObject({ ok: true });
        await waitFor(() => (call.audio.received >= 75 ? true : undefined), 5000, '1.5 s of packets');
        expect(matcher.identify(call.audio.samples(), 0)).toMatchObject({ kind: 'silence' });
      } finally {
        await call.hangup();
      }
    } finally {
      state.faults.remove(added.id);
    }
  });

  it('wrong_prompt on balance_query plays another prompt; a billing fault says "system busy"', async () => {
    const wrong = fault({ scope: { channel: 'ivr', transaction: 'balance_query' }, mode: 'wrong_prompt' });
    const call = caller();
    try {
      expect(await call.dial(AbortSignal.timeout(3000))).toMatchObject({ ok: true });
      expect((await hear(call, 0)).first).toMatchObject({ id: 'welcome' });
      await call.sendDigits('1');
      let mark = call.audio.samples().length;
      expect((await hear(call, mark)).first).toMatchObject({ id: 'bill_is' });
      state.faults.remove(wrong.id);
      const busy = fault({ scope: { backend: 'billing' }, mode: 'error' });
      try {
        await call.sendDigits('1');
        mark = call.audio.samples().length;
        expect((await hear(call, mark)).first).toMatchObject({ id: 'system_busy' });
      } finally {
        state.faults.remove(busy.id);
      }
    } finally {
      state.faults.clear();
      await call.hangup();
    }
  });

  it('refuses IVR faults on a channel that is not sip, and call faults scoped to a transaction', () => {
    expect(() => fault({ scope: { channel: 'web' }, mode: 'busy' })).toThrow(/IVR's and channel "web" uses transport http/);
    expect(() => fault({ scope: { channel: 'ivr', transaction: 'topup' }, mode: 'busy' })).toThrow(/before a key says its transaction/);
    expect(() => fault({ scope: { channel: 'ivr' }, mode: 'rtp_jitter' })).toThrow(/latencyMs/);
  });
});
