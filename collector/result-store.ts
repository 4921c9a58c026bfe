// Recent results for the API: a bounded ring (oldest dropped first) and each check's last
// outcome. Prometheus keeps the history; this is only what an engineer asks for right now.
import type { ProbeResult } from '../synthetic/result.js';

export interface CheckSummary {
  lastResult: ProbeResult | null;
  lastSuccessAt: number | null;
  consecutiveFailures: number;
  /** The newest failed result, kept after later successes so the status page can say what broke last. */
  lastFailure: ProbeResult | null;
  /** Runs that did not probe (no free test account) since this process started. */
  skipped: number;
}

export class ResultStore {
  private readonly ring: (ProbeResult | undefined)[];
  private next = 0;
  private count = 0;
  private readonly perCheck = new Map<string, CheckSummary>();
  private readonly listeners = new Set<(result: ProbeResult) => void>();

  constructor(readonly capacity: number) {
    this.ring = new Array(capacity);
  }

  record(result: ProbeResult): void {
    this.ring[this.next] = result;
    this.next = (this.next + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
    const s = this.perCheck.get(result.checkId) ?? emptySummary();
    if (result.skipped !== undefined) {
      // Listed as skipped, but not an outcome of the check: its last result and failure count stand.
      s.skipped++;
      this.perCheck.set(result.checkId, s);
      for (const listener of this.listeners) listener(result);
      return;
    }
    s.lastResult = result;
    if (result.ok) {
      s.lastSuccessAt = result.startedAt + result.durationMs;
      s.consecutiveFailures = 0;
    } else {
      s.consecutiveFailures++;
      s.lastFailure = result;
    }
    this.perCheck.set(result.checkId, s);
    for (const listener of this.listeners) listener(result);
  }

  /** Called after each recorded result (the status page's live updates); returns the unsubscribe. */
  subscribe(listener: (result: ProbeResult) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  summary(checkId: string): CheckSummary {
    return this.perCheck.get(checkId) ?? emptySummary();
  }

  /** Newest first, optionally for one check, at most `limit`. */
  recent(limit: number, checkId?: string): ProbeResult[] {
    return this.newest(limit, (r) => checkId === undefined || r.checkId === checkId);
  }

  /** The newest failed results still retained (skipped runs are not failures), newest first, at most `limit`. */
  recentFailures(limit: number): ProbeResult[] {
    return this.newest(limit, (r) => !r.ok && r.skipped === undefined);
  }

  private newest(limit: number, keep: (r: ProbeResult) => boolean): ProbeResult[] {
    const out: ProbeResult[] = [];
    for (let i = 1; i <= this.count && out.length < limit; i++) {
      const r = this.ring[(this.next - i + this.capacity) % this.capacity] as ProbeResult;
      if (keep(r)) out.push(r);
    }
    return out;
  }
}

function emptySummary(): CheckSummary {
  return { lastResult: null, lastSuccessAt: null, consecutiveFailures: 0, lastFailure: null, skipped: 0 };
}
