// The channel API's business rules through app.inject: login and tokens, money arithmetic and
// idempotency, plans, add-ons, profile, bills, the generic endpoint, and per-instance state.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { loadConfigFile, parseConfig, type Config } from '../../config/index.js';
import { buildSandboxApp } from '../../sandbox/app.js';
import { SandboxError } from '../../sandbox/errors.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const A = { msisdn: '13900000001', pin: 'pin-a' };
const B = { msisdn: '13900000002', pin: 'pin-b' };

let config: Config;
let clock: number;
let app: FastifyInstance;

beforeAll(async () => {
  config = await loadConfigFile(path.join(REPO, 'channel-health.yaml'));
});

beforeEach(() => {
  clock = Date.UTC(2025, 5, 10, 8, 0, 0);
  app = buildSandboxApp({ config, accounts: [A, B], now: () => clock });
});
afterEach(async () => {
  await app.close();
});

async function login(who = A, channel = 'web'): Promise<string> {
  const res = await app.inject({ method: 'POST', url: `/sandbox/channels/${channel}/login`, payload: who });
  expect(res.statusCode).toBe(200);
  const body = res.json();
  expect(body.code).toBe('0000');
  return body.data.token as string;
}

async function call(token: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown, channel = 'web') {
  const res = await app.inject({ method, url: `/sandbox/channels/${channel}${url}`, headers: { authorization: `Bearer ${token}` }, ...(payload !== undefined ? { payload: payload as object } : {}) });
  return { status: res.statusCode, body: res.json() as { code: string; message: string; data: Record<string, unknown> | null } };
}

async function accountsNow(): Promise<Array<{ msisdn: string; balance: number; planId: string; addons: string[]; contactEmail: string }>> {
  return (await app.inject({ url: '/sandbox/accounts' })).json();
}

describe('login and tokens', () => {
  test('seeded accounts start at 100.00, plan P38, no add-ons, a contact email', async () => {
    const accounts = await accountsNow();
    expect(accounts.map((a) => a.msisdn)).toEqual([A.msisdn, B.msisdn]);
    for (const a of accounts) {
      expect(a).toMatchObject({ balance: 100, planId: 'P38', addons: [] });
      expect(a.contactEmail).toMatch(/^[^@\s]+@[^@\s]+\.[^@\s]+$/);
    }
  });

  test('a wrong PIN and an unknown number both answer 4011, HTTP 200, with no token', async () => {
    for (const payload of [{ msisdn: A.msisdn, pin: 'wrong' }, { msisdn: '13999999999', pin: A.pin }, { msisdn: A.msisdn, pin: B.pin }]) {
      const res = await app.inject({ method: 'POST', url: '/sandbox/channels/web/login', payload });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ code: '4011', message: 'wrong number or PIN', data: null });
    }
  });

  test('an account configured without a PIN exists but cannot log in', async () => {
    const local = buildSandboxApp({ config, accounts: [{ msisdn: '13900000009', pin: '' }] });
    const res = await local.inject({ method: 'POST', url: '/sandbox/channels/web/login', payload: { msisdn: '13900000009', pin: 'x' } });
    expect(res.json().code).toBe('4011');
    expect((await local.inject({ url: '/sandbox/accounts' })).json()).toHaveLength(1);
    await local.close();
  });

  test('a bad login body answers 4001 naming the field', async () => {
    const res = await app.inject({ method: 'POST', url: '/sandbox/channels/web/login', payload: { msisdn: '12ab', pin: '' } });
    expect(res.statusCode).toBe(200);
    expect(res.json().code).toBe('4001');
    expect(res.json().message).toContain('msisdn: must be 5 to 15 digits');
  });

  test('no token, a made-up token, a token of another channel, and an expired token all answer 4010', async () => {
    const token = await login(A, 'web');
    expect((await call(token, 'GET', '/balance')).body.code).toBe('0000');
    const noToken = await app.inject({ url: '/sandbox/channels/web/balance' });
    expect(noToken.json().code).toBe('4010');
    expect((await call('made-up', 'GET', '/balance')).body.code).toBe('4010');
    expect((await call(token, 'GET', '/balance', undefined, 'app')).body.code).toBe('4010');
    clock += 1799_000;
    expect((await call(token, 'GET', '/balance')).body.code).toBe('0000');
    clock += 1_000;
    expect((await call(token, 'GET', '/balance')).body.code).toBe('4010');
  });

  test('an unknown channel is HTTP 404 with envelope code 4040, and so is an unknown endpoint', async () => {
    const res = await app.inject({ url: '/sandbox/channels/wap/balance' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: '4040', data: null });
    expect(res.json().message).toContain('unknown channel "wap"');
    const login404 = await app.inject({ method: 'POST', url: '/sandbox/channels/wap/login', payload: A });
    expect(login404.statusCode).toBe(404);
    const none = await app.inject({ url: '/sandbox/channels/web/nothing-here' });
    expect(none.statusCode).toBe(404);
    expect(none.json().code).toBe('4040');
  });
});

describe('top-up money arithmetic', () => {
  test('top-up credits, the order reads back DONE, refund restores the balance', async () => {
    const t = await login();
    const up = await call(t, 'POST', '/topup', { amount: 12.34, orderId: 'ord-1' });
    expect(up).toEqual({ status: 200, body: { code: '0000', message: 'success', data: { orderId: 'ord-1', status: 'DONE', balance: 112.34 } } });
    expect((await call(t, 'GET', '/balance')).body.data).toEqual({ msisdn: A.msisdn, balance: 112.34, currency: 'CNY' });
    expect((await call(t, 'GET', '/topup/ord-1')).body.data).toEqual({ orderId: 'ord-1', status: 'DONE', amount: 12.34 });
    const refund = await call(t, 'POST', '/topup/ord-1/refund');
    expect(refund.body.data).toEqual({ orderId: 'ord-1', status: 'REFUNDED', balance: 100 });
    expect((await call(t, 'GET', '/topup/ord-1')).body.data).toMatchObject({ status: 'REFUNDED', amount: 12.34 });
    // The other account's money never moved.
    expect((await accountsNow()).find((a) => a.msisdn === B.msisdn)?.balance).toBe(100);
  });

  test('refunding twice is idempotent: REFUNDED again, balance unchanged', async () => {
    const t = await login();
    await call(t, 'POST', '/topup', { amount: 5, orderId: 'ord-2' });
    expect((await call(t, 'POST', '/topup/ord-2/refund')).body.data).toMatchObject({ status: 'REFUNDED', balance: 100 });
    expect((await call(t, 'POST', '/topup/ord-2/refund')).body.data).toMatchObject({ status: 'REFUNDED', balance: 100 });
    expect((await accountsNow())[0]?.balance).toBe(100);
  });

  test('a top-up replayed with the same order id credits once, even after its refund', async () => {
    const t = await login();
    await call(t, 'POST', '/topup', { amount: 7.5, orderId: 'ord-3' });
    const again = await call(t, 'POST', '/topup', { amount: 7.5, orderId: 'ord-3' });
    expect(again.body).toMatchObject({ code: '0000', data: { orderId: 'ord-3', status: 'DONE', balance: 107.5 } });
    await call(t, 'POST', '/topup/ord-3/refund');
    const afterRefund = await call(t, 'POST', '/topup', { amount: 7.5, orderId: 'ord-3' });
    expect(afterRefund.body.data).toMatchObject({ status: 'REFUNDED', balance: 100 });
    expect((await accountsNow())[0]?.balance).toBe(100);
  });

  test('the same order id with a different amount is refused with 4090 and moves no money', async () => {
    const t = await login();
    await call(t, 'POST', '/topup', { amount: 1, orderId: 'ord-4' });
    const clash = await call(t, 'POST', '/topup', { amount: 2, orderId: 'ord-4' });
    expect(clash.body.code).toBe('4090');
    expect((await accountsNow())[0]?.balance).toBe(101);
  });

  test('fen arithmetic does not drift: 0.1 + 0.2 + ... adds up exactly', async () => {
    const t = await login();
    const amounts = [0.1, 0.2, 0.7, 33.33, 66.67, 0.01];
    for (const [i, amount] of amounts.entries()) await call(t, 'POST', '/topup', { amount, orderId: `drift-${i}` });
    expect((await accountsNow())[0]?.balance).toBe(201.01);
    for (const i of amounts.keys()) await call(t, 'POST', `/topup/drift-${i}/refund`);
    expect((await accountsNow())[0]?.balance).toBe(100);
  });

  test.each([
    [{ amount: 0, orderId: 'x' }, 'amount: must be > 0'],
    [{ amount: -5, orderId: 'x' }, 'amount: must be > 0'],
    [{ amount: 500.01, orderId: 'x' }, 'amount: must be <= 500'],
    [{ amount: '10', orderId: 'x' }, 'amount: must be a number'],
    [{ amount: 1.234, orderId: 'x' }, 'amount: at most two decimal places'],
    [{ amount: 1 }, 'orderId: is required'],
    [{ amount: 1, orderId: 'has space' }, 'orderId: must be 1 to 64 letters'],
    [{ amount: 1, orderId: 'x', currency: 'CNY' }, 'currency: unknown field'],
  ])('a bad top-up %j answers 4001 (%s) and moves no money', async (payload, message) => {
    const t = await login();
    const res = await call(t, 'POST', '/topup', payload);
    expect(res.status).toBe(200);
    expect(res.body.code).toBe('4001');
    expect(res.body.message).toContain(message);
    expect((await accountsNow())[0]?.balance).toBe(100);
  });

  test('500.00 is the largest top-up accepted', async () => {
    const t = await login();
    expect((await call(t, 'POST', '/topup', { amount: 500, orderId: 'max' })).body.data).toMatchObject({ balance: 600 });
  });

  test('orders are per account: another account cannot read or refund them', async () => {
    const ta = await login(A);
    const tb = await login(B);
    await call(ta, 'POST', '/topup', { amount: 3, orderId: 'mine' });
    expect((await call(tb, 'GET', '/topup/mine')).body.code).toBe('4040');
    expect((await call(tb, 'POST', '/topup/mine/refund')).body.code).toBe('4040');
    expect((await accountsNow()).map((a) => a.balance)).toEqual([103, 100]);
  });
});

describe('bills, plans, add-ons, profile, points', () => {
  test('a bill total equals the sum of its items and is the same on every channel', async () => {
    const web = await login(A, 'web');
    const sms = await login(A, 'sms');
    const bill = (await call(web, 'GET', '/bills/2025-05')).body.data as { month: string; total: number; currency: string };
    const items = (await call(sms, 'GET', '/bills/2025-05/items', undefined, 'sms')).body.data as { items: Array<{ item: string; amount: number }> };
    expect(bill.month).toBe('2025-05');
    expect(bill.currency).toBe('CNY');
    expect(items.items.length).toBeGreaterThan(0);
    expect(Math.round(items.items.reduce((s, i) => s + i.amount * 100, 0))).toBe(Math.round(bill.total * 100));
    expect((await call(sms, 'GET', '/bills/2025-05', undefined, 'sms')).body.data).toEqual(bill);
  });

  test('a badly written month is 4001, a future month is 4040', async () => {
    const t = await login();
    const bad = await call(t, 'GET', '/bills/2025-13');
    expect(bad.body.code).toBe('4001');
    expect(bad.body.message).toContain('month: must be a month as YYYY-MM');
    expect((await call(t, 'GET', '/bills/2025-06')).body.code).toBe('0000');
    expect((await call(t, 'GET', '/bills/2025-07')).body.code).toBe('4040');
    expect((await call(t, 'GET', '/bills/2025-07/items')).body.code).toBe('4040');
  });

  test('plan offers exclude the current plan; a change reports the previous plan and can be reverted', async () => {
    const t = await login();
    const offers = (await call(t, 'GET', '/plans')).body.data?.offers as Array<{ planId: string; monthlyFee: number }>;
    expect(offers.map((o) => o.planId)).not.toContain('P38');
    expect(offers.length).toBeGreaterThan(1);
    const target = offers[0]?.planId as string;
    expect((await call(t, 'POST', '/plan', { planId: target })).body.data).toEqual({ planId: target, previousPlanId: 'P38' });
    expect((await call(t, 'GET', '/plan')).body.data).toMatchObject({ planId: target });
    expect(((await call(t, 'GET', '/plans')).body.data?.offers as Array<{ planId: string }>).map((o) => o.planId)).toContain('P38');
    expect((await call(t, 'POST', '/plan', { planId: 'P38' })).body.data).toEqual({ planId: 'P38', previousPlanId: target });
    const unknown = await call(t, 'POST', '/plan', { planId: 'P999' });
    expect(unknown.body.code).toBe('4001');
    expect(unknown.body.message).toContain('unknown plan "P999"');
    expect((await accountsNow())[0]?.planId).toBe('P38');
  });

  test('add-ons activate, list, remove once; an unknown add-on is 4001', async () => {
    const t = await login();
    const sub = (await call(t, 'POST', '/addons', { addonId: 'DATA_1GB_DAY' })).body.data as { subscriptionId: string; addonId: string };
    expect(sub.addonId).toBe('DATA_1GB_DAY');
    expect((await accountsNow())[0]?.addons).toEqual(['DATA_1GB_DAY']);
    const listed = (await call(t, 'GET', '/addons')).body.data?.subscriptions as Array<{ subscriptionId: string }>;
    expect(listed.map((s) => s.subscriptionId)).toEqual([sub.subscriptionId]);
    expect((await call(t, 'DELETE', `/addons/${sub.subscriptionId}`)).body.data).toMatchObject({ removed: true });
    expect((await call(t, 'DELETE', `/addons/${sub.subscriptionId}`)).body.code).toBe('4040');
    expect((await call(t, 'POST', '/addons', { addonId: 'DATA_999TB' })).body.code).toBe('4001');
    expect((await accountsNow())[0]?.addons).toEqual([]);
  });

  test('profile update reports the previous address; a malformed address is 4001', async () => {
    const t = await login();
    const original = (await call(t, 'GET', '/profile')).body.data?.contactEmail as string;
    expect((await call(t, 'PUT', '/profile', { contactEmail: 'probe+abc@example.invalid' })).body.data).toEqual({ contactEmail: 'probe+abc@example.invalid', previousContactEmail: original });
    expect((await call(t, 'GET', '/profile')).body.data?.contactEmail).toBe('probe+abc@example.invalid');
    const bad = await call(t, 'PUT', '/profile', { contactEmail: 'not an email' });
    expect(bad.body.code).toBe('4001');
    expect(bad.body.message).toContain('contactEmail: must be an email address');
  });

  test('points are a stable number per subscriber', async () => {
    const t = await login();
    const first = (await call(t, 'GET', '/points')).body.data?.points;
    expect(typeof first).toBe('number');
    expect((await call(t, 'GET', '/points')).body.data?.points).toBe(first);
  });
});

describe('the generic transaction endpoint', () => {
  test('accepts any configured transaction, including one a user added to the config', async () => {
    const text = (await import('node:fs'))
      .readFileSync(path.join(REPO, 'channel-health.yaml'), 'utf8')
      .replace(/\ntransactions:\n/, '\ntransactions:\n  roaming_activation:\n    tier: noncore\n    backends: [crm]\n')
      .replace(/\nflows:\n/, '\nflows:\n  roaming_activation:\n    steps:\n      - name: activate\n        request: { method: POST, url: "{{channel.baseUrl}}/tx/roaming_activation" }\n');
    const custom = parseConfig(text, 'custom.yaml');
    const local = buildSandboxApp({ config: custom, accounts: [A] });
    const token = (await local.inject({ method: 'POST', url: '/sandbox/channels/app/login', payload: A })).json().data.token;
    const ok = await local.inject({ method: 'POST', url: '/sandbox/channels/app/tx/roaming_activation', headers: { authorization: `Bearer ${token}` }, payload: { anything: 1 } });
    expect(ok.json()).toEqual({ code: '0000', message: 'success', data: { transaction: 'roaming_activation', accepted: true } });
    const none = await local.inject({ method: 'POST', url: '/sandbox/channels/app/tx/teleport', headers: { authorization: `Bearer ${token}` } });
    expect(none.statusCode).toBe(404);
    expect(none.json().code).toBe('4040');
    expect((await app.inject({ method: 'POST', url: '/sandbox/channels/app/tx/roaming_activation', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(404);
    await local.close();
  });

  test('needs a token like every transaction endpoint', async () => {
    expect((await app.inject({ method: 'POST', url: '/sandbox/channels/web/tx/topup' })).json().code).toBe('4010');
  });
});

describe('instances and accounts', () => {
  test('two sandboxes never share state', async () => {
    const other = buildSandboxApp({ config, accounts: [A, B] });
    const t = await login();
    await call(t, 'POST', '/topup', { amount: 10, orderId: 'only-here' });
    expect((await accountsNow())[0]?.balance).toBe(110);
    expect(((await other.inject({ url: '/sandbox/accounts' })).json() as Array<{ balance: number }>)[0]?.balance).toBe(100);
    await other.close();
  });

  test('a number listed twice with the same PIN is one subscriber; with different PINs it is refused', async () => {
    const same = buildSandboxApp({ config, accounts: [A, A, B] });
    expect((await same.inject({ url: '/sandbox/accounts' })).json()).toHaveLength(2);
    await same.close();
    const clash = buildSandboxApp({ config, accounts: [A, { msisdn: A.msisdn, pin: 'other' }] });
    const failure = await clash.ready().then(
      () => null,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(SandboxError);
    expect((failure as SandboxError).code).toBe('CH_SANDBOX_ACCOUNTS_INVALID');
    expect((failure as SandboxError).message).toBe('accounts[1]: the same number appears earlier with a different PIN');
    expect((failure as SandboxError).message).not.toContain('other');
  });

  test('a JSON content type with an empty body is "no body" (refund), and malformed JSON is 4001', async () => {
    const t = await login();
    await call(t, 'POST', '/topup', { amount: 2, orderId: 'empty-body' });
    const refund = await app.inject({ method: 'POST', url: '/sandbox/channels/web/topup/empty-body/refund', headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' }, payload: '' });
    expect(refund.json().data).toMatchObject({ status: 'REFUNDED' });
    const broken = await app.inject({ method: 'POST', url: '/sandbox/channels/web/topup', headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' }, payload: '{"amount": 1,' });
    expect(broken.statusCode).toBe(200);
    expect(broken.json()).toMatchObject({ code: '4001' });
    expect(broken.json().message).toContain('(body): is not valid JSON');
  });
});
