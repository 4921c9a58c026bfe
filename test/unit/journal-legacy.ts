// A journal file as written before each entry kept its account's baseline: the old table, and
// rows as the old runner wrote them (then, a second run could start on an account whose first
// change was still open). Used to test that opening such a file migrates it.
import Database from 'better-sqlite3';
import type { IntendedRun } from '../../synthetic/runner.js';

const OLD_SCHEMA = `
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

export function writeLegacyJournal(file: string, rows: Array<IntendedRun & { state: 'intended' | 'done' | 'compensated'; createdAt: number }>): void {
  const db = new Database(file);
  try {
    db.exec(OLD_SCHEMA);
    const insert = db.prepare(
      `INSERT INTO entries (run_id, check_id, channel, txn, location, pool, msisdn, step, fingerprint, run_values, vars, state, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const r of rows) {
      insert.run(r.runId, r.checkId, r.channel, r.transaction, r.location, r.pool, r.msisdn, r.step, r.fingerprint, JSON.stringify(r.run), JSON.stringify(r.vars), r.state, r.createdAt, r.createdAt);
    }
  } finally {
    db.close();
  }
}
