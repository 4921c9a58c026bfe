// When checks run. Every check is a node-cron task; an interval becomes a cron expression on
// fixed seconds of the wall clock, shifted by an offset derived from the check id, so the
// schedule is the same after every restart and on every agent, and checks do not fire in bursts.
import cron, { type ScheduledTask } from 'node-cron';
import type { Check } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import { SyntheticError } from './errors.js';
import type { ProbeResult } from './result.js';
import type { CheckRunner } from './runner.js';

/** FNV-1a: small, stable across versions and platforms, spreads similar ids well. */
export function stableHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Seconds after each period boundary at which the check runs; deterministic per id. */
export function checkOffsetSeconds(checkId: string, periodSeconds: number): number {
  return stableHash(checkId) % periodSeconds;
}

const range = (start: number, step: number, limit: number) => {
  const out: number[] = [];
  for (let v = start; v < limit; v += step) out.push(v);
  return out.join(',');
};

/** The six-field cron expression a check runs on (interval checks get their offset built in). */
export function cronExpressionFor(check: Check): string {
  if (check.schedule.kind === 'cron') return check.schedule.expression;
  const s = check.schedule.intervalMs / 1000;
  const offset = checkOffsetSeconds(check.id, s);
  if (s <= 60) return `${range(offset, s, 60)} * * * * *`;
  if (s <= 3600) return `${offset % 60} ${range(Math.floor(offset / 60), s / 60, 60)} * * * *`;
  return `${offset % 60} ${Math.floor(offset / 60) % 60} ${range(Math.floor(offset / 3600), s / 3600, 24)} * * *`;
}

export interface SchedulerDeps {
  checks: readonly Check[];
  runner: CheckRunner;
  /** Receives every result, scheduled or manual, exactly once. */
  onResult: (result: ProbeResult) => void;
  concurrency: number;
  log: Logger;
  now?: () => number;
  /** Asked at each scheduled firing (the circuit breaker): false skips it, with no result. */
  admit?: (checkId: string) => boolean;
}

export interface CheckRunState {
  running: boolean;
  /** Firings skipped because the previous run of the same check was still going. */
  overlapsSkipped: number;
  nextRunAt: number | null;
}

/** A counting semaphore with a FIFO queue: the global bound on checks running at once. */
class Slots {
  private used = 0;
  private readonly queue: Array<() => void> = [];
  constructor(private readonly size: number) {}
  get waiting(): number {
    return this.queue.length;
  }
  get inUse(): number {
    return this.used;
  }
  acquire(): Promise<void> {
    if (this.used < this.size) {
      this.used++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.queue.push(resolve));
  }
  release(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.used--;
  }
}

export class Scheduler {
  private readonly tasks = new Map<string, ScheduledTask>();
  private readonly checks: Map<string, Check>;
  private readonly state = new Map<string, { running: boolean; overlapsSkipped: number }>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly slots: Slots;
  private readonly log: Logger;
  private stopping = false;
  private started = false;

  constructor(private readonly deps: SchedulerDeps) {
    this.checks = new Map(deps.checks.map((c) => [c.id, c]));
    for (const c of deps.checks) this.state.set(c.id, { running: false, overlapsSkipped: 0 });
    this.slots = new Slots(deps.concurrency);
    this.log = deps.log.child({ component: 'scheduler' });
  }

  get isRunning(): boolean {
    return this.started && !this.stopping;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    const taskLogger = {
      info: (m: string) => this.log.debug({ source: 'node-cron' }, m),
      warn: (m: string) => this.log.warn({ source: 'node-cron' }, m),
      error: (m: string | Error) => this.log.error({ source: 'node-cron', err: m }, 'node-cron error'),
      debug: () => undefined,
    };
    for (const check of this.deps.checks) {
      const expression = cronExpressionFor(check);
      const task = cron.schedule(expression, (ctx) => this.fire(check, ctx.date.getTime()), {
        name: check.id,
        logger: taskLogger,
        // A late firing still runs (and its lag shows); only runs older than one period are dropped.
        missedExecutionTolerance: Math.max(1000, check.periodMs - 1000),
      });
      this.tasks.set(check.id, task);
    }
    this.log.info({ checks: this.tasks.size, concurrency: this.deps.concurrency }, 'scheduler started');
  }

  /** Stops firing, then waits for runs in flight; each is bounded by its check's timeout. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.tasks.values()].map((t) => t.destroy()));
    this.tasks.clear();
    await Promise.allSettled([...this.inFlight]);
    this.log.info('scheduler stopped');
  }

  /** Runs a check now (the API's "run now"), subject to the same no-overlap rule. */
  async runNow(checkId: string): Promise<ProbeResult> {
    const check = this.checks.get(checkId);
    if (!check) throw new SyntheticError('CH_CHECK_NOT_FOUND', `no check "${checkId}"`);
    if (this.stopping) throw new SyntheticError('CH_SCHEDULER_STOPPED', 'the scheduler is stopping');
    if (this.state.get(checkId)?.running) throw new SyntheticError('CH_CHECK_BUSY', `check "${checkId}" is already running`);
    return this.execute(check, 'manual', null);
  }

  runState(checkId: string): CheckRunState | undefined {
    const s = this.state.get(checkId);
    if (!s) return undefined;
    const next = this.tasks.get(checkId)?.getNextRun();
    return { running: s.running, overlapsSkipped: s.overlapsSkipped, nextRunAt: next ? next.getTime() : null };
  }

  load(): { inFlight: number; queued: number; concurrency: number } {
    return { inFlight: this.slots.inUse, queued: this.slots.waiting, concurrency: this.deps.concurrency };
  }

  private fire(check: Check, scheduledAt: number): void {
    if (this.stopping) return;
    const s = this.state.get(check.id);
    if (s?.running) {
      s.overlapsSkipped++;
      this.log.warn({ check: check.id }, 'previous run still going; this firing is skipped');
      return;
    }
    if (this.deps.admit && !this.deps.admit(check.id)) {
      this.log.debug({ check: check.id }, 'circuit breaker open; this firing is skipped');
      return;
    }
    void this.execute(check, 'schedule', scheduledAt).catch((err: unknown) => this.log.error({ err, check: check.id }, 'scheduled run failed unexpectedly'));
  }

  private async execute(check: Check, trigger: 'schedule' | 'manual', scheduledAt: number | null): Promise<ProbeResult> {
    const s = this.state.get(check.id) as { running: boolean; overlapsSkipped: number };
    s.running = true;
    const work = (async () => {
      await this.slots.acquire();
      try {
        const result = await this.deps.runner.run(check, { trigger, scheduledAt });
        this.deps.onResult(result);
        return result;
      } finally {
        this.slots.release();
        s.running = false;
      }
    })();
    this.inFlight.add(work);
    try {
      return await work;
    } finally {
      this.inFlight.delete(work);
    }
  }
}
