// Child process: /metrics for a large config, in steady state (every check has run at every
// location, so every histogram series exists), through the real collector app listening on
// 127.0.0.1, read by a plain HTTP client that counts the bytes (as a scraper that does not parse:
// the figure is the collector's cost, not a parser's). Each scrape is
// timed in three situations: every series changed since the last scrape (one more result per
// check and location, recorded before the clock starts), a tenth of the checks changed, and
// nothing changed (the same registry scraped twice in a row). prom-client's own full render is
// timed beside them.
import { get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Registry } from 'prom-client';
import { buildCollectorApp } from '../collector/app.js';
import { createExposition } from '../collector/exposition.js';
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

/** Wall and CPU milliseconds of one timed call. */
export interface Timing {
  ms: number;
  cpuMs: number;
}

export interface ScrapeWorkerResult {
  checks: number;
  locations: number;
  bytes: number;
  probeSeries: number;
  allSeries: number;
  registry: Timing[];
  allChanged: Timing[];
  tenthChanged: Timing[];
  unchanged: Timing[];
  /** The collector's rendering alone for an unchanged registry (the rest of a scrape is the socket). */
  unchangedRender: Timing[];
  /** Longest the event loop was held (ms) during the scrapes with every series changed. */
  loopHeldMaxMs: number;
}

const init = JSON.parse(process.argv[2] ?? '{}') as ScrapeInit;
const locations = Array.from({ length: init.locations }, (_, i) => `dc${i + 1}`);
const config = benchConfig({ targetUrl: 'http://127.0.0.1:9', checks: init.checks, flow: 'three', location: locations[0] as string });
const registry = new Registry();
const metrics = createMetrics(registry, config, { version: 'bench', locations });

let n = 0;
/** One result for every check at every location (or every tenth check). */
function recordRound(every = 1): void {
  const now = Date.now();
  for (const location of locations) {
    for (const [i, check] of config.checks.entries()) {
      if (i % every !== 0) continue;
      const ok = n++ % 10 !== 0;
      const result: ProbeResult = {
        version: 1, id: `run${n}`, checkId: check.id, channel: check.channel, transaction: check.transaction, tier: check.tier, location,
        trigger: 'schedule', scheduledAt: now, startedAt: now, durationMs: 80 + (n % 90), ok, reason: ok ? null : 'http_status', failedStep: ok ? null : 'act',
        detail: ok ? null : 'HTTP 500', cleanupFailed: false,
        steps: check.steps.map((s, k) => ({ name: s.name, ok: true, skipped: false, always: s.always, durationMs: 20 + ((n + k) % 50), connectMs: 1, ttfbMs: 30, status: 200, businessCode: '0000', reason: null, detail: null })),
      };
      metrics.recordResult(result);
    }
  }
}

recordRound();
const exposition = createExposition(registry);
const app = buildCollectorApp({ config, metrics, exposition, store: new ResultStore(100), log: createLogger({ level: 'error' }), adminToken: null, notReadyReasons: () => [] });

async function timed(fn: () => Promise<unknown>): Promise<Timing> {
  const cpu = process.cpuUsage();
  const t = performance.now();
  await fn();
  const ms = performance.now() - t;
  const used = process.cpuUsage(cpu);
  return { ms, cpuMs: (used.user + used.system) / 1000 };
}

let base = '';
/** One GET /metrics; the body is kept only when asked (the last full scrape, for counting series). */
function scrape(keepBody = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(`${base}/metrics`, (res) => {
      if (res.statusCode !== 200) reject(new Error(`/metrics answered ${res.statusCode}`));
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => keepBody && chunks.push(c));
      res.on('end', () => resolve(keepBody ? Buffer.concat(chunks).toString('utf8') : ''));
      res.on('error', reject);
    });
    req.setTimeout(120_000, () => req.destroy(new Error('/metrics took over 120 s')));
    req.on('error', reject);
  });
}

async function main() {
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const out: ScrapeWorkerResult = { checks: config.checks.length, locations: init.locations, bytes: 0, probeSeries: 0, allSeries: 0, registry: [], allChanged: [], tenthChanged: [], unchanged: [], unchangedRender: [], loopHeldMaxMs: 0 };
  const loop = monitorEventLoopDelay({ resolution: 1 });
  let text = '';
  for (let i = 0; i < init.renders + 2; i++) {
    // The first two rounds warm the JIT; a scraper sees the steady state.
    const keep = i >= 2;
    const reg = await timed(() => registry.metrics());
    recordRound();
    loop.reset();
    loop.enable();
    const all = await timed(async () => (text = await scrape(i === init.renders + 1)));
    loop.disable();
    recordRound(10);
    const tenth = await timed(() => scrape());
    const same = await timed(() => scrape());
    const sameRender = await timed(() => exposition.render());
    if (keep) {
      out.registry.push(reg);
      out.allChanged.push(all);
      out.tenthChanged.push(tenth);
      out.unchanged.push(same);
      out.unchangedRender.push(sameRender);
      out.loopHeldMaxMs = Math.max(out.loopHeldMaxMs, loop.max / 1e6);
    }
  }
  out.probeSeries = text.split('\n').filter((l) => l.startsWith('channel_health_probe_')).length;
  out.allSeries = text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
  out.bytes = Buffer.byteLength(text);
  await app.close();
  process.send?.({ type: 'done', ...out });
}

process.on('message', (m: { type?: string }) => {
  if (m?.type === 'run') main().catch((err: unknown) => process.send?.({ type: 'error', error: String((err as Error).stack ?? err) }));
});
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'ready' });
