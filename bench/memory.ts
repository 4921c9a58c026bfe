// Part 4, memory per configured check: two processes, a small and a large config, so that the
// per-check figure is the slope between them and not the fixed cost of a Node process.
import { startWorker } from './child.js';

export interface MemoryResult {
  checks: number;
  heapBytes: number;
  rssBytes: number;
  /** (heap at `checks`) / checks: everything the checks add over an empty process. */
  heapBytesPerCheck: number;
  rssBytesPerCheck: number;
  /** Between the small and the large config: the marginal cost of one more check. */
  marginalHeapBytesPerCheck: number;
  /** Heap per check added by each part, at `checks`. */
  heapBytesPerCheckByPart: Record<string, number>;
}

async function measureOnce(checks: number): Promise<{ checks: number; heapBytes: number; rssBytes: number; stages: Record<string, number> }> {
  const worker = await startWorker('memory-worker', { args: [String(checks)], execArgv: ['--expose-gc'], readyTimeoutMs: 60_000 });
  try {
    return await worker.ask({ type: 'run' }, 'done', 300_000);
  } finally {
    await worker.stop();
  }
}

export async function measureMemory(checks: number): Promise<MemoryResult> {
  const small = await measureOnce(Math.max(7, Math.round(checks / 5)));
  const large = await measureOnce(checks);
  return {
    checks: large.checks,
    heapBytes: large.heapBytes,
    rssBytes: large.rssBytes,
    heapBytesPerCheck: large.heapBytes / large.checks,
    rssBytesPerCheck: large.rssBytes / large.checks,
    marginalHeapBytesPerCheck: (large.heapBytes - small.heapBytes) / (large.checks - small.checks),
    heapBytesPerCheckByPart: Object.fromEntries(Object.entries(large.stages).map(([part, bytes]) => [part, bytes / large.checks])),
  };
}
