// Every route of `run` that changes something is either an admin act (checked by the collector's
// hook against service.adminToken) or on a short list of routes open on purpose. A new mutating
// route that forgets its flag fails here instead of shipping open.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventIngestForRun } from '../../cli/collector.js';
import { buildCollectorApp } from '../../collector/app.js';
import { ingestPlugin } from '../../collector/ingest.js';
import { createMetrics } from '../../collector/metrics.js';
import { ResultStore } from '../../collector/result-store.js';
import { createResultSink } from '../../collector/result-sink.js';
import { SAFE_METHODS } from '../../config/admin-routes.js';
import { parseConfig } from '../../config/index.js';
import { ProbeJournal } from '../../journal/store.js';
import { createLogger } from '../../logging/logger.js';
import { sandboxPlugin } from '../../sandbox/app.js';
import { statusPlugin } from '../../status/plugin.js';
import { REPO_ROOT } from '../support/processes.js';

const config = parseConfig(readFileSync(path.join(REPO_ROOT, 'channel-health.yaml'), 'utf8'), 'channel-health.yaml');
let journal: ProbeJournal;
beforeEach(() => {
  journal = ProbeJournal.open(null);
});
afterEach(() => journal.close());

/** The collector app as `run` composes it, routes recorded. */
async function runApp(adminToken: string | null) {
  const registry = new Registry();
  const metrics = createMetrics(registry, config, { version: '0.0.0' });
  const store = new ResultStore(5);
  const log = createLogger({ level: 'silent' });
  const app = buildCollectorApp({ config, metrics, store, log, adminToken, notReadyReasons: () => [], journal });
  const routes: Array<{ method: string; url: string; adminOnly: boolean }> = [];
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) routes.push({ method, url: r.url, adminOnly: r.config?.adminOnly === true });
  });
  await app.register(statusPlugin, { config, store });
  await app.register(sandboxPlugin, { prefix: '/sandbox', config, accounts: [] });
  const sink = createResultSink(config, metrics, store);
  await app.register(ingestPlugin, eventIngestForRun({ config, registry, metrics, sink, log, readSecret: () => 'ingest-token' }));
  await app.ready();
  return { app, routes };
}

describe('admin routes', () => {
  it('flag every route that changes something, except the sandbox channel APIs a probe calls and ingest (its own token)', async () => {
    const { routes } = await runApp('t0ken');
    const changing = routes.filter((r) => !SAFE_METHODS.has(r.method));
    const open = changing.filter((r) => !r.adminOnly).map((r) => `${r.method} ${r.url}`);
    expect(open.filter((r) => !r.includes(' /sandbox/channels/'))).toEqual(['POST /api/v1/events']);
    expect(open.length).toBeGreaterThan(5);
    expect(changing.filter((r) => r.adminOnly).map((r) => `${r.method} ${r.url}`).sort()).toEqual([
      'DELETE /sandbox/faults',
      'DELETE /sandbox/faults/:id',
      'POST /api/v1/checks/:id/run',
      'POST /api/v1/journal/:runId/resolve',
      'POST /sandbox/faults',
    ]);
  });

  it('answer 401 with the documented shape however the path is spelled, and work with the token', async () => {
    const { app } = await runApp('t0ken');
    const body = { scope: { backend: 'billing' }, mode: 'error', rate: 1, durationSeconds: 5 };
    for (const url of ['/sandbox/faults', '/sandbox/%66aults', '/%73andbox/faults', '/Sandbox/faults', '/sandbox//faults', '/sandbox/faults/', '/sandbox/x/../faults']) {
      const res = await app.inject({ method: 'POST', url, payload: body });
      expect(res.statusCode, url).toBe(401);
      expect(res.json(), url).toEqual({ error: { code: 'CH_UNAUTHORIZED', message: 'authorization: a valid bearer token is required' } });
    }
    expect((await app.inject({ method: 'GET', url: '/sandbox/faults' })).json()).toEqual([]);
    const ok = await app.inject({ method: 'POST', url: '/sandbox/%66aults', payload: body, headers: { authorization: 'Bearer t0ken' } });
    expect(ok.statusCode).toBe(201);
    // A change to a path that names no route is still a 404 for whoever holds the token.
    expect((await app.inject({ method: 'POST', url: '/Sandbox/faults', payload: body, headers: { authorization: 'Bearer t0ken' } })).statusCode).toBe(404);
  });

  it('are open when no admin token is configured (the standalone sandbox, a local run)', async () => {
    const { app } = await runApp(null);
    const res = await app.inject({ method: 'POST', url: '/sandbox/faults', payload: { scope: { backend: 'billing' }, mode: 'error' } });
    expect(res.statusCode).toBe(201);
    expect((await app.inject({ method: 'POST', url: '/nowhere' })).statusCode).toBe(404);
  });
});
