// The detection bench writes its scenarios in promtool's expanding notation; a wrong token would
// silently replay a different history. Decode what it writes and compare.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { binomialDraw, encodeValues, probeSeries, seededRandom } from '../../bench/detection/series.js';
import { parseGot } from '../../bench/detection/main.js';

/** promtool's notation: `a`, `axn` (n+1 copies), `a+bxn` / `a-bxn` (n+1 values stepping by b). */
function decode(text: string): number[] {
  const out: number[] = [];
  for (const token of text.split(' ')) {
    const m = /^(-?[0-9.e-]+)(?:([+-])([0-9.e-]+))?(?:x(\d+))?$/.exec(token);
    if (!m) throw new Error(`bad token ${token}`);
    const start = Number(m[1]);
    const step = m[2] ? (m[2] === '+' ? 1 : -1) * Number(m[3]) : 0;
    const n = m[4] === undefined ? 0 : Number(m[4]);
    for (let i = 0; i <= n; i++) out.push(start + i * step);
  }
  return out;
}

describe('bench series encoding', () => {
  it('decodes back to the values it encoded', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 200 }), (steps) => {
        // Counters: running sums of non-negative steps.
        let sum = 0;
        const values = steps.map((s) => (sum += s % 3 === 0 ? 0 : s));
        expect(decode(encodeValues(values))).toEqual(values);
      }),
      { numRuns: 300, seed: 11 },
    );
    expect(encodeValues([0, 1, 2, 3, 3, 3])).toBe('0+1x3 3x1');
    expect(decode('0+0.3x3').map((v) => Math.round(v * 10) / 10)).toEqual([0, 0.3, 0.6, 0.9]);
  });

  it('exports a check as the collector would: counters, the consecutive gauge, the histogram', () => {
    const steps = [
      { ok: true, seconds: 0.3 },
      { ok: false, seconds: 0.3 },
      { ok: false, seconds: 2.4 },
      { ok: true, seconds: 0.7 },
      { ok: false, seconds: 0.3 },
    ];
    const series = probeSeries({ channel: 'web', transaction: 'topup', tier: 'core' }, steps, 30);
    const values = (name: string, extra = '') => decode(series.find((s) => s.series.startsWith(`${name}{`) && s.series.includes(extra))?.values as string);
    // Step 0 is the scrape before the first run.
    expect(values('channel_health_probe_runs_total')).toEqual([0, 1, 2, 3, 4]);
    expect(values('channel_health_probe_failures_total')).toEqual([0, 1, 2, 2, 3]);
    expect(values('channel_health_probe_consecutive_failures')).toEqual([0, 1, 2, 0, 1]);
    expect(values('channel_health_probe_last_run_timestamp_seconds')).toEqual([0, 30, 60, 90, 120]);
    expect(values('channel_health_probe_duration_seconds_bucket', 'le="0.5"')).toEqual([0, 1, 1, 1, 2]);
    expect(values('channel_health_probe_duration_seconds_bucket', 'le="2"')).toEqual([0, 1, 1, 2, 3]);
    expect(values('channel_health_probe_duration_seconds_bucket', 'le="+Inf"')).toEqual([0, 1, 2, 3, 4]);
    for (const s of series) expect(s.series).toContain('instance="ch:9470",job="channel-health"');
  });

  it('draws binomial counts with the right mean, from a seed', () => {
    const random = seededRandom(3);
    const small = Array.from({ length: 20_000 }, () => binomialDraw(300, 0.0001, random));
    const large = Array.from({ length: 5_000 }, () => binomialDraw(1000, 0.06, random));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(small)).toBeGreaterThan(0.025);
    expect(mean(small)).toBeLessThan(0.035);
    expect(mean(large)).toBeGreaterThan(59);
    expect(mean(large)).toBeLessThan(61);
    expect(seededRandom(5)()).toBe(seededRandom(5)());
  });

  it('reads the samples out of promtool failure reports', () => {
    const report = [
      '    expr: "x", time: 8h,',
      '        exp: nil',
      '        got: {alertname="ChannelHealthHardDown", q="first", severity="page"} 2.526E+04, {alertname="Watchdog", q="first", severity="warning"} 1E+00',
    ].join('\n');
    expect(parseGot(report)).toEqual([
      { labels: { alertname: 'ChannelHealthHardDown', q: 'first', severity: 'page' }, value: 25260 },
      { labels: { alertname: 'Watchdog', q: 'first', severity: 'warning' }, value: 1 },
    ]);
  });
});
