// The weekly report made on schedule by `channel-health collector`, against a real Prometheus
// holding a backfilled fortnight: the config's schedule fires 30 seconds after start (on the
// business clock, +08:00), the report of the last complete week appears in the folder and at
// /reports, old reports beyond the retention go, and the metrics move. Then Prometheus is stopped
// and the collector restarted with another firing: every try fails, is logged and retried with
// backoff, and the folder keeps the whole reports it had and no partial file.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../report/index.js';
import { freePort, sampleValue, startCommand, startPrometheus, waitFor, type Managed } from '../support/processes.js';

const run = promisify(execFile);
const HOUR = 3600;
const DAY = 86_400;
const OFFSET = 8 * HOUR;
const TOKEN = 'report-schedule-test-token';
/** Reports already in the folder, written long ago: the retention keeps the newest two periods. */
const OLD_WEEKS = ['2020-W01', '2020-W02'];
const OLD_MTIME = 1_578_000_000; // 2020-01-02
/** The firing is set this far after the collector is started: starting takes over 15 s on a loaded machine. */
const START_MARGIN_SECONDS = 30;

/** Local Monday 00:00 (+08:00) of the last complete ISO week, in unix seconds, and its label. */
function lastCompleteWeek(nowSeconds: number): { from: number; label: string } {
  const localDay = Math.floor((nowSeconds + OFFSET) / DAY) * DAY;
  const weekday = (new Date(localDay * 1000).getUTCDay() + 6) % 7;
  const localMonday = localDay - weekday * DAY - 7 * DAY;
  const thursday = new Date((localMonday + 3 * DAY) * 1000);
  const year = thursday.getUTCFullYear();
  const week = 1 + Math.floor((localMonday + 3 * DAY - Date.UTC(year, 0, 1) / 1000) / DAY / 7);
  return { from: localMonday - OFFSET, label: `${year}-W${String(week).padStart(2, '0')}` };
}

/** A 6-field cron firing once a day at the business-clock second `secondsAhead` from now. */
function firingIn(secondsAhead: number): { expression: string; at: number } {
  const at = Math.ceil(Date.now() / 1000) + secondsAhead;
  const local = new Date((at + OFFSET) * 1000);
  return { expression: `${local.getUTCSeconds()} ${local.getUTCMinutes()} ${local.getUTCHours()} * * *`, at };
}

/** Two weeks of hourly counters for web/topup: 120 probe runs and 1,000 real transactions an hour. */
async function backfill(dir: string, from: number, to: number): Promise<string> {
  const lines: string[] = [];
  const counter = (name: string, labels: string, perHour: number) => {
    lines.push(`# TYPE ${name.replace(/_total$/, '')} counter`);
    for (let t = from, v = 0; t <= to; t += HOUR, v += perHour) lines.push(`${name}{${labels}} ${v} ${t}`);
  };
  counter('channel_health_probe_runs_total', 'channel="web",transaction="topup",tier="core",location="dc1"', 120);
  counter('channel_health_transactions_total', 'channel="web",transaction="topup",tier="core"', 1000);
  lines.push('# TYPE channel_health_objective_ratio gauge');
  for (let t = from; t <= to; t += HOUR) lines.push(`channel_health_objective_ratio{transaction="topup",tier="core"} 0.9998 ${t}`);
  const file = path.join(dir, 'fortnight.om');
  await writeFile(file, `${lines.join('\n')}\n# EOF\n`);
  const storage = path.join(dir, 'tsdb');
  await run('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', file, storage], { timeout: 60_000 });
  return storage;
}

function configText(prometheusUrl: string, dir: string, schedule: string): string {
  return `version: 1
service: { location: dc1, utcOffset: "+08:00" }
tiers: { core: { objective: 0.9998 } }
backends: { billing: {} }
channels:
  web: { transport: http, baseUrl: "http://127.0.0.1:9/web" }
transactions:
  topup: { tier: core, backends: [billing] }
checks: [{ channel: web, transaction: topup, steps: [{ name: ping, request: { url: "{{channel.baseUrl}}/ping" } }] }]
ingest: { token: { env: CH_TEST_TOKEN }, stateDir: ${JSON.stringify(path.join(dir, 'state'))} }
report:
  prometheus: ${prometheusUrl}
  schedule: "${schedule}"
  folder: ${JSON.stringify(path.join(dir, 'reports'))}
  retain: 2
  attempts: 3
  retryBackoff: 300ms
  timeout: 2s
`;
}

async function metrics(url: string): Promise<{ attempts: number; failures: number; lastSuccess: number; due: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (name: string) => {
    const v = sampleValue(text, name);
    if (v === undefined) throw new Error(`no ${name} on /metrics`);
    return v;
  };
  return {
    attempts: value('channel_health_report_attempts_total'),
    failures: value('channel_health_report_failures_total'),
    lastSuccess: value('channel_health_report_last_success_timestamp_seconds'),
    due: value('channel_health_report_due_timestamp_seconds'),
  };
}

/** A GET sent as written: fetch() would resolve `..` before the server saw it. */
function rawGet(port: number, pathText: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: pathText, method: 'GET', timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.end();
  });
}

interface LogLine {
  level: number;
  msg: string;
  attempt?: number;
  code?: string;
  period?: string;
  files?: string[];
}

const logLines = (output: string): LogLine[] =>
  output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);

describe('the weekly report made on schedule', () => {
  const week = lastCompleteWeek(Math.floor(Date.now() / 1000));
  let dir: string;
  let reports: string;
  let prometheus: Managed | undefined;
  let collector: Managed | undefined;
  const start = async (schedule: string) => {
    const configFile = path.join(dir, 'config.yaml');
    await writeFile(configFile, configText((prometheus as Managed).url, dir, schedule));
    return startCommand('collector', ['--config', configFile], { port: await freePort(), readyPath: '/readyz', env: { CH_TEST_TOKEN: TOKEN, CH_LOG_LEVEL: 'info' } });
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ch-report-schedule-'));
    const storage = await backfill(dir, week.from - 7 * DAY, week.from + 7 * DAY);
    prometheus = await startPrometheus({ storagePath: storage, extraArgs: ['--storage.tsdb.retention.time=90d'] });
    reports = path.join(dir, 'reports');
    await mkdir(reports);
    for (const w of OLD_WEEKS) {
      for (const ext of ['html', 'md', 'json']) {
        const file = path.join(reports, `channel-health-report-${w}.${ext}`);
        await writeFile(file, ext === 'json' ? '{"reportVersion":1}' : `old ${w}`);
        await utimes(file, OLD_MTIME, OLD_MTIME);
      }
    }
    // What a crash in the middle of a write would leave: removed at start, never listed or served.
    await writeFile(path.join(reports, `channel-health-report-${week.label}.json.999.tmp`), '{"half');
  }, 90_000);

  afterAll(async () => {
    await collector?.stop();
    await prometheus?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('makes the last complete week\'s report at the firing, serves it at /reports and moves the metrics', async () => {
    // Far enough ahead for the collector to start first, even on a busy two-core machine.
    const firing = firingIn(START_MARGIN_SECONDS);
    collector = await start(firing.expression);
    const before = await metrics(collector.url);
    expect(Date.now() / 1000, 'the collector started before its firing').toBeLessThan(firing.at);
    expect(before.attempts).toBe(0);
    expect(before.lastSuccess).toBe(OLD_MTIME);
    // The folder held reports, so the day's previous firing (yesterday) is owed: the alert's condition.
    expect(before.due).toBe(firing.at - DAY);
    expect(await readdir(reports)).not.toContain(`channel-health-report-${week.label}.json.999.tmp`);

    const json = path.join(reports, `channel-health-report-${week.label}.json`);
    await waitFor(async () => ((await readdir(reports)).includes(path.basename(json)) ? true : undefined), (START_MARGIN_SECONDS + 30) * 1000, 'the scheduled report in the folder');
    const report = JSON.parse(await readFile(json, 'utf8')) as Report;
    expect(report.reportVersion).toBe(2);
    expect(report.period.label).toBe(week.label);
    expect(report.period.utcOffset).toBe('UTC+08:00');
    // 7 × 24 × 1,000 real transactions and 7 × 24 × 120 probe runs, none failed.
    expect(report.success.rows).toEqual([expect.objectContaining({ transaction: 'topup', channel: 'web', bases: expect.objectContaining({ real: expect.objectContaining({ total: 168_000, verdict: 'met' }), probe: expect.objectContaining({ total: 20_160, verdict: 'met' }) }) })]);
    // Retention 2: this week and 2020-W02 stay, 2020-W01 went; nothing temporary is left.
    expect((await readdir(reports)).sort()).toEqual(
      [week.label, '2020-W02'].flatMap((w) => ['html', 'json', 'md'].map((ext) => `channel-health-report-${w}.${ext}`)).sort(),
    );

    const after = await waitFor(async () => {
      const m = await metrics((collector as Managed).url);
      return m.lastSuccess > OLD_MTIME ? m : undefined;
    }, 10_000, 'the last-success metric to move');
    expect(after).toMatchObject({ attempts: 1, failures: 0, due: firing.at });
    expect(after.lastSuccess).toBeGreaterThanOrEqual(firing.at);
    const made = logLines(collector.output()).find((l) => l.msg === 'weekly report made');
    expect(made).toMatchObject({ period: week.label, attempt: 1 });
    expect(made?.files).toHaveLength(3);

    const list = (await (await fetch(`${collector.url}/reports`)).json()) as { reports: Array<{ period: string; files: Array<{ name: string; format: string; url: string; bytes: number }> }> };
    expect(list.reports.map((r) => [r.period, r.files.map((f) => f.format)])).toEqual([
      [week.label, ['html', 'md', 'json']],
      ['2020-W02', ['html', 'md', 'json']],
    ]);
    const types: Record<string, string> = { html: 'text/html; charset=utf-8', md: 'text/markdown; charset=utf-8', json: 'application/json; charset=utf-8' };
    for (const f of list.reports[0]?.files ?? []) {
      const res = await fetch(`${collector.url}${f.url}`);
      expect(res.status, f.url).toBe(200);
      expect(res.headers.get('content-type')).toBe(types[f.format]);
      const body = await res.text();
      expect(Buffer.byteLength(body)).toBe(f.bytes);
      expect(body).toBe(await readFile(path.join(reports, f.name), 'utf8'));
    }
    expect((await (await fetch(`${collector.url}${list.reports[0]?.files[0]?.url}`)).text()).startsWith('<!DOCTYPE html>')).toBe(true);

    // Nothing outside the folder, nothing but whole reports.
    await writeFile(path.join(dir, 'secret.md'), 'root:x:0:0');
    for (const p of ['/reports/..%2Fsecret.md', '/reports/%2E%2E%2Fsecret.md', '/reports/../secret.md', '/reports/..%2F..%2F..%2Fetc%2Fpasswd', `/reports/channel-health-report-${week.label}.json.999.tmp`, '/reports/config.yaml']) {
      const res = await rawGet(collector.port, p);
      expect(res.status, p).toBe(404);
      expect(res.body, p).not.toContain('root:');
    }
  }, 150_000);

  it('retries a report Prometheus cannot answer with backoff, logs it, and leaves no partial file', async () => {
    await collector?.stop();
    const kept = new Map<string, string>();
    for (const name of await readdir(reports)) kept.set(name, await readFile(path.join(reports, name), 'utf8'));
    await prometheus?.stop();
    const firing = firingIn(START_MARGIN_SECONDS);
    collector = await start(firing.expression);
    // At start the metric reads the folder's newest report (the one just made): nothing owed.
    const before = await metrics(collector.url);
    expect(Date.now() / 1000, 'the collector started before its firing').toBeLessThan(firing.at);
    expect(before).toMatchObject({ attempts: 0, failures: 0, due: firing.at - DAY });
    expect(before.lastSuccess).toBeGreaterThan(before.due);

    const given = await waitFor(() => logLines((collector as Managed).output()).find((l) => l.msg.startsWith('weekly report not made')), (START_MARGIN_SECONDS + 30) * 1000, 'the report to be given up').catch((err: Error) => {
      throw new Error(`${err.message}\n--- collector output ---\n${(collector as Managed).output()}`);
    });
    expect(given).toMatchObject({ code: 'CH_REPORT_PROMETHEUS_UNREACHABLE', period: week.label });
    const failed = logLines(collector.output()).filter((l) => l.msg === 'weekly report failed');
    expect(failed.map((l) => [l.attempt, l.code])).toEqual([
      [1, 'CH_REPORT_PROMETHEUS_UNREACHABLE'],
      [2, 'CH_REPORT_PROMETHEUS_UNREACHABLE'],
      [3, 'CH_REPORT_PROMETHEUS_UNREACHABLE'],
    ]);
    // Backoff: 300 ms, then 600 ms between the tries.
    const times = logLines(collector.output())
      .filter((l) => l.msg === 'weekly report failed')
      .map((l) => (l as unknown as { time: number }).time);
    expect((times[1] as number) - (times[0] as number)).toBeGreaterThanOrEqual(300);
    expect((times[2] as number) - (times[1] as number)).toBeGreaterThanOrEqual(600);

    const after = await metrics(collector.url);
    expect(after).toMatchObject({ attempts: 3, failures: 3, due: firing.at });
    // The alert's condition: a report fell due and none was made since.
    expect(after.lastSuccess).toBeLessThan(after.due);
    // The folder is as it was: whole reports, no temporary file.
    expect((await readdir(reports)).sort()).toEqual([...kept.keys()].sort());
    for (const [name, text] of kept) expect(await readFile(path.join(reports, name), 'utf8'), name).toBe(text);
  }, 150_000);
});
