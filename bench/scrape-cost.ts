// Part 3, scrape cost: /metrics render time and size for a large config, and series per check
// (per location) against blackbox's series per target.
import { startWorker } from './child.js';
import { quantile } from './schedule-precision.js';
import type { ScrapeInit } from './scrape-worker.js';

export interface ScrapeResult {
  checks: number;
  locations: number;
  series: number;
  bytes: number;
  /** Median and worst of the renders by prom-client's registry alone. */
  registryMedianMs: number;
  registryMaxMs: number;
  /** Median and worst of GET /metrics through the collector app (Fastify inject). */
  httpMedianMs: number;
  httpMaxMs: number;
  /** httpMedianMs scaled to 50,000 series (render time is linear in series). */
  httpMsPer50kSeries: number;
  /** channel_health_probe_* series per configured check and location. */
  seriesPerCheck: number;
}

export async function measureScrape(init: ScrapeInit): Promise<ScrapeResult> {
  const worker = await startWorker('scrape-worker', { args: [JSON.stringify(init)], readyTimeoutMs: 120_000 });
  try {
    const r = await worker.ask<{ checks: number; locations: number; registryMs: number[]; httpMs: number[]; bytes: number; probeSeries: number; allSeries: number }>({ type: 'run' }, 'done', 300_000);
    const reg = [...r.registryMs].sort((a, b) => a - b);
    const http = [...r.httpMs].sort((a, b) => a - b);
    const httpMedianMs = quantile(http, 0.5);
    return {
      checks: r.checks,
      locations: r.locations,
      series: r.allSeries,
      bytes: r.bytes,
      registryMedianMs: quantile(reg, 0.5),
      registryMaxMs: reg.at(-1) as number,
      httpMedianMs,
      httpMaxMs: http.at(-1) as number,
      httpMsPer50kSeries: (httpMedianMs * 50_000) / r.allSeries,
      seriesPerCheck: r.probeSeries / (r.checks * r.locations),
    };
  } finally {
    await worker.stop();
  }
}
