// 100 scrapers looping on /metrics of `run` with the shipped config for 30 s (issue 17, "Scrapes
// never fail probes"): every probe run in that time succeeds, and every scrape is answered 200
// (the exposition) or 503 CH_SCRAPE_BUSY with Retry-After, never with a socket error, and the
// refusals are what channel_health_scrape_refused_total counts. A scraper
// sends its next request as soon as it has an answer, after Retry-After on a 503 (a polite
// client; Prometheus itself waits a whole interval). Real process, loopback only, bounded.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/index.js';
import type { ProbeResult } from '../../synthetic/result.js';
import { REPO_ROOT, startService, waitFor, type Managed } from '../support/processes.js';

const SCRAPERS = 100;
const LOAD_MS = 30_000;
// A scrape waits at most 5 s in the gate's queue, then is sent a few hundred KiB on loopback.
const REQUEST_TIMEOUT_MS = 20_000;
const shipped = parseConfig(readFileSync(path.join(REPO_ROOT, 'channel-health.yaml'), 'utf8'), 'channel-health.yaml');
/**
 * A run lasts at most twice its timeout (the deadline gives back time the loop was held); the
 * longest is a hotline call's (28 s shipped), so the wait for the runs under load follows it.
 */
const LONGEST_RUN_MS = 2 * Math.max(...shipped.checks.map((c) => c.timeoutMs));
const PERIOD_MS = new Map(shipped.checks.map((c) => [c.id, c.periodMs]));

interface Tally {
  ok: number;
  busy: number;
  other: string[];
  errors: string[];
}

async function scraper(url: string, until: number, tally: Tally): Promise<void> {
  while (Date.now() < until) {
    let res: Response;
    let body: string;
    try {
      res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      body = await res.text();
    } catch (err) {
      tally.errors.push(`${(err as Error).name}: ${(err as Error).message} ${String((err as { cause?: unknown }).cause ?? '')}`);
      // A broken connection is a failure of the test; do not spin on it.
      await new Promise((r) => setTimeout(r, 100));
      continue;
    }
    if (res.status === 200 && body.endsWith('\n') && body.includes('\nchannel_health_probe_runs_total{')) {
      tally.ok += 1;
    } else if (res.status === 503 && res.headers.get('retry-after') === '1' && body.includes('"CH_SCRAPE_BUSY"')) {
      tally.busy += 1;
      await new Promise((r) => setTimeout(r, 1000));
    } else {
      tally.other.push(`${res.status} ${body.slice(0, 200)}`);
    }
  }
}

describe('run under 100 concurrent scrapers', () => {
  let svc: Managed;
  beforeAll(async () => {
    svc = await startService();
  });
  afterAll(async () => svc?.stop());

  it('fails no probe run and answers every scrape with 200 or 503', async () => {
    const from = Date.now();
    const until = from + LOAD_MS;
    const tally: Tally = { ok: 0, busy: 0, other: [], errors: [] };
    await Promise.all(Array.from({ length: SCRAPERS }, () => scraper(svc.url, until, tally)));
    const to = Date.now();

    // The runs started under load, once finished.
    const runs = await waitFor(
      async () => {
        // Some check is nearly always mid-call (a hotline call lasts up to 20 s): wait only for
        // runs that were due by the end of the load, i.e. whose next run is at most a period later.
        const checks = (await (await fetch(`${svc.url}/api/v1/checks`)).json()) as { checks: Array<{ id: string; running: boolean; nextRunAt: string | null }> };
        const dueByEnd = (c: { id: string; nextRunAt: string | null }) => c.nextRunAt === null || Date.parse(c.nextRunAt) - (PERIOD_MS.get(c.id) ?? 0) <= to;
        if (checks.checks.some((c) => c.running && dueByEnd(c))) return undefined;
        const { results } = (await (await fetch(`${svc.url}/api/v1/results?limit=1000`)).json()) as { results: ProbeResult[] };
        return results.filter((r) => r.startedAt >= from && r.startedAt <= to);
      },
      LONGEST_RUN_MS + 5000,
      'the runs started under load to finish',
      200,
    );
    const failed = runs.filter((r) => !r.ok).map((r) => `${r.checkId}: ${r.reason} at ${r.failedStep}: ${r.detail}`);
    expect(failed, svc.output()).toEqual([]);
    // Every check is due once in 30 s; a few may fall on either edge of the window.
    expect(runs.length).toBeGreaterThanOrEqual(30);
    expect(tally.errors).toEqual([]);
    expect(tally.other).toEqual([]);
    // The scrapers were answered, not only refused.
    expect(tally.ok).toBeGreaterThanOrEqual(SCRAPERS);
    // Every refusal was counted, once: the counter equals the 503s the scrapers saw.
    const exposition = await (await fetch(`${svc.url}/metrics`)).text();
    const counted = /^channel_health_scrape_refused_total (\d+)$/m.exec(exposition)?.[1];
    expect(Number(counted), 'channel_health_scrape_refused_total').toBe(tally.busy);
    process.stderr.write(`scrape-load: ${runs.length} probe runs, all ok; ${tally.ok} scrapes answered 200, ${tally.busy} answered 503 in ${to - from} ms\n`);
  }, LOAD_MS + LONGEST_RUN_MS + 60_000);
});
