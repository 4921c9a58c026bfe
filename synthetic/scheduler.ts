// When checks run. Every check has a cron expression; an interval becomes one on fixed seconds
// of the wall clock, shifted by an offset derived from the check id, so the schedule is the same
// after every restart and on every agent, and checks do not fire in bursts. Checks that share an
// expression share one node-cron task: a task per check costs a timer and a next-match
// computation each, which at thousands of checks made start-up take seconds and firings late.
// Within the second its expression names, each check starts at its own millisecond (also from
// its id): 5,000 checks every 30 s are 166 a second, and started on one millisecond they queue
// behind each other; spread over the second, each starts on time.
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

/**
 * Milliseconds into its scheduled second at which the check starts; deterministic per id. A
 * second hash, so that checks sharing an offset second do not also share the millisecond.
 */
export function checkOffsetMs(checkId: string): number {
  return stableHash(`${checkId}\u0000ms`) % 1000;
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

export interface ScheduleGroup {
  expression: string;
  missedExecutionTolerance: number;
  /** In the order they start within one tick: by millisecond offset, then config order. */
  checks: Check[];
  /** checkOffsetMs of each check, ascending, parallel to `checks`. */
  offsetsMs: number[];
}

/** Checks that fire at the same instants, with the same lateness allowed, share one timer. */
export function groupBySchedule(checks: readonly Check[]): ScheduleGroup[] {
  const groups = new Map<string, ScheduleGroup>();
  for (const check of checks) {
    const expression = cronExpressionFor(check);
    const missedExecutionTolerance = Math.max(1000, check.periodMs - 1000);
    const key = `${expression}\u0000${missedExecutionTolerance}`;
    let group = groups.get(key);
    if (!group) {
      group = { expression, missedExecutionTolerance, checks: [], offsetsMs: [] };
      groups.set(key, group);
    }
    group.checks.push(check);
  }
  for (const group of groups.values()) {
    const ordered = group.checks.map((check, i) => ({ check, i, ms: checkOffsetMs(check.id) })).sort((a, b) => a.ms - b.ms || a.i - b.i);
    group.checks = ordered.map((o) => o.check);
    group.offsetsMs = ordered.map((o) => o.ms);
  }
  return [...groups.values()];
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
  /** The task each check fires from (shared by every check with the same expression). */
  private readonly tasks = new Map<string, ScheduledTask>();
  private readonly cronTasks: ScheduledTask[] = [];
  /** Each check's group and its place in it (the API asks for every check's next run). */
  private readonly placeOf = new Map<string, { group: ScheduleGroup; index: number }>();
  /** Per group, the tick being walked through: its second, and how many of its checks have started. */
  private readonly ticks = new Map<ScheduleGroup, { at: number; started: number }>();
  private readonly tickTimers = new Set<NodeJS.Timeout>();
  private readonly now: () => number;
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
    this.now = deps.now ?? Date.now;
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
    for (const group of groupBySchedule(this.deps.checks)) {
      const task = cron.schedule(group.expression, (ctx) => this.walkTick(group, ctx.date.getTime()), {
        name: group.expression,
        logger: taskLogger,
        // A late firing still runs (and its lag shows); only runs older than one period are dropped.
        missedExecutionTolerance: group.missedExecutionTolerance,
      });
      this.cronTasks.push(task);
      group.checks.forEach((check, index) => {
        this.tasks.set(check.id, task);
        this.placeOf.set(check.id, { group, index });
      });
    }
    this.log.info({ checks: this.tasks.size, timers: this.cronTasks.length, concurrency: this.deps.concurrency }, 'scheduler started');
  }

  /** Stops firing, then waits for runs in flight; each is bounded by its check's timeout. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.cronTasks.map((t) => t.destroy()));
    this.cronTasks.length = 0;
    for (const timer of this.tickTimers) clearTimeout(timer);
    this.tickTimers.clear();
    this.ticks.clear();
    this.placeOf.clear();
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
    return { running: s.running, overlapsSkipped: s.overlapsSkipped, nextRunAt: this.nextRunAt(checkId) };
  }

  load(): { inFlight: number; queued: number; concurrency: number } {
    return { inFlight: this.slots.inUse, queued: this.slots.waiting, concurrency: this.deps.concurrency };
  }

  private nextRunAt(checkId: string): number | null {
    const place = this.placeOf.get(checkId);
    if (!place) return null;
    const { group, index } = place;
    const offset = group.offsetsMs[index] as number;
    const tick = this.ticks.get(group);
    if (tick && index >= tick.started) return tick.at + offset;
    const next = this.tasks.get(checkId)?.getNextRun();
    return next ? next.getTime() + offset : null;
  }

  /** Starts each check of the group at its millisecond of this tick's second, on one timer. */
  private walkTick(group: ScheduleGroup, tickAt: number): void {
    const tick = { at: tickAt, started: 0 };
    this.ticks.set(group, tick);
    const step = () => {
      if (this.stopping) return;
      const now = this.now();
      while (tick.started < group.checks.length && tickAt + (group.offsetsMs[tick.started] as number) <= now) {
        this.fire(group.checks[tick.started] as Check, tickAt + (group.offsetsMs[tick.started] as number));
        tick.started++;
      }
      if (tick.started === group.checks.length) {
        if (this.ticks.get(group) === tick) this.ticks.delete(group);
        return;
      }
      const timer = setTimeout(() => {
        this.tickTimers.delete(timer);
        step();
      }, tickAt + (group.offsetsMs[tick.started] as number) - now);
      this.tickTimers.add(timer);
    };
    step();
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
