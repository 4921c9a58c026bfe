// Faults that only show on a real connection: hang, reset and latency, against the sandbox
// listening on 127.0.0.1 (port 0), and a server that still closes promptly with requests held.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance } from 'fastify';
import { Agent, request } from 'undici';
import { afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { loadConfigFile, type Config } from '../../config/index.js';
import { buildSandboxApp, sandboxPlugin } from '../../sandbox/app.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ACCOUNT = { msisdn: '13900000001', pin: 'wire-pin' };

let config: Config;
let app: FastifyInstance;
let base: string;
let token: string;
let agent: Agent;
let closed: boolean;

beforeAll(async () => {
  config = await loadConfigFile(path.join(REPO, 'channel-health.yaml'));
});

/** The standalone app, or the plugin in a server with Fastify's defaults, as `run` mounts it. */
type Host = 'standalone' | 'mounted';

async function start(host: Host): Promise<void> {
  if (host === 'standalone') {
    app = buildSandboxApp({ config, accounts: [ACCOUNT] });
  } else {
    app = Fastify();
    await app.register(sandboxPlugin, { prefix: '/sandbox', config, accounts: [ACCOUNT] });
  }
  await app.listen({ host: '127.0.0.1', port: 0 });
  closed = false;
  const address = app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/sandbox`;
  agent = new Agent({ connections: 8 });
  token = '';
  const login = await call('POST', '/channels/web/login', { body: ACCOUNT });
  token = login.body.data.token as string;
}

beforeEach(async () => {
  await start('standalone');
});

afterEach(async () => {
  if (!closed) await app.close();
  await agent.destroy();
});

async function call(method: 'GET' | 'POST', url: string, opts: { body?: object; signal?: AbortSignal; auth?: boolean } = {}) {
  const res = await request(`${base}${url}`, {
    method,
    dispatcher: agent,
    headers: { ...(opts.auth === false || !token ? {} : { authorization: `Bearer ${token}` }), ...(opts.body ? { 'content-type': 'application/json' } : {}) },
    ...(opts.body ? { body: JSON.stringify(opts.body) } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  return { status: res.statusCode, body: (await res.body.json()) as { code: string; data: Record<string, unknown> } & Record<string, unknown> };
}

async function inject(fault: object): Promise<void> {
  const res = await call('POST', '/faults', { body: fault, auth: false });
  expect(res.status).toBe(201);
}

async function closeTimed(): Promise<number> {
  const started = performance.now();
  await app.close();
  closed = true;
  return performance.now() - started;
}

/** The error a request ended with (code, name or cause's code and message), or 'answered'. */
async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'answered';
  } catch (err) {
    const e = err as Error & { code?: string; cause?: { code?: string; message?: string } };
    return [e.name, e.code, e.message, e.cause?.code, e.cause?.message].filter(Boolean).join(' | ');
  }
}

describe('hang', () => {
  test('holds the request until the client gives up; other transactions still answer; the server then closes within a second', async () => {
    await inject({ scope: { channel: 'web', transaction: 'balance_query' }, mode: 'hang' });
    const started = performance.now();
    const result = await outcome(call('GET', '/channels/web/balance', { signal: AbortSignal.timeout(300) }));
    const waited = performance.now() - started;
    expect(result).toMatch(/TimeoutError|AbortError|aborted/i);
    expect(waited).toBeGreaterThanOrEqual(290);
    expect((await call('GET', '/channels/web/points')).body.code).toBe('0000');
    expect(await closeTimed()).toBeLessThan(1000);
  });

  test.each<Host>(['standalone', 'mounted'])('a request still hung when the %s server closes is dropped, so close() does not wait for the client', async (host) => {
    if (host === 'mounted') {
      await app.close();
      await start(host);
    }
    await inject({ scope: { backend: 'billing' }, mode: 'hang' });
    const hung = outcome(call('GET', '/channels/web/balance', { signal: AbortSignal.timeout(10_000) }));
    // Give the request time to reach the hook and be held.
    await new Promise((r) => setTimeout(r, 150));
    const startedClose = performance.now();
    expect(await closeTimed()).toBeLessThan(1000);
    const result = await hung;
    expect(performance.now() - startedClose).toBeLessThan(2000);
    expect(result).not.toBe('answered');
    expect(result).not.toMatch(/TimeoutError/);
  });
});

describe('reset', () => {
  test('the client gets a connection error, not an answer; the server keeps serving', async () => {
    await inject({ scope: { channel: 'web', transaction: 'topup' }, mode: 'reset' });
    const result = await outcome(call('POST', '/channels/web/topup', { body: { amount: 1, orderId: 'reset-1' } }));
    expect(result).toMatch(/ECONNRESET|other side closed|UND_ERR_SOCKET/);
    expect((await call('GET', '/channels/web/balance')).body).toMatchObject({ code: '0000', data: { balance: 100 } });
  });
});

describe('latency', () => {
  test('adds at least latencyMs to the transactions it reaches and not to others', async () => {
    await inject({ scope: { backend: 'billing' }, mode: 'latency', latencyMs: 250 });
    let started = performance.now();
    const slow = await call('GET', '/channels/app/balance', { body: undefined });
    const slowMs = performance.now() - started;
    expect(slow.body.code).toBe('4010'); // the app channel has no session: the delay comes first, the answer after
    expect(slowMs).toBeGreaterThanOrEqual(250);
    started = performance.now();
    const delayed = await call('GET', '/channels/web/balance');
    expect(delayed.body.code).toBe('0000');
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    started = performance.now();
    expect((await call('GET', '/channels/web/points')).body.code).toBe('0000');
    expect(performance.now() - started).toBeLessThan(250);
  });

  test.each<Host>(['standalone', 'mounted'])('a long delay does not hold up closing the %s server', async (host) => {
    if (host === 'mounted') {
      await app.close();
      await start(host);
    }
    await inject({ scope: { channel: 'web' }, mode: 'latency', latencyMs: 60_000 });
    const pending = outcome(call('GET', '/channels/web/points', { signal: AbortSignal.timeout(10_000) }));
    await new Promise((r) => setTimeout(r, 150));
    expect(await closeTimed()).toBeLessThan(1000);
    expect(await pending).not.toBe('answered');
  });
});
