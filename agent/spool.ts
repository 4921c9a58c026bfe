// The agent's spool: every ProbeResult is on disk (SQLite, WAL, synchronous=FULL: fsync'ed at
// commit) before it counts as produced, and stays there until every collector acknowledged it.
// Deliveries are tracked per collector, so a collector that is down delays only itself.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { ProbeResult } from '../synthetic/result.js';
import { AgentError } from './errors.js';

const SCHEMA_VERSION = '1';

export interface SpoolOptions {
  dir: string;
  /** Collector base URLs; deliveries to collectors no longer listed are dropped at open. */
  collectors: readonly string[];
  now?: () => number;
}

export interface SpoolOpenReport {
  /** Results produced before this start (the counter resumes from it). */
  producedBefore: number;
  /** Deliveries dropped because their collector is no longer configured, by collector. */
  droppedForRemovedCollectors: Record<string, number>;
}

export class Spool {
  private readonly db: Database.Database;
  private readonly pendingByCollector = new Map<string, number>();
  private producedTotal: number;
  private readonly now: () => number;
  private readonly insertResult: Database.Statement<[string, string, number]>;
  private readonly insertPending: Database.Statement<[string, number | bigint]>;
  private readonly addProduced: Database.Statement<[]>;
  private readonly selectPending: Database.Statement<[string, number], { body: string }>;
  private readonly oldest: Database.Statement<[string], { spooled_at: number }>;
  private readonly settleOne: Database.Statement<[string, string]>;
  private readonly dropOrphans: Database.Statement<[]>;
  private readonly dropIfDelivered: Database.Statement<[string]>;
  readonly report: SpoolOpenReport;

  private constructor(db: Database.Database, options: SpoolOptions) {
    this.db = db;
    this.now = options.now ?? Date.now;
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS results (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, body TEXT NOT NULL, spooled_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS pending (collector TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (collector, seq)) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS pending_seq ON pending (seq);
    `);
    const version = db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'schema'").get();
    if (version && version.value !== SCHEMA_VERSION) throw new Error(`spool schema ${version.value} is not ${SCHEMA_VERSION}`);
    db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?), ('produced', '0')").run(SCHEMA_VERSION);

    this.insertResult = db.prepare('INSERT INTO results (id, body, spooled_at) VALUES (?, ?, ?)');
    this.insertPending = db.prepare('INSERT INTO pending (collector, seq) VALUES (?, ?)');
    this.addProduced = db.prepare("UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'produced'");
    this.selectPending = db.prepare('SELECT r.body AS body FROM pending p JOIN results r ON r.seq = p.seq WHERE p.collector = ? ORDER BY p.seq LIMIT ?');
    this.oldest = db.prepare('SELECT r.spooled_at AS spooled_at FROM pending p JOIN results r ON r.seq = p.seq WHERE p.collector = ? ORDER BY p.seq LIMIT 1');
    this.settleOne = db.prepare('DELETE FROM pending WHERE collector = ? AND seq = (SELECT seq FROM results WHERE id = ?)');
    this.dropOrphans = db.prepare('DELETE FROM results WHERE NOT EXISTS (SELECT 1 FROM pending p WHERE p.seq = results.seq)');
    this.dropIfDelivered = db.prepare('DELETE FROM results WHERE id = ? AND NOT EXISTS (SELECT 1 FROM pending p WHERE p.seq = results.seq)');

    // Collectors removed from the config will never acknowledge; their deliveries go.
    const dropped: Record<string, number> = {};
    const listed = new Set(options.collectors);
    db.transaction(() => {
      for (const row of db.prepare<[], { collector: string; n: number }>('SELECT collector, COUNT(*) AS n FROM pending GROUP BY collector').all()) {
        if (!listed.has(row.collector)) {
          dropped[row.collector] = row.n;
          db.prepare('DELETE FROM pending WHERE collector = ?').run(row.collector);
        }
      }
      this.dropOrphans.run();
    })();
    for (const collector of options.collectors) {
      const row = db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM pending WHERE collector = ?').get(collector);
      this.pendingByCollector.set(collector, row?.n ?? 0);
    }
    this.producedTotal = Number(db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'produced'").get()?.value ?? 0);
    this.report = { producedBefore: this.producedTotal, droppedForRemovedCollectors: dropped };
  }

  /** Opens or creates `<dir>/spool.sqlite`; throws CH_AGENT_SPOOL naming the folder. */
  static open(options: SpoolOptions): Spool {
    let db: Database.Database | null = null;
    try {
      mkdirSync(options.dir, { recursive: true, mode: 0o700 });
      db = new Database(path.join(options.dir, 'spool.sqlite'));
      return new Spool(db, options);
    } catch (err) {
      db?.close();
      throw new AgentError('CH_AGENT_SPOOL', `spool in ${options.dir}: ${(err as Error).message}`);
    }
  }

  get collectors(): string[] {
    return [...this.pendingByCollector.keys()];
  }

  /** Results produced since the spool was created (all starts together). */
  get produced(): number {
    return this.producedTotal;
  }

  /**
   * Writes the result, one delivery per collector and the produced count in one transaction;
   * when it returns the result is on disk. A result id already spooled is not added again.
   */
  add(result: ProbeResult): boolean {
    const added = this.db.transaction(() => {
      const info = this.insertResult.run(result.id, JSON.stringify(result), this.now());
      for (const collector of this.pendingByCollector.keys()) this.insertPending.run(collector, info.lastInsertRowid);
      this.addProduced.run();
      return true;
    });
    try {
      added();
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') return false;
      throw err;
    }
    this.producedTotal++;
    for (const [collector, n] of this.pendingByCollector) this.pendingByCollector.set(collector, n + 1);
    return true;
  }

  /** The oldest results still waiting for this collector, at most `limit`. */
  pending(collector: string, limit: number): ProbeResult[] {
    return this.selectPending.all(collector, limit).map((row) => JSON.parse(row.body) as ProbeResult);
  }

  pendingCount(collector: string): number {
    return this.pendingByCollector.get(collector) ?? 0;
  }

  /** Seconds the oldest result waiting for this collector has waited; null when none waits. */
  oldestPendingAgeSeconds(collector: string): number | null {
    const row = this.oldest.get(collector);
    return row ? Math.max(0, (this.now() - row.spooled_at) / 1000) : null;
  }

  /**
   * These results need nothing more from this collector (acknowledged, or refused for good).
   * A result no collector waits for any more leaves the spool.
   */
  settle(collector: string, ids: readonly string[]): number {
    if (ids.length === 0) return 0;
    let settled = 0;
    this.db.transaction(() => {
      for (const id of ids) {
        settled += this.settleOne.run(collector, id).changes;
        this.dropIfDelivered.run(id);
      }
    })();
    this.pendingByCollector.set(collector, Math.max(0, this.pendingCount(collector) - settled));
    return settled;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
