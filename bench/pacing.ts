// Starting work at a fixed rate: both sides of the probe comparison are driven by this same
// loop, so "the same rate" means the same thing for our runner and for blackbox's /probe.
import { performance } from 'node:perf_hooks';

/**
 * Starts `count` tasks, task i at i/rate seconds after the start (late ticks catch up), and
 * resolves when every task has settled. Never more than `maxInFlight` run at once.
 */
export async function paced(count: number, ratePerSecond: number, task: (index: number) => Promise<unknown>, maxInFlight = 256): Promise<void> {
  const spacing = 1000 / ratePerSecond;
  const start = performance.now();
  let next = 0;
  let inFlight = 0;
  let settled = 0;
  return new Promise<void>((resolve, reject) => {
    const tick = () => {
      const due = Math.min(count, Math.floor((performance.now() - start) / spacing) + 1);
      while (next < due && inFlight < maxInFlight) {
        inFlight++;
        task(next++).then(
          () => {
            inFlight--;
            if (++settled === count) resolve();
          },
          (err: unknown) => reject(err as Error),
        );
      }
      if (next < count) setTimeout(tick, Math.max(1, start + next * spacing - performance.now()));
    };
    if (count === 0) resolve();
    else tick();
  });
}
