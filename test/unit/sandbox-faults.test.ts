// Fault injection through app.inject: which endpoints each scope reaches (derived from the config's
// transaction backends), error answers, rate with an injected RNG, expiry with an injected clock,
// and every malformed fault request refused with the field named and nothing changed.
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { loadConfigFile, parseConfig, type Config } from '../../config/index.js';
import { buildSandboxApp } from '../../sandbox/app.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ACCOUNT = { msisdn: '13900000001', pin: 'pin-a' };
const T0 = Date.UTC(2025, 5, 10, 8, 0, 0);

/** Every channel endpoint with the transaction it serves (null: login), as documented in docs/sandbox.md. */
const ENDPOINTS: ReadonlyArray<{ name: string; transaction: string | null; method: 'GET' | 'POST' | 'PUT' | 'DELETE'; url: string; payload?: object }> = [
  { name: 'login', transaction: null, method: 'POST', url: '/login', payload: ACCOUNT },
  { name: 'balance', transaction: 'balance_query', method: 'GET', url: '/balance' },
  { name: 'topup', transaction: 'topup', method: 'POST', url: '/topup', payload: { amount: 1, orderId: 'probe-order' } },
  { name: 'topup-read', transaction: 'topup', method: 'GET', url: '/topup/probe-order' },
  { name: 'topup-refund', transaction: 'topup', method: 'POST', url: '/topup/probe-order/refund' },
  { name: 'bill', transaction: 'bill_query', method: 'GET', url: '/bills/2025-05' },
  { name: 'bill-items', transaction: 'bill_query', method: 'GET', url: '/bills/2025-05/items' },
  { name: 'plans', transaction: 'plan_change', method: 'GET', url: '/plans' },
  { name: 'plan', transaction: 'plan_change', method: 'GET', url: '/plan' },
  { name: 'plan-change', transaction: 'plan_change', method: 'POST', url: '/plan', payload: { planId: 'P38' } },
  { name: 'addon-activate', transaction: 'data_addon', method: 'POST', url: '/addons', payload: { addonId: 'DATA_1GB_DAY' } },
  { name: 'addon-list', transaction: 'data_addon', method: 'GET', url: '/addons' },
  { name: 'addon-remove', transaction: 'data_addon', method: 'DELETE', url: '/addons/SUB-none' },
  { name: 'profile', transaction: 'profile_update', method: 'GET', url: '/profile' },
  { name: 'profile-update', transaction: 'profile_update', method: 'PUT', url: '/profile', payload: { contactEmail: 'a@example.invalid' } },
  { name: 'points', transaction: 'other_query', method: 'GET', url: '/points' },
  { name: 'generic-topup', transaction: 'topup', method: 'POST', url: '/tx/topup', payload: {} },
  { name: 'generic-points', transaction: 'other_query', method: 'POST', url: '/tx/other_query', payload: {} },
];

let shipped: Config;
let config: Config;
let clock: number;
let draws: number[];
let app: FastifyInstance;
let tokens: Map<string, string>;

/** The RNG hands out queued values, then 0 (a hit for any rate above 0). */
const random = () => draws.shift() ?? 0;

async function start(cfg: Config): Promise<void> {
  config = cfg;
  app = buildSandboxApp({ config, accounts: [ACCOUNT], now: () => clock, random });
  // Tokens first: a channel fault also breaks login.
  tokens = new Map();
  for (const c of config.channels) {
    const res = await app.inject({ method: 'POST', url: `/sandbox/channels/${c.id}/login`, payload: ACCOUNT });
    tokens.set(c.id, res.json().data.token);
  }
}

beforeAll(async () => {
  shipped = await loadConfigFile(path.join(REPO, 'channel-health.yaml'));
});

beforeEach(async () => {
  clock = T0;
  draws = [];
  await start(shipped);
});
afterEach(async () => {
  await app.close();
});

async function inject(body: unknown) {
  return app.inject({ method: 'POST', url: '/sandbox/faults', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });
}

async function addFault(body: object): Promise<{ id: string; code?: string; expiresAt: string }> {
  const res = await inject(body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

async function hit(channel: string, e: (typeof ENDPOINTS)[number]) {
  const res = await app.inject({
    method: e.method,
    url: `/sandbox/channels/${channel}${e.url}`,
    headers: { authorization: `Bearer ${tokens.get(channel)}` },
    ...(e.payload ? { payload: e.payload } : {}),
  });
  return { status: res.statusCode, body: res.json() as { code: string; message: string } };
}

/** `channel endpoint` of every request answered with `code`, over every channel and endpoint. */
async function reached(code: string): Promise<string[]> {
  const out: string[] = [];
  for (const c of config.channels) {
    for (const e of ENDPOINTS) {
      const res = await hit(c.id, e);
      if (res.body.code === code) out.push(`${c.id} ${e.name}`);
    }
  }
  return out.sort();
}

const everywhere = (names: string[], channels = ['app', 'ivr', 'kiosk', 'sms', 'web']) => channels.flatMap((c) => names.map((n) => `${c} ${n}`)).sort();
const endpointsOf = (...transactions: string[]) => ENDPOINTS.filter((e) => e.transaction !== null && transactions.includes(e.transaction)).map((e) => e.name);

describe('fault scope', () => {
  test('with no fault, no endpoint answers a 5xxx code', async () => {
    for (const code of ['5001', '5101', '5201', '5301']) expect(await reached(code)).toEqual([]);
  });

  test('a billing fault hits top-up, balance, bill and plan change on every channel, and nothing else (not login)', async () => {
    const fault = await addFault({ scope: { backend: 'billing' }, mode: 'error' });
    expect(fault.code).toBe('5101');
    const hits = await reached('5101');
    expect(hits).toEqual(everywhere(endpointsOf('topup', 'balance_query', 'bill_query', 'plan_change')));
    for (const name of ['login', 'addon-activate', 'profile-update', 'points', 'generic-points']) expect(hits.some((h) => h.endsWith(` ${name}`))).toBe(false);
  });

  test('a payment fault hits top-up only; a CRM fault hits plan change and the non-core transactions', async () => {
    await addFault({ scope: { backend: 'payment' }, mode: 'error' });
    expect(await reached('5201')).toEqual(everywhere(endpointsOf('topup')));
    await app.inject({ method: 'DELETE', url: '/sandbox/faults' });
    await addFault({ scope: { backend: 'crm' }, mode: 'error' });
    expect(await reached('5301')).toEqual(everywhere(endpointsOf('plan_change', 'data_addon', 'profile_update', 'other_query')));
  });

  test('the spread follows the config: make data_addon depend on billing and a billing fault reaches it', async () => {
    await app.close();
    const text = readFileSync(path.join(REPO, 'channel-health.yaml'), 'utf8').replace(/(data_addon:\n(?:.*\n)*?\s+backends: )\[crm\]/, '$1[crm, billing]');
    const changed = parseConfig(text, 'changed.yaml');
    expect(changed.transactions.find((t) => t.id === 'data_addon')?.backends).toEqual(['crm', 'billing']);
    await start(changed);
    await addFault({ scope: { backend: 'billing' }, mode: 'error' });
    expect(await reached('5101')).toEqual(everywhere(endpointsOf('topup', 'balance_query', 'bill_query', 'plan_change', 'data_addon')));
  });

  test('a channel fault hits every request on that channel, login included, and no other channel', async () => {
    await addFault({ scope: { channel: 'sms' }, mode: 'error' });
    expect(await reached('5001')).toEqual(everywhere(ENDPOINTS.map((e) => e.name), ['sms']));
  });

  test('a channel + transaction fault hits that transaction on that channel only (the generic endpoint too)', async () => {
    await addFault({ scope: { channel: 'web', transaction: 'topup' }, mode: 'error' });
    expect(await reached('5001')).toEqual(everywhere(endpointsOf('topup'), ['web']));
  });

  test('an error fault answers HTTP 200 with its code, or the HTTP status it names; the code can be overridden', async () => {
    await addFault({ scope: { channel: 'web', transaction: 'balance_query' }, mode: 'error', code: '5002' });
    await addFault({ scope: { channel: 'app', transaction: 'balance_query' }, mode: 'error', httpStatus: 503 });
    const balance = ENDPOINTS[1] as (typeof ENDPOINTS)[number];
    const web = await hit('web', balance);
    expect(web.status).toBe(200);
    expect(web.body.code).toBe('5002');
    expect(web.body.message).toContain('injected fault fault-1');
    const appRes = await hit('app', balance);
    expect(appRes.status).toBe(503);
    expect(appRes.body.code).toBe('5001');
  });

  test('a backend the sandbox has no code for answers 5901', async () => {
    await app.close();
    const text = readFileSync(path.join(REPO, 'channel-health.yaml'), 'utf8')
      .replace(/\nbackends:\n/, '\nbackends:\n  loyalty: { description: Loyalty points }\n')
      .replace(/(other_query:\n(?:.*\n)*?\s+backends: )\[crm\]/, '$1[loyalty]');
    await start(parseConfig(text, 'loyalty.yaml'));
    await addFault({ scope: { backend: 'loyalty' }, mode: 'error' });
    expect(await reached('5901')).toEqual(everywhere(endpointsOf('other_query')));
  });

  test('a latency fault delays, then answers normally; it stacks with an error fault', async () => {
    await addFault({ scope: { channel: 'web', transaction: 'other_query' }, mode: 'latency', latencyMs: 60 });
    const points = ENDPOINTS.find((e) => e.name === 'points') as (typeof ENDPOINTS)[number];
    let started = performance.now();
    expect((await hit('web', points)).body.code).toBe('0000');
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
    await addFault({ scope: { backend: 'crm' }, mode: 'error' });
    started = performance.now();
    expect((await hit('web', points)).body.code).toBe('5301');
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
  });
});

describe('fault rate and expiry', () => {
  test('rate: a request is hit when the injected draw is below the rate', async () => {
    await addFault({ scope: { channel: 'web' }, mode: 'error', rate: 0.5 });
    const balance = ENDPOINTS[1] as (typeof ENDPOINTS)[number];
    draws = [0.2, 0.7, 0.49, 0.5, 0.0];
    const codes: string[] = [];
    for (let i = 0; i < 5; i++) codes.push((await hit('web', balance)).body.code);
    expect(codes).toEqual(['5001', '0000', '5001', '0000', '5001']);
    expect(draws).toEqual([]);
  });

  test('rate 0 never hits, even on a draw of 0; the default rate 1 always hits', async () => {
    await addFault({ scope: { channel: 'web' }, mode: 'error', rate: 0 });
    const balance = ENDPOINTS[1] as (typeof ENDPOINTS)[number];
    draws = [0, 0, 0];
    expect((await hit('web', balance)).body.code).toBe('0000');
    await app.inject({ method: 'DELETE', url: '/sandbox/faults' });
    await addFault({ scope: { channel: 'web' }, mode: 'error' });
    draws = [0.999999];
    expect((await hit('web', balance)).body.code).toBe('5001');
  });

  test('a fault expires after durationSeconds on the injected clock (default 300 s)', async () => {
    const short = await addFault({ scope: { channel: 'web' }, mode: 'error', durationSeconds: 10 });
    const long = await addFault({ scope: { channel: 'app' }, mode: 'error' });
    expect(short.expiresAt).toBe(new Date(T0 + 10_000).toISOString());
    expect(long.expiresAt).toBe(new Date(T0 + 300_000).toISOString());
    const balance = ENDPOINTS[1] as (typeof ENDPOINTS)[number];
    clock = T0 + 9_999;
    expect((await hit('web', balance)).body.code).toBe('5001');
    clock = T0 + 10_000;
    expect((await hit('web', balance)).body.code).toBe('0000');
    expect((await app.inject({ url: '/sandbox/faults' })).json().map((f: { id: string }) => f.id)).toEqual([long.id]);
    clock = T0 + 300_000;
    expect((await app.inject({ url: '/sandbox/faults' })).json()).toEqual([]);
    expect((await app.inject({ method: 'DELETE', url: `/sandbox/faults/${long.id}` })).statusCode).toBe(404);
  });
});

describe('fault admin API', () => {
  test('POST answers 201 with the fault; GET lists active ones; DELETE one, DELETE all', async () => {
    const created = await inject({ scope: { backend: 'billing' }, mode: 'latency', latencyMs: 250, rate: 0.25, durationSeconds: 60 });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toEqual({
      id: 'fault-1',
      scope: { backend: 'billing' },
      mode: 'latency',
      rate: 0.25,
      latencyMs: 250,
      durationSeconds: 60,
      createdAt: new Date(T0).toISOString(),
      expiresAt: new Date(T0 + 60_000).toISOString(),
    });
    const second = await addFault({ scope: { channel: 'web', transaction: 'topup' }, mode: 'reset' });
    const third = await addFault({ scope: { channel: 'kiosk' }, mode: 'hang' });
    expect((await app.inject({ url: '/sandbox/faults' })).json().map((f: { id: string }) => f.id)).toEqual(['fault-1', second.id, third.id]);
    expect((await app.inject({ method: 'DELETE', url: `/sandbox/faults/${second.id}` })).json()).toEqual({ id: second.id, removed: true });
    expect((await app.inject({ url: '/sandbox/faults' })).json().map((f: { id: string }) => f.id)).toEqual(['fault-1', third.id]);
    const missing = await app.inject({ method: 'DELETE', url: `/sandbox/faults/${second.id}` });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toMatchObject({ code: 'CH_SANDBOX_FAULT_NOT_FOUND', message: `id: no active fault "${second.id}"` });
    expect((await app.inject({ method: 'DELETE', url: '/sandbox/faults' })).json()).toEqual({ removed: 2 });
    expect((await app.inject({ url: '/sandbox/faults' })).json()).toEqual([]);
  });

  // Issue 12: a field the mode does not use is accepted (well-formed), ignored, and named.
  test.each<[string, Record<string, unknown>, string[]]>([
    ['latencyMs 0 on an error fault', { mode: 'error', latencyMs: 0 }, ['latencyMs']],
    ['latencyMs on an error fault', { mode: 'error', latencyMs: 100 }, ['latencyMs']],
    ['httpStatus and code on a hang', { mode: 'hang', httpStatus: 503, code: '5101' }, ['httpStatus', 'code']],
    ['code 0000 on a reset', { mode: 'reset', code: '0000' }, ['code']],
    ['httpStatus on a latency fault', { mode: 'latency', latencyMs: 5, httpStatus: 502 }, ['httpStatus']],
  ])('accepts %s, ignores the unused fields and names them', async (_what, fields, ignored) => {
    const res = await inject({ scope: { channel: 'web' }, ...fields });
    expect(res.statusCode, res.body).toBe(201);
    const answer = res.json() as Record<string, unknown>;
    expect(answer.ignored).toEqual(ignored);
    for (const f of ignored) expect(answer[f], f).toBeUndefined();
    const [listed] = (await app.inject({ url: '/sandbox/faults' })).json() as Array<Record<string, unknown>>;
    expect(listed).toEqual(Object.fromEntries(Object.entries(answer).filter(([k]) => k !== 'ignored')));
  });

  test('an error fault given latencyMs 0 answers with its error and no delay', async () => {
    await inject({ scope: { channel: 'web' }, mode: 'error', latencyMs: 0 });
    const faults = (await app.inject({ url: '/sandbox/faults' })).json() as Array<Record<string, unknown>>;
    expect(faults).toMatchObject([{ mode: 'error', code: '5001' }]);
    expect(faults[0]).not.toHaveProperty('latencyMs');
  });

  const valid = { scope: { backend: 'billing' }, mode: 'error' };
  test.each<[string, unknown, string]>([
    ['unknown backend', { ...valid, scope: { backend: 'bilin' } }, 'scope.backend: unknown backend "bilin" (known: billing, payment, crm)'],
    ['unknown channel', { ...valid, scope: { channel: 'wap' } }, 'scope.channel: unknown channel "wap" (known: web, app, sms, ivr, kiosk)'],
    ['unknown transaction', { ...valid, scope: { channel: 'web', transaction: 'teleport' } }, 'scope.transaction: unknown transaction "teleport"'],
    ['transaction without channel', { ...valid, scope: { transaction: 'topup' } }, 'scope.channel: is required with scope.transaction'],
    ['empty scope', { ...valid, scope: {} }, 'scope: must name a backend, a channel, or a channel and a transaction'],
    ['backend and channel', { ...valid, scope: { backend: 'billing', channel: 'web' } }, 'scope: give either backend, or channel'],
    ['unknown scope field', { ...valid, scope: { backend: 'billing', region: 'north' } }, 'scope.region: unknown field'],
    ['scope not an object', { ...valid, scope: 'billing' }, 'scope: must be an object'],
    ['missing scope', { mode: 'error' }, 'scope: is required'],
    ['missing mode', { scope: { backend: 'billing' } }, 'mode: is required'],
    ['bad mode', { ...valid, mode: 'explode' }, 'mode: must be one of error, latency, hang, reset'],
    ['rate above 1', { ...valid, rate: 1.5 }, 'rate: must be <= 1'],
    ['rate below 0', { ...valid, rate: -0.1 }, 'rate: must be >= 0'],
    ['rate as text', { ...valid, rate: '0.5' }, 'rate: must be a number'],
    ['latency without latencyMs', { ...valid, mode: 'latency' }, 'latencyMs: is required with mode latency'],
    ['latencyMs zero with mode latency', { ...valid, mode: 'latency', latencyMs: 0 }, 'latencyMs: must be >= 1 with mode latency'],
    ['latencyMs negative on an error fault', { ...valid, latencyMs: -1 }, 'latencyMs: must be >= 0'],
    ['latencyMs fractional', { ...valid, mode: 'latency', latencyMs: 1.5 }, 'latencyMs: must be a whole number'],
    ['latencyMs too long', { ...valid, mode: 'latency', latencyMs: 600_001 }, 'latencyMs: must be <= 600000'],
    ['duration too long', { ...valid, durationSeconds: 86_401 }, 'durationSeconds: must be <= 86400'],
    ['duration zero', { ...valid, durationSeconds: 0 }, 'durationSeconds: must be >= 1'],
    ['httpStatus not 5xx', { ...valid, httpStatus: 404 }, 'httpStatus: must be >= 500'],
    ['httpStatus not 5xx on a hang', { ...valid, mode: 'hang', httpStatus: 404 }, 'httpStatus: must be >= 500'],
    ['code not four digits', { ...valid, code: '51O1' }, 'code: must be a four-digit business code such as 5101'],
    ['success code', { ...valid, code: '0000' }, 'code: "0000" means success; an error fault needs a failure code'],
    ['unknown top-level field', { ...valid, severity: 'high' }, 'severity: unknown field'],
    ['an array', [valid], '(body): a JSON object body is required'],
    ['null', null, '(body): a JSON object body is required'],
  ])('refuses %s with 400 CH_SANDBOX_FAULT_INVALID naming the field, and changes nothing', async (_what, body, message) => {
    const before = await addFault({ scope: { channel: 'ivr' }, mode: 'error', durationSeconds: 60 });
    const listBefore = (await app.inject({ url: '/sandbox/faults' })).json();
    const res = await inject(body);
    expect(res.statusCode).toBe(400);
    const error = res.json().error as { code: string; message: string; problems: Array<{ path: string; message: string }> };
    expect(error.code).toBe('CH_SANDBOX_FAULT_INVALID');
    expect(error.message).toContain(message);
    expect(error.problems.length).toBeGreaterThan(0);
    expect((await app.inject({ url: '/sandbox/faults' })).json()).toEqual(listBefore);
    expect(listBefore.map((f: { id: string }) => f.id)).toEqual([before.id]);
  });

  test('refuses a body that is not JSON, and an empty body, naming the body', async () => {
    const notJson = await app.inject({ method: 'POST', url: '/sandbox/faults', headers: { 'content-type': 'application/json' }, payload: '{scope:' });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json().error).toMatchObject({ code: 'CH_SANDBOX_FAULT_INVALID', message: '(body): is not valid JSON' });
    const empty = await app.inject({ method: 'POST', url: '/sandbox/faults' });
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error.message).toBe('(body): a JSON object body is required');
    expect((await app.inject({ url: '/sandbox/faults' })).json()).toEqual([]);
  });

  test('every problem of a body is listed at once', async () => {
    const res = await inject({ scope: { backend: 'bilin', channel: 'wap' }, mode: 'latency', code: '5101' });
    expect(res.json().error.problems).toEqual([
      { path: 'scope', message: 'give either backend, or channel with an optional transaction, not both' },
      { path: 'scope.backend', message: 'unknown backend "bilin" (known: billing, payment, crm)' },
      { path: 'scope.channel', message: 'unknown channel "wap" (known: web, app, sms, ivr, kiosk)' },
      { path: 'latencyMs', message: 'is required with mode latency' },
    ]);
  });
});
