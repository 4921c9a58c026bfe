// 100 scrapers looping on /metrics of `run` with the shipped config for 30 s (issue 17, "Scrapes
// never fail probes"): every probe run in that time succeeds, and every scrape is answered 200
// (the exposition) or 503 CH_SCRAPE_BUSY with Retry-After, never with a socket error. A scraper
// sends its next request as soon as it has an answer, after Retry-After on a 503 (a polite
// client; Prometheus itself waits a whole interval). Real process, loopback only, bounded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeResult } from '../../synthetic/result.js';
import { startService, waitFor, type Managed } from '../support/processes.js';

const SCRAPERS = 100;
const LOAD_MS = 30_000;
// A scrape waits at most 5 s in the gate's queue, then is sent a few hundred KiB on loopback.
const REQUEST_TIMEOUT_MS = 20_000;

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

    // The runs started under load, once finished (a run lasts at most twice its 10 s timeout).
    const runs = await waitFor(
      async () => {
        const checks = (await (await fetch(`${svc.url}/api/v1/checks`)).json()) as { checks: Array<{ running: boolean }> };
        if (checks.checks.some((c) => c.running)) return undefined;
        const { results } = (await (await fetch(`${svc.url}/api/v1/results?limit=1000`)).json()) as { results: ProbeResult[] };
        return results.filter((r) => r.startedAt >= from && r.startedAt <= to);
      },
      25_000,
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
    process.stderr.write(`scrape-load: ${runs.length} probe runs, all ok; ${tally.ok} scrapes answered 200, ${tally.busy} answered 503 in ${to - from} ms\n`);
  }, LOAD_MS + 90_000);
});
