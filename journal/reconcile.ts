// Reconciliation: every unfinished journal entry is finished by the runner's `recover` (log in
// again, learn the outcome if needed, compensate), at start before probing begins and then every
// `reconcileInterval`. Entries of one account go one after another (the account is leased
// anyway); different accounts go side by side. What cannot be finished automatically is
// flagged for a human: the gauge and GET /api/v1/journal show it.
import type { Check } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import type { RunRecovery } from '../synthetic/runner.js';
import { FINISHED_RETENTION_MS, type ProbeJournal } from './store.js';

export interface ReconcilerDeps {
  journal: ProbeJournal;
  checks: readonly Check[];
  recovery: RunRecovery;
  /** Failed attempts after which an entry is flagged (it is still retried). */
  maxAttempts: number;
  log: Logger;
  now?: () => number;
  /** First early retry after a run is left unfinished (RETRY_SOON_MS by default). */
  retrySoonMs?: number;
}

export interface PassSummary {
  compensated: number;
  retried: number;
  flagged: number;
}

/** How long `run` waits for the start-up pass before probing begins anyway (the pass goes on). */
export const STARTUP_WAIT_MS = 30_000;

/**
 * First early retry after a run ends with its entry unfinished (a failed refund or revert, an
 * unclear outcome). Each early pass that still leaves entries doubles the wait, up to
 * RETRY_SOON_MAX_MS; the account is held meanwhile, so waiting a whole interval would keep it
 * from every money-moving check for up to a minute after a back end comes back. Early attempts
 * do not count towards maxAttempts: flagging keeps its pace.
 */
export const RETRY_SOON_MS = 5_000;
/** Early retries go on, this far apart at most, while an unflagged entry is left (a back end still down). */
export const RETRY_SOON_MAX_MS = 15_000;

export class JournalReconciler {
  private readonly checks: Map<string, Check>;
  private readonly log: Logger;
  private readonly now: () => number;
  private current: Promise<PassSummary> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private soonTimer: NodeJS.Timeout | null = null;
  private soonDelayMs: number;
  private intervalMs = Number.POSITIVE_INFINITY;
  private stopped = false;

  constructor(private readonly deps: ReconcilerDeps) {
    this.checks = new Map(deps.checks.map((c) => [c.id, c]));
    this.log = deps.log.child({ component: 'journal' });
    this.now = deps.now ?? Date.now;
    this.soonDelayMs = deps.retrySoonMs ?? RETRY_SOON_MS;
  }

  /** One pass over the unfinished entries; joins the pass already running, if any. */
  pass(counted = true): Promise<PassSummary> {
    if (this.current) return this.current;
    this.current = this.runPass(counted).finally(() => {
      this.current = null;
    });
    return this.current;
  }

  /** Runs a pass now and then every `intervalMs` (a pass still going is never doubled). */
  start(intervalMs: number): void {
    if (this.timer || this.stopped) return;
    this.intervalMs = intervalMs;
    this.timer = setInterval(() => {
      this.pass().catch((err: unknown) => this.log.error({ err }, 'journal reconciliation pass failed'));
    }, intervalMs);
    this.timer.unref();
    this.deps.journal.onRunLeftOpen(() => this.soon());
  }

  /** An early pass, unless one is already due; repeated with a doubling wait while entries remain. */
  private soon(): void {
    if (this.soonTimer || this.stopped || this.soonDelayMs >= this.intervalMs) return;
    this.soonTimer = setTimeout(() => {
      this.soonTimer = null;
      this.pass(false)
        .then(() => {
          // Flagged entries wait for the interval's passes (a human knows of them); the others
          // are retried at most RETRY_SOON_MAX_MS apart until they are finished.
          if (!this.deps.journal.unfinished().some((e) => !e.flagged)) {
            this.soonDelayMs = this.deps.retrySoonMs ?? RETRY_SOON_MS;
            return;
          }
          this.soonDelayMs = Math.min(this.soonDelayMs * 2, Math.max(RETRY_SOON_MAX_MS, this.deps.retrySoonMs ?? 0));
          this.soon();
        })
        .catch((err: unknown) => this.log.error({ err }, 'journal reconciliation pass failed'));
    }, this.soonDelayMs);
    this.soonTimer.unref();
  }

  /** No new passes; waits for the one in flight (each attempt is bounded by its check's timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.soonTimer) clearTimeout(this.soonTimer);
    this.timer = null;
    this.soonTimer = null;
    await this.current?.catch(() => undefined);
  }

  /** `counted`: failed attempts count towards maxAttempts (early retries do not). */
  private async runPass(counted: boolean): Promise<PassSummary> {
    const summary: PassSummary = { compensated: 0, retried: 0, flagged: 0 };
    const { journal } = this.deps;
    const pruned = journal.prune(this.now() - FINISHED_RETENTION_MS);
    if (pruned > 0) this.log.debug({ pruned }, 'journal: finished entries pruned');
    const entries = journal.unfinished();
    if (entries.length === 0) return summary;
    this.log.info({ entries: entries.length }, 'journal: reconciling unfinished money-moving runs');
    const byAccount = new Map<string, typeof entries>();
    for (const e of entries) byAccount.set(e.msisdn, [...(byAccount.get(e.msisdn) ?? []), e]);
    await Promise.all(
      [...byAccount.values()].map(async (group) => {
        for (const entry of group) {
          if (this.stopped) return;
          try {
            await this.reconcileOne(entry, summary, counted);
          } catch (err) {
            // E.g. a human resolved the entry meanwhile; the others still get their turn.
            this.log.error({ err, run: entry.runId, check: entry.checkId }, 'journal: reconciling an entry failed');
          }
        }
      }),
    );
    return summary;
  }

  private async reconcileOne(entry: ReturnType<ProbeJournal['unfinished']>[number], summary: PassSummary, counted: boolean): Promise<void> {
    const { journal } = this.deps;
    const fields = { run: entry.runId, check: entry.checkId, state: entry.state };
    const check = this.checks.get(entry.checkId);
    if (!check) {
      journal.flag(entry.runId, `check "${entry.checkId}" is no longer configured; compensate by hand`);
      summary.flagged += 1;
      this.log.warn(fields, 'journal: entry flagged for a human (check no longer configured)');
      return;
    }
    const outcome = await this.deps.recovery.recover(check, entry);
    if (outcome.kind === 'compensated') {
      journal.compensated(entry.runId);
      summary.compensated += 1;
      this.log.info(fields, 'journal: run compensated');
    } else if (outcome.kind === 'stuck') {
      journal.flag(entry.runId, outcome.detail);
      summary.flagged += 1;
      this.log.warn({ ...fields, detail: outcome.detail }, 'journal: entry flagged for a human');
    } else if (outcome.kind === 'drift') {
      // Never `compensated`: flagged now for a human, and still retried (restoring may yet work).
      journal.attemptFailed(entry.runId, outcome.detail, this.deps.maxAttempts, { flagNow: true });
      summary.flagged += 1;
      this.log.warn({ ...fields, detail: outcome.detail }, 'journal: account not back at its baseline after compensation; flagged');
    } else {
      const after = journal.attemptFailed(entry.runId, outcome.detail, this.deps.maxAttempts, { count: counted });
      summary.retried += 1;
      this.log.warn({ ...fields, attempts: after.attempts, flagged: after.flagged, detail: outcome.detail }, 'journal: compensation attempt failed; will retry');
    }
  }
}
