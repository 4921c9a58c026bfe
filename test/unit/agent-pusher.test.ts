// The pusher against a real collector app (requests routed through app.inject, no sockets):
// batches, lost acknowledgements, a collector that is down, refused items, batches too large.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backoffDelay, Pusher, type PusherDeps } from '../../agent/pusher.js';
import { Spool } from '../../agent/spool.js';
import { buildCollector, type CollectorParts } from '../../cli/collector.js';
import { openDurableLedger, type IngestLedger } from '../../collector/ingest-ledger.js';
import { createAgentMetrics, durationBuckets, type AgentMetrics } from '../../collector/metrics.js';
import { createLogger } from '../../logging/logger.js';
import type { ProbeResult } from '../../synthetic/result.js';
import { ingestConfig, probeResult, sumOf, TOKEN, valueOf } from '../support/ingest-fixtures.js';

const COLLECTOR = 'http://collector.test:9470';
const config = ingestConfig();
const logLines: string[] = [];
const log = createLogger({ level: 'debug', destination: new Writable({ write: (c, _e, cb) => (logLines.push(String(c)), cb()) }) });

let dir: string;
let ledger: IngestLedger;
let collector: CollectorParts;
let spool: Spool;
let registry: Registry;
let metrics: AgentMetrics;
const pushers: Pusher[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ch-pusher-'));
  ledger = openDurableLedger(path.join(dir, 'collector'), { buckets: durationBuckets(config), dedupeWindowMs: config.ingest.dedupeWindowMs });
  collector = await buildCollector({ config, ledger, token: TOKEN, log });
  spool = Spool.open({ dir: path.join(dir, 'agent'), collectors: [COLLECTOR] });
  registry = new Registry();
  metrics = createAgentMetrics(registry, { version: 't', collectors: [COLLECTOR], producedBefore: 0, oldestPendingAgeSeconds: (c) => spool.oldestPendingAgeSeconds(c) });
  logLines.length = 0;
});
afterEach(async () => {
  await Promise.all(pushers.splice(0).map((p) => p.stop()));
  await collector.app.close();
  ledger.close();
  spool.close();
  await rm(dir, { recursive: true, force: true });
});

type Hop = (url: string, init: RequestInit, forward: () => Promise<Response>) => Promise<Response>;
const calls: Array<{ at: number; size: number; status: number | 'error' }> = [];

/** fetch that hands the request to the collector app; `hop` may drop, delay or break it. */
function fetchVia(hop: Hop = (_u, _i, forward) => forward()): typeof fetch {
  calls.length = 0;
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    const size = (JSON.parse(String(init?.body)) as { results: unknown[] }).results.length;
    const forward = async () => {
      const res = await collector.app.inject({ method: 'POST', url: new URL(url).pathname, headers: init?.headers as Record<string, string>, payload: String(init?.body) });
      return new Response(res.body, { status: res.statusCode, headers: { 'content-type': 'application/json' } });
    };
    try {
      const res = await hop(url, init ?? {}, forward);
      calls.push({ at: Date.now(), size, status: res.status });
      return res;
    } catch (err) {
      calls.push({ at: Date.now(), size, status: 'error' });
      throw err;
    }
  }) as typeof fetch;
}

function startPusher(over: Partial<PusherDeps> = {}): Pusher {
  const p = new Pusher({ spool, collector: COLLECTOR, token: TOKEN, batchSize: 3, maxBackoffMs: 40, metrics, log, initialBackoffMs: 5, idlePollMs: 20, fetch: fetchVia(), ...over });
  pushers.push(p);
  p.start();
  return p;
}

const spoolAll = (results: ProbeResult[]) => results.forEach((r) => spool.add(r));
const collectorRuns = async () => sumOf(await collector.registry.metrics(), 'channel_health_probe_runs_total');
async function until(check: () => Promise<boolean> | boolean, what: string, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; calls: ${JSON.stringify(calls)}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('Pusher', () => {
  it('delivers the spool oldest first in batches and settles only what was acknowledged', async () => {
    spoolAll(Array.from({ length: 7 }, () => probeResult()));
    startPusher();
    await until(() => spool.pendingCount(COLLECTOR) === 0, 'an empty spool');
    expect(calls.map((c) => c.size)).toEqual([3, 3, 1]);
    expect(await collectorRuns()).toBe(7);
    const text = await registry.metrics();
    expect(valueOf(text, 'channel_health_agent_spool_pending', { collector: COLLECTOR })).toBe(0);
    expect(valueOf(text, 'channel_health_agent_pushes_total', { collector: COLLECTOR, outcome: 'ok' })).toBe(3);
  });

  it('pushes new results when notified, without waiting for the idle poll', async () => {
    const p = startPusher({ idlePollMs: 60_000 });
    await new Promise((r) => setTimeout(r, 20));
    spool.add(probeResult());
    p.notify();
    await until(() => spool.pendingCount(COLLECTOR) === 0, 'the pushed result', 1000);
  });

  it('resends after a lost acknowledgement and the collector counts each result once', async () => {
    let n = 0;
    // Every other answer is lost after the collector committed the batch.
    const hop: Hop = async (_u, _i, forward) => {
      const res = await forward();
      if (n++ % 2 === 0) throw new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } });
      return res;
    };
    spoolAll(Array.from({ length: 10 }, () => probeResult()));
    startPusher({ fetch: fetchVia(hop) });
    await until(() => spool.pendingCount(COLLECTOR) === 0, 'an empty spool');
    expect(await collectorRuns()).toBe(10);
    expect(valueOf(await collector.registry.metrics(), 'channel_health_ingest_items_total', { endpoint: 'results', outcome: 'duplicate' })).toBeGreaterThan(0);
  });

  it('keeps results while the collector is down and retries with growing, jittered waits', async () => {
    let down = 5;
    const hop: Hop = async (_u, _i, forward) => {
      if (down-- > 0) throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
      return forward();
    };
    spoolAll([probeResult(), probeResult()]);
    startPusher({ fetch: fetchVia(hop), random: () => 0.999, initialBackoffMs: 8, maxBackoffMs: 64 });
    await until(() => spool.pendingCount(COLLECTOR) === 0, 'delivery after the outage');
    expect(calls.map((c) => c.status)).toEqual(['error', 'error', 'error', 'error', 'error', 200]);
    const gaps = calls.slice(1).map((c, i) => c.at - (calls[i] as { at: number }).at);
    // With jitter at its top, the waits are ~8, 16, 32, 64, 64 ms (capped): each at least the previous.
    for (const [i, min] of [8, 16, 32, 63, 63].entries()) expect(gaps[i], `gap ${i}: ${gaps.join(',')}`).toBeGreaterThanOrEqual(min - 2);
    expect(await collectorRuns()).toBe(2);
    expect(valueOf(await registry.metrics(), 'channel_health_agent_pushes_total', { collector: COLLECTOR, outcome: 'failed' })).toBe(5);
  });

  it('drops only the items a collector refuses for good (422) and delivers the rest', async () => {
    const good = [probeResult(), probeResult()];
    const alien = probeResult({ location: 'mars' });
    spoolAll([good[0] as ProbeResult, alien, good[1] as ProbeResult]);
    startPusher();
    await until(() => spool.pendingCount(COLLECTOR) === 0, 'an empty spool');
    expect(calls.map((c) => c.status)).toEqual([422, 200]);
    expect(await collectorRuns()).toBe(2);
    expect(valueOf(await registry.metrics(), 'channel_health_agent_results_refused_total', { collector: COLLECTOR })).toBe(1);
    expect(logLines.some((l) => l.includes('collector refused results for good') && l.includes('mars'))).toBe(true);
  });

  it('halves the batch while the collector says it is too large (413)', async () => {
    // ~1.1 kB each: 100 of them are more than the test collector's 64 kB body limit.
    spoolAll(Array.from({ length: 100 }, () => probeResult({ ok: false, reason: 'assertion', detail: 'd'.repeat(1000) })));
    startPusher({ batchSize: 100 });
    await until(() => spool.pendingCount(COLLECTOR) === 0, 'an empty spool');
    const firstOk = calls.findIndex((c) => c.status === 200);
    expect(firstOk, JSON.stringify(calls)).toBeGreaterThan(0);
    calls.slice(0, firstOk + 1).forEach((c, i) => expect(c.size, JSON.stringify(calls)).toBe(100 / 2 ** i));
    expect(calls.slice(0, firstOk).every((c) => c.status === 413)).toBe(true);
    expect(await collectorRuns()).toBe(100);
  });

  it('keeps everything when the token is refused (401), logs why, and stops promptly', async () => {
    spoolAll([probeResult()]);
    const p = startPusher({ token: 'wrong-token' });
    await until(() => calls.length >= 3, 'a few attempts');
    expect(calls.every((c) => c.status === 401)).toBe(true);
    expect(spool.pendingCount(COLLECTOR)).toBe(1);
    expect(logLines.some((l) => l.includes('collector refused the token'))).toBe(true);
    expect(logLines.some((l) => l.includes('wrong-token'))).toBe(false);
    const started = Date.now();
    await p.stop();
    expect(Date.now() - started).toBeLessThan(200);
  });
});

describe('backoffDelay', () => {
  it('doubles per attempt up to the cap, with half of each step random', () => {
    expect(backoffDelay(0, 250, 30_000, () => 0)).toBe(125);
    expect(backoffDelay(0, 250, 30_000, () => 1)).toBe(250);
    expect(backoffDelay(3, 250, 30_000, () => 0.5)).toBe(1500);
    expect(backoffDelay(20, 250, 30_000, () => 1)).toBe(30_000);
    expect(backoffDelay(1000, 250, 30_000, () => 0)).toBe(15_000);
  });
});
