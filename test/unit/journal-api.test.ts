// GET /api/v1/journal and POST /api/v1/journal/:runId/resolve through the collector app
// (app.inject), and the journal and breaker gauges as Prometheus reads them.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildCollectorApp } from '../../collector/app.js';
import { createMetrics } from '../../collector/metrics.js';
import { ResultStore } from '../../collector/result-store.js';
import { parseConfig } from '../../config/index.js';
import { ProbeJournal } from '../../journal/store.js';
import { createLogger } from '../../logging/logger.js';
import { CircuitBreakers } from '../../synthetic/breaker.js';
import type { IntendedRun } from '../../synthetic/runner.js';
import { REPO_ROOT } from '../support/processes.js';

const config = parseConfig(readFileSync(path.join(REPO_ROOT, 'channel-health.yaml'), 'utf8'), 'channel-health.yaml');
let journal: ProbeJournal;

const run = (runId: string, msisdn = '13900000004'): IntendedRun => ({
  runId,
  checkId: 'web.topup',
  channel: 'web',
  transaction: 'topup',
  location: 'local',
  pool: 'sandbox',
  msisdn,
  step: 'topup',
  fingerprint: 'f',
  run: { id: runId, epochMs: '1', month: '2026-11', prevMonth: '2026-10', checkId: 'web.topup', location: 'local' },
  vars: {},
});

function app(adminToken: string | null = null) {
  const registry = new Registry();
  const metrics = createMetrics(registry, config, { version: '0.0.0' });
  return {
    registry,
    metrics,
    app: buildCollectorApp({ config, metrics, store: new ResultStore(5), log: createLogger({ level: 'silent' }), adminToken, notReadyReasons: () => [], journal }),
  };
}

beforeEach(() => {
  journal = ProbeJournal.open(null);
});
afterEach(() => journal.close());

describe('GET /api/v1/journal', () => {
  it('lists unfinished and flagged entries oldest first, numbers masked, no credential', async () => {
    journal.intend(run('apirun00001'));
    journal.release('apirun00001');
    journal.intend(run('apirun00002', '13900000007'));
    journal.done('apirun00002', { orderId: 'apirun00002' });
    journal.flag('apirun00002', 'compensate by hand');
    journal.intend(run('apirun00003', '13900000005'));
    journal.refused('apirun00003', 'business code 5101');
    const { app: a } = app();
    const res = await a.inject({ method: 'GET', url: '/api/v1/journal' });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { pending: unknown; entries: Array<Record<string, unknown>> };
    expect(body.pending).toEqual({ intended: 1, done: 0, flagged: 1 });
    expect(body.entries.map((e) => [e.runId, e.state, e.flagged, e.account])).toEqual([
      ['apirun00001', 'intended', false, '139****0004'],
      ['apirun00002', 'done', true, '139****0007'],
    ]);
    expect(body.entries[1]).toMatchObject({ check: 'web.topup', step: 'topup', detail: 'compensate by hand', vars: { orderId: 'apirun00002' }, retryable: false });
    expect(res.body).not.toContain('13900000004');
    const all = (await a.inject({ method: 'GET', url: '/api/v1/journal?finished=true&limit=10' })).json() as { entries: Array<{ runId: string }> };
    expect(all.entries.map((e) => e.runId).sort()).toEqual(['apirun00001', 'apirun00002', 'apirun00003']);
  });

  it('refuses a bad query with the field named', async () => {
    const { app: a } = app();
    const res = await a.inject({ method: 'GET', url: '/api/v1/journal?limit=0' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: 'CH_REQUEST_INVALID' } });
    expect((res.json() as { error: { message: string } }).error.message).toContain('limit');
    expect((await a.inject({ method: 'GET', url: '/api/v1/journal?state=x' })).statusCode).toBe(400);
  });

  it('is absent in a process without a journal', async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry, config, { version: '0.0.0' });
    const bare = buildCollectorApp({ config, metrics, store: new ResultStore(5), log: createLogger({ level: 'silent' }), adminToken: null, notReadyReasons: () => [] });
    expect((await bare.inject({ method: 'GET', url: '/api/v1/journal' })).statusCode).toBe(404);
  });
});

describe('POST /api/v1/journal/:runId/resolve', () => {
  it('records a hand compensation with the admin token, and refuses without it, for unknown runs and finished ones', async () => {
    journal.intend(run('apirun00010'));
    journal.flag('apirun00010', 'compensate by hand');
    const { app: a } = app('s3cret-token');
    const post = (runId: string, body: unknown, token?: string) =>
      a.inject({ method: 'POST', url: `/api/v1/journal/${runId}/resolve`, payload: body as object, headers: token ? { authorization: `Bearer ${token}` } : {} });
    expect((await post('apirun00010', { note: 'refunded at the counter' })).statusCode).toBe(401);
    expect(journal.get('apirun00010')?.state).toBe('intended');
    // The token comes before the id and body are validated: without it, nothing about them is told.
    for (const [runId, body] of [['x', { note: 'ok' }], ['apirun00010', { note: '' }], ['bad id!!!!', {}]] as const) {
      const refused = await post(encodeURIComponent(runId), body);
      expect(refused.statusCode, runId).toBe(401);
      expect(refused.json()).toMatchObject({ error: { code: 'CH_UNAUTHORIZED' } });
    }
    const bad = await post('apirun00010', { note: '' }, 's3cret-token');
    expect(bad.statusCode).toBe(400);
    expect((await post('apirun00010', { note: 'x', extra: 1 }, 's3cret-token')).statusCode).toBe(400);
    const ok = await post('apirun00010', { note: 'refunded at the counter' }, 's3cret-token');
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ runId: 'apirun00010', state: 'resolved', detail: 'resolved by hand: refunded at the counter' });
    const again = await post('apirun00010', { note: 'twice' }, 's3cret-token');
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ error: { code: 'CH_JOURNAL_TRANSITION' } });
    const missing = await post('nosuchrun00', { note: 'x' }, 's3cret-token');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: 'CH_JOURNAL_NOT_FOUND', message: 'no journal entry for run nosuchrun00' } });
  });
});

describe('safety gauges', () => {
  it('read the journal and the breakers at each scrape', async () => {
    const { registry, metrics } = app();
    const breakers = new CircuitBreakers({ openAfter: 1, maxBackoff: 4 }, ['web.topup', 'app.topup']);
    metrics.observeJournal(() => journal.counts());
    metrics.observeBreakers(() =>
      breakers.views().map((b) => ({ channel: b.checkId.split('.')[0] as string, transaction: 'topup', location: 'local', open: b.state !== 'closed' })),
    );
    let text = await registry.metrics();
    expect(text).toContain('channel_health_journal_pending{state="intended"} 0');
    expect(text).toContain('channel_health_journal_pending{state="flagged"} 0');
    expect(text).toContain('channel_health_probe_breaker_open{channel="web",transaction="topup",location="local"} 0');
    journal.intend(run('apirun00020'));
    journal.intend(run('apirun00021', '13900000005'));
    journal.flag('apirun00021', 'x');
    breakers.begin('web.topup');
    breakers.record('web.topup', { ok: false, reason: 'timeout' });
    text = await registry.metrics();
    expect(text).toContain('channel_health_journal_pending{state="intended"} 1');
    expect(text).toContain('channel_health_journal_pending{state="flagged"} 1');
    expect(text).toContain('channel_health_probe_breaker_open{channel="web",transaction="topup",location="local"} 1');
    expect(text).toContain('channel_health_probe_breaker_open{channel="app",transaction="topup",location="local"} 0');
  });
});
