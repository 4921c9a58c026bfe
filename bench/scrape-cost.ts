// Part 3, scrape cost: /metrics render time and size for a large config, and series per check
// (per location) against blackbox's series per target. A scrape renders only what changed since
// the last one (docs/scraping.md), so it is timed with every series changed, with a tenth of the
// checks changed, and with nothing changed; prom-client's own full render is timed beside them.
import { startWorker } from './child.js';
import { quantile } from './schedule-precision.js';
import type { ScrapeInit, ScrapeWorkerResult, Timing } from './scrape-worker.js';

export interface ScrapeResult {
  checks: number;
  locations: number;
  series: number;
  bytes: number;
  /** Median and worst of prom-client's registry.metrics() alone (every series rendered). */
  registryMedianMs: number;
  registryMaxMs: number;
  /** Median and worst of GET /metrics through the collector app with every series changed since the last scrape. */
  httpMedianMs: number;
  httpMaxMs: number;
  /** CPU milliseconds of that median scrape (the machine is shared: wall time includes waiting for a core). */
  httpCpuMedianMs: number;
  /** httpMedianMs scaled to 50,000 series (render time is linear in series). */
  httpMsPer50kSeries: number;
  /** GET /metrics with a tenth of the checks changed, and with nothing changed (scraped twice in a row): medians (wall; CPU for the unchanged one). */
  tenthChangedMedianMs: number;
  unchangedMedianMs: number;
  unchangedCpuMedianMs: number;
  /** Of an unchanged scrape, the collector's rendering alone (the rest is sending the bytes). */
  unchangedRenderMedianMs: number;
  unchangedRenderCpuMedianMs: number;
  unchangedMsPer50kSeries: number;
  /** Longest the event loop was held during a scrape with every series changed (probe timers wait at most this). */
  loopHeldMaxMs: number;
  /** channel_health_probe_* series per configured check and location. */
  seriesPerCheck: number;
}

const median = (xs: Timing[], key: keyof Timing) => quantile([...xs.map((x) => x[key])].sort((a, b) => a - b), 0.5);
const max = (xs: Timing[]) => Math.max(...xs.map((x) => x.ms));

export async function measureScrape(init: ScrapeInit): Promise<ScrapeResult> {
  const worker = await startWorker('scrape-worker', { args: [JSON.stringify(init)], readyTimeoutMs: 120_000 });
  try {
    const r = await worker.ask<ScrapeWorkerResult>({ type: 'run' }, 'done', 600_000);
    const httpMedianMs = median(r.allChanged, 'ms');
    const unchangedMedianMs = median(r.unchanged, 'ms');
    const unchangedCpuMedianMs = median(r.unchanged, 'cpuMs');
    return {
      checks: r.checks,
      locations: r.locations,
      series: r.allSeries,
      bytes: r.bytes,
      registryMedianMs: median(r.registry, 'ms'),
      registryMaxMs: max(r.registry),
      httpMedianMs,
      httpMaxMs: max(r.allChanged),
      httpCpuMedianMs: median(r.allChanged, 'cpuMs'),
      httpMsPer50kSeries: (httpMedianMs * 50_000) / r.allSeries,
      tenthChangedMedianMs: median(r.tenthChanged, 'ms'),
      unchangedMedianMs,
      unchangedCpuMedianMs,
      unchangedRenderMedianMs: median(r.unchangedRender, 'ms'),
      unchangedRenderCpuMedianMs: median(r.unchangedRender, 'cpuMs'),
      unchangedMsPer50kSeries: (unchangedMedianMs * 50_000) / r.allSeries,
      loopHeldMaxMs: r.loopHeldMaxMs,
      seriesPerCheck: r.probeSeries / (r.checks * r.locations),
    };
  } finally {
    await worker.stop();
  }
}
