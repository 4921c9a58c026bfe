// Every flow of the shipped config, on every channel, driven step by step through the sandbox API
// exactly as the config writes it (templates, extraction, assertions, `always` cleanup steps).
// A flow edit that the sandbox cannot serve, or a sandbox change that breaks a flow, fails here.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { isSipStep, isSmsStep, loadConfigFile, type Check, type Config, type HttpStep, type Step } from '../../config/index.js';
import { compileJsonPath, readJsonPath } from '../../config/json-path.js';
import { parseTemplate } from '../../config/template-syntax.js';
import { buildSandboxApp } from '../../sandbox/app.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SANDBOX_URL = 'http://sandbox.test/sandbox';
const PIN = 'flow-test-pin';
const NOW = Date.UTC(2025, 2, 15, 12, 0, 0);

interface StepOutcome {
  name: string;
  ok: boolean;
  why?: string;
}

/** A minimal interpreter of the config's step language, enough to replay the shipped flows. */
async function replay(app: FastifyInstance, config: Config, check: Check, account: { msisdn: string; pin: string }, runId: string): Promise<StepOutcome[]> {
  const channel = config.channels.find((c) => c.id === check.channel);
  if (!channel) throw new Error(`no channel ${check.channel}`);
  const vars: Record<string, string> = {};
  const roots: Record<string, Record<string, string>> = {
    sandbox: { url: SANDBOX_URL },
    account: { msisdn: account.msisdn, pin: account.pin },
    run: { id: runId, epochMs: String(NOW), month: '2025-03', prevMonth: '2025-02', checkId: check.id, location: 'test' },
    transaction: { id: check.transaction, tier: check.tier },
    vars,
  };
  const render = (template: string): string =>
    parseTemplate(template)
      .map((part) => {
        if (part.kind === 'text') return part.text;
        if (part.root === 'channel') return part.path[0] === 'baseUrl' ? render(channel.baseUrl) : channel.id;
        const value = roots[part.root]?.[part.path[0] as string];
        if (value === undefined) throw new Error(`unresolved ${part.source}`);
        return value;
      })
      .join('');
  const renderJson = (value: unknown): unknown => {
    if (typeof value === 'string') return render(value);
    if (Array.isArray(value)) return value.map(renderJson);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderJson(v)]));
    return value;
  };

  const outcomes: StepOutcome[] = [];
  let failed = false;
  for (const step of check.steps as readonly HttpStep[]) {
    if (failed && !step.always) continue;
    let why: string | undefined;
    try {
      const url = new URL(render(step.request.url));
      const headers = Object.fromEntries(Object.entries(step.request.headers).map(([k, v]) => [k, render(v)]));
      const res = await app.inject({
        method: step.request.method,
        url: url.pathname + url.search,
        headers,
        ...(step.request.json !== undefined ? { payload: renderJson(step.request.json) as object } : {}),
      });
      const body = res.json() as unknown;
      if (!step.assert.status.includes(res.statusCode)) why = `HTTP ${res.statusCode}`;
      if (!why && step.assert.businessCode && channel.businessCode) {
        const code = readJsonPath(body, compileJsonPath(channel.businessCode.path));
        if (!channel.businessCode.success.includes(String(code))) why = `business code ${String(code)}: ${res.body}`;
      }
      for (const a of step.assert.json) {
        const value = readJsonPath(body, compileJsonPath(a.path));
        if (why) break;
        if (a.exists !== undefined && (value !== undefined) !== a.exists) why = `${a.path} exists should be ${a.exists}`;
        if (a.equals !== undefined && value !== a.equals) why = `${a.path} is ${JSON.stringify(value)}, expected ${JSON.stringify(a.equals)}`;
      }
      for (const [name, p] of Object.entries(step.extract)) {
        const value = readJsonPath(body, compileJsonPath(p));
        if (value === undefined) why ??= `nothing at ${p} to extract as ${name}`;
        else vars[name] = String(value);
      }
    } catch (err) {
      why = (err as Error).message;
    }
    outcomes.push({ name: step.name, ok: why === undefined, ...(why ? { why } : {}) });
    if (why) failed = true;
  }
  return outcomes;
}

describe('the shipped flows against the sandbox', () => {
  let config: Config;
  let app: FastifyInstance;
  let accounts: Array<{ msisdn: string; pin: string }>;

  beforeEach(async () => {
    config = await loadConfigFile(path.join(REPO, 'channel-health.yaml'));
    accounts = (config.accounts.sandbox ?? []).map((a) => ({ msisdn: a.msisdn, pin: PIN }));
    app = buildSandboxApp({ config, accounts, now: () => NOW });
  });
  afterEach(async () => {
    await app.close();
  });

  test('the shipped config has a check for every channel × transaction the channel offers, each with steps', () => {
    // The hotline's menu offers the four billing transactions; every other channel all of them.
    const offered = (channel: string) => (channel === 'ivr' ? config.transactions.filter((t) => t.backends.includes('billing')).length : config.transactions.length);
    expect(config.checks.length).toBe(config.channels.reduce((n, c) => n + offered(c.id), 0));
    // HTTP flows log in first; an SMS command needs no login (the number is the subscriber), a call dials.
    expect(config.checks.every((c) => c.steps.length >= (isSmsStep(c.steps[0] as Step) ? 1 : 2))).toBe(true);
  });

  test('every check succeeds step by step and leaves every account as it found it', async () => {
    const before = (await app.inject({ url: '/sandbox/accounts' })).json();
    const failures: string[] = [];
    let n = 0;
    // The SMS hall's flows go over SMPP (test/integration/smpp-sandbox.test.ts drives them), the
    // hotline's over SIP (test/integration/ivr-sip.test.ts).
    for (const check of config.checks.filter((c) => !c.steps.some((s) => isSmsStep(s) || isSipStep(s)))) {
      const account = accounts[n % accounts.length] as { msisdn: string; pin: string };
      n += 1;
      const outcomes = await replay(app, config, check, account, `run${n.toString().padStart(6, '0')}abcdef`);
      expect(outcomes.map((o) => o.name)).toEqual(check.steps.map((s) => s.name));
      for (const o of outcomes) if (!o.ok) failures.push(`${check.id} step ${o.name}: ${o.why}`);
    }
    expect(failures).toEqual([]);
    expect((await app.inject({ url: '/sandbox/accounts' })).json()).toEqual(before);
  });

  test('a wrong PIN fails the login step, and the replay reports it (the driver can fail)', async () => {
    const check = config.checks.find((c) => c.transaction === 'balance_query') as Check;
    const outcomes = await replay(app, config, check, { msisdn: accounts[0]?.msisdn as string, pin: 'not-the-pin' }, 'run-wrong-pin');
    expect(outcomes[0]).toMatchObject({ name: 'login', ok: false });
    expect(outcomes[0]?.why).toContain('4011');
  });

  test('when web top-up fails after crediting, the always-run refund still runs, and a retried refund restores the balance', async () => {
    const check = config.checks.find((c) => c.id === 'web.topup') as Check;
    const account = accounts[0] as { msisdn: string; pin: string };
    // The fault misses the top-up and hits what follows: the top-up has credited, the refund must undo it.
    let calls = 0;
    const random = () => (calls++ === 0 ? 0.99 : 0);
    await app.close();
    app = buildSandboxApp({ config, accounts, now: () => NOW, random });
    const created = await app.inject({ method: 'POST', url: '/sandbox/faults', payload: { scope: { channel: 'web', transaction: 'topup' }, mode: 'error', rate: 0.5 } });
    expect(created.statusCode).toBe(201);
    // random: topup (0.99, miss) → verify (0, hit) → refund (0, hit): the refund fails as well.
    const outcomes = await replay(app, config, check, account, 'runfaulted0001');
    expect(outcomes.map((o) => [o.name, o.ok])).toEqual([
      ['login', true],
      ['topup', true],
      ['verify', false],
      ['refund', false],
    ]);
    const balance = () => app.inject({ url: '/sandbox/accounts' }).then((r) => (r.json() as Array<{ msisdn: string; balance: number }>).find((a) => a.msisdn === account.msisdn)?.balance);
    expect(await balance()).toBe(101);
    await app.inject({ method: 'DELETE', url: '/sandbox/faults' });
    // A retried refund of the same order (what a journal replay does) restores the start balance.
    const token = (await app.inject({ method: 'POST', url: '/sandbox/channels/web/login', payload: account })).json().data.token as string;
    const refund = await app.inject({ method: 'POST', url: '/sandbox/channels/web/topup/runfaulted0001/refund', headers: { authorization: `Bearer ${token}` } });
    expect(refund.json()).toMatchObject({ code: '0000', data: { status: 'REFUNDED', balance: 100 } });
    expect(await balance()).toBe(100);
  });
});
