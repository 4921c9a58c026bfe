// The weekly report made by `run` and `collector` themselves: at each firing of `report.schedule`
// (on the business clock) the last complete week is collected and written into `report.folder`;
// a failed try is logged and retried with a doubling backoff; old reports beyond `report.retain`
// are deleted. Clock, fetch, logger and metrics come in as parameters.
import { parsePlainCron, type Config, type PlainCronFields } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import { collectReport } from './collect.js';
import { ReportError } from './errors.js';
import { listReports, pruneReports, removeStaleTemps } from './folder.js';
import type { ReportPeriod } from './period.js';
import { prometheusClient, type FetchLike } from './prometheus.js';
import { lastCompleteWeek, nextFiring, previousFiring } from './schedule-clock.js';
import { REPORT_FORMATS, writeReport } from './write.js';

/** What the scheduler tells /metrics (collector/metrics.ts createReportMetrics makes one). */
export interface ReportMetrics {
  countAttempt(): void;
  countFailure(): void;
  setLastSuccess(unixSeconds: number): void;
  setDue(unixSeconds: number): void;
}

export interface ReportSchedulerDeps {
  config: Config;
  /** report.prometheus of the config; the scheduler is only made when there is one. */
  prometheus: string;
  log: Logger;
  metrics: ReportMetrics;
  now?: () => number;
  fetch?: FetchLike;
  /** The period a firing at `nowMs` reports; the last complete ISO week by default. */
  periodFor?: (nowMs: number) => ReportPeriod;
  /** Overrides report.schedule (tests: a firing a few seconds away). */
  schedule?: PlainCronFields;
}

export type ReportOutcome = { ok: true; files: string[]; attempts: number } | { ok: false; attempts: number; code: string; message: string };

/** Longest single timer: setTimeout overflows past 2^31 − 1 ms, so long waits are re-armed. */
const MAX_TIMER_MS = 2_000_000_000;

export class ReportScheduler {
  private readonly fields: PlainCronFields;
  private readonly now: () => number;
  private readonly log: Logger;
  private timer: NodeJS.Timeout | null = null;
  private wake: (() => void) | null = null;
  private running: Promise<ReportOutcome> | null = null;
  private stopping = false;

  constructor(private readonly deps: ReportSchedulerDeps) {
    this.now = deps.now ?? Date.now;
    this.log = deps.log.child({ component: 'report-scheduler' });
    const fields = deps.schedule ?? parsePlainCron(deps.config.report.schedule);
    // The config loader has already refused a bad schedule; this only guards direct callers.
    if ('problem' in fields) throw new ReportError('CH_REPORT_BAD_OPTION', `report.schedule: ${fields.problem}`);
    this.fields = fields;
  }

  private get offset(): number {
    return this.deps.config.service.utcOffsetMinutes;
  }

  /** Reads the folder's newest report for the metric, then arms the first firing. */
  async start(): Promise<void> {
    const { folder } = this.deps.config.report;
    const stale = await removeStaleTemps(folder);
    if (stale > 0) this.log.warn({ folder, files: stale }, 'removed temporary report files a crash left behind');
    const reports = await listReports(folder);
    const newest = Math.max(0, ...reports.map((r) => r.modifiedMs));
    this.deps.metrics.setLastSuccess(newest / 1000);
    // A folder that already holds reports has a report due since the last firing; a new install
    // owes none until its first firing (no alert the week it is deployed).
    const previous = reports.length > 0 ? previousFiring(this.fields, this.now(), this.offset) : null;
    this.deps.metrics.setDue((previous ?? 0) / 1000);
    this.arm();
    const next = nextFiring(this.fields, this.now(), this.offset);
    this.log.info({ folder, schedule: this.deps.config.report.schedule, next: next === null ? null : new Date(next).toISOString(), prometheus: this.deps.prometheus }, 'report scheduler started');
  }

  /** No new firing; a report being made stops at its next retry wait (a query in flight is bounded by its timeout). */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.wake?.();
    await this.running;
  }

  private arm(): void {
    if (this.stopping) return;
    const next = nextFiring(this.fields, this.now(), this.offset);
    if (next === null) return;
    const wait = Math.max(0, next - this.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      if (wait > MAX_TIMER_MS || this.now() < next) return this.arm();
      this.deps.metrics.setDue(next / 1000);
      if (this.running) {
        this.log.warn({ due: new Date(next).toISOString() }, 'report still being made from the last firing; this firing is skipped');
      } else {
        void this.makeNow(next);
      }
      this.arm();
    }, Math.min(wait, MAX_TIMER_MS));
    this.timer.unref();
  }

  /** Makes the report of the period due at `atMs` (the last complete week), retrying failures. */
  makeNow(atMs = this.now()): Promise<ReportOutcome> {
    if (this.running) return this.running;
    const run = this.attempts(atMs).finally(() => {
      this.running = null;
    });
    this.running = run;
    return run;
  }

  private async attempts(atMs: number): Promise<ReportOutcome> {
    const { config, metrics } = this.deps;
    const settings = config.report;
    const period = (this.deps.periodFor ?? ((ms) => lastCompleteWeek(ms, this.offset)))(atMs);
    let last: { code: string; message: string } = { code: 'stopped', message: 'stopped before the first try' };
    let tried = 0;
    for (let attempt = 1; attempt <= settings.attempts && !this.stopping; attempt++) {
      tried = attempt;
      metrics.countAttempt();
      try {
        const client = prometheusClient(this.deps.prometheus, { fetch: this.deps.fetch ?? globalThis.fetch, timeoutMs: settings.timeoutMs });
        const report = await collectReport({ client, period, config, now: this.now, progress: (m) => this.log.debug({ period: period.label }, m) });
        const files = await writeReport(report, period.slug, REPORT_FORMATS, settings.folder);
        metrics.setLastSuccess(this.now() / 1000);
        const pruned = await pruneReports(settings.folder, settings.retain);
        this.log.info({ period: period.label, files, attempt, pruned }, 'weekly report made');
        return { ok: true, files, attempts: attempt };
      } catch (err) {
        metrics.countFailure();
        last = err instanceof ReportError ? { code: err.code, message: err.message } : { code: 'internal', message: (err as Error).message };
        const retryInMs = attempt < settings.attempts ? settings.retryBackoffMs * 2 ** (attempt - 1) : null;
        this.log.warn({ period: period.label, attempt, of: settings.attempts, code: last.code, err: last.message, retryInMs }, 'weekly report failed');
        if (retryInMs !== null) await this.pause(retryInMs);
      }
    }
    this.log.error({ period: period.label, code: last.code, err: last.message }, 'weekly report not made; the next firing tries again');
    return { ok: false, attempts: tried, ...last };
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = null;
        resolve();
      };
    });
  }
}
