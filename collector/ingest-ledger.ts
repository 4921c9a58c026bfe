// What the collector has taken in: the ids it recorded (so a resent result is acknowledged, not
// counted again) and what those items added to each series. In collector mode both live in
// SQLite and are committed in one transaction per batch BEFORE the batch is acknowledged; at
// start the series are put back into the fresh registry, so a SIGKILL loses nothing and a
// retry after it counts nothing twice. `run` keeps only a bounded in-memory id set.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { SeriesUpdate, SeriesValue } from './metrics.js';

export type IngestKind = 'result' | 'event';

export interface LedgerEntry {
  kind: IngestKind;
  id: string;
  /** Epoch ms the item happened (a result's startedAt, an event's `at`); the id is kept a window after it. */
  at: number;
}

export interface IngestLedger {
  readonly durable: boolean;
  /** Which of these ids were recorded before (and are still remembered). */
  known(kind: IngestKind, ids: readonly string[]): Set<string>;
  /** Records the ids and the series updates together, or throws and records nothing. */
  commit(entries: readonly LedgerEntry[], updates: readonly SeriesUpdate[]): void;
  /** Persisted series values, to restore at start (none in memory mode). */
  series(): SeriesValue[];
  close(): void;
}

export interface LedgerOptions {
  /** The registry's histogram bounds (durationBuckets), to know which bucket an observation fills. */
  buckets: readonly number[];
  dedupeWindowMs: number;
  now?: () => number;
}

const SCHEMA_VERSION = '1';

/** Key of one series: metric and labels in a stable order. */
export function seriesKey(metric: string, labels: Readonly<Record<string, string>>): string {
  return `${metric}${JSON.stringify(Object.keys(labels).sort().map((k) => [k, labels[k]]))}`;
}

/**
 * Opens (creating if needed) `<dir>/collector.sqlite`. WAL with synchronous=FULL: a commit is on
 * disk when commit() returns, which is what makes acknowledging afterwards safe.
 */
export function openDurableLedger(dir: string, options: LedgerOptions): IngestLedger {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const db = new Database(path.join(dir, 'collector.sqlite'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS ingested (kind TEXT NOT NULL, id TEXT NOT NULL, keep_until INTEGER NOT NULL, PRIMARY KEY (kind, id)) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS ingested_keep_until ON ingested (keep_until);
      CREATE TABLE IF NOT EXISTS series (key TEXT PRIMARY KEY, kind TEXT NOT NULL, metric TEXT NOT NULL, labels TEXT NOT NULL, value REAL NOT NULL, count INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS buckets (key TEXT NOT NULL, le TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (key, le)) WITHOUT ROWID;
    `);
    const version = db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'schema'").get();
    if (version && version.value !== SCHEMA_VERSION) throw new Error(`state schema ${version.value} is not ${SCHEMA_VERSION}`);
    db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?)").run(SCHEMA_VERSION);
  } catch (err) {
    db.close();
    throw err;
  }
  const now = options.now ?? Date.now;
  const bounds = [...options.buckets].sort((a, b) => a - b);
  const isKnown = db.prepare<[string, string], { id: string }>('SELECT id FROM ingested WHERE kind = ? AND id = ?');
  const remember = db.prepare<[string, string, number]>('INSERT INTO ingested (kind, id, keep_until) VALUES (?, ?, ?) ON CONFLICT (kind, id) DO NOTHING');
  const forget = db.prepare<[number]>('DELETE FROM ingested WHERE keep_until < ?');
  const add = db.prepare<[string, string, string, string, number, number]>(
    'INSERT INTO series (key, kind, metric, labels, value, count) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = value + excluded.value, count = count + excluded.count',
  );
  const replace = db.prepare<[string, string, string, string, number]>(
    'INSERT INTO series (key, kind, metric, labels, value, count) VALUES (?, ?, ?, ?, ?, 0) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  );
  const fill = db.prepare<[string, string, number]>('INSERT INTO buckets (key, le, count) VALUES (?, ?, ?) ON CONFLICT (key, le) DO UPDATE SET count = count + excluded.count');

  const commit = db.transaction((entries: readonly LedgerEntry[], updates: readonly SeriesUpdate[]) => {
    for (const e of entries) remember.run(e.kind, e.id, Math.max(e.at, now()) + options.dedupeWindowMs);
    for (const u of collapse(updates)) {
      const key = seriesKey(u.metric, u.labels);
      const labels = JSON.stringify(u.labels);
      if (u.op !== 'observe') {
        if (u.op === 'set') replace.run(key, u.kind, u.metric, labels, u.value);
        else add.run(key, u.kind, u.metric, labels, u.value, 0);
      } else {
        add.run(key, u.kind, u.metric, labels, u.sum, u.count);
        for (const [le, n] of u.buckets) fill.run(key, le, n);
      }
    }
  });
  let lastPrune = 0;

  return {
    durable: true,
    known(kind, ids) {
      const out = new Set<string>();
      for (const id of ids) if (isKnown.get(kind, id)) out.add(id);
      return out;
    },
    commit(entries, updates) {
      // Ids past their window are dropped now and then; results that old are refused at the door.
      if (now() - lastPrune > 60_000) {
        forget.run(now());
        lastPrune = now();
      }
      commit(entries, updates);
    },
    series() {
      const buckets = new Map<string, Record<string, number>>();
      for (const row of db.prepare<[], { key: string; le: string; count: number }>('SELECT key, le, count FROM buckets').iterate()) {
        const b = buckets.get(row.key) ?? {};
        b[row.le] = row.count;
        buckets.set(row.key, b);
      }
      return db
        .prepare<[], { key: string; kind: SeriesValue['kind']; metric: string; labels: string; value: number; count: number }>('SELECT key, kind, metric, labels, value, count FROM series ORDER BY key')
        .all()
        .map((row) => ({ kind: row.kind, metric: row.metric, labels: JSON.parse(row.labels) as Record<string, string>, value: row.value, count: row.count, buckets: buckets.get(row.key) ?? {} }));
    },
    close() {
      if (db.open) db.close();
    },
  };

  /** One write per series per batch: increments summed, sets folded in order, observations bucketed. */
  function collapse(updates: readonly SeriesUpdate[]): Collapsed[] {
    const byKey = new Map<string, Collapsed>();
    for (const u of updates) {
      const key = seriesKey(u.metric, u.labels);
      const prev = byKey.get(key);
      if (u.op === 'observe') {
        const h = prev?.op === 'observe' ? prev : { kind: u.kind, metric: u.metric, labels: u.labels, op: 'observe' as const, sum: 0, count: 0, buckets: new Map<string, number>() };
        h.sum += u.value;
        h.count += 1;
        const bound = bounds.find((b) => u.value <= b);
        if (bound !== undefined) h.buckets.set(String(bound), (h.buckets.get(String(bound)) ?? 0) + 1);
        byKey.set(key, h);
      } else if (u.op === 'set' || prev === undefined || prev.op === 'observe') {
        byKey.set(key, { kind: u.kind, metric: u.metric, labels: u.labels, op: u.op, value: u.value });
      } else {
        // set-then-inc stays a set (of the sum); inc-then-inc is one inc.
        byKey.set(key, { ...prev, value: prev.value + u.value });
      }
    }
    return [...byKey.values()];
  }
}

type Collapsed =
  | { kind: SeriesUpdate['kind']; metric: string; labels: Record<string, string>; op: 'inc' | 'set'; value: number }
  | { kind: SeriesUpdate['kind']; metric: string; labels: Record<string, string>; op: 'observe'; sum: number; count: number; buckets: Map<string, number> };

/**
 * `run` mode: ids remembered in memory, most recent `capacity` only; counters are as durable as
 * any in-process counter (a restart is a counter reset, which Prometheus handles).
 */
export function memoryLedger(capacity = 100_000): IngestLedger {
  const seen = new Map<string, true>();
  return {
    durable: false,
    known(kind, ids) {
      return new Set(ids.filter((id) => seen.has(`${kind}:${id}`)));
    },
    commit(entries) {
      for (const e of entries) {
        seen.set(`${e.kind}:${e.id}`, true);
        if (seen.size > capacity) seen.delete(seen.keys().next().value as string);
      }
    },
    series: () => [],
    close: () => undefined,
  };
}
