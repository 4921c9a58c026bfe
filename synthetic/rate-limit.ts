// Per-channel request spacing: requests to one channel start at least 1/rate seconds apart,
// so the cap holds in every window however large the backlog grows. No burst allowance on
// purpose: probes must never be the reason a channel is busy.

export class ChannelRateLimiter {
  private nextSlot = 0;
  private readonly spacingMs: number;

  constructor(readonly perSecond: number, private readonly now: () => number = Date.now) {
    this.spacingMs = 1000 / perSecond;
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
