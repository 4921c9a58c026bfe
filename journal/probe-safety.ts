// What a probing process (`run`, `agent`) holds for safety, composed once: the probe journal
// (opened at start, reconciled before probing begins and then periodically, closed on stop) and
// the per-check circuit breakers. docs/safety.md describes the behaviour.
import type { Config } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import { CircuitBreakers } from '../synthetic/breaker.js';
import type { RunRecovery } from '../synthetic/runner.js';
import { JournalReconciler, STARTUP_WAIT_MS } from './reconcile.js';
import { ProbeJournal } from './store.js';

export interface ProbeSafety {
  /** Null when no configured check moves money. */
  journal: ProbeJournal | null;
  breakers: CircuitBreakers;
  /** Start-up pass (waited for up to STARTUP_WAIT_MS), then a pass every reconcileInterval. */
  startReconciling(recovery: RunRecovery): Promise<void>;
  /** Stops reconciling (waiting for the pass in flight) and closes the journal. Call after the scheduler stopped. */
  stop(): Promise<void>;
}

/** Opens the journal when any check moves money; throws JournalError (CH_JOURNAL_LOCKED, CH_JOURNAL_OPEN). */
export function openProbeSafety(config: Config, log: Logger, options: { now?: () => number; startupWaitMs?: number } = {}): ProbeSafety {
  const needsJournal = config.checks.some((c) => c.moneyMoving !== null);
  const journal = needsJournal ? ProbeJournal.open(config.service.journal.path, { now: options.now }) : null;
  if (journal) {
    const counts = journal.counts();
    log.info({ component: 'journal', file: journal.file ?? 'memory', ...counts }, 'probe journal open');
    if (journal.file === null) log.info({ component: 'journal' }, 'probe journal kept in memory: every money-moving check targets the embedded sandbox');
  }
  const breakers = new CircuitBreakers(config.service.breaker, config.checks.map((c) => c.id));
  let reconciler: JournalReconciler | null = null;
  return {
    journal,
    breakers,
    async startReconciling(recovery) {
      if (!journal || reconciler) return;
      reconciler = new JournalReconciler({ journal, checks: config.checks, recovery, maxAttempts: config.service.journal.maxAttempts, log, now: options.now });
      const first = reconciler.pass().catch((err: unknown) => {
        log.error({ err, component: 'journal' }, 'journal: start-up reconciliation failed');
      });
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), options.startupWaitMs ?? STARTUP_WAIT_MS);
      });
      // A channel that is down at start must not keep every other check from probing.
      const finished = await Promise.race([first.then(() => 'done' as const), waited]);
      clearTimeout(timer);
      if (finished === 'late') log.warn({ component: 'journal' }, 'journal: start-up reconciliation still going; probing starts beside it');
      reconciler.start(config.service.journal.reconcileIntervalMs);
    },
    async stop() {
      await reconciler?.stop();
      journal?.close();
    },
  };
}
