// The detection bench writes its scenarios in promtool's expanding notation; a wrong token would
// silently replay a different history. Decode what it writes and compare.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { binomialDraw, encodeValues, probeSeries, seededRandom } from '../../bench/detection/series.js';
import { parseGot, scenarioConfig } from '../../bench/detection/main.js';
import { holidaySpans, materialize, scenarios, weeklyVolume, type Scenario } from '../../bench/detection/scenarios.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../../config/index.js';
import { REPO_ROOT } from '../support/processes.js';

/** promtool's notation: `a`, `axn` (n+1 copies), `a+bxn` / `a-bxn` (n+1 values stepping by b), `_` / `_xn` (1 / n missing). */
function decode(text: string): Array<number | null> {
  const out: Array<number | null> = [];
  for (const token of text.split(' ')) {
    const missing = /^_(?:x(\d+))?$/.exec(token);
    if (missing) {
      for (let i = 0; i < Number(missing[1] ?? 1); i++) out.push(null);
      continue;
    }
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
    // A series born at the third scrape: two scrapes without it.
    expect(encodeValues([null, null, 1, 2, 3])).toBe('_x2 1+1x2');
    expect(encodeValues([null, 4])).toBe('_ 4');
    expect(decode(encodeValues([null, null, null]))).toEqual([null, null, null]);
    expect(() => encodeValues([1, null, 2])).toThrow(/once born/);
    expect(decode('0+0.3x3').map((v) => Math.round((v ?? Number.NaN) * 10) / 10)).toEqual([0, 0.3, 0.6, 0.9]);
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
    // Born at the first failure, as the collector makes it: rate() cannot see that first step.
    expect(values('channel_health_probe_failures_total')).toEqual([null, 1, 2, 2, 3]);
    const full = probeSeries({ channel: 'web', transaction: 'topup', tier: 'core' }, steps, 30, 'full');
    expect(decode(full.find((s) => s.series.startsWith('channel_health_probe_failures_total{'))?.values as string)).toEqual([0, 1, 2, 2, 3]);
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

describe('detection bench scenarios of issue 16', () => {
  const DAY = 86_400;
  const config = parseConfig(readFileSync(path.join(REPO_ROOT, 'channel-health.yaml'), 'utf8'), 'channel-health.yaml');
  const all = scenarios(config, 1);
  const byId = (id: string) => all.find((s) => s.id === id) as Scenario;

  it('shapes real traffic by the hour of the week: a week apart alike, nights and weekends lower, a holiday at 40%', () => {
    const offset = config.service.utcOffsetMinutes;
    const hourAt = (day: number, hour: number) => day * DAY + hour * 3600 - offset * 60; // business clock
    for (let h = 0; h < 168; h++) expect(weeklyVolume(h * 3600 + 7 * DAY, offset)).toBeCloseTo(weeklyVolume(h * 3600, offset), 10);
    // 1970-01-01 was a Thursday; the 3rd a Saturday.
    expect(weeklyVolume(hourAt(0, 15), offset)).toBeGreaterThan(5 * weeklyVolume(hourAt(0, 3), offset));
    expect(weeklyVolume(hourAt(2, 15), offset) / weeklyVolume(hourAt(0, 15), offset)).toBeCloseTo(0.75, 10);
    const spans = holidaySpans(['1970-01-09'], offset);
    expect(spans).toEqual([[hourAt(8, 0), hourAt(9, 0)]]);
    expect(weeklyVolume(hourAt(8, 15), offset, spans) / weeklyVolume(hourAt(8, 15), offset)).toBeCloseTo(0.4, 10);
    expect(weeklyVolume(hourAt(9, 0), offset, spans)).toBe(weeklyVolume(hourAt(9, 0), offset));
  });

  it('fails the interleaved pair at its share, independently, and leaves the other channels healthy', () => {
    for (const [id, share] of [['interleaved-bill_query-20pct', 0.2], ['interleaved-data_addon-50pct', 0.5]] as const) {
      const s = byId(id);
      const { probes } = materialize(config, s, 7);
      const faulty = (app: boolean) => [...probes].filter(([c]) => (c.channel === 'app') === app).flatMap(([, steps]) => steps.slice(Math.ceil((s.faultAt as number) / 30)));
      const failed = faulty(true).filter((x) => !x.ok).length / faulty(true).length;
      expect(Math.abs(failed - share), id).toBeLessThan(0.05);
      expect(faulty(false).filter((x) => !x.ok).length / faulty(false).length, id).toBeLessThan(0.05);
    }
  });

  it('drops real topups to 20% on the pairs a traffic scenario names, from the fault on, with a week of history before', () => {
    for (const [id, dropping] of [['traffic-drop-one', ['web']], ['traffic-drop-everywhere', ['web', 'app', 'sms']]] as const) {
      const s = byId(id);
      expect(s.faultAt as number, id).toBeGreaterThanOrEqual(7 * DAY);
      const { events } = materialize(config, s, 7);
      const step = s.stepSeconds as number;
      const i = Math.round((s.faultAt as number) / step);
      for (const [stream, perStep] of events) {
        // The hour after the fault against the same hour a week before.
        const sum = (from: number) => perStep.slice(from, from + 3600 / step).reduce((a, x) => a + x.events, 0);
        const ratio = sum(i) / sum(i - (7 * DAY) / step);
        if ((dropping as readonly string[]).includes(stream.check.channel)) expect(ratio, `${id} ${stream.check.channel}`).toBeCloseTo(0.2, 1);
        else expect(ratio, `${id} ${stream.check.channel}`).toBeCloseTo(1, 1);
      }
    }
  });

  it('gives the traffic month a configured holiday for its rules, and leaves the shipped config alone', () => {
    const month = byId('healthy-month-traffic');
    expect(month.seconds).toBe(30 * DAY);
    const withHoliday = scenarioConfig(config, month);
    expect(withHoliday.alerting.holidays).toContain('1970-01-09');
    expect(config.alerting.holidays).not.toContain('1970-01-09');
    expect(scenarioConfig(config, byId('hard-down'))).toBe(config);
  });
});
