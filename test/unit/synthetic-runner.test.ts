// The runner against a real HTTP server on 127.0.0.1: multi-step flows, extraction into later
// steps, compensating steps, and each failure class, including a hang bounded by the timeout.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, type Check } from '../../config/index.js';
import { TestAccountPool } from '../../synthetic/accounts.js';
import { PROBERS } from '../../synthetic/probers/index.js';
import { ChannelRateLimiter } from '../../synthetic/rate-limit.js';
import { createRunner } from '../../synthetic/runner.js';

let server: Server;
let base: string;
let mode = 'ok';
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''} ${body}`);
      const send = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      if (req.url === '/web/login') return send(200, { code: '0000', data: { token: 'T-1' } });
      if (req.url === '/web/act') {
        if (mode === 'hang') return; // never answers
        if (mode === 'reset') return req.socket.destroy();
        if (mode === 'http500') return send(500, { code: '5001' });
        if (mode === 'business') return send(200, { code: '5101', message: 'billing unavailable' });
        if (mode === 'noorder') return send(200, { code: '0000', data: {} });
        return send(200, { code: '0000', data: { orderId: 'O-9', status: 'DONE' } });
      }
      if (req.url?.startsWith('/web/refund/')) return send(200, { code: mode === 'refundfails' ? '5201' : '0000', data: {} });
      send(404, { code: '4040' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function setup(timeout = '2s') {
  const config = parseConfig(
    `version: 1
service: { listen: "127.0.0.1:0", location: dc1 }
tiers: { core: { objective: 0.9998 } }
backends: { billing: {} }
channels:
  web: { transport: http, baseUrl: "${base}/web", businessCode: { path: $.code, success: ["0000"] } }
transactions:
  topup: { tier: core, backends: [billing] }
accounts:
  p: [{ msisdn: "13900000001" }]
flows:
  topup:
    accountPool: p
    steps:
      - name: login
        request: { method: POST, url: "{{channel.baseUrl}}/login", json: { msisdn: "{{account.msisdn}}" } }
        extract: { token: $.data.token }
      - name: act
        request: { method: POST, url: "{{channel.baseUrl}}/act", headers: { Authorization: "Bearer {{vars.token}}" }, json: { orderId: "{{run.id}}", amount: 1 } }
        extract: { orderId: $.data.orderId }
      - name: verify
        request: { url: "{{channel.baseUrl}}/act", headers: { Authorization: "Bearer {{vars.token}}" } }
        assert: { json: [{ path: $.data.status, equals: DONE }] }
      - name: refund
        always: true
        request: { method: POST, url: "{{channel.baseUrl}}/refund/{{vars.orderId}}" }
checks: [{ channel: web, transaction: topup, interval: 10s, timeout: ${timeout} }]
`,
    'runner-test.yaml',
  );
  const runner = createRunner({
    config,
    probers: PROBERS,
    accountPools: new Map([['p', new TestAccountPool('p', [{ msisdn: '13900000001', pin: 'x' }])]]),
    rateLimiters: new Map(),
    sandboxUrl: null,
    location: 'dc1',
    newRunId: () => 'run0000001',
  });
  return { runner, check: config.checks[0] as Check };
}

describe('running a check', () => {
  it('runs every step, passes extracted values on, and reports timings', async () => {
    mode = 'ok';
    seen.length = 0;
    const { runner, check } = setup();
    const r = await runner.run(check, { trigger: 'schedule', scheduledAt: 123 });
    expect(r).toMatchObject({ ok: true, reason: null, failedStep: null, channel: 'web', transaction: 'topup', tier: 'core', location: 'dc1', scheduledAt: 123, cleanupFailed: false });
    expect(r.steps.map((s) => [s.name, s.ok, s.skipped])).toEqual([['login', true, false], ['act', true, false], ['verify', true, false], ['refund', true, false]]);
    expect(seen[1]).toBe('POST /web/act Bearer T-1 {"orderId":"run0000001","amount":1}');
    expect(seen[3]).toContain('POST /web/refund/O-9');
    const login = r.steps[0]!;
    expect(login.connectMs).toBeGreaterThan(0);
    expect(login.ttfbMs).toBeGreaterThan(0);
    expect(login.durationMs).toBeGreaterThanOrEqual(login.ttfbMs);
    // Later steps reuse the run's connection: no new connect.
    expect(r.steps[1]!.connectMs).toBe(0);
  });

  it('classifies a business error at the failing step and still runs the refund', async () => {
    mode = 'business';
    const { runner, check } = setup();
    const r = await runner.run(check, { trigger: 'schedule', scheduledAt: null });
    expect(r).toMatchObject({ ok: false, reason: 'business_error', failedStep: 'act', detail: 'business code 5101: billing unavailable' });
    expect(r.steps.find((s) => s.name === 'verify')).toMatchObject({ skipped: true, detail: 'an earlier step failed' });
    // No order was created, so the always-step has nothing to undo and is skipped, not failed.
    expect(r.steps.find((s) => s.name === 'refund')).toMatchObject({ skipped: true });
    expect(r.cleanupFailed).toBe(false);
  });

  it('classifies HTTP 5xx as http_status', async () => {
    mode = 'http500';
    const { runner, check } = setup();
    expect(await runner.run(check, { trigger: 'manual', scheduledAt: null })).toMatchObject({ ok: false, reason: 'http_status', failedStep: 'act' });
  });

  it('classifies a missing extraction as assertion', async () => {
    mode = 'noorder';
    const { runner, check } = setup();
    expect(await runner.run(check, { trigger: 'manual', scheduledAt: null })).toMatchObject({ ok: false, reason: 'assertion', failedStep: 'act', detail: 'extract orderId: no scalar value at $.data.orderId' });
  });

  it('classifies a connection reset as connect', async () => {
    mode = 'reset';
    const { runner, check } = setup();
    expect(await runner.run(check, { trigger: 'manual', scheduledAt: null })).toMatchObject({ ok: false, reason: 'connect', failedStep: 'act' });
  });

  it('ends a hung run at its timeout with reason timeout', async () => {
    mode = 'hang';
    const { runner, check } = setup('500ms');
    const t0 = Date.now();
    const r = await runner.run(check, { trigger: 'manual', scheduledAt: null });
    const took = Date.now() - t0;
    expect(r).toMatchObject({ ok: false, reason: 'timeout', failedStep: 'act' });
    expect(took).toBeGreaterThanOrEqual(450);
    expect(took).toBeLessThan(1500);
  });

  it('reports a failed compensation without changing the transaction outcome', async () => {
    mode = 'refundfails';
    const { runner, check } = setup();
    const r = await runner.run(check, { trigger: 'manual', scheduledAt: null });
    expect(r.ok).toBe(true);
    expect(r.cleanupFailed).toBe(true);
    expect(r.steps.at(-1)).toMatchObject({ name: 'refund', ok: false, reason: 'business_error' });
  });

  it('classifies a refused connection as connect', async () => {
    const { runner, check } = setup();
    const closed = { ...check, steps: check.steps.map((s) => ('request' in s ? { ...s, request: { ...s.request, url: 'http://127.0.0.1:1/web/login' } } : s)) };
    expect(await runner.run(closed, { trigger: 'manual', scheduledAt: null })).toMatchObject({ ok: false, reason: 'connect', failedStep: 'login' });
  });
});

describe('test-account pool and rate limit', () => {
  it('leases accounts exclusively and hands a released one to the next waiter', async () => {
    const pool = new TestAccountPool('p', [{ msisdn: '1', pin: '' }]);
    const a = await pool.lease(AbortSignal.timeout(1000));
    let second: string | null = null;
    const waiting = pool.lease(AbortSignal.timeout(1000)).then((l) => (second = l.account.msisdn));
    await new Promise((r) => setTimeout(r, 20));
    expect(second).toBeNull();
    a.release();
    await waiting;
    expect(second).toBe('1');
  });
  it('gives up when the signal aborts while waiting', async () => {
    const pool = new TestAccountPool('p', [{ msisdn: '1', pin: '' }]);
    await pool.lease(AbortSignal.timeout(1000));
    await expect(pool.lease(AbortSignal.timeout(30))).rejects.toThrow('no free test account in pool "p"');
  });
  it('after a stalled event loop releases one request per spacing, not the burst that piled up', async () => {
    const limiter = new ChannelRateLimiter(10); // one release per 110 ms
    const never = new AbortController().signal;
    await limiter.acquire(never);
    const first = Date.now();
    const times: number[] = [];
    const rest = [1, 2, 3].map(() => limiter.acquire(never).then(() => times.push(Date.now())));
    // Block the loop past the next two turns, as a long GC or a synchronous fsync would.
    while (Date.now() < first + 400) {
      /* stall */
    }
    await Promise.all(rest);
    expect(times[0]! - first).toBeGreaterThanOrEqual(105);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(105);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(105);
  });

  it('an aborted waiter leaves the queue and takes no turn', async () => {
    const limiter = new ChannelRateLimiter(10);
    const never = new AbortController().signal;
    await limiter.acquire(never);
    const gone = new AbortController();
    const aborted = limiter.acquire(gone.signal);
    const next = limiter.acquire(never);
    expect(limiter.waiting).toBe(2);
    gone.abort(new Error('deadline'));
    await expect(aborted).rejects.toThrow('deadline');
    expect(limiter.waiting).toBe(1);
    await next;
    expect(limiter.waiting).toBe(0);
  });

  it('spaces a backlog to at most the configured rate', async () => {
    const limiter = new ChannelRateLimiter(20); // one release per 55 ms
    const never = new AbortController().signal;
    const times: number[] = [];
    await Promise.all([0, 1, 2, 3, 4, 5].map(() => limiter.acquire(never).then(() => times.push(Date.now()))));
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(50);
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(5 * 55 - 10);
  });
});
