// How many /metrics scrapes are served at once. A scrape holds a place from admission until its
// response is sent or its connection closes; beyond `concurrent` it waits in a queue of at most
// `queued` for at most `queueTimeoutMs`, and beyond that it is refused at once (503 with
// Retry-After). A refusal costs a few microseconds; the probes on the same event loop do not wait
// for scrapers, however many there are (docs/scraping.md).
import type { ServerResponse } from 'node:http';

export interface ScrapeLimits {
  /** Scrapes answered at once (service.scrape.concurrent). */
  concurrent: number;
  /** Scrapes waiting for a place; one more is answered 503 (service.scrape.queued). */
  queued: number;
  /** Longest wait in the queue before a 503 (service.scrape.queueTimeout). */
  queueTimeoutMs: number;
  /** Retry-After (seconds) on a 503. */
  retryAfterSeconds: number;
}

/** A refused scraper may try again this soon: a place frees up as soon as a scrape is sent. */
export const SCRAPE_RETRY_AFTER_SECONDS = 1;

export interface ScrapeGate {
  /** True once `res` holds a place (released when `res` closes); false when it is refused. */
  admit(res: ServerResponse): Promise<boolean>;
  /** Scrapes holding a place, and waiting for one. */
  readonly active: number;
  readonly waiting: number;
}

interface Waiter {
  res: ServerResponse;
  resolve(admitted: boolean): void;
  timer: NodeJS.Timeout;
  onGone(): void;
}

export function createScrapeGate(limits: ScrapeLimits): ScrapeGate {
  let active = 0;
  const queue: Waiter[] = [];

  const hold = (res: ServerResponse) => {
    active += 1;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      active -= 1;
      const next = queue.shift();
      if (next) {
        clearTimeout(next.timer);
        next.res.off('close', next.onGone);
        hold(next.res);
        next.resolve(true);
      }
    };
    // 'close' follows the end of every response and every broken connection.
    res.once('close', release);
  };

  const gone = (res: ServerResponse) => res.destroyed || res.writableEnded;

  return {
    get active() {
      return active;
    },
    get waiting() {
      return queue.length;
    },
    admit(res) {
      if (gone(res)) return Promise.resolve(false);
      if (active < limits.concurrent) {
        hold(res);
        return Promise.resolve(true);
      }
      if (queue.length >= limits.queued) return Promise.resolve(false);
      return new Promise<boolean>((resolve) => {
        const leave = () => {
          const i = queue.indexOf(waiter);
          if (i >= 0) queue.splice(i, 1);
          clearTimeout(waiter.timer);
          res.off('close', waiter.onGone);
          resolve(false);
        };
        const waiter: Waiter = { res, resolve, timer: setTimeout(leave, limits.queueTimeoutMs), onGone: leave };
        // A scraper that hung up while waiting gives its place in the queue back.
        res.once('close', waiter.onGone);
        queue.push(waiter);
      });
    },
  };
}
