// Child process (run with --expose-gc): what N configured checks cost in memory once the
// service is in steady state: config, metrics with every series created, runner, scheduler
// started, one result per check recorded. Heap is read after a full GC; RSS as the OS sees it.
import { Registry } from 'prom-client';
import { createMetrics } from '../collector/metrics.js';
import { ResultStore } from '../collector/result-store.js';
import { createResultSink } from '../collector/result-sink.js';
import { parseConfig, type Check } from '../config/index.js';
import { createLogger } from '../logging/logger.js';
import { TestAccountPool } from '../synthetic/accounts.js';
import { PROBERS } from '../synthetic/probers/index.js';
import type { ProbeResult } from '../synthetic/result.js';
import { createRunner } from '../synthetic/runner.js';
import { Scheduler } from '../synthetic/scheduler.js';
import { benchConfigText } from './large-config.js';

const checks = Number(process.argv[2] ?? '5000');

function settle(): { heap: number; rss: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  for (let i = 0; i < 3; i++) gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, rss: m.rss };
}

function resultOf(check: Check, i: number, now: number): ProbeResult {
  return {
    version: 1, id: `run${i}`, checkId: check.id, channel: check.channel, transaction: check.transaction, tier: check.tier, location: 'bench',
    trigger: 'schedule', scheduledAt: now, startedAt: now, durationMs: 120, ok: true, reason: null, failedStep: null, detail: null, cleanupFailed: false,
    steps: check.steps.map((s) => ({ name: s.name, ok: true, skipped: false, always: s.always, durationMs: 40, connectMs: 1, ttfbMs: 30, status: 200, businessCode: '0000', reason: null, detail: null })),
  };
}

async function main() {
  // Everything a run needs, loaded and exercised once before the baseline, so that the
  // difference is the checks and not the code.
  const text = benchConfigText({ targetUrl: 'http://127.0.0.1:9', checks, flow: 'three', timeout: '5s' });
  parseConfig(benchConfigText({ targetUrl: 'http://127.0.0.1:9', checks: 7, flow: 'three' }), 'warm.yaml');
  const before = settle();

  const stages: Record<string, number> = {};
  let last = before.heap;
  const stage = (name: string) => {
    const now = settle().heap;
    stages[name] = now - last;
    last = now;
  };
  const config = parseConfig(text, `bench-${checks}.yaml`);
  stage('config');
  const registry = new Registry();
  const metrics = createMetrics(registry, config, { version: 'bench' });
  stage('metrics (series made at start)');
  const store = new ResultStore(config.service.resultsRetained);
  const sink = createResultSink(config, metrics, store);
  const accountPools = new Map(Object.entries(config.accounts).map(([name, accounts]) => [name, new TestAccountPool(name, accounts.map((a) => ({ msisdn: a.msisdn, pin: '' })))]));
  createRunner({ config, probers: PROBERS, accountPools, rateLimiters: new Map(), sandboxUrl: null, location: config.service.location });
  const scheduler = new Scheduler({
    checks: config.checks,
    // Firings in this short process probe nothing; the tasks and their state are what is measured.
    runner: { run: async (check) => resultOf(check, 0, Date.now()) },
    concurrency: config.service.concurrency,
    log: createLogger({ level: 'error' }),
    onResult: () => undefined,
  });
  scheduler.start();
  stage('runner and scheduler');
  const now = Date.now();
  config.checks.forEach((check, i) => sink.accept(resultOf(check, i, now)));
  stage('one result per check (histograms, last results)');
  const after = settle();
  const keep = [config, registry, metrics, store, sink, scheduler];
  await scheduler.stop();
  process.send?.({ type: 'done', checks: config.checks.length, heapBytes: after.heap - before.heap, rssBytes: after.rss - before.rss, stages, kept: keep.length });
}

process.on('message', (m: { type?: string }) => {
  if (m?.type === 'run') main().catch((err: unknown) => process.send?.({ type: 'error', error: String((err as Error).stack ?? err) }));
});
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'ready' });
