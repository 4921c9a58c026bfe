// A run's deadline: an AbortSignal that aborts when the run has had `timeoutMs` of time in which
// the process could see the channel's answer.
//
// Node runs due timers before it reads sockets on each turn of the event loop. When something
// holds the loop (a long synchronous task, a garbage collection, a saturated machine) across the
// deadline while the answer already waits in the socket, a plain timer fires first and the run
// is judged `timeout` although the channel answered in time: the collector's own work, recorded
// as the channel's failure. So a timer that fires late gives the run back the time it was late,
// once re-armed, and the waiting answer is read before the run is judged; in total it never
// gives back more than `timeoutMs` (docs/scraping.md, "A probe's timeout measures the channel").
import { performance } from 'node:perf_hooks';

export interface RunDeadline {
  readonly signal: AbortSignal;
  /** Milliseconds given back so far for a held event loop. */
  readonly givenBackMs: number;
  clear(): void;
}

/** Lateness below this is a timer's ordinary jitter, not a held loop. */
export const LATE_TIMER_MS = 2;

/**
 * Not AbortSignal.timeout: its timer cannot be cancelled, so every run left one behind that woke
 * the process a whole timeout later, about a tenth of a probe's CPU (docs/performance.md).
 */
export function runDeadline(timeoutMs: number, now: () => number = () => performance.now()): RunDeadline {
  const controller = new AbortController();
  let due = now() + timeoutMs;
  let givenBackMs = 0;
  let timer: NodeJS.Timeout;
  const arm = (ms: number) => {
    timer = setTimeout(fire, ms);
    // Like AbortSignal.timeout's: a pending deadline alone does not keep the process alive.
    timer.unref();
  };
  function fire() {
    const t = now();
    const late = t - due;
    const back = Math.min(late, timeoutMs - givenBackMs);
    if (late > LATE_TIMER_MS && back > 0) {
      givenBackMs += back;
      due = t + back;
      arm(back);
      return;
    }
    controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
  }
  arm(timeoutMs);
  return {
    signal: controller.signal,
    get givenBackMs() {
      return givenBackMs;
    },
    clear: () => clearTimeout(timer),
  };
}
