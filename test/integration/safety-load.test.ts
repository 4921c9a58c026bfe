// Load safety on real sockets: the per-channel rate cap holds under a backlog, counted where it
// matters (on the server, per sliding second), and a check's circuit breaker opens on a hard-down
// sandbox fault, backs off, keeps the hard-down signal, and closes once the fault is cleared.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from '../../cli/run.js';
import { parseConfig, type Check } from '../../config/index.js';
import { createLogger } from '../../logging/logger.js';
import { PROBERS } from '../../synthetic/probers/index.js';
import { ChannelRateLimiter } from '../../synthetic/rate-limit.js';
import type { ProbeResult } from '../../synthetic/result.js';
import { createRunner } from '../../synthetic/runner.js';
import { REPO_ROOT, sampleValue, waitFor } from '../support/processes.js';

// The channel runs in its own process, so its arrival times are not held up by the probing
// side's event loop (which would bunch them up and count the test's own pauses).
const CHANNEL = `
const { createServer } = require('node:http');
const { performance } = require('node:perf_hooks');
const arrivals = [];
const server = createServer((req, res) => {
  if (req.url === '/arrivals') { res.end(JSON.stringify(arrivals)); return; }
  arrivals.push(performance.now());
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"code":"0000","data":{"balance":1}}');
});
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
process.on('disconnect', () => process.exit(0));
`;

describe('rate cap under a backlog', () => {
  let channel: ChildProcess;
  let base: string;
  beforeAll(async () => {
    channel = spawn(process.execPath, ['-e', CHANNEL], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    const port = await new Promise<string>((resolve) => channel.stdout?.once('data', (d: Buffer) => resolve(d.toString().trim())));
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    if (channel.exitCode === null) {
      const gone = new Promise((r) => channel.once('exit', r));
      channel.kill('SIGTERM');
      await gone;
    }
  });

  it('50 runs queued against a channel capped at 10/s: never more than 10 requests in any second at the channel', async () => {
    const config = parseConfig(
      `version: 1
service: { listen: "127.0.0.1:0", location: local }
tiers: { core: { objective: 0.9998 } }
backends: { billing: {} }
channels:
  web: { transport: http, baseUrl: "${base}/web", rateLimitPerSecond: 10, businessCode: { path: $.code, success: ["0000"] } }
transactions:
  balance_query: { tier: core, backends: [billing] }
flows:
  balance_query:
    steps:
      - name: balance
        request: { url: "{{channel.baseUrl}}/balance" }
checks: [{ channel: web, transaction: balance_query, interval: 1m, timeout: 30s }]
`,
      'rate.yaml',
    );
    const runner = createRunner({
      config,
      probers: PROBERS,
      accountPools: new Map(),
      rateLimiters: new Map([['web', new ChannelRateLimiter(10)]]),
      sandboxUrl: null,
      location: 'local',
    });
    const check = config.checks[0] as Check;
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: 50 }, () => runner.run(check, { trigger: 'manual', scheduledAt: null })));
    const took = performance.now() - started;
    expect(results.filter((r) => !r.ok).map((r) => r.detail)).toEqual([]);
    const arrivals = (await (await fetch(`${base}/arrivals`)).json()) as number[];
    expect(arrivals).toHaveLength(50);
    const sorted = [...arrivals].sort((a, b) => a - b);
    let worst = 0;
    for (let i = 0; i < sorted.length; i++) {
      const inWindow = sorted.filter((t) => t >= (sorted[i] as number) && t < (sorted[i] as number) + 1000).length;
      worst = Math.max(worst, inWindow);
    }
    expect(worst, `arrivals (ms): ${sorted.map((t) => Math.round(t - (sorted[0] as number))).join(',')}`).toBeLessThanOrEqual(10);
    // The cap is a cap, not a stall: 50 requests at ~10/s.
    expect(worst).toBeGreaterThanOrEqual(9);
    expect(took).toBeLessThan(50 * 105 + 2000);
  }, 30_000);
});

describe('circuit breaker on a hard-down channel', () => {
  let dir: string;
  let svc: RunningService;
  const metrics = async () => (await fetch(`${svc.url}/metrics`)).text();
  const results = async (check: string) => ((await (await fetch(`${svc.url}/api/v1/results?check=${check}&limit=1000`)).json()) as { results: ProbeResult[] }).results;
  const gauge = (text: string, name: string) => sampleValue(text, name, { channel: 'web', transaction: 'balance_query' });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ch-breaker-'));
    const text = (await readFile(path.join(REPO_ROOT, 'channel-health.yaml'), 'utf8'))
      .replace('concurrency: 64', 'concurrency: 64\n  breaker: { openAfter: 3, maxBackoff: 4 }')
      .replace('interval: 30s', 'interval: 1s')
      .replace('timeout: 10s', 'timeout: 800ms')
      .replace('channels: [web, app, kiosk]\n    transactions: "*"', 'channels: [web, app]\n    transactions: [balance_query]')
      // The SMS hall's and the hotline's own checks go: this test is about two HTTP channels.
      .replace(/^ {2}- \{ channel: (?:sms|ivr), .*\n/gm, '');
    expect(text).toContain('channels: [web, app]\n    transactions: [balance_query]');
    expect(text).not.toContain('channel: sms,');
    expect(text).not.toContain('channel: ivr,');
    await writeFile(path.join(dir, 'breaker.yaml'), text);
    const sink = new PassThrough();
    sink.resume();
    svc = await startService({
      configFile: path.join(dir, 'breaker.yaml'),
      listen: '127.0.0.1:0',
      io: { stdout: sink, stderr: sink, env: { ...process.env, CH_SANDBOX_PIN: 'breaker-pin' } },
      logger: createLogger({ level: 'silent' }),
    });
    await waitFor(async () => ((await results('web.balance_query')).some((r) => r.ok) ? true : undefined), 10_000, 'a first good run');
  });
  afterAll(async () => {
    await svc?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('opens after 3 failures, runs only trials while open without resetting the hard-down signal, and closes when the fault clears', async () => {
    const res = await fetch(`${svc.url}/sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ scope: { channel: 'web' }, mode: 'error', httpStatus: 503, durationSeconds: 120 }),
    });
    expect(res.status).toBe(201);
    const faultAt = Date.now();
    await waitFor(async () => (gauge(await metrics(), 'channel_health_probe_breaker_open') === 1 ? true : undefined), 10_000, 'the breaker to open', 100);
    const openedAt = Date.now();
    const atOpen = await metrics();
    expect(gauge(atOpen, 'channel_health_probe_consecutive_failures')).toBeGreaterThanOrEqual(3);
    const opener = (await results('web.balance_query')).find((r) => r.breaker?.after === 'open');
    expect(opener).toMatchObject({ ok: false, reason: 'http_status', breaker: { state: 'closed', skipped: 0, after: 'open' } });

    // Seven seconds of an open breaker: a trial after 1 skipped firing, then after 3 (k = 2, then 4).
    await new Promise((r) => setTimeout(r, 7000));
    const during = await metrics();
    const web = (await results('web.balance_query')).filter((r) => r.startedAt > openedAt).sort((a, b) => a.startedAt - b.startedAt);
    const app = (await results('app.balance_query')).filter((r) => r.startedAt > openedAt);
    expect(web.length, JSON.stringify(web.map((r) => r.breaker))).toBeGreaterThanOrEqual(1);
    expect(web.length).toBeLessThanOrEqual(3);
    expect(app.length).toBeGreaterThanOrEqual(6);
    for (const r of web) expect(r).toMatchObject({ ok: false, breaker: { state: 'half_open', after: 'open' } });
    expect(web.map((r) => r.breaker?.skipped)).toEqual([1, 3].slice(0, web.length));
    expect(gauge(during, 'channel_health_probe_breaker_open')).toBe(1);
    // Skipped firings are not failures and not successes: the hard-down gauge only grows with trials.
    expect(gauge(during, 'channel_health_probe_consecutive_failures')).toBe((gauge(atOpen, 'channel_health_probe_consecutive_failures') as number) + web.length);

    await fetch(`${svc.url}/sandbox/faults`, { method: 'DELETE' });
    const closing = await waitFor(
      async () => (await results('web.balance_query')).find((r) => r.ok && r.startedAt > faultAt),
      8000,
      'a successful trial',
      100,
    );
    expect(closing.breaker).toMatchObject({ state: 'half_open', after: 'closed' });
    const closedAt = Date.now();
    // Back on its normal schedule: two more runs (a breaker still open would skip them).
    const back = await waitFor(
      async () => {
        const runs = (await results('web.balance_query')).filter((r) => r.startedAt > closedAt).sort((a, b) => a.startedAt - b.startedAt);
        return runs.length >= 2 ? runs : undefined;
      },
      8000,
      'two runs after the breaker closed',
      100,
    );
    const after = await metrics();
    expect(gauge(after, 'channel_health_probe_breaker_open')).toBe(0);
    expect(gauge(after, 'channel_health_probe_consecutive_failures')).toBe(0);
    for (const r of back) expect(r).toMatchObject({ ok: true, breaker: { state: 'closed', skipped: 0, after: 'closed' } });
  }, 40_000);
});
