// Refusals before anything is sent: amounts over the cap, subscribers other than the leased test
// account, accounts outside the pool; and the circuit breaker's state machine.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProbeJournal } from '../../journal/store.js';
import { AccountNotAllowedError, TestAccountPool, unsafeRequest, type RequestLimits } from '../../synthetic/accounts.js';
import { CircuitBreakers } from '../../synthetic/breaker.js';
import { startSandboxFixture, type SandboxFixture } from './journal-sandbox.js';

const money: RequestLimits = { msisdn: '13900000001', knownNumbers: new Set(['13900000001', '13900000002', '55501']), maxAmount: 5, moneyMoving: true };
const body = (v: unknown) => JSON.stringify(v);

describe('unsafeRequest', () => {
  const url = 'http://channel.example/web/topup';
  it('passes the leased account and amounts up to the cap', () => {
    expect(unsafeRequest({ url: `${url}/13900000001?msisdn=13900000001`, body: body({ msisdn: '13900000001', amount: 5, orderId: 'a1b2c3' }) }, money)).toBeNull();
    expect(unsafeRequest({ url, body: body({ amount: '4.5' }) }, money)).toBeNull();
    expect(unsafeRequest({ url, body: undefined }, money)).toBeNull();
  });
  it('refuses an amount above the cap, at any depth, as number or text', () => {
    expect(unsafeRequest({ url, body: body({ amount: 5.01 }) }, money)).toBe("refused to send: $.amount is 5.01, above the check's maxAmount 5");
    expect(unsafeRequest({ url, body: body({ order: { lines: [{ amount: '600' }] } }) }, money)).toBe("refused to send: $.order.lines[0].amount is 600, above the check's maxAmount 5");
    expect(unsafeRequest({ url, body: body({ amount: -9 }) }, money)).toBe("refused to send: $.amount is -9, above the check's maxAmount 5");
  });
  it('refuses an amount that is not a number, and any amount of a money-moving check without a cap', () => {
    expect(unsafeRequest({ url, body: body({ amount: 'lots' }) }, money)).toBe('refused to send: $.amount is not a number');
    expect(unsafeRequest({ url, body: body({ amount: { value: 1 } }) }, money)).toBe('refused to send: $.amount is not a number');
    expect(unsafeRequest({ url, body: body({ amount: 1 }) }, { ...money, maxAmount: null })).toBe('refused to send: $.amount is 1 and the check sets no maxAmount');
    // A check that moves no money and sets no cap is not looked at.
    expect(unsafeRequest({ url, body: body({ amount: 1e9 }) }, { ...money, maxAmount: null, moneyMoving: false })).toBeNull();
  });
  it('refuses any other subscriber: in the path, the query or the body, a mobile number or another test account; without naming it', () => {
    const cases = [
      { url: `${url}/13912345678`, body: undefined },
      { url: `${url}?to=%2B8613912345678`, body: undefined },
      { url, body: body({ beneficiary: { msisdn: '13900000002' } }) },
      { url, body: body({ numbers: [13800138000] }) },
      { url, body: body({ to: '55501' }) },
    ];
    for (const c of cases) {
      const why = unsafeRequest(c, money);
      expect(why, JSON.stringify(c)).toMatch(/^refused to send: .* names a subscriber other than the leased test account$/);
      expect(why).not.toMatch(/139|138|555/);
    }
    // A number inside a longer value (an order id, an e-mail) is not a subscriber.
    expect(unsafeRequest({ url, body: body({ orderId: 'x13912345678y', email: 'probe+13912345678@example.invalid' }) }, money)).toBeNull();
  });
});

describe('test-account pool as allow-list', () => {
  it('leases a named account exclusively and refuses a number outside the pool', async () => {
    const pool = new TestAccountPool('p', [
      { msisdn: '13900000001', pin: 'a' },
      { msisdn: '13900000002', pin: 'b' },
    ]);
    expect(pool.allows('13900000002')).toBe(true);
    expect(pool.allows('13912345678')).toBe(false);
    await expect(pool.leaseAccount('13912345678', AbortSignal.timeout(100))).rejects.toBeInstanceOf(AccountNotAllowedError);
    const held = await pool.lease(AbortSignal.timeout(100));
    expect(held.account.msisdn).toBe('13900000001');
    // The named account waits for its own release; another free account is not handed out instead.
    let got: string | null = null;
    const waiting = pool.leaseAccount('13900000001', AbortSignal.timeout(1000)).then((l) => (got = l.account.msisdn));
    const other = await pool.lease(AbortSignal.timeout(100));
    expect(other.account.msisdn).toBe('13900000002');
    expect(got).toBeNull();
    other.release();
    await new Promise((r) => setTimeout(r, 10));
    expect(got).toBeNull();
    held.release();
    await waiting;
    expect(got).toBe('13900000001');
  });
});

describe('the runner refuses before sending', () => {
  let server: Server;
  let base: string;
  const seen: string[] = [];
  let sb: SandboxFixture;
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: '0000', data: { token: 'T', orderId: 'O' } }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    sb = await startSandboxFixture((text) => text.replace('json: { amount: 1, orderId: "{{run.id}}" }', 'json: { amount: "{{vars.token}}", orderId: "{{run.id}}" }'));
  });
  afterAll(async () => {
    await sb?.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('an amount above the cap: reason internal, the step named, no top-up sent, nothing journaled', async () => {
    // The amount comes from a template here, so only the rendered body can show it is too large.
    const check = sb.check('web.topup');
    const steps = check.steps.map((s) => ('request' in s && s.name === 'login' ? { ...s, request: { ...s.request, url: `${base}/login` }, extract: { token: '$.data.orderId' } } : s));
    const pointed = { ...check, steps: steps.map((s) => ('request' in s && s.name === 'topup' ? { ...s, request: { ...s.request, url: `${base}/topup` } } : s)) };
    // The server answers the login with "O" as the token, which the templated amount then carries.
    const journal = ProbeJournal.open(null);
    seen.length = 0;
    const r = await sb.runner(journal).run(pointed, { trigger: 'manual', scheduledAt: null });
    expect(r).toMatchObject({ ok: false, reason: 'internal', failedStep: 'topup', detail: 'refused to send: $.amount is not a number' });
    expect(seen).toEqual(['POST /login']);
    expect(journal.list({ limit: 10, finished: true })).toEqual([]);
    journal.close();
  });

  it('a request naming another subscriber: refused, nothing sent', async () => {
    const check = sb.check('web.balance_query');
    const journal = ProbeJournal.open(null);
    const topup = sb.check('web.topup');
    // A money-moving check whose flow was edited to send to a number taken from elsewhere.
    const hostile = {
      ...topup,
      steps: topup.steps.map((s) => (!('request' in s) ? s : s.name === 'login' ? { ...s, request: { ...s.request, url: `${base}/login` } } : s.name === 'topup' ? { ...s, request: { ...s.request, url: `${base}/topup/13912345678`, json: { amount: 1, orderId: '{{run.id}}' } } } : s)),
    };
    seen.length = 0;
    const r = await sb.runner(journal).run(hostile, { trigger: 'manual', scheduledAt: null });
    expect(r).toMatchObject({ ok: false, reason: 'internal', failedStep: 'topup', detail: 'refused to send: the URL names a subscriber other than the leased test account' });
    expect(seen).toEqual(['POST /login']);
    expect(check.moneyMoving).toBeNull();
    journal.close();
  });
});

describe('circuit breaker', () => {
  const fail = { ok: false, reason: 'connect' as const };
  const ok = { ok: true, reason: null };
  it('opens after N counted failures, skips to every k-th firing doubling up to the cap, and a good trial closes it', () => {
    const b = new CircuitBreakers({ openAfter: 3, maxBackoff: 4 }, ['web.topup']);
    const firing = () => (b.admit('web.topup') ? 'run' : 'skip');
    for (let i = 0; i < 2; i++) {
      expect(firing()).toBe('run');
      expect(b.begin('web.topup')).toEqual({ state: 'closed', skipped: 0 });
      expect(b.record('web.topup', fail)).toBe('closed');
    }
    // Internal failures (the probe's own) neither count nor reset.
    expect(b.record('web.topup', { ok: false, reason: 'internal' })).toBe('closed');
    expect(b.record('web.topup', fail)).toBe('open');
    expect([firing(), firing()]).toEqual(['skip', 'run']);
    expect(b.begin('web.topup')).toEqual({ state: 'half_open', skipped: 1 });
    expect(firing()).toBe('skip'); // the trial is still out
    expect(b.record('web.topup', fail)).toBe('open');
    expect([firing(), firing(), firing(), firing()]).toEqual(['skip', 'skip', 'skip', 'run']);
    expect(b.begin('web.topup')).toEqual({ state: 'half_open', skipped: 4 });
    expect(b.record('web.topup', fail)).toBe('open');
    // Capped at maxBackoff 4.
    expect([firing(), firing(), firing(), firing()]).toEqual(['skip', 'skip', 'skip', 'run']);
    b.begin('web.topup');
    expect(b.record('web.topup', ok)).toBe('closed');
    expect([firing(), firing()]).toEqual(['run', 'run']);
    expect(b.views()).toEqual([{ checkId: 'web.topup', state: 'closed', every: 2 }]);
  });

  it('a manual run of an open check is its trial', () => {
    const b = new CircuitBreakers({ openAfter: 1, maxBackoff: 8 }, ['c']);
    b.begin('c');
    expect(b.record('c', fail)).toBe('open');
    expect(b.begin('c')).toEqual({ state: 'half_open', skipped: 0 });
    expect(b.record('c', ok)).toBe('closed');
  });
});
