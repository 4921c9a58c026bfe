// Per-channel request spacing: requests to one channel start at least (1000 + guard)/rate ms
// apart, so the cap holds in every window however large the backlog grows. No burst allowance
// on purpose: probes must never be the reason a channel is busy. The guard is for the channel's
// view: connect time and scheduling delay the first of `rate + 1` requests more than the last
// now and then (by over 100 ms on a loaded host, and most on a process's first request), and
// without a margin the channel would see `rate + 1` of them within a second.

/** Jitter (ms) between the slot and the request reaching the channel that the cap still absorbs. */
export const RATE_GUARD_MS = 100;

export class ChannelRateLimiter {
  private nextSlot = 0;
  private readonly spacingMs: number;

  constructor(readonly perSecond: number, private readonly now: () => number = Date.now) {
    this.spacingMs = (1000 + RATE_GUARD_MS) / perSecond;
  }

  /** Waits for this request's slot; rejects if the signal aborts first (the slot is then wasted, never reused early). */
  async acquire(signal: AbortSignal): Promise<void> {
    const now = this.now();
    const slot = Math.max(now, this.nextSlot);
    this.nextSlot = slot + this.spacingMs;
    const wait = slot - now;
    if (wait <= 0) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, wait);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal.reason);
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
