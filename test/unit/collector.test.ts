import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCollectorApp, type CheckRunControl } from '../../collector/app.js';
import { createMetrics } from '../../collector/metrics.js';
import { ResultStore } from '../../collector/result-store.js';
import { createResultSink } from '../../collector/result-sink.js';
import { parseConfig } from '../../config/index.js';
import { createLogger } from '../../logging/logger.js';
import { SyntheticError } from '../../synthetic/errors.js';
import { FAILURE_REASONS, type ProbeResult } from '../../synthetic/result.js';
import { REPO_ROOT } from '../support/processes.js';

const config = parseConfig(readFileSync(path.join(REPO_ROOT, 'channel-health.yaml'), 'utf8'), 'channel-health.yaml');

const result = (over: Partial<ProbeResult> = {}): ProbeResult => ({
  version: 1,
  id: `r${Math.random().toString(36).slice(2, 12)}`,
  checkId: 'web.topup',
  channel: 'web',
  transaction: 'topup',
  tier: 'core',
  location: 'local',
  trigger: 'schedule',
  scheduledAt: 1_700_000_000_000,
  startedAt: 1_700_000_000_010,
  durationMs: 120,
  ok: true,
  reason: null,
  failedStep: null,
  detail: null,
  cleanupFailed: false,
  steps: [{ name: 'login', ok: true, skipped: false, always: false, durationMs: 40, connectMs: 1, ttfbMs: 30, status: 200, businessCode: '0000', reason: null, detail: null }],
  ...over,
});

function setup(runs?: CheckRunControl, adminToken: string | null = null) {
  const registry = new Registry();
  const metrics = createMetrics(registry, config, { version: '9.9.9' });
  const store = new ResultStore(5);
  const sink = createResultSink(config, metrics, store);
  const lines: string[] = [];
  const log = createLogger({ destination: new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }) });
  const app = buildCollectorApp({ config, metrics, store, log, adminToken, runs, notReadyReasons: () => [] });
  return { registry, sink, store, app, lines };
}

const sample = (text: string, name: string, labels: Record<string, string>) => {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && want.every((w) => l.includes(w)));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
};

describe('metric contract', () => {
  it('creates failure series on the first failure (at zero from the start only with full detail) and exports objectives per tier', async () => {
    const { registry } = setup();
    const text = await registry.metrics();
    for (const check of config.checks) {
      expect(sample(text, 'channel_health_probe_failures_total', { channel: check.channel, transaction: check.transaction, location: 'local' })).toBeUndefined();
      expect(sample(text, 'channel_health_transaction_failures_total', { channel: check.channel, transaction: check.transaction })).toBeUndefined();
      expect(sample(text, 'channel_health_probe_runs_total', { channel: check.channel, transaction: check.transaction })).toBe(0);
      expect(sample(text, 'channel_health_transactions_total', { channel: check.channel, transaction: check.transaction })).toBe(0);
    }
    expect(sample(text, 'channel_health_objective_ratio', { transaction: 'topup', tier: 'core' })).toBe(0.9998);
    expect(sample(text, 'channel_health_objective_ratio', { transaction: 'other_query', tier: 'noncore' })).toBe(0.94);
    expect(sample(text, 'channel_health_build_info', { version: '9.9.9' })).toBe(1);

    // One check with metricsDetail full: its failure counters exist at zero for every reason.
    const full = parseConfig(
      readFileSync(path.join(REPO_ROOT, 'channel-health.yaml'), 'utf8').replace(
        '  - { channel: sms, transaction: topup, flow: sms_topup }',
        '  - { channel: sms, transaction: topup, flow: sms_topup, metricsDetail: full }',
      ),
      'full.yaml',
    );
    expect(full.checks.filter((c) => c.metricsDetail === 'full').map((c) => c.id)).toEqual(['sms.topup']);
    const fullText = await createMetrics(new Registry(), full, { version: 't' }).registry.metrics();
    for (const reason of FAILURE_REASONS) {
      expect(sample(fullText, 'channel_health_probe_failures_total', { channel: 'sms', transaction: 'topup', reason, location: 'local' }), reason).toBe(0);
    }
    expect(fullText.split('\n').filter((l) => l.startsWith('channel_health_probe_failures_total{'))).toHaveLength(FAILURE_REASONS.length);
  });

  it('exports the last run\'s time per transport phase, summed over its steps, and only phases of the closed set', async () => {
    const { registry, sink } = setup();
    const step = { ok: true, skipped: false, always: false, durationMs: 50, connectMs: 0, ttfbMs: 0, status: 200, businessCode: '0000', reason: null, detail: null };
    sink.accept(
      result({
        steps: [
          { ...step, name: 'login', phases: { connect: 4, processing: 30, transfer: 2 } },
          { ...step, name: 'topup', phases: { processing: 40, transfer: 1, madeUp: 9 } },
        ],
      }),
    );
    const text = await registry.metrics();
    const phase = (p: string) => sample(text, 'channel_health_probe_phase_duration_seconds', { channel: 'web', transaction: 'topup', location: 'local', phase: p });
    expect(phase('connect')).toBe(0.004);
    expect(phase('processing')).toBe(0.07);
    expect(phase('transfer')).toBe(0.003);
    expect(phase('madeUp')).toBeUndefined();
    expect(phase('dns')).toBeUndefined();
  });

  it('keeps a duration histogram per step only for checks with metricsDetail full', async () => {
    const single = parseConfig(
      readFileSync(path.join(REPO_ROOT, 'channel-health.yaml'), 'utf8').replace(
        '  - { channel: sms, transaction: balance_query, flow: sms_balance_query }',
        '  - { channel: sms, transaction: balance_query, flow: sms_balance_query, metricsDetail: full }',
      ),
      'full.yaml',
    );
    const metrics = createMetrics(new Registry(), single, { version: 't' });
    const step = { ok: true, skipped: false, always: false, durationMs: 300, connectMs: 0, ttfbMs: 0, status: 0, businessCode: null, reason: null, detail: null };
    metrics.recordResult(result({ checkId: 'sms.balance_query', channel: 'sms', transaction: 'balance_query', steps: [{ ...step, name: 'balance' }] }));
    metrics.recordResult(result({ steps: [{ ...step, name: 'login' }] }));
    const text = await metrics.registry.metrics();
    expect(sample(text, 'channel_health_probe_step_duration_seconds_count', { channel: 'sms', transaction: 'balance_query', step: 'balance' })).toBe(1);
    expect(sample(text, 'channel_health_probe_step_duration_seconds_count', { channel: 'web', transaction: 'topup' })).toBeUndefined();
    expect(sample(text, 'channel_health_probe_step_last_duration_seconds', { channel: 'web', transaction: 'topup', step: 'login' })).toBe(0.3);
    expect(sample(text, 'channel_health_probe_step_last_duration_seconds', { channel: 'sms', transaction: 'balance_query', step: 'balance' })).toBe(0.3);
  });

  it('counts runs and failures, tracks consecutive failures and resets them on success', async () => {
    const { registry, sink } = setup();
    sink.accept(result({ ok: false, reason: 'business_error', failedStep: 'topup' }));
    sink.accept(result({ ok: false, reason: 'timeout' }));
    let text = await registry.metrics();
    const labels = { channel: 'web', transaction: 'topup', tier: 'core', location: 'local' };
    expect(sample(text, 'channel_health_probe_runs_total', labels)).toBe(2);
    expect(sample(text, 'channel_health_probe_failures_total', { ...labels, reason: 'business_error' })).toBe(1);
    expect(sample(text, 'channel_health_probe_failures_total', { ...labels, reason: 'timeout' })).toBe(1);
    expect(sample(text, 'channel_health_probe_consecutive_failures', labels)).toBe(2);
    expect(sample(text, 'channel_health_probe_success', labels)).toBe(0);
    sink.accept(result());
    text = await registry.metrics();
    expect(sample(text, 'channel_health_probe_consecutive_failures', labels)).toBe(0);
    expect(sample(text, 'channel_health_probe_success', labels)).toBe(1);
    expect(sample(text, 'channel_health_probe_last_run_timestamp_seconds', { channel: 'web', transaction: 'topup' })).toBeCloseTo(1_700_000_000.13, 2);
    // Standard detail: each step's last duration, no per-step histogram.
    expect(sample(text, 'channel_health_probe_step_last_duration_seconds', { step: 'login' })).toBe(0.04);
    expect(text).not.toContain('channel_health_probe_step_duration_seconds_bucket{');
  });

  it('counts failed steps by reason and business codes by their bounded label, from the first failure on', async () => {
    const { registry, sink } = setup();
    const before = await registry.metrics();
    expect(before).not.toContain('channel_health_probe_step_failures_total{');
    expect(before).not.toContain('channel_health_probe_business_errors_total{');
    const step = (name: string, over: Partial<ProbeResult['steps'][number]>) => ({
      name, ok: true, skipped: false, always: false, durationMs: 10, connectMs: 0, ttfbMs: 8, status: 200, businessCode: '0000', reason: null, detail: null, ...over,
    });
    const failedTopup = (code: string | null, reason: ProbeResult['reason']) =>
      result({
        ok: false,
        reason,
        failedStep: 'topup',
        steps: [
          step('login', {}),
          step('topup', { ok: false, businessCode: code, reason }),
          step('verify', { ok: false, skipped: true, businessCode: null }),
          // The compensating step failed too: a refund that did not happen is a failing step of its own.
          step('refund', { ok: false, always: true, businessCode: '5201', reason: 'business_error' }),
        ],
      });
    sink.accept(failedTopup('5101', 'business_error'));
    sink.accept(failedTopup('5101', 'business_error'));
    sink.accept(failedTopup('ZZ-NEW', 'business_error')); // not in the config: counted as other
    sink.accept(failedTopup('0000', 'assertion')); // a success code on a step failed by its latency: no business error
    sink.accept(failedTopup(null, 'timeout'));
    const text = await registry.metrics();
    const at = { channel: 'web', transaction: 'topup', location: 'local' };
    expect(sample(text, 'channel_health_probe_step_failures_total', { ...at, step: 'topup', reason: 'business_error' })).toBe(3);
    expect(sample(text, 'channel_health_probe_step_failures_total', { ...at, step: 'topup', reason: 'assertion' })).toBe(1);
    expect(sample(text, 'channel_health_probe_step_failures_total', { ...at, step: 'topup', reason: 'timeout' })).toBe(1);
    expect(sample(text, 'channel_health_probe_step_failures_total', { ...at, step: 'refund', reason: 'business_error' })).toBe(5);
    expect(sample(text, 'channel_health_probe_step_failures_total', { ...at, step: 'verify' })).toBeUndefined();
    expect(sample(text, 'channel_health_probe_step_failures_total', { ...at, step: 'login' })).toBeUndefined();
    expect(sample(text, 'channel_health_probe_business_errors_total', { ...at, step: 'topup', code: '5101' })).toBe(2);
    expect(sample(text, 'channel_health_probe_business_errors_total', { ...at, step: 'topup', code: 'other' })).toBe(1);
    expect(sample(text, 'channel_health_probe_business_errors_total', { ...at, step: 'refund', code: '5201' })).toBe(5);
    expect(text).not.toContain('code="0000"');
    expect(text).not.toContain('ZZ-NEW');
  });

  it('rejects unknown labels without creating a series', async () => {
    const { registry, sink } = setup();
    const before = await registry.metrics();
    expect(() => sink.accept(result({ channel: 'wap' }))).toThrow('channel: unknown channel "wap"');
    expect(() => sink.accept(result({ transaction: 'roaming' }))).toThrow('transaction: unknown transaction "roaming"');
    expect(() => sink.accept(result({ tier: 'noncore' }))).toThrow('tier: "noncore" is not the tier of topup (core)');
    expect(() => sink.accept(result({ location: 'Bad Location' }))).toThrow('location');
    expect(await registry.metrics()).toBe(before);
  });

  it('passes promtool check metrics', async () => {
    const { registry, sink } = setup();
    sink.accept(result({ ok: false, reason: 'connect' }));
    const res = spawnSync('promtool', ['check', 'metrics'], { input: await registry.metrics(), encoding: 'utf8' });
    expect(res.error).toBeUndefined();
    expect(`${res.stdout}${res.stderr}`.trim()).toBe('');
    expect(res.status).toBe(0);
  });
});

describe('collector API', () => {
  it('serves /metrics, /healthz and /readyz', async () => {
    const { app } = setup();
    const m = await app.inject('/metrics');
    expect(m.statusCode).toBe(200);
    expect(m.headers['content-type']).toContain('text/plain');
    expect(m.body).toContain('channel_health_objective_ratio');
    expect((await app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    expect((await app.inject('/readyz')).statusCode).toBe(200);
  });

  it('lists checks with their last result and state', async () => {
    const { app, sink } = setup();
    sink.accept(result({ ok: false, reason: 'timeout', failedStep: 'topup' }));
    const body = (await app.inject('/api/v1/checks')).json() as { checks: Array<Record<string, unknown>> };
    expect(body.checks).toHaveLength(32);
    const web = body.checks.find((c) => c.id === 'web.topup');
    expect(web).toMatchObject({ state: 'failing', consecutiveFailures: 1, lastSuccessAt: null, schedule: { interval: '30s' }, lastResult: { ok: false, reason: 'timeout', failedStep: 'topup' } });
    expect(body.checks.find((c) => c.id === 'app.topup')).toMatchObject({ state: 'unknown', lastResult: null });
  });

  it('returns recent results newest first, bounded by the ring and by limit', async () => {
    const { app, sink } = setup();
    for (let i = 0; i < 7; i++) sink.accept(result({ id: `run0000${i}x`, checkId: i % 2 ? 'web.topup' : 'app.topup', channel: i % 2 ? 'web' : 'app' }));
    const all = (await app.inject('/api/v1/results')).json() as { results: ProbeResult[] };
    expect(all.results.map((r) => r.id)).toEqual(['run00006x', 'run00005x', 'run00004x', 'run00003x', 'run00002x']);
    const web = (await app.inject('/api/v1/results?check=web.topup&limit=1')).json() as { results: ProbeResult[] };
    expect(web.results.map((r) => r.id)).toEqual(['run00005x']);
  });

  it('rejects bad queries naming the field, and unknown checks with 404', async () => {
    const { app } = setup();
    const bad = await app.inject('/api/v1/results?limit=0');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('CH_REQUEST_INVALID');
    expect(bad.json().error.message).toContain('limit');
    const extra = await app.inject('/api/v1/results?colour=red');
    expect(extra.statusCode).toBe(400);
    const unknown = await app.inject('/api/v1/results?check=nope');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error).toEqual({ code: 'CH_CHECK_NOT_FOUND', message: 'check: no check "nope"' });
  });

  it('runs a check on demand only with the admin token', async () => {
    const calls: string[] = [];
    const runs: CheckRunControl = {
      runNow: async (id) => (calls.push(id), result({ checkId: id, trigger: 'manual' })),
      runState: () => ({ running: false, overlapsSkipped: 0, nextRunAt: null }),
    };
    const { app, lines } = setup(runs, 's3cret-token');
    expect((await app.inject({ method: 'POST', url: '/api/v1/checks/web.topup/run' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: '/api/v1/checks/web.topup/run', headers: { authorization: 'Bearer wrong' } })).statusCode).toBe(401);
    expect(calls).toEqual([]);
    const ok = await app.inject({ method: 'POST', url: '/api/v1/checks/web.topup/run', headers: { authorization: 'Bearer s3cret-token' } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ checkId: 'web.topup', trigger: 'manual' });
    expect((await app.inject({ method: 'POST', url: '/api/v1/checks/nope/run', headers: { authorization: 'Bearer s3cret-token' } })).statusCode).toBe(404);
    expect(calls).toEqual(['web.topup']);
    expect(lines.join('')).not.toContain('s3cret-token');
  });

  it('answers 409 while the check is running', async () => {
    const runs: CheckRunControl = {
      runNow: async () => {
        throw new SyntheticError('CH_CHECK_BUSY', 'check "web.topup" is already running');
      },
      runState: () => undefined,
    };
    const { app } = setup(runs);
    const res = await app.inject({ method: 'POST', url: '/api/v1/checks/web.topup/run' });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('CH_CHECK_BUSY');
  });
});

describe('logging', () => {
  it('redacts credentials and masks phone numbers', () => {
    const lines: string[] = [];
    const log = createLogger({ destination: new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }) });
    log.info({ req: { headers: { authorization: 'Bearer abc123' } }, account: { msisdn: '13912345678', pin: '0000' }, token: 't0k' }, 'login for 13912345678 failed');
    const out = lines.join('');
    expect(out).not.toContain('abc123');
    expect(out).not.toContain('t0k');
    expect(out).not.toContain('13912345678');
    expect(out).toContain('139****5678');
    expect(JSON.parse(out).account.pin).toBe('[redacted]');
  });
});

describe('error shape', () => {
  it('is {error: {code, message}} for an unknown route, a URL over 8 KiB and Fastify\'s own refusals, each with its documented status', async () => {
    const { app } = setup();
    const notFound = await app.inject({ method: 'GET', url: '/api/v1/nope?x=1' });
    expect(notFound.statusCode).toBe(404);
    expect(notFound.json()).toEqual({ error: { code: 'CH_ROUTE_NOT_FOUND', message: 'GET /api/v1/nope: no such endpoint' } });
    const long = await app.inject({ method: 'GET', url: `/metrics?q=${'a'.repeat(9000)}` });
    expect(long.statusCode).toBe(414);
    expect(long.json()).toEqual({ error: { code: 'CH_URL_TOO_LONG', message: 'url: longer than 8192 bytes' } });
    const media = await app.inject({ method: 'POST', url: '/api/v1/checks/web.topup/run', headers: { 'content-type': 'text/csv' }, payload: 'a,b' });
    expect(media.statusCode).toBe(415);
    expect(media.json().error.code).toBe('CH_REQUEST_MEDIA_TYPE');
    const badJson = await app.inject({ method: 'POST', url: '/api/v1/checks/web.topup/run', headers: { 'content-type': 'application/json' }, payload: '{"a":' });
    expect(badJson.statusCode).toBe(400);
    expect(badJson.json().error.code).toBe('CH_REQUEST_INVALID');
    const big = await app.inject({ method: 'POST', url: '/api/v1/checks/web.topup/run', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ a: 'x'.repeat(1_100_000) }) });
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe('CH_REQUEST_TOO_LARGE');
  });

  // What Node's HTTP parser refuses never reaches Fastify, so inject() cannot show it: a real
  // socket on loopback, bytes written by hand.
  describe('over a socket, for what Node refuses before Fastify', () => {
    const { app } = setup();
    let port = 0;
    beforeAll(async () => {
      await app.listen({ host: '127.0.0.1', port: 0 });
      port = (app.server.address() as { port: number }).port;
    });
    afterAll(async () => app.close());

    /** Writes `request` and reads until the server closes the connection. */
    const exchange = (request: string) =>
      new Promise<{ status: number; body: unknown }>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1');
        let text = '';
        socket.setEncoding('utf8');
        socket.setTimeout(5000, () => socket.destroy(new Error('no answer in 5 s')));
        socket.on('data', (d: string) => (text += d));
        socket.on('error', reject);
        socket.on('close', () => {
          const [head = '', body = ''] = text.split('\r\n\r\n');
          resolve({ status: Number(head.split(' ')[1]), body: body === '' ? null : JSON.parse(body) });
        });
        socket.end(request);
      });

    it.each([
      ['both transfer-encoding and content-length', 'POST /api/v1/checks/web.topup/run HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n', 400, 'CH_HTTP_MALFORMED'],
      ['a header line without a colon', 'GET /metrics HTTP/1.1\r\nHost: x\r\nnot a header\r\n\r\n', 400, 'CH_HTTP_MALFORMED'],
      ['a URL over the header limit', `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 414, 'CH_URL_TOO_LONG'],
      ['headers over the limit', `GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'CH_HEADERS_TOO_LARGE'],
      ['an unknown route', 'DELETE /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 404, 'CH_ROUTE_NOT_FOUND'],
    ] as const)('%s: %i %s', async (_what, request, status, code) => {
      const res = await exchange(request);
      expect(res.status).toBe(status);
      expect(res.body).toEqual({ error: { code, message: expect.any(String) } });
    });
  });
});
