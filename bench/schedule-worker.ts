// Child process: the real Scheduler over N interval checks for a fixed time. The runner either
// returns at once (scheduler cost alone) or probes the local target for real; in both cases the
// start lag is taken where the runner starts, the moment a real run would stamp `startedAt`.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Registry } from 'prom-client';
import { createMetrics } from '../collector/metrics.js';
import { parseDuration, type Check } from '../config/index.js';
import { createLogger } from '../logging/logger.js';
import { PROBERS } from '../synthetic/probers/index.js';
import type { ProbeResult } from '../synthetic/result.js';
import { createRunner, type CheckRunner } from '../synthetic/runner.js';
import { Scheduler } from '../synthetic/scheduler.js';
import { benchConfig } from './large-config.js';

export interface ScheduleInit {
  checks: number;
  interval: string;
  durationMs: number;
  /** `stub`: the runner returns at once; `probe`: a real single-step HTTP probe of the target. */
  runner: 'stub' | 'probe';
  targetUrl: string;
}

export interface ScheduleReport {
  type: 'done';
  startedAt: number;
  stoppedAt: number;
  /**
   * [checkId index, scheduledAt, lag ms, CPU ms this process had used by then] per firing. The
   * CPU figure (all threads: the event loop, GC helpers) tells a late firing that waited for our
   * own work from one whose process was not running at all.
   */
  firings: Array<[number, number, number, number]>;
  overlapsSkipped: number;
  failedRuns: number;
  cpuSeconds: number;
  /** Seconds the event-loop thread spent runnable but waiting for a CPU (/proc/self/schedstat). */
  runQueueWaitSeconds: number;
}

const init = JSON.parse(process.argv[2] ?? '{}') as ScheduleInit;
const preciseNow = () => performance.timeOrigin + performance.now();
/** Nanoseconds this (main) thread has waited on a run queue: the machine's share of any lag. */
const runQueueWaitNs = () => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[1]);

// A timeout must be shorter than the interval; 5 s is the probe's bound, less for short intervals.
const timeoutMs = Math.min(5000, Math.floor(parseDuration(init.interval) / 2));
const config = benchConfig({ targetUrl: init.targetUrl, checks: init.checks, flow: 'single', interval: init.interval, timeout: `${timeoutMs}ms` });
const indexOf = new Map(config.checks.map((c, i) => [c.id, i]));
const firings: Array<[number, number, number, number]> = [];
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
let failedRuns = 0;

const realRunner = createRunner({ config, probers: PROBERS, accountPools: new Map(), rateLimiters: new Map(), sandboxUrl: null, location: 'bench' });
const runner: CheckRunner = {
  async run(check: Check, options) {
    const startedAt = preciseNow();
    firings.push([indexOf.get(check.id) as number, options.scheduledAt as number, startedAt - (options.scheduledAt as number), cpuMs()]);
    if (init.runner === 'probe') return realRunner.run(check, options);
    return stubResult(check, options.scheduledAt, startedAt);
  },
};

function stubResult(check: Check, scheduledAt: number | null, startedAt: number): ProbeResult {
  return {
    version: 1, id: `stub${firings.length}`, checkId: check.id, channel: check.channel, transaction: check.transaction, tier: check.tier, location: 'bench',
    trigger: 'schedule', scheduledAt, startedAt, durationMs: 0, ok: true, reason: null, failedStep: null, detail: null, cleanupFailed: false, steps: [],
  };
}

const metrics = createMetrics(new Registry(), config, { version: 'bench' });
const scheduler = new Scheduler({
  checks: config.checks,
  runner,
  concurrency: config.service.concurrency,
  // node-cron's "missed execution" warnings are counted by the analysis instead of printed.
  log: createLogger({ level: 'error' }),
  onResult: (result) => {
    if (!result.ok) failedRuns++;
    metrics.recordResult(result);
  },
});

process.on('message', (m: { type?: string }) => {
  if (m?.type !== 'run') return;
  const cpuBefore = process.cpuUsage();
  const waitBefore = runQueueWaitNs();
  const startedAt = Date.now();
  scheduler.start();
  setTimeout(() => {
    const stoppedAt = Date.now();
    void scheduler.stop().then(() => {
      const cpu = process.cpuUsage(cpuBefore);
      let overlapsSkipped = 0;
      for (const c of config.checks) overlapsSkipped += scheduler.runState(c.id)?.overlapsSkipped ?? 0;
      const report: ScheduleReport = { type: 'done', startedAt, stoppedAt, firings, overlapsSkipped, failedRuns, cpuSeconds: (cpu.user + cpu.system) / 1e6, runQueueWaitSeconds: (runQueueWaitNs() - waitBefore) / 1e9 };
      process.send?.(report);
    });
  }, init.durationMs);
});
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'ready', checkIds: config.checks.map((c) => c.id) });
