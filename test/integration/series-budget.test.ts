// The series budget (docs/metrics.md, "What a check costs"): `channel-health run` on the shipped
// config, at steady state (every check has run twice), serves at most 30 series per check: on
// average over all series, and for each check's own. Every
// series on /metrics is counted, whatever its name: a series that carries a check's channel and
// transaction (and its location, where it has one) is that check's; the rest (objectives, build,
// maintenance windows, binds, ingest counters, anything added later) are shared out evenly.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/index.js';
import { REPO_ROOT, startService, waitFor, type Managed } from '../support/processes.js';

const BUDGET = 30;
const shipped = parseConfig(readFileSync(path.join(REPO_ROOT, 'channel-health.yaml'), 'utf8'), 'channel-health.yaml');
const location = shipped.service.location;

interface Series {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Every sample line of a Prometheus text exposition, labels parsed (values here hold no `"` or `,`). */
function parseExposition(text: string): Series[] {
  const out: Series[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (m[2] ?? '').match(/[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"/g) ?? []) {
      const eq = pair.indexOf('=');
      labels[pair.slice(0, eq)] = pair.slice(eq + 2, -1);
    }
    out.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return out;
}

describe('series per check on the shipped config', () => {
  let svc: Managed;
  beforeAll(async () => {
    svc = await startService();
  });
  afterAll(async () => svc?.stop());

  it(`stays at or under ${BUDGET} once every check has run twice`, async () => {
    const runsOf = (series: Series[], channel: string, transaction: string) =>
      series.find((s) => s.name === 'channel_health_probe_runs_total' && s.labels.channel === channel && s.labels.transaction === transaction && s.labels.location === location)?.value ?? 0;
    // Shipped checks run every 30 s at a per-check offset: two runs each within about 60 s.
    const series = await waitFor(
      async () => {
        const all = parseExposition(await (await fetch(`${svc.url}/metrics`)).text());
        return shipped.checks.every((c) => runsOf(all, c.channel, c.transaction) >= 2) ? all : undefined;
      },
      150_000,
      'two runs of every shipped check',
      2000,
    );

    const own = new Map(shipped.checks.map((c) => [c.id, 0]));
    let shared = 0;
    for (const s of series) {
      const check = shipped.checks.find(
        (c) => s.labels.channel === c.channel && s.labels.transaction === c.transaction && (s.labels.location === undefined || s.labels.location === location),
      );
      if (check) own.set(check.id, (own.get(check.id) ?? 0) + 1);
      else shared += 1;
    }
    const perCheck = [...own].map(([id, n]) => ({ id, series: n + shared / shipped.checks.length }));
    const worst = perCheck.reduce((a, b) => (b.series > a.series ? b : a));
    const summary = `${series.length} series for ${shipped.checks.length} checks (${shared} shared); most: ${worst.id} with ${worst.series.toFixed(1)}`;
    console.log(`series budget: ${summary}; mean ${(series.length / shipped.checks.length).toFixed(1)} per check`);
    // The count is of something real: every check's own series include its run histogram.
    expect(shipped.checks.length).toBeGreaterThan(0);
    for (const { id } of perCheck) expect(own.get(id), id).toBeGreaterThanOrEqual(10);
    // The budget is the issue's own measure, all series over all checks; no check may spend it
    // alone either (the shared ones are the service's, whatever the number of checks).
    for (const [id, n] of own) expect(n, `${id}: ${summary}`).toBeLessThanOrEqual(BUDGET);
    expect(series.length / shipped.checks.length, summary).toBeLessThanOrEqual(BUDGET);
  }, 180_000);
});
