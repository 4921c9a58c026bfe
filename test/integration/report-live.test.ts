// The report against the live service: `channel-health run` on a fast copy of the shipped config,
// a real Prometheus scraping it every second, a billing fault for a minute, then the
// `channel-health report` binary over that window must show the billing transactions as missed
// with business_error, and the others as met.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../report/index.js';
import { CLI, promQuery, REPO_ROOT, startPrometheus, startService, waitFor, type Managed } from '../support/processes.js';

const run = promisify(execFile);
const BILLING = ['topup', 'balance_query', 'bill_query', 'plan_change'];
const NOT_BILLING = ['data_addon', 'profile_update', 'other_query'];
const CHANNELS = ['web', 'sms'];
const FAULT_SECONDS = 60;
/** The first value of an instant query, or undefined while it has none. */
const scalar = async (url: string, query: string) => {
  const v = (await promQuery(url, query))[0]?.value[1];
  return v === undefined ? undefined : Number(v);
};

describe('report over a live run with a billing fault', () => {
  let dir: string;
  let svc: Managed;
  let prometheus: Managed;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ch-report-live-'));
    const text = (await readFile(path.join(REPO_ROOT, 'channel-health.yaml'), 'utf8'))
      .replace('interval: 30s', 'interval: 2s')
      .replace('timeout: 10s', 'timeout: 1500ms')
      .replace(/rateLimitPerSecond: \d+/g, 'rateLimitPerSecond: 200')
      // Two channels × seven transactions keep the two shared cores free for the other suites.
      .replace('channels: [web, app, kiosk]', 'channels: [web]')
      // The hotline's SIP calls go too: this test is about the report, not the IVR (ivr-sip.test.ts).
      .replace(/^ {2}- \{ channel: ivr, .*\n/gm, '');
    // web over HTTP by the matrix, sms over SMPP by its own checks.
    expect(text).toContain('channels: [web]\n');
    expect(text).toContain('{ channel: sms, transaction: balance_query');
    await writeFile(path.join(dir, 'fast.yaml'), text);
    svc = await startService({ configFile: path.join(dir, 'fast.yaml') });
    prometheus = await startPrometheus({ targets: [`127.0.0.1:${svc.port}`], scrapeInterval: '1s' });
    await waitFor(async () => ((await promQuery(prometheus.url, 'sum(channel_health_probe_runs_total)'))[0] ? true : undefined), 20_000, 'the first scrape of probe runs');
  });

  afterAll(async () => {
    await prometheus?.stop();
    await svc?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('shows the billing transactions missed with business_error, the others met', async () => {
    // A few healthy scrapes before the window opens, so its first increase() has a base sample.
    await waitFor(async () => ((await scalar(prometheus.url, 'count_over_time(up[1m])')) ?? 0) >= 3 || undefined, 20_000, 'three healthy scrapes');
    const from = Math.floor(Date.now() / 1000);
    const res = await fetch(`${svc.url}/sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ scope: { backend: 'billing' }, mode: 'error', rate: 1, durationSeconds: FAULT_SECONDS }),
    });
    expect(res.status, await res.text()).toBe(201);
    // The fault ends by itself after FAULT_SECONDS; the window closes once Prometheus has seen every
    // billing check succeed again, and the report runs once a scrape past its end is stored.
    const billing = `channel_health_probe_success{transaction=~"${BILLING.join('|')}"}`;
    await waitFor(
      async () => (Date.now() / 1000 - from >= FAULT_SECONDS && (await scalar(prometheus.url, `count(${billing} == 1) == count(${billing})`)) !== undefined ? true : undefined),
      (FAULT_SECONDS + 30) * 1000,
      'the fault to end and every billing check to succeed again',
      500,
    );
    const to = Math.floor(Date.now() / 1000);
    await waitFor(async () => ((await scalar(prometheus.url, 'max(timestamp(up))')) ?? 0) > to || undefined, 10_000, 'a scrape past the end of the window');

    const iso = (s: number) => new Date(s * 1000).toISOString().replace('.000', '');
    const args = [CLI, 'report', '--prometheus', prometheus.url, '--from', iso(from), '--to', iso(to), '--format', 'json,md', '--out', dir, '--config', path.join(dir, 'fast.yaml')];
    const { stdout, stderr } = await run(process.execPath, args, { cwd: REPO_ROOT, timeout: 30_000 });
    expect(stderr).toMatch(/\[8\/8\] done querying/);
    const files = stdout.trim().split('\n');
    expect(files.map((f) => path.extname(f))).toEqual(['.md', '.json']);
    const report = JSON.parse(await readFile(files[1] as string, 'utf8')) as Report;
    const md = await readFile(files[0] as string, 'utf8');
    // Kept for a human look (test-artifacts/ is gitignored).
    await mkdir(path.join(REPO_ROOT, 'test-artifacts'), { recursive: true });
    await writeFile(path.join(REPO_ROOT, 'test-artifacts/report-live.md'), md);

    expect(report.loadBasis).toBe('probe');
    expect(report.notes.join('\n')).toMatch(/No real customer transactions/);
    for (const channel of CHANNELS) {
      for (const transaction of BILLING) {
        const row = report.success.rows.find((r) => r.channel === channel && r.transaction === transaction);
        expect(row, `${channel}/${transaction}`).toMatchObject({ basis: 'probe', verdict: 'missed', topReason: 'business_error' });
        // Failing for ~60 of ~64 seconds: most runs failed, far more than the 0.02 % budget allows.
        expect(row?.successRatio ?? 1, `${channel}/${transaction}`).toBeLessThan(0.5);
        expect(row?.budgetSpent ?? 0).toBeGreaterThan(100);
      }
      for (const transaction of NOT_BILLING) {
        const row = report.success.rows.find((r) => r.channel === channel && r.transaction === transaction);
        // The billing fault must not leak here: met, and no failure of any reason the fault or
        // the sandbox could cause. On a starved machine (eight suites on two cores) a run can
        // still time out now and then, and the report counts one such run through increase()'s
        // extrapolation as 1.01 or so; a timeout is the machine's signature, not the fault's.
        expect(row, `${channel}/${transaction}`).toMatchObject({ verdict: 'met' });
        const { timeout: _timeouts, ...others } = row?.probe.byReason ?? {};
        expect(Object.values(others).filter((n) => n > 0), `${channel}/${transaction}: ${JSON.stringify(row?.probe.byReason)}`).toEqual([]);
        expect(row?.total ?? 0).toBeGreaterThan(20);
      }
    }
    expect(report.success.transactions.filter((t) => t.verdict === 'missed').map((t) => t.transaction)).toEqual(BILLING);
    expect(report.failures.probe[0]?.reason).toBe('business_error');
    // Where the runs failed: a billing step answering billing's own code, with the config's meaning.
    expect(BILLING).toContain(report.failures.steps[0]?.transaction);
    expect(report.failures.steps[0]?.reason).toBe('business_error');
    expect(report.failures.steps.filter((s) => s.reason === 'business_error').map((s) => s.transaction).filter((t) => !BILLING.includes(t))).toEqual([]);
    expect(report.failures.codes[0]).toMatchObject({ code: '5101', meaning: 'billing system (BOSS) unavailable' });
    expect(BILLING).toContain(report.failures.codes[0]?.transaction);
    expect(Object.keys(report.failures.codes[0]?.byChannel ?? {}).sort()).toEqual([...CHANNELS].sort());
    expect(report.load.bucketSeconds).toBe(60);
    expect(report.load.channels.map((c) => c.channel)).toEqual(CHANNELS);
    for (const c of report.load.channels) {
      // Minute buckets counted from the period start: the peak lies inside the period.
      expect(Date.parse(c.peak?.start ?? '')).toBeGreaterThanOrEqual(from * 1000);
      expect(Date.parse(c.peak?.start ?? '') + 60_000).toBeLessThanOrEqual(to * 1000);
      expect(c.headroomPerSecond).toBeNull();
    }
    expect(md).toMatch(/- Probes: 3 of 7 transactions met their objective; missed: topup/);
    expect(md).toContain('- Real transactions: no transaction with data and an objective.');
  }, 110_000);
});
