// Part 2, schedule precision at scale: N checks on one interval for a fixed time, the real
// Scheduler in a child process. Missed runs are counted against the plan computed here from
// the documented offsets (checkOffsetSeconds, checkOffsetMs), not against what the scheduler
// says it did.
import { parseDuration } from '../config/index.js';
import { checkOffsetMs, checkOffsetSeconds } from '../synthetic/scheduler.js';
import { startWorker } from './child.js';
import type { ScheduleInit, ScheduleReport } from './schedule-worker.js';

export interface ScheduleScenario {
  checks: number;
  interval: string;
  durationMs: number;
  runner: 'stub' | 'probe';
}

export interface ScheduleResult extends ScheduleScenario {
  firings: number;
  expectedRuns: number;
  missedRuns: number;
  /** Firings at a time the plan does not have, or twice for one planned time. */
  unplannedRuns: number;
  overlapsSkipped: number;
  failedRuns: number;
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
  /**
   * p99 of each firing's lag bounded by the CPU this process used while it waited (from the last
   * firing that started at or before its planned time to its own start): the part of the lag our
   * own work (timers, result recording, logging, GC) can account for. The rest is time the process
   * was not running: on a shared machine, other processes held the cores.
   */
  lagP99OnCpuMs: number;
  /** Firings later than LATE_MS. */
  lateFirings: number;
  /** Of those, the ones during whose wait this process used less than half the time in CPU. */
  lateOffCpu: number;
  /** Share of one core the scheduling process used over the run. */
  cpuCoreShare: number;
  /**
   * Share of the run the event-loop thread was ready but waiting for a CPU taken by other
   * processes: near 0 on a quiet machine; when it is not, lag is the machine's as much as ours.
   */
  runQueueWaitShare: number;
}

/** A firing this late (the goal's p99) is looked at: was the process running while it waited? */
export const LATE_MS = 20;

/** Firings planned in the first and last seconds are left out: start-up and stop are not steady state. */
const EDGE_MS = 2000;

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

export async function measureSchedule(s: ScheduleScenario, targetUrl: string): Promise<ScheduleResult> {
  const init: ScheduleInit = { checks: s.checks, interval: s.interval, durationMs: s.durationMs, runner: s.runner, targetUrl };
  const worker = await startWorker<{ checkIds: string[] }>('schedule-worker', { args: [JSON.stringify(init)], readyTimeoutMs: 120_000 });
  try {
    const report = await worker.ask<ScheduleReport>({ type: 'run' }, 'done', s.durationMs + 60_000);
    return analyse(s, worker.ready.checkIds, report);
  } finally {
    await worker.stop();
  }
}

export function analyse(s: ScheduleScenario, checkIds: readonly string[], report: Omit<ScheduleReport, 'type'>): ScheduleResult {
  const periodS = parseDuration(s.interval) / 1000;
  const from = report.startedAt + EDGE_MS;
  const to = report.stoppedAt - EDGE_MS;
  const planned = new Set<string>();
  const firstSecond = Math.ceil(from / 1000);
  const lastSecond = Math.floor(to / 1000);
  checkIds.forEach((id, i) => {
    const offset = checkOffsetSeconds(id, periodS);
    const ms = checkOffsetMs(id);
    const first = firstSecond + ((((offset - firstSecond) % periodS) + periodS) % periodS);
    for (let sec = first; sec <= lastSecond; sec += periodS) planned.add(`${i}:${sec * 1000 + ms}`);
  });
  const seen = new Set<string>();
  const lags: number[] = [];
  const onCpu: number[] = [];
  let unplanned = 0;
  let late = 0;
  let lateOffCpu = 0;
  // Firings in start order, for "CPU used since the last start at or before the planned time".
  const starts = report.firings.map(([, at, lag, cpu]) => ({ start: at + lag, cpu })).sort((a, b) => a.start - b.start);
  const cpuBefore = (t: number): number | null => {
    let lo = 0;
    let hi = starts.length - 1;
    let found: number | null = null;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const m = starts[mid] as { start: number; cpu: number };
      if (m.start <= t) {
        found = m.cpu;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  };
  for (const [i, scheduledAt, lag, cpu] of report.firings) {
    const second = Math.floor(scheduledAt / 1000);
    if (second < firstSecond || second > lastSecond) continue;
    const key = `${i}:${scheduledAt}`;
    if (!planned.has(key) || seen.has(key)) unplanned++;
    seen.add(key);
    lags.push(lag);
    const before = cpuBefore(scheduledAt);
    const used = before === null ? lag : Math.max(0, cpu - before);
    onCpu.push(Math.min(lag, used));
    if (lag > LATE_MS) {
      late++;
      if (used < lag / 2) lateOffCpu++;
    }
  }
  onCpu.sort((a, b) => a - b);
  let missed = 0;
  for (const key of planned) if (!seen.has(key)) missed++;
  lags.sort((a, b) => a - b);
  return {
    ...s,
    firings: lags.length,
    expectedRuns: planned.size,
    missedRuns: missed,
    unplannedRuns: unplanned,
    overlapsSkipped: report.overlapsSkipped,
    failedRuns: report.failedRuns,
    lagP50Ms: quantile(lags, 0.5),
    lagP99Ms: quantile(lags, 0.99),
    lagMaxMs: lags.at(-1) ?? Number.NaN,
    lagP99OnCpuMs: quantile(onCpu, 0.99),
    lateFirings: late,
    lateOffCpu,
    cpuCoreShare: report.cpuSeconds / ((report.stoppedAt - report.startedAt) / 1000),
    runQueueWaitShare: report.runQueueWaitSeconds / ((report.stoppedAt - report.startedAt) / 1000),
  };
}
