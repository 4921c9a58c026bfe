// The probe journal: one SQLite row per money-moving run, written before the money moves and
// moved along intended → done → compensated (or refused, or resolved by a human). WAL with
// synchronous=FULL makes every write durable before the call returns, so a run killed at any
// instant leaves a row that says how far it got. The file is locked exclusively: one probing
// process per journal, so two processes never compensate the same run at once.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { IntendedRun, RunJournal, RunValues, UnfinishedRun } from '../synthetic/runner.js';
import { safeDetail } from '../logging/mask.js';
import { JournalError } from './errors.js';

export type JournalState = 'intended' | 'done' | 'compensated' | 'refused' | 'resolved';

export const JOURNAL_STATES: readonly JournalState[] = ['intended', 'done', 'compensated', 'refused', 'resolved'];

export interface JournalEntry extends IntendedRun {
  state: JournalState;
  /**
   * The journaled values as they were just before the money moved, when the account had no other
   * unfinished run: what reconciliation restores (e.g. the plan the account started on).
   */
  baseline: Record<string, string>;
  /** A human must look: set after `maxAttempts` failed attempts, or when no automatic way exists. */
  flagged: boolean;
  /** For a flagged entry: reconciliation keeps trying (the failure may pass). */
  retryable: boolean;
  /** Failed reconciliation attempts. */
  attempts: number;
  /** The last thing that went wrong, or the human's note. */
  detail: string | null;
  createdAt: number;
  updatedAt: number;
}

/** Unfinished entries by where they stand: the journal gauge (METRICS.journalPending in contract/metrics.ts). */
export interface PendingCounts {
  intended: number;
  done: number;
  flagged: number;
}

/** Finished entries are kept this long for the API and then pruned. */
export const FINISHED_RETENTION_MS = 7 * 86_400_000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS entries (
  run_id TEXT PRIMARY KEY,
  check_id TEXT NOT NULL,
  channel TEXT NOT NULL,
  txn TEXT NOT NULL,
  location TEXT NOT NULL,
  pool TEXT NOT NULL,
  msisdn TEXT NOT NULL,
  step TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  run_values TEXT NOT NULL,
  vars TEXT NOT NULL,
  baseline TEXT,
  state TEXT NOT NULL CHECK (state IN ('intended', 'done', 'compensated', 'refused', 'resolved')),
  flagged INTEGER NOT NULL DEFAULT 0,
  retryable INTEGER NOT NULL DEFAULT 1,
  attempts INTEGER NOT NULL DEFAULT 0,
  detail TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_unfinished ON entries (state, created_at);
`;

// Journals written before the baseline column: add it, and give each unfinished entry the values
// journaled by the oldest unfinished entry of its account and transaction. A later entry of the
// same account read its "previous" value while the older change was still open, so only the
// oldest one knows where the account started.
const MIGRATIONS = `
ALTER TABLE entries ADD COLUMN baseline TEXT;
UPDATE entries SET baseline = (
  SELECT o.vars FROM entries o
  WHERE o.msisdn = entries.msisdn AND o.txn = entries.txn AND o.state IN ('intended', 'done')
  ORDER BY o.created_at, o.run_id LIMIT 1
) WHERE state IN ('intended', 'done');
`;

const ACCOUNT_INDEX = `CREATE INDEX IF NOT EXISTS entries_account ON entries (msisdn, state);`;

interface Row {
  run_id: string;
  check_id: string;
  channel: string;
  txn: string;
  location: string;
  pool: string;
  msisdn: string;
  step: string;
  fingerprint: string;
  run_values: string;
  vars: string;
  baseline: string | null;
  state: JournalState;
  flagged: number;
  retryable: number;
  attempts: number;
  detail: string | null;
  created_at: number;
  updated_at: number;
}

const DETAIL_MAX = 1024;

export interface JournalOptions {
  now?: () => number;
}

export class ProbeJournal implements RunJournal {
  /** Runs this process is still carrying out: reconciliation leaves them alone. */
  private readonly active = new Set<string>();
  private readonly settledListeners = new Set<(msisdn: string) => void>();
  private readonly leftOpenListeners = new Set<(runId: string) => void>();
  private readonly now: () => number;

  private constructor(
    private readonly db: Database.Database,
    /** The file, or null for a memory-only journal. */
    readonly file: string | null,
    options: JournalOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Opens (creating when needed) the journal at `file`, or a memory-only one for null. Throws
   * CH_JOURNAL_LOCKED when another process has it, CH_JOURNAL_OPEN when it cannot be used.
   */
  static open(file: string | null, options: JournalOptions = {}): ProbeJournal {
    let db: Database.Database | undefined;
    try {
      if (file !== null) mkdirSync(path.dirname(file), { recursive: true });
      db = new Database(file ?? ':memory:', { timeout: 0 });
      if (file !== null) {
        // Exclusive before WAL: no shared-memory index, and the lock is held until close.
        db.pragma('locking_mode = EXCLUSIVE');
        db.pragma('journal_mode = WAL');
      }
      db.pragma('synchronous = FULL');
      db.exec(SCHEMA);
      const columns = db.pragma('table_info(entries)') as Array<{ name: string }>;
      if (!columns.some((c) => c.name === 'baseline')) db.transaction(() => db?.exec(MIGRATIONS))();
      db.exec(ACCOUNT_INDEX);
      // Take the write lock now, so a second process fails at start rather than mid-run.
      db.exec('BEGIN IMMEDIATE; COMMIT;');
    } catch (err) {
      db?.close();
      const code = (err as { code?: string }).code ?? '';
      if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
        throw new JournalError('CH_JOURNAL_LOCKED', `${file}: another process has the probe journal open (one probing process per journal; set service.journal.path)`);
      }
      throw new JournalError('CH_JOURNAL_OPEN', `${file ?? 'memory'}: cannot open the probe journal: ${(err as Error).message}`);
    }
    return new ProbeJournal(db, file, options);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /**
   * Records the run as intended, its journaled values as the account's baseline. Throws
   * CH_JOURNAL_ACCOUNT_BUSY, and records nothing, while the account has another unfinished run:
   * values read then are the other change's, not the account's own (docs/safety.md).
   */
  intend(run: IntendedRun): void {
    const now = this.now();
    const vars = JSON.stringify(run.vars);
    try {
      this.db.transaction(() => {
        if (this.db.prepare('SELECT 1 FROM entries WHERE run_id = ?').get(run.runId)) throw new JournalError('CH_JOURNAL_TRANSITION', `run ${run.runId} is already journaled`);
        const open = this.db.prepare(`SELECT run_id FROM entries WHERE msisdn = ? AND state IN ('intended', 'done') LIMIT 1`).get(run.msisdn) as { run_id: string } | undefined;
        if (open) throw new JournalError('CH_JOURNAL_ACCOUNT_BUSY', `the account has an unfinished money-moving run (${open.run_id}); no other may start on it until that one is compensated or resolved`);
        this.db
          .prepare(
            `INSERT INTO entries (run_id, check_id, channel, txn, location, pool, msisdn, step, fingerprint, run_values, vars, baseline, state, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'intended', ?, ?)`,
          )
          .run(run.runId, run.checkId, run.channel, run.transaction, run.location, run.pool, run.msisdn, run.step, run.fingerprint, JSON.stringify(run.run), vars, vars, now, now);
      })();
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new JournalError('CH_JOURNAL_TRANSITION', `run ${run.runId} is already journaled`);
      throw err;
    }
    this.active.add(run.runId);
  }

  done(runId: string, vars: Record<string, string>): void {
    const entry = this.require(runId, ['intended', 'done'], 'done');
    this.update(runId, { state: 'done', vars: JSON.stringify({ ...entry.vars, ...vars }), detail: null });
  }

  refused(runId: string, detail: string): void {
    const entry = this.require(runId, ['intended'], 'refused');
    this.update(runId, { state: 'refused', detail });
    this.settled(entry.msisdn);
  }

  unclear(runId: string, detail: string): void {
    this.require(runId, ['intended'], 'intended');
    this.update(runId, { detail: `outcome unknown: ${detail}` });
  }

  /** Finished entries stay finished: compensating a refused or resolved run again changes nothing. */
  compensated(runId: string): void {
    const entry = this.get(runId);
    if (!entry) throw new JournalError('CH_JOURNAL_NOT_FOUND', `no journal entry for run ${runId}`);
    if (entry.state !== 'intended' && entry.state !== 'done') return;
    this.update(runId, { state: 'compensated', flagged: 0 });
    this.settled(entry.msisdn);
  }

  /** This process is done with the run; when it is still unfinished, the left-open listeners hear of it. */
  release(runId: string): void {
    if (!this.active.delete(runId)) return;
    const row = this.db.prepare(`SELECT 1 FROM entries WHERE run_id = ? AND state IN ('intended', 'done')`).get(runId);
    if (row) for (const listener of this.leftOpenListeners) listener(runId);
  }

  /** Calls `listener` when a run ends with its entry unfinished (reconciliation retries it soon). */
  onRunLeftOpen(listener: (runId: string) => void): void {
    this.leftOpenListeners.add(listener);
  }

  /**
   * Counts a failed reconciliation; flags the entry once it has failed `maxAttempts` times, or at
   * once with `flagNow` (the account reads back other than its baseline: a human should know now).
   */
  attemptFailed(runId: string, detail: string, maxAttempts: number, options: { flagNow?: boolean; count?: boolean } = {}): JournalEntry {
    const entry = this.require(runId, ['intended', 'done'], 'retried');
    // An early retry (right after the run) records why it failed but does not bring the flag closer.
    const attempts = entry.attempts + (options.count === false ? 0 : 1);
    this.update(runId, { attempts, detail, ...(attempts >= maxAttempts || options.flagNow ? { flagged: 1, retryable: 1 } : {}) });
    return this.get(runId) as JournalEntry;
  }

  /** No automatic way forward: flagged for a human and no longer retried. */
  flag(runId: string, detail: string): void {
    this.require(runId, ['intended', 'done'], 'flagged');
    this.update(runId, { flagged: 1, retryable: 0, detail });
  }

  /** A human compensated the run by hand (or found nothing to do); the note says so. */
  resolve(runId: string, note: string): JournalEntry {
    const entry = this.require(runId, ['intended', 'done'], 'resolved');
    this.update(runId, { state: 'resolved', detail: `resolved by hand: ${note}` });
    this.settled(entry.msisdn);
    return this.get(runId) as JournalEntry;
  }

  /**
   * Accounts with an unfinished run (flagged ones included): no money-moving probe may lease
   * them until it is compensated or resolved. Read from the file, so it holds across restarts.
   */
  heldAccounts(): ReadonlySet<string> {
    const rows = this.db.prepare(`SELECT DISTINCT msisdn FROM entries WHERE state IN ('intended', 'done')`).all() as Array<{ msisdn: string }>;
    return new Set(rows.map((r) => r.msisdn));
  }

  /** Calls `listener` when an account's last unfinished run finishes (the pools lease it again). */
  onAccountSettled(listener: (msisdn: string) => void): void {
    this.settledListeners.add(listener);
  }

  private settled(msisdn: string): void {
    const open = this.db.prepare(`SELECT 1 FROM entries WHERE msisdn = ? AND state IN ('intended', 'done') LIMIT 1`).get(msisdn);
    if (open) return;
    for (const listener of this.settledListeners) listener(msisdn);
  }

  get(runId: string): JournalEntry | undefined {
    const row = this.db.prepare('SELECT * FROM entries WHERE run_id = ?').get(runId) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** Entries reconciliation should work on now: unfinished, not in flight here, not given up on. Oldest first. */
  unfinished(): Array<JournalEntry & UnfinishedRun> {
    const rows = this.db.prepare(`SELECT * FROM entries WHERE state IN ('intended', 'done') AND NOT (flagged = 1 AND retryable = 0) ORDER BY created_at, run_id`).all() as Row[];
    return rows.filter((r) => !this.active.has(r.run_id)).map((r) => fromRow(r) as JournalEntry & UnfinishedRun);
  }

  /** Unfinished entries (flagged ones included), oldest first; with `finished`, the latest finished ones too. */
  list(options: { limit: number; finished?: boolean }): JournalEntry[] {
    const where = options.finished ? '' : `WHERE state IN ('intended', 'done')`;
    const order = options.finished ? 'ORDER BY updated_at DESC, run_id' : 'ORDER BY created_at, run_id';
    const rows = this.db.prepare(`SELECT * FROM entries ${where} ${order} LIMIT ?`).all(options.limit) as Row[];
    return rows.map(fromRow);
  }

  counts(): PendingCounts {
    const rows = this.db.prepare(`SELECT state, flagged, COUNT(*) AS n FROM entries WHERE state IN ('intended', 'done') GROUP BY state, flagged`).all() as Array<{
      state: 'intended' | 'done';
      flagged: number;
      n: number;
    }>;
    const counts: PendingCounts = { intended: 0, done: 0, flagged: 0 };
    for (const r of rows) {
      if (r.flagged) counts.flagged += r.n;
      else counts[r.state] += r.n;
    }
    return counts;
  }

  /** Drops finished entries last touched before `before` (epoch ms); returns how many. */
  prune(before: number): number {
    return this.db.prepare(`DELETE FROM entries WHERE state IN ('compensated', 'refused', 'resolved') AND updated_at < ?`).run(before).changes;
  }

  private require(runId: string, from: readonly JournalState[], to: string): JournalEntry {
    const entry = this.get(runId);
    if (!entry) throw new JournalError('CH_JOURNAL_NOT_FOUND', `no journal entry for run ${runId}`);
    if (!from.includes(entry.state)) throw new JournalError('CH_JOURNAL_TRANSITION', `run ${runId} is ${entry.state}; it cannot become ${to}`);
    return entry;
  }

  private update(runId: string, fields: Partial<Record<'state' | 'vars' | 'detail' | 'flagged' | 'retryable' | 'attempts', string | number | null>>): void {
    // A detail may quote a channel's answer or a human's note: stored as it may be served.
    const entries = Object.entries(fields).map(([k, v]) => [k, k === 'detail' && typeof v === 'string' ? safeDetail(v, DETAIL_MAX) : v] as const);
    const sets = [...entries.map(([k]) => `${k} = ?`), 'updated_at = ?'].join(', ');
    this.db.prepare(`UPDATE entries SET ${sets} WHERE run_id = ?`).run(...entries.map(([, v]) => v), this.now(), runId);
  }
}

function fromRow(r: Row): JournalEntry {
  return {
    runId: r.run_id,
    checkId: r.check_id,
    channel: r.channel,
    transaction: r.txn,
    location: r.location,
    pool: r.pool,
    msisdn: r.msisdn,
    step: r.step,
    fingerprint: r.fingerprint,
    run: JSON.parse(r.run_values) as RunValues,
    vars: JSON.parse(r.vars) as Record<string, string>,
    baseline: JSON.parse(r.baseline ?? r.vars) as Record<string, string>,
    state: r.state,
    flagged: r.flagged === 1,
    retryable: r.retryable === 1,
    attempts: r.attempts,
    detail: r.detail,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
