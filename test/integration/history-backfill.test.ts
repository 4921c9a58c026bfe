// The made-up history that dashboards-queries.test.ts backfills, checked on its own at fixed
// times: a series whose live value is tiny (one probe run in a bucket) must still have a rate
// above zero over every window the dashboards read from the history, at every hour of the day.
// A counter rounded to whole numbers kept the same value for hours at night, so the week-before
// p95 panel came out NaN whenever the test ran at such an hour.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/index.js';
import { generateDashboards } from '../../dashboards/generate.js';
import { readFileSync } from 'node:fs';
import { DAY, HISTORY_STEP, backfillHistory, historyOpenMetrics, type Exposition } from '../support/history.js';
import { REPO_ROOT, startPrometheus, type Managed } from '../support/processes.js';

// Fixed clock: a Wednesday 02:10 UTC, so the week before is read at the quietest hour of the shape.
const NOW = Date.UTC(2026, 10, 18, 2, 10) / 1000;
const histogram = (transaction: string, counts: Record<string, number>) =>
  Object.entries(counts)
    .map(([le, n]) => `channel_health_probe_duration_seconds_bucket{channel="web",transaction="${transaction}",location="local",le="${le}"} ${n}`)
    .join('\n');
// The smallest live values a run can show: one or two runs in a bucket.
const EXPOSITION: Exposition = {
  target: '127.0.0.1:9470',
  text: [
    '# TYPE channel_health_probe_duration_seconds histogram',
    histogram('balance_query', { '0.1': 0, '0.5': 1, '+Inf': 1 }),
    histogram('bill_query', { '0.1': 1, '0.5': 2, '+Inf': 2 }),
    '# TYPE channel_health_probe_runs_total counter',
    'channel_health_probe_runs_total{channel="web",transaction="balance_query",tier="core",location="local"} 1',
    '',
  ].join('\n'),
};
const P95 = 'histogram_quantile(0.95, sum by (le, transaction) (rate(channel_health_probe_duration_seconds_bucket[1h])))';

describe('the backfilled history of the dashboard test', () => {
  it('grows every counter at every step, so any window of two steps has a rate above zero', () => {
    const samples = new Map<string, number[]>();
    for (const text of historyOpenMetrics([EXPOSITION], NOW).values()) {
      for (const line of text.split('\n')) {
        const m = /^(\S+\{.*\}) (\S+) (\d+)$/.exec(line);
        if (m) samples.set(m[1] as string, [...(samples.get(m[1] as string) ?? []), Number(m[2])]);
      }
    }
    expect(samples.size).toBe(7);
    for (const [series, values] of samples) {
      if (values.at(-1) === 0) continue;
      values.slice(1).forEach((v, i) => expect(v, `${series} at step ${i + 1}`).toBeGreaterThan(values[i] as number));
    }
  });

  it('reads no history through a window shorter than two of its steps', () => {
    const config = parseConfig(readFileSync(path.join(REPO_ROOT, 'channel-health.yaml'), 'utf8'), 'channel-health.yaml');
    const seconds = { s: 1, m: 60, h: 3600, d: DAY, w: 7 * DAY } as const;
    let offsets = 0;
    for (const file of generateDashboards(config)) {
      for (const m of file.content.matchAll(/\[(\d+)([smhdw])\] offset/g)) {
        offsets++;
        expect(Number(m[1]) * seconds[m[2] as keyof typeof seconds], `${file.path}: ${m[0]}`).toBeGreaterThanOrEqual(2 * HISTORY_STEP);
      }
    }
    expect(offsets).toBeGreaterThan(0);
  });

  describe('in a real Prometheus', () => {
    let dir: string;
    let prom: Managed | undefined;
    beforeAll(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'ch-history-'));
      prom = await startPrometheus({ storagePath: await backfillHistory([EXPOSITION], dir, NOW), extraArgs: ['--storage.tsdb.retention.time=10y'] });
    }, 90_000);
    afterAll(async () => {
      await prom?.stop();
      await rm(dir, { recursive: true, force: true });
    });

    it('gives a finite p95 over 1 h at every 5 minutes of the week before', async () => {
      const end = NOW - 7 * DAY + 2 * 3600;
      const params = new URLSearchParams({ query: P95, start: String(end - DAY), end: String(end), step: '300' });
      const body = (await (await fetch(`${(prom as Managed).url}/api/v1/query_range`, { method: 'POST', body: params })).json()) as {
        data: { result: Array<{ metric: { transaction: string }; values: Array<[number, string]> }> };
      };
      expect(body.data.result.map((r) => r.metric.transaction).sort()).toEqual(['balance_query', 'bill_query']);
      for (const series of body.data.result) {
        const bad = series.values.filter(([, v]) => !Number.isFinite(Number(v))).map(([t]) => new Date(t * 1000).toISOString().slice(11, 16));
        expect(bad, `${series.metric.transaction}: NaN at ${bad.join(' ')}`).toEqual([]);
        expect(series.values.length).toBe(DAY / 300 + 1);
      }
    });
  });
});
