// Shared by the journal and safety tests: the shipped config pointed at a sandbox listening on
// 127.0.0.1 (port 0), and a runner over it with its own pools and journal.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { parseConfig, type Check, type Config } from '../../config/index.js';
import { buildSandboxApp } from '../../sandbox/app.js';
import { startSandboxIvr } from '../../sandbox/ivr.js';
import { startSandboxSmsc } from '../../sandbox/smsc.js';
import { createSandboxState } from '../../sandbox/state.js';
import { TestAccountPool } from '../../synthetic/accounts.js';
import type { CircuitBreakers } from '../../synthetic/breaker.js';
import { createProbers } from '../../synthetic/probers/index.js';
import type { ChannelRateLimiter } from '../../synthetic/rate-limit.js';
import { createRunner, type RunJournal } from '../../synthetic/runner.js';
import { REPO_ROOT } from '../support/processes.js';

export const PIN = 'unit-test-pin';
/** The sms channel's bind password at the fixture's SMSC. */
export const SMSC_PASSWORD = 'smsc-pw1';
/** The ivr channel's trunk password at the fixture's IVR. */
export const IVR_PASSWORD = 'ivr-trunk-pw';
export const SHIPPED = readFileSync(path.join(REPO_ROOT, 'channel-health.yaml'), 'utf8');

export interface SandboxFixture {
  base: string;
  /** The fixture's sandbox SMSC, smpp://127.0.0.1:port, in front of the same state. */
  smppUrl: string;
  /** The fixture's sandbox IVR, sip:127.0.0.1:port, in front of the same state. */
  sipUrl: string;
  /** Calls the IVR has not yet ended. */
  ivrCalls(): number;
  config: Config;
  check(id: string): Check;
  pools(): Map<string, TestAccountPool>;
  runner(
    journal: RunJournal | undefined,
    extra?: { breakers?: CircuitBreakers; pools?: Map<string, TestAccountPool>; config?: Config; rateLimiters?: ReadonlyMap<string, ChannelRateLimiter> },
  ): ReturnType<typeof createRunner>;
  balances(): Promise<Record<string, number>>;
  /** The sandbox's own view of one account (plan, add-ons, contact e-mail). */
  account(msisdn: string): Promise<{ msisdn: string; balance: number; planId: string; addons: string[]; contactEmail: string }>;
  call(method: string, url: string, body?: unknown, token?: string): Promise<{ code: string; data: Record<string, unknown> }>;
  login(msisdn: string, channel?: string): Promise<string>;
  fault(body: unknown): Promise<void>;
  clearFaults(): Promise<void>;
  close(): Promise<void>;
}

/** The shipped config's text with its channels at `base`, `smppUrl` and `sipUrl` (no embedded sandbox) and `edit` applied. */
export function configTextFor(base: string, edit: (text: string) => string = (t) => t, smppUrl = 'smpp://127.0.0.1:2775', sipUrl = 'sip:127.0.0.1:5060'): string {
  return edit(
    SHIPPED.replace(/\{\{sandbox\.url\}\}/g, base).replace(/\{\{sandbox\.smppUrl\}\}/g, smppUrl).replace(/\{\{sandbox\.sipUrl\}\}/g, sipUrl).replace('sandbox: true', 'sandbox: false'),
  );
}

export async function startSandboxFixture(edit?: (text: string) => string): Promise<SandboxFixture> {
  const shipped = parseConfig(SHIPPED, 'channel-health.yaml');
  // The sandbox knows the test accounts of the config under test (an edit may add some).
  const edited = parseConfig(configTextFor('http://127.0.0.1:1/sandbox', edit), path.join(REPO_ROOT, 'channel-health.yaml'));
  const accounts = Object.values(edited.accounts)
    .flat()
    .map((a) => ({ msisdn: a.msisdn, pin: PIN }));
  // One state behind the HTTP channels and the SMSC, as `run` and `sandbox` have it.
  const state = createSandboxState({ config: shipped, accounts });
  const app: FastifyInstance = buildSandboxApp({ config: shipped, accounts, state });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const smsc = await startSandboxSmsc({ state, config: shipped, accounts: [{ channel: 'sms', systemId: 'chprobe', password: SMSC_PASSWORD }] });
  const ivr = await startSandboxIvr({ state, lines: [{ channel: 'ivr', number: '10086', username: 'chprobe', password: IVR_PASSWORD }] });
  const address = app.server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/sandbox`;
  const config = parseConfig(configTextFor(base, edit, smsc.url, ivr.url), path.join(REPO_ROOT, 'channel-health.yaml'));
  const probers = createProbers({ readSecret: (_ref, where) => (where.includes('sip') ? IVR_PASSWORD : SMSC_PASSWORD) });
  probers.prepare(config.channels); // as `run` does before its first firing
  const pools = () => new Map(Object.entries(config.accounts).map(([name, list]) => [name, new TestAccountPool(name, list.map((a) => ({ msisdn: a.msisdn, pin: PIN })))]));
  const call = async (method: string, url: string, body?: unknown, token?: string) => {
    const res = await fetch(`${base}${url}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return (await res.json()) as { code: string; data: Record<string, unknown> };
  };
  const snapshot = async () => (await (await fetch(`${base}/accounts`)).json()) as Array<{ msisdn: string; balance: number; planId: string; addons: string[]; contactEmail: string }>;
  return {
    base,
    smppUrl: smsc.url,
    sipUrl: ivr.url,
    ivrCalls: () => ivr.activeCalls(),
    config,
    check: (id) => {
      const c = config.checks.find((x) => x.id === id);
      if (!c) throw new Error(`no check ${id}`);
      return c;
    },
    pools,
    runner: (journal, extra = {}) =>
      createRunner({
        config: extra.config ?? config,
        probers: probers.probers,
        accountPools: extra.pools ?? pools(),
        rateLimiters: extra.rateLimiters ?? new Map(),
        sandboxUrl: null,
        location: 'local',
        ...(journal ? { journal } : {}),
        ...(extra.breakers ? { breakers: extra.breakers } : {}),
      }),
    balances: async () => Object.fromEntries((await snapshot()).map((a) => [a.msisdn, a.balance])),
    account: async (msisdn) => {
      const a = (await snapshot()).find((x) => x.msisdn === msisdn);
      if (!a) throw new Error(`no account ${msisdn}`);
      return a;
    },
    call,
    login: async (msisdn, channel = 'web') => {
      const r = await call('POST', `/channels/${channel}/login`, { msisdn, pin: PIN });
      return (r.data as { token: string }).token;
    },
    fault: async (body) => {
      const res = await fetch(`${base}/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (res.status !== 201) throw new Error(`fault refused: ${await res.text()}`);
    },
    clearFaults: async () => {
      await fetch(`${base}/faults`, { method: 'DELETE' });
    },
    close: async () => {
      await probers.close();
      await smsc.close();
      await ivr.close();
      await app.close();
    },
  };
}
