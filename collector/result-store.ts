// Recent results for the API: a bounded ring (oldest dropped first) and each check's last
// outcome. Prometheus keeps the history; this is only what an engineer asks for right now.
import type { ProbeResult } from '../synthetic/result.js';

export interface CheckSummary {
  lastResult: ProbeResult | null;
  lastSuccessAt: number | null;
  consecutiveFailures: number;
}

export class ResultStore {
  private readonly ring: (ProbeResult | undefined)[];
  private next = 0;
  private count = 0;
  private readonly perCheck = new Map<string, CheckSummary>();

  constructor(readonly capacity: number) {
    this.ring = new Array(capacity);
  }

  record(result: ProbeResult): void {
    this.ring[this.next] = result;
    this.next = (this.next + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
    const s = this.perCheck.get(result.checkId) ?? { lastResult: null, lastSuccessAt: null, consecutiveFailures: 0 };
    s.lastResult = result;
    if (result.ok) {
      s.lastSuccessAt = result.startedAt + result.durationMs;
      s.consecutiveFailures = 0;
    } else {
      s.consecutiveFailures++;
    }
    this.perCheck.set(result.checkId, s);
  }

  summary(checkId: string): CheckSummary {
    return this.perCheck.get(checkId) ?? { lastResult: null, lastSuccessAt: null, consecutiveFailures: 0 };
  }

  /** Newest first, optionally for one check, at most `limit`. */
  recent(limit: number, checkId?: string): ProbeResult[] {
    const out: ProbeResult[] = [];
    for (let i = 1; i <= this.count && out.length < limit; i++) {
      const r = this.ring[(this.next - i + this.capacity) % this.capacity] as ProbeResult;
      if (checkId === undefined || r.checkId === checkId) out.push(r);
    }
    return out;
  }
}
