// A circuit breaker per check (one check per channel × transaction): when a channel is hard
// down, its probes back off instead of piling on. After `openAfter` failed runs in a row the
// breaker opens; while open only every k-th scheduled firing runs, as a half-open trial (k starts
// at 2 and doubles after each failed trial, up to `maxBackoff`); a successful trial closes it.
// A skipped firing produces no result: it is neither a success nor a new failure, so the
// consecutive-failures gauge (and the hard-down alert on it) keeps its value while open.
import type { BreakerSettings } from '../config/index.js';
import type { ProbeResult } from './result.js';

export type BreakerState = 'closed' | 'open' | 'half_open';

/** What the runner stamps on a result (ProbeResult.breaker). */
export interface BreakerMark {
  /** `half_open` when this run was the open breaker's trial. */
  state: 'closed' | 'half_open';
  /** Scheduled firings the open breaker skipped since the check's previous run. */
  skipped: number;
}

interface CheckBreaker {
  state: BreakerState;
  /** Counted failures in a row (internal failures neither count nor reset). */
  failures: number;
  /** One firing in `every` runs while open. */
  every: number;
  /** Firings seen since the breaker opened or its last trial failed. */
  firings: number;
  skipped: number;
}

export interface BreakerView {
  checkId: string;
  state: BreakerState;
  /** While open: one scheduled firing in this many runs. */
  every: number;
}

export class CircuitBreakers {
  private readonly checks = new Map<string, CheckBreaker>();

  constructor(private readonly settings: BreakerSettings, checkIds: Iterable<string>) {
    for (const id of checkIds) this.checks.set(id, { state: 'closed', failures: 0, every: 2, firings: 0, skipped: 0 });
  }

  /**
   * Asked at each scheduled firing: true runs it. While open, the k-th firing becomes the trial
   * (half-open); the others are skipped and counted. Unknown checks always run.
   */
  admit(checkId: string): boolean {
    const b = this.checks.get(checkId);
    if (!b || b.state === 'closed') return true;
    if (b.state === 'open') {
      b.firings += 1;
      if (b.firings >= b.every) {
        b.state = 'half_open';
        return true;
      }
    }
    // Open, not yet its turn; or half-open with the trial still out.
    b.skipped += 1;
    return false;
  }

  /**
   * Called as a run starts (scheduled or manual). A manual run of an open check is its trial;
   * returns the mark the result carries, and resets the skipped count.
   */
  begin(checkId: string): BreakerMark | null {
    const b = this.checks.get(checkId);
    if (!b) return null;
    if (b.state === 'open') b.state = 'half_open';
    const mark: BreakerMark = { state: b.state === 'half_open' ? 'half_open' : 'closed', skipped: b.skipped };
    b.skipped = 0;
    return mark;
  }

  /** Feeds a finished run's outcome; returns the state after it. */
  record(checkId: string, result: Pick<ProbeResult, 'ok' | 'reason'>): BreakerState {
    const b = this.checks.get(checkId);
    if (!b) return 'closed';
    // The probe's own trouble (no free account, a refused request) says nothing about the channel.
    if (!result.ok && result.reason === 'internal') {
      if (b.state === 'half_open') {
        b.state = 'open';
        b.firings = 0;
      }
      return b.state;
    }
    if (result.ok) {
      b.state = 'closed';
      b.failures = 0;
      b.every = 2;
      b.firings = 0;
      return b.state;
    }
    b.failures += 1;
    if (b.state === 'half_open') {
      b.state = 'open';
      b.every = Math.min(b.every * 2, this.settings.maxBackoff);
      b.firings = 0;
    } else if (b.state === 'closed' && b.failures >= this.settings.openAfter) {
      b.state = 'open';
      b.every = Math.min(2, this.settings.maxBackoff);
      b.firings = 0;
    }
    return b.state;
  }

  state(checkId: string): BreakerState | undefined {
    return this.checks.get(checkId)?.state;
  }

  views(): BreakerView[] {
    return [...this.checks].map(([checkId, b]) => ({ checkId, state: b.state, every: b.every }));
  }
}
