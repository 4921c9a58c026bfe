// The status page's JSON, stream and receiver, driven with app.inject() and a fake Alertmanager:
// each state a cell can take, the last failure kept after a success, the business code of the
// failed step, alerts read (and their failure said), notifications validated and shown.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ResultStore } from '../../collector/result-store.js';
import { parseConfig, type Config } from '../../config/index.js';
import { alertmanagerReader } from '../../status/alertmanager-alerts.js';
import { NotificationLog } from '../../status/notification-log.js';
import { statusPlugin, type StatusPluginOptions } from '../../status/plugin.js';
import type { Status } from '../../status/snapshot.js';
import type { ProbeResult } from '../../synthetic/result.js';
import { REPO_ROOT } from '../support/processes.js';

const shipped = parseConfig(readFileSync(path.join(REPO_ROOT, 'channel-health.yaml'), 'utf8'), 'channel-health.yaml');
const NOW = 1_700_000_100_000;

let n = 0;
const result = (checkId: string, over: Partial<ProbeResult> = {}): ProbeResult => {
  const [channel, transaction] = checkId.split('.') as [string, string];
  return {
    version: 1,
    id: `result-${++n}`,
    checkId,
    channel,
    transaction,
    tier: shipped.transactions.find((t) => t.id === transaction)?.tier ?? 'core',
    location: 'local',
    trigger: 'schedule',
    scheduledAt: null,
    startedAt: 1_700_000_000_000 + n * 1000,
    durationMs: 120,
    ok: true,
    reason: null,
    failedStep: null,
    detail: null,
    cleanupFailed: false,
    steps: [{ name: 'login', ok: true, skipped: false, always: false, durationMs: 40, connectMs: 1, ttfbMs: 30, status: 200, businessCode: '0000', reason: null, detail: null }],
    ...over,
  };
};
const billingFailure = (checkId: string) =>
  result(checkId, {
    ok: false,
    reason: 'business_error',
    failedStep: 'balance',
    detail: 'business code 5101: billing system (BOSS) unavailable',
    steps: [
      { name: 'login', ok: true, skipped: false, always: false, durationMs: 40, connectMs: 1, ttfbMs: 30, status: 200, businessCode: '0000', reason: null, detail: null },
      { name: 'balance', ok: false, skipped: false, always: false, durationMs: 40, connectMs: 0, ttfbMs: 30, status: 200, businessCode: '5101', reason: 'business_error', detail: 'BOSS' },
    ],
  });

async function app(options: Partial<StatusPluginOptions> & { config?: Config } = {}) {
  const store = new ResultStore(100);
  const a = Fastify();
  await a.register(statusPlugin, { config: options.config ?? shipped, store, now: () => NOW, ...options });
  await a.ready();
  return { app: a, store, status: async () => (await a.inject({ method: 'GET', url: '/api/v1/status' })).json<Status>() };
}

describe('status JSON', () => {
  it('gives each pair its state: no data, met, failing, hard down at the tier count, breaker open', async () => {
    const { store, status } = await app({ openBreakers: () => new Set(['kiosk.topup']) });
    store.record(result('web.balance_query'));
    store.record(result('app.balance_query'));
    store.record(billingFailure('app.balance_query'));
    for (let i = 0; i < 3; i++) store.record(billingFailure('sms.balance_query')); // core: 3 in a row
    for (let i = 0; i < 4; i++) store.record(billingFailure('sms.data_addon')); // noncore: 5 in a row shipped
    store.record(billingFailure('kiosk.topup'));
    const s = await status();
    const state = (id: string) => s.cells.find((c) => c.checkId === id)?.state;
    expect(s.cells).toHaveLength(32);
    expect(state('web.balance_query')).toBe('met');
    expect(state('app.balance_query')).toBe('failing');
    expect(state('sms.balance_query')).toBe('hard_down');
    expect(state('sms.data_addon')).toBe('failing');
    expect(state('kiosk.topup')).toBe('breaker_open');
    expect(state('ivr.topup')).toBe('no_data');
    // The shipped windows (the nightly billing batch, the Tuesday kiosk push) are off at NOW.
    expect(s.maintenance.map((w) => [w.id, w.on])).toEqual([
      ['billing_batch', false],
      ['kiosk_push', false],
    ]);
    expect(s.objectives.map((o) => [o.tier, o.objective, o.hardDownAfter])).toEqual([
      ['core', 0.9998, 3],
      ['noncore', 0.94, 5],
    ]);
  });

  it('keeps the last failure, with its step and business code, after a later success', async () => {
    const { store, status } = await app();
    store.record(billingFailure('web.balance_query'));
    store.record(result('web.balance_query'));
    const cell = (await status()).cells.find((c) => c.checkId === 'web.balance_query');
    expect(cell?.state).toBe('met');
    expect(cell?.lastFailure).toMatchObject({ reason: 'business_error', step: 'balance', businessCode: '5101' });
    expect(cell?.lastResult).toMatchObject({ ok: true, businessCode: null });
    expect(cell?.lastSuccessAt).not.toBeNull();
    const s = await status();
    expect(s.recentFailures).toHaveLength(1);
    expect(s.recentFailures[0]).toMatchObject({ checkId: 'web.balance_query', businessCode: '5101' });
  });

  it('reads an open breaker from the pushed result in collector mode', async () => {
    const { store, status } = await app();
    store.record({ ...billingFailure('web.topup'), breaker: { state: 'closed', skipped: 0, after: 'open' } });
    expect((await status()).cells.find((c) => c.checkId === 'web.topup')?.state).toBe('breaker_open');
  });

  it('shows maintenance over any failure for the pairs a window on now covers: its channels, and the transactions using its backends', async () => {
    const raw = parse(readFileSync(path.join(REPO_ROOT, 'channel-health.yaml'), 'utf8')) as Record<string, unknown>;
    raw.maintenance = {
      'ivr-upgrade': { description: 'IVR upgrade', channels: ['ivr'], from: '2023-11-14T00:00Z', to: '2023-11-15T00:00Z' },
      'payment-later': { description: 'later', backends: ['payment'], from: '2030-01-01T00:00Z', to: '2030-01-02T00:00Z' },
      'crm-now': { description: 'CRM patch', backends: ['crm'], from: '2023-11-14T00:00Z', to: '2023-11-15T00:00Z' },
    };
    const config = parseConfig(stringify(raw, { aliasDuplicateObjects: false }), 'maintenance.yaml');
    const { store, status } = await app({ config });
    store.record(billingFailure('ivr.balance_query'));
    store.record(billingFailure('web.balance_query'));
    const s = await status();
    const crmTransactions = config.transactions.filter((t) => t.backends.includes('crm')).map((t) => t.id);
    const expected = config.checks.filter((c) => c.channel === 'ivr' || crmTransactions.includes(c.transaction)).map((c) => c.id);
    expect(s.cells.filter((c) => c.state === 'maintenance').map((c) => c.checkId).sort()).toEqual(expected.sort());
    expect(s.cells.find((c) => c.checkId === 'web.balance_query')?.state).toBe('failing');
    expect(s.maintenance).toEqual([
      { id: 'ivr-upgrade', description: 'IVR upgrade', on: true },
      { id: 'payment-later', description: 'later', on: false },
      { id: 'crm-now', description: 'CRM patch', on: true },
    ]);
  });
});

describe('status stream', () => {
  it('sends the document at once and again after a result arrives', async () => {
    const { app: a, store } = await app();
    await a.listen({ host: '127.0.0.1', port: 0 });
    const address = a.server.address() as { port: number };
    const controller = new AbortController();
    const res = await fetch(`http://127.0.0.1:${address.port}/api/v1/status/stream`, { signal: controller.signal });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    const events = () => [...text.matchAll(/event: status\ndata: (.*)\n\n/g)].map((m) => JSON.parse(m[1] as string) as Status);
    const until = async (count: number) => {
      while (events().length < count) {
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        text += new TextDecoder().decode(value);
      }
    };
    await until(1);
    expect(events()[0]?.cells.find((c) => c.checkId === 'web.topup')?.state).toBe('no_data');
    store.record(billingFailure('web.topup'));
    await until(2);
    expect(events()[1]?.cells.find((c) => c.checkId === 'web.topup')?.state).toBe('failing');
    controller.abort();
    await a.close();
  });
});

describe('active alerts', () => {
  const amAlert = (name: string, severity: string) => ({ labels: { alertname: name, severity, backend: 'billing' }, annotations: { summary: `${name} summary` }, startsAt: '2026-11-25T10:00:00Z', status: { state: 'active' } });

  it('says none is configured without service.alertmanagerUrl', async () => {
    const { status } = await app();
    expect((await status()).alerts).toEqual({ source: null, error: null, fetchedAt: null, active: [] });
  });

  it('reads the active alerts, pages first, and says why when the read fails', async () => {
    let answer: () => Response = () => Response.json([amAlert('LatencyHigh', 'warning'), amAlert('BackendSpreading', 'page')]);
    const asked: string[] = [];
    const fakeFetch = (async (url: string) => {
      asked.push(url);
      return answer();
    }) as unknown as typeof fetch;
    const reader = alertmanagerReader({ url: 'http://127.0.0.1:9093', fetch: fakeFetch, now: () => NOW });
    await reader.refresh();
    expect(asked[0]).toBe('http://127.0.0.1:9093/api/v2/alerts?active=true&silenced=false&inhibited=false');
    expect(reader.view().active.map((a) => `${a.severity} ${a.name}`)).toEqual(['page BackendSpreading', 'warning LatencyHigh']);
    expect(reader.view().active[0]).toMatchObject({ summary: 'BackendSpreading summary', labels: { backend: 'billing' } });
    answer = () => new Response('nope', { status: 502 });
    await reader.refresh();
    expect(reader.view().error).toBe('cannot read http://127.0.0.1:9093: HTTP 502');
    // The last good read stays shown beside the error.
    expect(reader.view().active).toHaveLength(2);
    reader.stop();
  });
});

describe('demo webhook receiver', () => {
  const payload = {
    version: '4',
    groupKey: '{}:{alertname="X"}',
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'demo',
    groupLabels: { alertname: 'X' },
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://127.0.0.1:9093',
    alerts: [{ status: 'firing', labels: { alertname: 'X', severity: 'page' }, annotations: { summary: 'billing down' }, startsAt: '2026-11-25T10:00:00Z', endsAt: '0001-01-01T00:00:00Z', generatorURL: 'http://p', fingerprint: 'abc' }],
  };

  it('is absent unless a NotificationLog is given', async () => {
    const { app: a, status } = await app();
    expect((await a.inject({ method: 'POST', url: '/api/v1/alert-notifications', payload })).statusCode).toBe(404);
    expect((await status()).notifications).toBeNull();
  });

  it('keeps valid notifications for the page and refuses a malformed one, recording nothing', async () => {
    const log = new NotificationLog(10, () => NOW);
    const { app: a, status } = await app({ notifications: log });
    const ok = await a.inject({ method: 'POST', url: '/api/v1/alert-notifications', payload });
    expect(ok.json()).toEqual({ received: 1 });
    const bad = await a.inject({ method: 'POST', url: '/api/v1/alert-notifications', payload: { ...payload, status: 'maybe' } });
    expect(bad.statusCode).toBe(400);
    const s = await status();
    expect(s.notifications).toEqual([{ at: new Date(NOW).toISOString(), receiver: 'demo', status: 'firing', alerts: [{ name: 'X', severity: 'page', status: 'firing', summary: 'billing down' }] }]);
  });
});

describe('status page', () => {
  it('is one HTML document that loads nothing from elsewhere', async () => {
    const { app: a } = await app();
    const res = await a.inject({ method: 'GET', url: '/' });
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.body).not.toMatch(/\b(src|href)=["']?(https?:)?\/\//);
    expect(res.body).toContain('api/v1/status/stream');
  });
});
