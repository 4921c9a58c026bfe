// Child process: /metrics for a large config, in steady state (every check has run at every
// location, so every histogram series exists), rendered by the real collector app.
import { performance } from 'node:perf_hooks';
import { Registry } from 'prom-client';
import { buildCollectorApp } from '../collector/app.js';
import { createMetrics } from '../collector/metrics.js';
import { ResultStore } from '../collector/result-store.js';
import { createLogger } from '../logging/logger.js';
import type { ProbeResult } from '../synthetic/result.js';
import { benchConfig } from './large-config.js';

export interface ScrapeInit {
  checks: number;
  locations: number;
  renders: number;
}

const init = JSON.parse(process.argv[2] ?? '{}') as ScrapeInit;
const locations = Array.from({ length: init.locations }, (_, i) => `dc${i + 1}`);
const config = benchConfig({ targetUrl: 'http://127.0.0.1:9', checks: init.checks, flow: 'three', location: locations[0] as string });
const registry = new Registry();
const metrics = createMetrics(registry, config, { version: 'bench', locations });

const now = Date.now();
let n = 0;
for (const location of locations) {
  for (const check of config.checks) {
    const ok = n++ % 10 !== 0;
    const result: ProbeResult = {
      version: 1, id: `run${n}`, checkId: check.id, channel: check.channel, transaction: check.transaction, tier: check.tier, location,
      trigger: 'schedule', scheduledAt: now, startedAt: now, durationMs: 120, ok, reason: ok ? null : 'http_status', failedStep: ok ? null : 'act',
      detail: ok ? null : 'HTTP 500', cleanupFailed: false,
      steps: check.steps.map((s) => ({ name: s.name, ok: true, skipped: false, always: s.always, durationMs: 40, connectMs: 1, ttfbMs: 30, status: 200, businessCode: '0000', reason: null, detail: null })),
    };
    metrics.recordResult(result);
  }
}

const app = buildCollectorApp({ config, metrics, store: new ResultStore(100), log: createLogger({ level: 'error' }), adminToken: null, notReadyReasons: () => [] });

async function main() {
  await app.ready();
  const registryMs: number[] = [];
  const httpMs: number[] = [];
  let text = '';
  for (let i = 0; i < init.renders + 2; i++) {
    let t = performance.now();
    text = await registry.metrics();
    const r = performance.now() - t;
    t = performance.now();
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    const h = performance.now() - t;
    if (res.statusCode !== 200) throw new Error(`/metrics answered ${res.statusCode}`);
    // The first two renders warm the JIT; a scraper sees the steady state.
    if (i >= 2) {
      registryMs.push(r);
      httpMs.push(h);
    }
  }
  const probeSeries = text.split('\n').filter((l) => l.startsWith('channel_health_probe_')).length;
  const allSeries = text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
  process.send?.({ type: 'done', checks: config.checks.length, locations: init.locations, registryMs, httpMs, bytes: Buffer.byteLength(text), probeSeries, allSeries });
}

process.on('message', (m: { type?: string }) => {
  if (m?.type === 'run') main().catch((err: unknown) => process.send?.({ type: 'error', error: String((err as Error).stack ?? err) }));
});
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'ready' });
