// The report against a real Prometheus holding a generated fortnight whose answers are known:
// OpenMetrics text → promtool tsdb create-blocks-from openmetrics → Prometheus on those blocks →
// `channel-health report --week` → figures checked against the sums worked out by hand below.
// The HTML it writes is then opened in headless Chromium.
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReport } from '../../cli/report.js';
import type { Report } from '../../report/index.js';
import { REPO_ROOT, startPrometheus, type Managed } from '../support/processes.js';

const run = promisify(execFile);
const STEP = 300; // one sample every 5 minutes
const DAY = 86_400;
const OFFSET = 8 * 3600; // the report is read on UTC+08:00

/** Local Monday 00:00 (+08:00) of the last complete ISO week, in unix seconds, and its ISO label. */
function lastCompleteWeek(nowSeconds: number): { from: number; label: string } {
  const localDay = Math.floor((nowSeconds + OFFSET) / DAY) * DAY;
  const weekday = (new Date(localDay * 1000).getUTCDay() + 6) % 7; // Monday 0
  const localMonday = localDay - weekday * DAY - 7 * DAY;
  const thursday = new Date((localMonday + 3 * DAY) * 1000);
  const year = thursday.getUTCFullYear();
  const jan1 = Date.UTC(year, 0, 1) / 1000;
  const week = 1 + Math.floor((localMonday + 3 * DAY - jan1) / DAY / 7);
  return { from: localMonday - OFFSET, label: `${year}-W${String(week).padStart(2, '0')}` };
}

const week = lastCompleteWeek(Math.floor(Date.now() / 1000));
const FROM = week.from;
const TO = FROM + 7 * DAY;
const PREV = FROM - 7 * DAY;

// ---- the generated fortnight: day 0 is the previous Monday (local), days 7..13 the reported week ----
type Labels = Record<string, string>;
/** Events per 5-minute interval starting on local day d, hour h, minute m. */
type Rate = (d: number, h: number, m: number) => number;

const real: Array<{ labels: Labels; rate: Rate }> = [
  // web: flat 30 per 5 min, the 20:00 hour grows by 2 per day: the peak hour, rising in a straight line.
  { labels: { channel: 'web', transaction: 'topup', tier: 'core' }, rate: (d, h) => 20 + (h === 20 ? 10 + 2 * d : 0) },
  { labels: { channel: 'web', transaction: 'other_query', tier: 'noncore' }, rate: () => 10 },
  { labels: { channel: 'sms', transaction: 'topup', tier: 'core' }, rate: (d, h) => 5 + (h === 9 ? 5 + d : 0) },
  { labels: { channel: 'sms', transaction: 'other_query', tier: 'noncore' }, rate: () => 5 },
  // app: two core pairs whose probes and real traffic disagree (below), 20 per 5 min each.
  { labels: { channel: 'app', transaction: 'balance_query', tier: 'core' }, rate: () => 20 },
  { labels: { channel: 'app', transaction: 'bill_query', tier: 'core' }, rate: () => 20 },
];
const realFailures: Array<{ labels: Labels; rate: Rate }> = [
  // 03:00 every day: 1 timeout (both weeks) → 7 a week.
  { labels: { channel: 'web', transaction: 'topup', tier: 'core', reason: 'timeout' }, rate: (_d, h, m) => (h === 3 && m === 0 ? 1 : 0) },
  // Tuesday of the reported week, 10:00–10:30: 10 per interval → 60.
  { labels: { channel: 'web', transaction: 'topup', tier: 'core', reason: 'business_error' }, rate: (d, h, m) => (d === 8 && h === 10 && m < 30 ? 10 : 0) },
  // Wednesday of the reported week, 12:00: 1.
  { labels: { channel: 'sms', transaction: 'topup', tier: 'core', reason: 'connect' }, rate: (d, h, m) => (d === 9 && h === 12 && m === 0 ? 1 : 0) },
  // 10 a day at 06:00, both weeks → 70 a week.
  { labels: { channel: 'web', transaction: 'other_query', tier: 'noncore', reason: 'assertion' }, rate: (_d, h, m) => (h === 6 && m === 0 ? 10 : 0) },
  // Thursday of the reported week, 00:00–12:00: every one of the 5 per interval fails → 720.
  { labels: { channel: 'sms', transaction: 'other_query', tier: 'noncore', reason: 'http_status' }, rate: (d, h) => (d === 10 && h < 12 ? 5 : 0) },
  // app/bill_query fails for real customers at the evening peak, 20:00–20:59 every day of the
  // reported week, 2 per interval → 168, while its probes stay clean: real fails, probes pass.
  { labels: { channel: 'app', transaction: 'bill_query', tier: 'core', reason: 'timeout' }, rate: (d, h) => (d >= 7 && h === 20 ? 2 : 0) },
];
const probeLabels = (channel: string, transaction: string, tier: string) => ({ channel, transaction, tier, location: 'dc1' });
const pairs: Array<[string, string, string]> = [
  ['web', 'topup', 'core'],
  ['web', 'other_query', 'noncore'],
  ['sms', 'topup', 'core'],
  ['sms', 'other_query', 'noncore'],
  ['app', 'balance_query', 'core'],
  ['app', 'bill_query', 'core'],
];

interface Family {
  type: 'counter' | 'gauge' | 'histogram';
  /** series name + labels → samples [t, v] */
  series: Map<string, Array<[number, number]>>;
}

function seriesKey(name: string, labels: Labels): string {
  return `${name}{${Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}}`;
}

function generate(): Map<string, Family> {
  const families = new Map<string, Family>();
  const family = (name: string, type: Family['type']) => {
    if (!families.has(name)) families.set(name, { type, series: new Map() });
    return families.get(name) as Family;
  };
  const counter = (fam: Family, name: string, labels: Labels, rate: Rate) => {
    const samples: Array<[number, number]> = [];
    let value = 0;
    for (let t = PREV; t <= TO; t += STEP) {
      if (t > PREV) {
        const since = t - STEP - PREV;
        value += rate(Math.floor(since / DAY), Math.floor((since % DAY) / 3600), Math.floor((since % 3600) / 60));
      }
      samples.push([t, value]);
    }
    fam.series.set(seriesKey(name, labels), samples);
  };
  // Failure counters (runs', steps', codes', real transactions') are created on their first
  // failure: no samples before it.
  const bornCounter = (fam: Family, name: string, labels: Labels, rate: Rate) => {
    counter(fam, name, labels, rate);
    const key = seriesKey(name, labels);
    fam.series.set(key, (fam.series.get(key) ?? []).filter(([, v]) => v > 0));
  };
  const events = family('channel_health_transactions', 'counter');
  for (const r of real) counter(events, 'channel_health_transactions_total', r.labels, r.rate);
  const failures = family('channel_health_transaction_failures', 'counter');
  for (const r of realFailures) bornCounter(failures, 'channel_health_transaction_failures_total', r.labels, r.rate);

  const runs = family('channel_health_probe_runs', 'counter');
  for (const [c, t, tier] of pairs) counter(runs, 'channel_health_probe_runs_total', probeLabels(c, t, tier), () => 10);
  const probeFailures = family('channel_health_probe_failures', 'counter');
  bornCounter(probeFailures, 'channel_health_probe_failures_total', { ...probeLabels('web', 'topup', 'core'), reason: 'business_error' }, (d, h, m) => (d === 8 && h === 10 && m < 30 ? 1 : 0));
  // app/balance_query's probes fail at :00 and :30 of every hour of the reported week (2 of every
  // 120 runs → 336, one run in sixty), their login step timing out, while real traffic is clean.
  const probeLogin: Rate = (d, _h, m) => (d >= 7 && (m === 0 || m === 30) ? 1 : 0);
  bornCounter(probeFailures, 'channel_health_probe_failures_total', { ...probeLabels('app', 'balance_query', 'core'), reason: 'timeout' }, probeLogin);

  // Failing steps. Born inside the reported week: sms/other_query ping, 1 per interval Thursday
  // 00:00–00:59 → 12; topup's topup step on web (Tuesday 10:00–10:29, 1 per interval → 6, code 5101)
  // and on sms (Wednesday 12:00, 2 → code 9999, which the config does not list: "other"). Born in
  // the previous week and still there: web topup's refund step, 1 timeout a day at 03:00 → 7 and 7.
  const steps = family('channel_health_probe_step_failures', 'counter');
  const codes = family('channel_health_probe_business_errors', 'counter');
  const stepLabels = (channel: string, transaction: string, step: string) => ({ channel, transaction, step, location: 'dc1' });
  bornCounter(steps, 'channel_health_probe_step_failures_total', { ...stepLabels('sms', 'other_query', 'ping'), reason: 'http_status' }, (d, h) => (d === 10 && h === 0 ? 1 : 0));
  const webTopup: Rate = (d, h, m) => (d === 8 && h === 10 && m < 30 ? 1 : 0);
  const smsTopup: Rate = (d, h, m) => (d === 9 && h === 12 && m === 0 ? 2 : 0);
  bornCounter(steps, 'channel_health_probe_step_failures_total', { ...stepLabels('web', 'topup', 'topup'), reason: 'business_error' }, webTopup);
  bornCounter(steps, 'channel_health_probe_step_failures_total', { ...stepLabels('sms', 'topup', 'topup'), reason: 'business_error' }, smsTopup);
  bornCounter(codes, 'channel_health_probe_business_errors_total', { ...stepLabels('web', 'topup', 'topup'), code: '5101' }, webTopup);
  bornCounter(codes, 'channel_health_probe_business_errors_total', { ...stepLabels('sms', 'topup', 'topup'), code: 'other' }, smsTopup);
  bornCounter(steps, 'channel_health_probe_step_failures_total', { ...stepLabels('web', 'topup', 'refund'), reason: 'timeout' }, (_d, h, m) => (h === 3 && m === 0 ? 1 : 0));
  bornCounter(steps, 'channel_health_probe_step_failures_total', { ...stepLabels('app', 'balance_query', 'login'), reason: 'timeout' }, probeLogin);
  // Real transactions' codes: the Tuesday business errors on web topup (60) all answered 5101.
  const realCodes = family('channel_health_transaction_business_errors', 'counter');
  bornCounter(realCodes, 'channel_health_transaction_business_errors_total', { channel: 'web', transaction: 'topup', code: '5101' }, (d, h, m) => (d === 8 && h === 10 && m < 30 ? 10 : 0));

  // Latency: of every 10 runs, this week 5 ≤ 0.25 s, 9 ≤ 0.5 s, all ≤ 1 s; last week 2, 8, 10.
  const duration = family('channel_health_probe_duration_seconds', 'histogram');
  const cumulative: Record<string, [number, number]> = { '0.1': [0, 0], '0.25': [2, 5], '0.5': [8, 9], '1': [10, 10], '+Inf': [10, 10] };
  for (const [c, t] of pairs.slice(0, 4)) {
    for (const [le, [before, now]] of Object.entries(cumulative)) {
      counter(duration, 'channel_health_probe_duration_seconds_bucket', { channel: c, transaction: t, location: 'dc1', le }, (d) => (d >= 7 ? now : before));
    }
  }

  const objective = family('channel_health_objective_ratio', 'gauge');
  for (const [t, tier, o] of [['topup', 'core', 0.9998], ['balance_query', 'core', 0.9998], ['bill_query', 'core', 0.9998], ['other_query', 'noncore', 0.94]] as const) {
    const samples: Array<[number, number]> = [];
    for (let ts = PREV; ts <= TO; ts += 3600) samples.push([ts, o]);
    objective.series.set(seriesKey('channel_health_objective_ratio', { transaction: t, tier }), samples);
  }

  // A maintenance window on the app channel, Wednesday of the reported week 02:00–03:00 local:
  // the state gauge every 5 minutes, 1 from 02:00 until the 03:00 sample reads 0.
  const maintenance = family('channel_health_maintenance_active', 'gauge');
  const windowSamples: Array<[number, number]> = [];
  for (let t = PREV; t <= TO; t += STEP) windowSamples.push([t, t >= PREV + 9 * DAY + 2 * 3600 && t < PREV + 9 * DAY + 3 * 3600 ? 1 : 0]);
  maintenance.series.set(seriesKey('channel_health_maintenance_active', { window: 'app-release', channel: 'app' }), windowSamples);

  // Alerts, one sample a minute while active (rule evaluation every minute).
  const alerts = family('ALERTS', 'gauge');
  const alert = (labels: Labels, spans: Array<[number, number]>) => {
    const samples: Array<[number, number]> = [];
    for (const [start, count] of spans) for (let i = 0; i < count; i++) samples.push([start + i * 60, 1]);
    alerts.series.set(seriesKey('ALERTS', labels), samples);
  };
  const at = (d: number, h: number, m: number) => PREV + d * DAY + h * 3600 + m * 60;
  const burn = { alertname: 'ChannelHealthBudgetBurn', severity: 'page', channel: 'web', transaction: 'topup' };
  // Tuesday: pending 10:02–10:04, firing 10:05–10:34 (30 min) and 15:00–15:09 (10 min).
  alert({ ...burn, alertstate: 'pending' }, [[at(8, 10, 2), 3]]);
  alert({ ...burn, alertstate: 'firing' }, [[at(8, 10, 5), 30], [at(8, 15, 0), 10]]);
  // Thursday 00:00–11:59: 12 h.
  alert({ alertname: 'ChannelHealthSuccessLow', alertstate: 'firing', severity: 'ticket', channel: 'sms', transaction: 'other_query' }, [[at(10, 0, 0), 720]]);
  // Last week only: must not show.
  alert({ alertname: 'ChannelHealthHardDown', alertstate: 'firing', severity: 'page', channel: 'sms', transaction: 'topup' }, [[at(3, 4, 0), 20]]);
  return families;
}

/** One OpenMetrics file per UTC day: promtool re-reads its whole input once per 2-hour block. */
async function backfill(families: Map<string, Family>, dir: string): Promise<string> {
  const byDay = new Map<number, string[]>();
  for (const [name, fam] of families) {
    for (const [key, samples] of fam.series) {
      for (const [t, v] of samples) {
        const day = Math.floor(t / DAY);
        if (!byDay.has(day)) byDay.set(day, []);
        (byDay.get(day) as string[]).push(`${name}\u0000${fam.type}\u0000${key} ${v} ${t}`);
      }
    }
  }
  const storage = path.join(dir, 'tsdb');
  const files: string[] = [];
  for (const [day, lines] of byDay) {
    let text = '';
    let current = '';
    for (const line of lines) {
      const [name, type, sample] = line.split('\u0000') as [string, string, string];
      if (name !== current) {
        text += `# TYPE ${name} ${type}\n`;
        current = name;
      }
      text += `${sample}\n`;
    }
    const file = path.join(dir, `day-${day}.om`);
    await writeFile(file, `${text}# EOF\n`);
    files.push(file);
  }
  // Two at a time: the machine has two cores.
  for (let i = 0; i < files.length; i += 2) {
    await Promise.all(files.slice(i, i + 2).map((f) => run('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', f, storage], { timeout: 60_000 })));
  }
  return storage;
}

const TEST_CONFIG = `version: 1
service: { location: dc1 }
tiers:
  core: { objective: 0.9998, label: five sigma }
  noncore: { objective: 0.94, label: four sigma }
backends:
  billing: {}
channels:
  web: { transport: http, baseUrl: "http://127.0.0.1:9/web", capacityPerSecond: 0.5, businessCode: { path: $.code, success: ["0000"], errors: { "5101": billing system unavailable } } }
  sms: { transport: http, baseUrl: "http://127.0.0.1:9/sms", capacityPerSecond: 0.2 }
  app: { transport: http, baseUrl: "http://127.0.0.1:9/app", capacityPerSecond: 1 }
transactions:
  topup: { tier: core, backends: [billing], latencyThresholdMs: 700 }
  balance_query: { tier: core, backends: [billing] }
  bill_query: { tier: core, backends: [billing] }
  other_query: { tier: noncore, backends: [], latencyThresholdMs: 1500 }
checks:
  - channels: "*"
    transactions: "*"
    steps: [{ name: ping, request: { url: "{{channel.baseUrl}}/ping" } }]
`;

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  return {
    stream: new Writable({
      write(chunk, _enc, cb) {
        text += String(chunk);
        cb();
      },
    }),
    text: () => text,
  };
}

describe('report over a backfilled fortnight with known answers', () => {
  let dir: string;
  let prometheus: Managed;
  let report: Report;
  let htmlFile: string;
  let stderr: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ch-report-'));
    const storage = await backfill(generate(), dir);
    prometheus = await startPrometheus({ storagePath: storage, extraArgs: ['--storage.tsdb.retention.time=90d'] });
    const configFile = path.join(dir, 'config.yaml');
    await writeFile(configFile, TEST_CONFIG);
    const out = sink();
    const err = sink();
    const code = await runReport(
      ['--prometheus', prometheus.url, '--week', week.label, '--utc-offset', '+08:00', '--config', configFile, '--out', path.join(dir, 'out')],
      { stdout: out.stream, stderr: err.stream, env: {} },
      { fetch: globalThis.fetch, now: () => Date.now() },
    );
    stderr = err.text();
    expect(code, stderr).toBe(0);
    const base = path.join(dir, 'out', `channel-health-report-${week.label}`);
    expect(out.text().trim().split('\n')).toEqual([`${base}.html`, `${base}.md`, `${base}.json`]);
    report = JSON.parse(await readFile(`${base}.json`, 'utf8')) as Report;
    htmlFile = `${base}.html`;
    // Kept as artefacts for a human look (test-artifacts/ is gitignored).
    await mkdir(path.join(REPO_ROOT, 'test-artifacts'), { recursive: true });
    for (const ext of ['html', 'md', 'json']) await copyFile(`${base}.${ext}`, path.join(REPO_ROOT, `test-artifacts/report.${ext}`));
  }, 110_000);

  afterAll(async () => {
    await prometheus?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const row = (transaction: string, channel: string | null) => {
    const found = (channel === null ? report.success.transactions : report.success.rows).find((r) => r.transaction === transaction && r.channel === channel);
    if (!found) throw new Error(`no success row ${transaction}/${channel}`);
    return found;
  };

  it('states the period and reports progress on stderr', () => {
    expect(report.period).toEqual({ label: week.label, from: new Date(FROM * 1000).toISOString(), to: new Date(TO * 1000).toISOString(), utcOffset: 'UTC+08:00' });
    expect(report.previousPeriod.from).toBe(new Date(PREV * 1000).toISOString());
    expect(report.loadBasis).toBe('real');
    expect(stderr).toMatch(/\[1\/8\] success and failure totals/);
    expect(stderr).toMatch(/done querying/);
  });

  it('success ratios, verdicts and budget spent match the generated week', () => {
    // web/topup: 7×288×20 + 12×Σ_{d=7..13}(10+2d) = 40320 + 2520 = 42840 events; 7 timeouts + 60 business errors.
    const webTopup = row('topup', 'web');
    expect(webTopup.basis).toBe('real');
    expect(webTopup.total).toBe(42840);
    expect(webTopup.failures).toBe(67);
    expect(webTopup.successRatio).toBeCloseTo(1 - 67 / 42840, 9);
    expect(webTopup.verdict).toBe('missed');
    expect(webTopup.budgetSpent).toBeCloseTo(67 / (42840 * 0.0002), 4);
    expect(webTopup.marginPoints).toBeCloseTo((1 - 67 / 42840 - 0.9998) * 100, 6);
    expect(webTopup.topReason).toBe('business_error');
    expect(webTopup.probe).toEqual({ total: 20160, failures: 6, byReason: { business_error: 6 } });
    // Last week: 40320 + 12×Σ_{d=0..6}(10+2d) = 41664 events, 7 timeouts → met.
    expect(webTopup.previous).toEqual({ basis: 'real', total: 41664, failures: 7, successRatio: expect.closeTo(1 - 7 / 41664, 9) });

    // sms/topup: 7×288×5 + 12×Σ(5+d) = 10080 + 1260 = 11340 events, 1 failure: within 2.268 allowed.
    const smsTopup = row('topup', 'sms');
    expect(smsTopup.total).toBe(11340);
    expect(smsTopup.verdict).toBe('met');
    expect(smsTopup.budgetSpent).toBeCloseTo(1 / (11340 * 0.0002), 4);

    // sms/other_query: 10080 events, 720 http_status failures: 92.857 % against 94 %.
    const smsOther = row('other_query', 'sms');
    expect(smsOther.total).toBe(10080);
    expect(smsOther.successRatio).toBeCloseTo(1 - 720 / 10080, 9);
    expect(smsOther.verdict).toBe('missed');
    expect(smsOther.budgetSpent).toBeCloseTo(720 / (10080 * 0.06), 4);
    expect(row('other_query', 'web')).toMatchObject({ total: 20160, failures: 70, verdict: 'met', topReason: 'assertion' });

    // All channels together.
    expect(row('topup', null)).toMatchObject({ total: 54180, failures: 68, verdict: 'missed' });
    expect(row('topup', null).budgetSpent).toBeCloseTo(68 / (54180 * 0.0002), 4);
    expect(row('other_query', null)).toMatchObject({ total: 30240, failures: 790, verdict: 'met' });
    expect(row('other_query', null).changePoints).toBeCloseTo((1 - 790 / 30240 - (1 - 70 / 30240)) * 100, 6);
  });

  it('shows both bases side by side, counts misses per basis and names where they disagree', () => {
    const runs = 20_160; // 10 probe runs per 5 minutes for a week, on every pair
    // app/balance_query: probes fail 336 of 20160 (login timeouts), real traffic 0 of 40320.
    expect(row('balance_query', 'app').bases).toEqual({
      probe: {
        total: runs,
        failures: 336,
        successRatio: expect.closeTo(1 - 336 / runs, 9),
        verdict: 'missed',
        marginPoints: expect.closeTo((1 - 336 / runs - 0.9998) * 100, 6),
        allowedFailures: expect.closeTo(runs * 0.0002, 6),
        budgetSpent: expect.closeTo(336 / (runs * 0.0002), 4),
        topReason: 'timeout',
      },
      real: { total: 40_320, failures: 0, successRatio: 1, verdict: 'met', marginPoints: expect.closeTo(0.02, 6), allowedFailures: expect.closeTo(40_320 * 0.0002, 6), budgetSpent: 0, topReason: null },
    });
    expect(row('balance_query', 'app').disagreement).toEqual({
      kind: 'verdicts',
      worse: 'probe',
      meaning: expect.stringMatching(/^Probes fail while real traffic is clean: usually the probe path or its coverage \(the test account, its routing/),
    });
    // app/bill_query: real traffic fails 168 of 40320 at the evening peak, probes 0 of 20160.
    expect(row('bill_query', 'app').bases.real).toMatchObject({ total: 40_320, failures: 168, verdict: 'missed', topReason: 'timeout' });
    expect(row('bill_query', 'app').bases.real.budgetSpent).toBeCloseTo(168 / (40_320 * 0.0002), 4);
    expect(row('bill_query', 'app').bases.probe).toMatchObject({ total: runs, failures: 0, successRatio: 1, verdict: 'met', budgetSpent: 0 });
    expect(row('bill_query', 'app').disagreement).toEqual({
      kind: 'verdicts',
      worse: 'real',
      meaning: expect.stringMatching(/^Real traffic fails while probes pass: usually a customer path the probes do not cover, a load-dependent failure/),
    });
    // The headline basis stays real transactions where there are any: app/balance_query reads met there.
    expect(row('balance_query', 'app')).toMatchObject({ basis: 'real', verdict: 'met' });

    // Every pair's verdict on each basis, and the disagreements, exactly.
    const verdicts = (rows: typeof report.success.rows) => rows.map((r) => [r.channel ?? 'all', r.transaction, r.bases.probe.verdict, r.bases.real.verdict, r.disagreement ? `${r.disagreement.worse} ${r.disagreement.kind}` : null]);
    expect(verdicts(report.success.rows)).toEqual([
      // web/topup: both missed, but real spent 782% of its budget against the probes' 149%.
      ['web', 'topup', 'missed', 'missed', 'real far_apart'],
      ['sms', 'topup', 'met', 'met', null],
      ['app', 'balance_query', 'missed', 'met', 'probe verdicts'],
      ['app', 'bill_query', 'met', 'missed', 'real verdicts'],
      ['web', 'other_query', 'met', 'met', null],
      // Real sms/other_query failed all Thursday morning; no probe run failed.
      ['sms', 'other_query', 'met', 'missed', 'real verdicts'],
    ]);
    // All channels: topup's probes failed 6 of 40320 (within the 8.064 allowed) while real missed.
    expect(verdicts(report.success.transactions)).toEqual([
      ['all', 'topup', 'met', 'missed', 'real verdicts'],
      ['all', 'balance_query', 'missed', 'met', 'probe verdicts'],
      ['all', 'bill_query', 'met', 'missed', 'real verdicts'],
      ['all', 'other_query', 'met', 'met', null],
    ]);
    expect(row('topup', null).bases.probe).toMatchObject({ total: 2 * runs, failures: 6, verdict: 'met' });
    expect(row('topup', null).bases.probe.budgetSpent).toBeCloseTo(6 / (2 * runs * 0.0002), 4);
    expect(report.success.summary).toEqual({
      probe: { transactions: { judged: 4, met: 3, missed: 1 }, rows: { judged: 6, met: 4, missed: 2 } },
      real: { transactions: { judged: 4, met: 2, missed: 2 }, rows: { judged: 6, met: 3, missed: 3 } },
      disagreements: { transactions: 3, rows: 4 },
    });
    expect(report.reportVersion).toBe(2);
  });

  it('marks the time inside a maintenance window as planned and gives the figures without it', () => {
    const start = new Date((FROM + 2 * DAY + 2 * 3600) * 1000).toISOString();
    expect(report.planned.windows).toEqual([{ window: 'app-release', channel: 'app', backend: null, seconds: 3600, intervals: [{ start, end: new Date((FROM + 2 * DAY + 3 * 3600) * 1000).toISOString() }] }]);
    // Inside the hour: 120 probe runs of each app pair, balance_query's at 02:00 and 02:30 failing; 240 real transactions each, all clean.
    const balance = row('balance_query', 'app').planned;
    expect(balance).toMatchObject({ seconds: 3600, probe: { total: 120, failures: 2, byReason: { timeout: 2 } }, real: { total: 240, failures: 0 } });
    expect(balance?.without.probe).toMatchObject({ total: 20_040, failures: 334, verdict: 'missed', successRatio: expect.closeTo(1 - 334 / 20_040, 9) });
    expect(balance?.without.real).toMatchObject({ total: 40_080, failures: 0, verdict: 'met' });
    expect(row('bill_query', 'app').planned?.without.real).toMatchObject({ total: 40_080, failures: 168, verdict: 'missed', budgetSpent: expect.closeTo(168 / (40_080 * 0.0002), 4) });
    expect(row('balance_query', null).planned).toEqual(balance);
    // Windows on other channels or backends: none here.
    expect(report.success.rows.filter((r) => r.planned).map((r) => `${r.channel}/${r.transaction}`)).toEqual(['app/balance_query', 'app/bill_query']);
  });

  it('ranks failure reasons with http_status on top', () => {
    expect(report.failures.real.map((r) => [r.reason, r.failures])).toEqual([
      ['http_status', 720],
      ['timeout', 175],
      ['assertion', 70],
      ['business_error', 60],
      ['connect', 1],
    ]);
    expect(report.failures.real[0]?.share).toBeCloseTo(720 / 1026, 6);
    expect(report.failures.real.find((r) => r.reason === 'assertion')?.previousFailures).toBe(70);
    expect(report.failures.probe.map((r) => [r.reason, r.failures])).toEqual([
      ['timeout', 336],
      ['business_error', 6],
    ]);
  });

  it('ranks failing steps and business codes, counting series born inside the week from zero', () => {
    expect(report.failures.steps).toEqual([
      { transaction: 'balance_query', step: 'login', reason: 'timeout', failures: 336, byChannel: { app: 336 }, previousFailures: 0 },
      { transaction: 'other_query', step: 'ping', reason: 'http_status', failures: 12, byChannel: { sms: 12 }, previousFailures: 0 },
      { transaction: 'topup', step: 'topup', reason: 'business_error', failures: 8, byChannel: { sms: 2, web: 6 }, previousFailures: 0 },
      { transaction: 'topup', step: 'refund', reason: 'timeout', failures: 7, byChannel: { web: 7 }, previousFailures: 7 },
    ]);
    expect(report.failures.codes).toEqual([
      { code: '5101', meaning: 'billing system unavailable', transaction: 'topup', step: 'topup', failures: 6, byChannel: { web: 6 }, previousFailures: 0 },
      { code: 'other', meaning: null, transaction: 'topup', step: 'topup', failures: 2, byChannel: { sms: 2 }, previousFailures: 0 },
    ]);
    expect(report.failures.realCodes).toEqual([{ code: '5101', meaning: 'billing system unavailable', transaction: 'topup', step: null, failures: 60, byChannel: { web: 60 }, previousFailures: 0 }]);
  });

  it('finds the peak hour, headroom and the trend of each channel', () => {
    const web = report.load.channels.find((c) => c.channel === 'web');
    const sms = report.load.channels.find((c) => c.channel === 'sms');
    expect(report.load.bucketSeconds).toBe(3600);
    // web peaks on the last Sunday at 20:00 local (12:00 UTC): 12 × (30 + 10 + 26) = 792 in the hour.
    expect(web?.peak).toEqual({ start: new Date((FROM + 6 * DAY + 20 * 3600) * 1000).toISOString(), count: 792, perSecond: 0.22 });
    expect(web?.previousPeak?.count).toBe(12 * (40 + 12));
    expect(web?.total).toBe(63000);
    expect(web?.previousTotal).toBe(61824);
    expect(web?.headroomPerSecond).toBeCloseTo(0.5 - 0.22, 9);
    expect(web?.utilisation).toBeCloseTo(0.44, 9);
    // Daily peaks rise 24 events/hour a day, exactly on a line: weeks to capacity = (0.5 − 0.22) ÷ (7 × 24/3600).
    expect(web?.trend.dailyPeaks).toHaveLength(14);
    expect(web?.trend.slopePerDay).toBeCloseTo(24 / 3600, 8);
    expect(web?.trend.fittedNowPerSecond).toBeCloseTo(0.22, 8);
    expect(web?.trend.weeksToCapacity).toBeCloseTo(0.28 / ((7 * 24) / 3600), 2);
    expect(web?.trend.status).toBe('rising');
    // sms peaks at 09:00 local on the last Sunday: 12 × (10 + 5 + 13) = 336.
    expect(sms?.peak?.start).toBe(new Date((FROM + 6 * DAY + 9 * 3600) * 1000).toISOString());
    expect(sms?.peak?.count).toBe(336);
    expect(sms?.trend.weeksToCapacity).toBeCloseTo((0.2 - 336 / 3600) / ((7 * 12) / 3600), 2);
  });

  it('lists the alerts that fired in the period with their durations', () => {
    expect(report.alerts.rows.map((a) => [a.alertname, a.severity, a.labels, a.firingSeconds, a.episodes.length])).toEqual([
      ['ChannelHealthSuccessLow', 'ticket', { channel: 'sms', transaction: 'other_query' }, 12 * 3600, 1],
      ['ChannelHealthBudgetBurn', 'page', { channel: 'web', transaction: 'topup' }, 40 * 60, 2],
    ]);
    const burn = report.alerts.rows[1];
    expect(burn?.episodes[0]).toMatchObject({ start: new Date((FROM + DAY + 10 * 3600 + 300) * 1000).toISOString(), durationSeconds: 1800 });
    expect(burn?.episodes[1]?.durationSeconds).toBe(600);
  });

  it('reports probe latency quantiles from the duration histogram', () => {
    const topup = report.latency.rows.find((r) => r.transaction === 'topup' && r.channel === null);
    // Half the runs ≤ 0.25 s, 90 % ≤ 0.5 s, all ≤ 1 s: histogram_quantile gives 0.25, 0.75 and 0.95.
    expect(topup?.p50Seconds).toBeCloseTo(0.25, 6);
    expect(topup?.p95Seconds).toBeCloseTo(0.75, 6);
    expect(topup?.p99Seconds).toBeCloseTo(0.95, 6);
    expect(topup?.overThreshold).toBe(true);
    expect(topup?.previousP95Seconds).toBeCloseTo(0.875, 6);
    expect(report.latency.rows.filter((r) => r.channel !== null)).toHaveLength(4);
  });

  it('writes a Markdown summary with the same figures', async () => {
    const md = await readFile(htmlFile.replace(/\.html$/, '.md'), 'utf8');
    expect(md).toContain(`# Channel health — capacity-tuning report ${week.label}`);
    expect(md).toContain('| topup | web | core | 99.98% | 20,160 | 99.970% | MISSED | 149% | business_error | 42,840 | 99.844% | MISSED | 782% | business_error | real worse: far apart |');
    expect(md).toContain('| balance_query | app | core | 99.98% | 20,160 | 98.333% | MISSED | 8333% | timeout | 40,320 | 100.000% | met | 0% | — | probes worse: verdicts differ |');
    expect(md).toContain('| other_query | noncore | 94.00% | 40,320 | 100.000% | met | 0% | — | 30,240 | 97.388% | met | 44% | http_status | agree |');
    const summary = md.slice(md.indexOf('## Summary'), md.indexOf('## Success against objective'));
    expect(summary).toContain('- Real transactions: 2 of 4 transactions met their objective; missed: topup 99.874% vs 99.98% (628% of budget), bill_query 99.583% vs 99.98% (2083% of budget); 3 of 6 channel × transaction pairs missed.');
    expect(summary).toContain('- Probes: 3 of 4 transactions met their objective; missed: balance_query 98.333% vs 99.98% (8333% of budget); 2 of 6 channel × transaction pairs missed.');
    expect(summary).toContain(
      '- Probes and real traffic disagree on 3 transactions and 4 channel × transaction pairs: topup (real worse: verdicts differ); balance_query (probes worse: verdicts differ); bill_query (real worse: verdicts differ); ' +
        'web/topup (real worse: far apart); app/balance_query (probes worse: verdicts differ); app/bill_query (real worse: verdicts differ); sms/other_query (real worse: verdicts differ).',
    );
    const split = md.slice(md.indexOf('### Where probes and real traffic disagree'), md.indexOf('### Planned time'));
    expect(split).toContain('| balance_query | app | 98.333% | MISSED | 100.000% | met | probes worse: verdicts differ | Probes fail while real traffic is clean: usually the probe path or its coverage');
    expect(split).toContain('| bill_query | app | 100.000% | met | 99.583% | MISSED | real worse: verdicts differ | Real traffic fails while probes pass: usually a customer path the probes do not cover');
    expect(split.match(/^\| (?!transaction|:--)/gm)).toHaveLength(7);
    expect(md).toContain('Top failure reason (real): http_status');
    expect(summary).toContain('- Planned time (maintenance windows) covered 2 channel × transaction pairs; without it no verdict changes. See "Planned time".');
    const planned = md.slice(md.indexOf('### Planned time'), md.indexOf('## Failure reasons'));
    expect(planned).toContain('| app-release | channel app | 1h |');
    expect(planned).toContain('| balance_query | app | 1h | 98.333% | 98.333% | MISSED → MISSED | 100.000% | 100.000% | met → met |');
  });

  it('opens in headless Chromium without console errors, with a chart in every section', async () => {
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const problems: string[] = [];
      const fetched: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      page.on('request', (r) => {
        if (!r.url().startsWith('file:')) fetched.push(r.url());
      });
      await page.goto(`file://${htmlFile}`, { waitUntil: 'load' });
      const sections = await page.$$eval('section', (els) => els.map((s) => ({ id: s.id, charts: s.querySelectorAll('svg').length, height: s.getBoundingClientRect().height })));
      expect(sections.map((s) => s.id)).toEqual(['success', 'failures', 'steps', 'alerts', 'latency', 'load', 'trend', 'week-over-week']);
      for (const s of sections) {
        expect(s.charts, `charts in #${s.id}`).toBeGreaterThan(0);
        expect(s.height).toBeGreaterThan(100);
      }
      // Charts carry drawn marks, not only an empty frame.
      expect(await page.locator('#load svg path').count()).toBeGreaterThanOrEqual(2);
      expect(await page.locator('#alerts svg rect').count()).toBeGreaterThanOrEqual(3);
      expect(await page.locator('#success tr.missed').count()).toBeGreaterThan(0);
      // The two bases' verdicts are marked cell by cell, and the disagreements are listed.
      expect(await page.locator('#success td.verdict.v-missed').count()).toBeGreaterThanOrEqual(2);
      expect(await page.locator('#disagreements + table tbody tr').count()).toBe(7);
      expect(problems).toEqual([]);
      expect(fetched).toEqual([]);
      await mkdir(path.join(REPO_ROOT, 'test-artifacts'), { recursive: true });
      await page.screenshot({ path: path.join(REPO_ROOT, 'test-artifacts/report.png'), fullPage: true });
      await page.emulateMedia({ media: 'print' });
      const pdf = await page.pdf({ format: 'A4', landscape: true });
      expect(pdf.byteLength).toBeGreaterThan(10_000);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
