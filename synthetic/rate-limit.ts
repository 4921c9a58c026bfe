// Per-channel request spacing: requests to one channel are released one at a time, each at least
// (1000 + guard)/rate ms after the previous release *actually happened*, so the cap holds in every
// window however large the backlog grows, and a stalled event loop cannot release two at once
// when it wakes (slots are never computed ahead). No burst allowance on purpose: probes must never
// be the reason a channel is busy. The guard is for the channel's view: connect time and
// scheduling delay a request between its release and its arrival now and then, and without a
// margin the channel would see `rate + 1` of them within a second.

/** Jitter (ms) between a release and the request reaching the channel that the cap still absorbs. */
export const RATE_GUARD_MS = 100;

interface Waiter {
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal;
  onAbort: () => void;
}

export class ChannelRateLimiter {
  private lastRelease = Number.NEGATIVE_INFINITY;
  private readonly queue: Waiter[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly spacingMs: number;

  constructor(readonly perSecond: number, private readonly now: () => number = Date.now) {
    this.spacingMs = (1000 + RATE_GUARD_MS) / perSecond;
  }

  /** Requests waiting for their turn (a backlog the NOC may want to see). */
  get waiting(): number {
    return this.queue.length;
  }

  /** Waits for this request's turn (FIFO); rejects if the signal aborts first, and then takes no turn. */
  acquire(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          const i = this.queue.indexOf(waiter);
          if (i >= 0) this.queue.splice(i, 1);
          reject(signal.reason);
        },
      };
      signal.addEventListener('abort', waiter.onAbort, { once: true });
      this.queue.push(waiter);
      this.pump();
    });
  }

  private pump(): void {
    if (this.timer !== null || this.queue.length === 0) return;
    const now = this.now();
    const wait = this.lastRelease + this.spacingMs - now;
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.pump();
      }, wait);
      return;
    }
    const next = this.queue.shift() as Waiter;
    next.signal.removeEventListener('abort', next.onAbort);
    this.lastRelease = now;
    next.resolve();
    this.pump();
  }
}
