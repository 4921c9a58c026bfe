// `channel-health report` flags and failures, with Prometheus replaced by an injected fetch (or by
// nothing at all, for the unreachable case). Bad input must exit 2 and write nothing.
import { createServer, type Server } from 'node:http';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runReport, type ReportDeps } from '../../cli/report.js';
import type { FetchLike, Report } from '../../report/index.js';
import { freePort, REPO_ROOT } from '../support/processes.js';

const NOW = Date.parse('2026-11-23T14:00:00Z');

function capture() {
  let out = '';
  let err = '';
  const stream = (add: (s: string) => void) =>
    new Writable({
      write(chunk, _enc, cb) {
        add(String(chunk));
        cb();
      },
    });
  return { io: { stdout: stream((s) => (out += s)), stderr: stream((s) => (err += s)), env: {} }, out: () => out, err: () => err };
}

type Answer = { resultType: 'vector'; result: Array<{ metric: Record<string, string>; value: [number, string] }> } | { resultType: 'matrix'; result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> };

/** A stand-in Prometheus: answers each PromQL by the first matching handler, empty otherwise. */
function fakePrometheus(handlers: Array<[RegExp, (params: URLSearchParams) => Answer]>, seen: string[] = []): FetchLike {
  return async (_url, init) => {
    const params = new URLSearchParams(init.body);
    const query = params.get('query') ?? '';
    seen.push(query);
    const handler = handlers.find(([re]) => re.test(query));
    const isRange = params.has('step') || /\[\d+s\]$/.test(query);
    const data = handler ? handler[1](params) : { resultType: isRange ? 'matrix' : 'vector', result: [] };
    return { ok: true, status: 200, text: async () => JSON.stringify({ status: 'success', data }) };
  };
}

const vector = (rows: Array<[Record<string, string>, number]>): Answer => ({ resultType: 'vector', result: rows.map(([metric, v]) => ({ metric, value: [0, String(v)] })) });

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ch-report-cli-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function report(args: string[], fetch: FetchLike = fakePrometheus([])) {
  const c = capture();
  const deps: ReportDeps = { fetch, now: () => NOW };
  const code = await runReport([...args, '--out', path.join(dir, 'out')], c.io, deps);
  const written = await readdir(path.join(dir, 'out')).catch(() => [] as string[]);
  return { code, out: c.out(), err: c.err(), written };
}

describe('channel-health report: bad input exits 2 and writes nothing', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['a malformed week', ['--prometheus', 'http://127.0.0.1:9090', '--week', '2026-47'], /CH_REPORT_BAD_PERIOD: --week: "2026-47" is not an ISO week like 2026-W47/],
    ['--from after --to', ['--prometheus', 'http://127.0.0.1:9090', '--from', '2026-11-20', '--to', '2026-11-16'], /CH_REPORT_BAD_PERIOD: --from 2026-11-20 is not before --to 2026-11-16/],
    ['a period not over yet', ['--prometheus', 'http://127.0.0.1:9090', '--week', '2026-W48'], /CH_REPORT_BAD_PERIOD: .*after now/],
    ['no period', ['--prometheus', 'http://127.0.0.1:9090'], /CH_REPORT_BAD_PERIOD: a period is required/],
    ['no --prometheus', ['--week', '2026-W47'], /CH_REPORT_BAD_OPTION: --prometheus URL is required/],
    ['a relative Prometheus URL', ['--prometheus', 'localhost:9090/x', '--week', '2026-W47'], /CH_REPORT_BAD_OPTION: --prometheus: "localhost:9090\/x" must be an http or https URL/],
    ['credentials in the URL', ['--prometheus', 'http://u:secret@127.0.0.1:9090', '--week', '2026-W47'], /CH_REPORT_BAD_OPTION: --prometheus: credentials in the URL/],
    ['an unknown format', ['--prometheus', 'http://127.0.0.1:9090', '--week', '2026-W47', '--format', 'html,pdf'], /CH_REPORT_BAD_OPTION: --format: unknown format "pdf"; choose from html, md, json/],
    ['a bad offset', ['--prometheus', 'http://127.0.0.1:9090', '--week', '2026-W47', '--utc-offset', '8'], /CH_REPORT_BAD_OPTION: --utc-offset: "8"/],
    ['a bad timeout', ['--prometheus', 'http://127.0.0.1:9090', '--week', '2026-W47', '--timeout', 'soon'], /CH_REPORT_BAD_OPTION: --timeout: "soon" is not a duration/],
    ['an unknown flag', ['--prometheus', 'http://127.0.0.1:9090', '--week', '2026-W47', '--weeks', '2'], /CH_CLI_USAGE: Unknown option '--weeks'/],
  ];
  for (const [what, args, message] of cases) {
    it(what, async () => {
      const seen: string[] = [];
      const r = await report(args, fakePrometheus([], seen));
      expect(r.err).toMatch(message);
      expect(r.code).toBe(2);
      expect(r.written).toEqual([]);
      expect(seen).toEqual([]);
    });
  }

  it('a broken config, named with its path', async () => {
    const file = path.join(dir, 'broken.yaml');
    await writeFile(file, 'version: 1\nservice: {}\ntiers: {}\nbackends: {}\nchannels:\n  web: { transport: http, baseUrl: "x", capacityPerSecond: -3 }\ntransactions: {}\nchecks: []\n');
    const r = await report(['--prometheus', 'http://127.0.0.1:9090', '--week', '2026-W47', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/CH_CONFIG_INVALID/);
    expect(r.err).toMatch(/channels\.web\.capacityPerSecond: /);
    expect(r.written).toEqual([]);
  });
});

describe('channel-health report: Prometheus failures exit 1 and name the server', () => {
  it('unreachable Prometheus', async () => {
    const port = await freePort();
    const r = await report(['--prometheus', `http://127.0.0.1:${port}`, '--week', '2026-W47'], globalThis.fetch);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`CH_REPORT_PROMETHEUS_UNREACHABLE: Prometheus at http://127\\.0\\.0\\.1:${port} is unreachable: ECONNREFUSED`));
    expect(r.written).toEqual([]);
  });

  describe('a server that is not Prometheus', () => {
    let server: Server;
    let url: string;
    beforeEach(async () => {
      server = createServer((_req, res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<html>not here</html>'));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    });
    afterEach(async () => {
      await new Promise((resolve) => server.close(resolve));
    });
    it('is named, with what it answered', async () => {
      const r = await report(['--prometheus', url, '--week', '2026-W47'], globalThis.fetch);
      expect(r.code).toBe(1);
      expect(r.err).toContain(`CH_REPORT_PROMETHEUS_QUERY: ${url}/api/v1/query answered HTTP 404 with something that is not the Prometheus API`);
      expect(r.err).toContain(`is ${url} a Prometheus server?`);
    });
  });

  it('a query Prometheus rejects', async () => {
    const fetch: FetchLike = async () => ({ ok: false, status: 422, text: async () => JSON.stringify({ status: 'error', errorType: 'execution', error: 'query processing would load too many samples into memory' }) });
    const r = await report(['--prometheus', 'http://prom.example:9090', '--week', '2026-W47'], fetch);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/CH_REPORT_PROMETHEUS_QUERY: Prometheus at http:\/\/prom\.example:9090 rejected the query sum by .*: execution: query processing would load too many samples/);
  });

  it('a Prometheus that does not answer in time', async () => {
    const fetch: FetchLike = (_url, init) =>
      new Promise((_resolve, reject) => init.signal.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'TimeoutError' }))));
    const r = await report(['--prometheus', 'http://prom.example:9090', '--week', '2026-W47', '--timeout', '200ms'], fetch);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/CH_REPORT_PROMETHEUS_UNREACHABLE: Prometheus at http:\/\/prom\.example:9090 is unreachable: no answer within 200 ms/);
  });

  it('no channel-health series in the period', async () => {
    // The week is read on the default config's business clock (+08:00).
    const r = await report(['--prometheus', 'http://prom.example:9090', '--week', '2026-W47']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/CH_REPORT_NO_DATA: Prometheus at http:\/\/prom\.example:9090 has no samples of channel_health_probe_runs_total or channel_health_transactions_total between 2026-11-15T16:00:00.000Z and 2026-11-22T16:00:00.000Z/);
    expect(r.written).toEqual([]);
  });
});

describe('channel-health report: probes only', () => {
  const probesOnly = fakePrometheus([
    [/increase\(channel_health_probe_runs_total\[604800s\]\)/, () => vector([[{ channel: 'web', transaction: 'topup', tier: 'core' }, 20_160]])],
    // The zero series every configured pair has: no row may come of them alone.
    [/increase\(channel_health_transactions_total\[604800s\]\)/, () => vector([[{ channel: 'sms', transaction: 'topup', tier: 'core' }, 0]])],
    [/increase\(channel_health_probe_failures_total\[604800s\]\)/, () => vector([[{ channel: 'web', transaction: 'topup', tier: 'core', reason: 'business_error' }, 12]])],
    [/channel_health_objective_ratio/, () => vector([[{ transaction: 'topup', tier: 'core' }, 0.9998]])],
    [
      /^ALERTS/,
      () => ({
        resultType: 'matrix',
        result: [{ metric: { __name__: 'ALERTS', alertname: 'Burn<script>alert(1)</script>', alertstate: 'firing', severity: 'page' }, values: [[Date.parse('2026-11-17T10:00:00Z') / 1000, '1'], [Date.parse('2026-11-17T10:01:00Z') / 1000, '1']] }],
      }),
    ],
  ]);

  it('falls back to probe runs, says so, and escapes what Prometheus returns', async () => {
    const shipped = path.join(REPO_ROOT, 'channel-health.yaml');
    const r = await report(['--prometheus', 'http://prom.example:9090', '--week', '2026-W47', '--format', 'json,html', '--config', shipped], probesOnly);
    expect(r.err).not.toMatch(/CH_/);
    expect(r.code).toBe(0);
    expect(r.written.sort()).toEqual(['channel-health-report-2026-W47.html', 'channel-health-report-2026-W47.json']);
    expect(r.out.trim().split('\n')).toHaveLength(2);
    const json = JSON.parse(await readFile(path.join(dir, 'out/channel-health-report-2026-W47.json'), 'utf8')) as Report;
    expect(json.config).toBe(shipped);
    expect(json.loadBasis).toBe('probe');
    expect(json.notes.join('\n')).toMatch(/No real customer transactions .* measured on synthetic probe runs/);
    expect(json.success.rows).toHaveLength(1);
    expect(json.success.rows[0]).toMatchObject({ transaction: 'topup', channel: 'web', basis: 'probe', total: 20_160, failures: 12, verdict: 'missed', topReason: 'business_error' });
    // Capacity is customer load: probe runs are not compared with it.
    expect(json.load.channels).toEqual([expect.objectContaining({ channel: 'web', total: 20_160, capacityPerSecond: 200, headroomPerSecond: null, utilisation: null })]);
    expect(json.notes.join('\n')).toMatch(/Headroom and time to capacity are not computed/);
    expect(json.alerts.rows[0]?.firingSeconds).toBe(120);
    const html = await readFile(path.join(dir, 'out/channel-health-report-2026-W47.html'), 'utf8');
    expect(html).not.toContain('<script>');
    expect(html).toContain('Burn&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toMatch(/(src|href)="https?:/);
  });

  it('reads weeks on the config\'s business clock unless --utc-offset says otherwise', async () => {
    const file = path.join(dir, 'clock.yaml');
    await writeFile(file, (await readFile(path.join(REPO_ROOT, 'channel-health.yaml'), 'utf8')).replace(/^ {2}utcOffset: .*\n/m, '').replace(/^service:\n/m, 'service:\n  utcOffset: "+08:00"\n'));
    const args = ['--prometheus', 'http://prom.example:9090', '--week', '2026-W47', '--format', 'json', '--config', file];
    const period = async (extra: string[]) => {
      const r = await report([...args, ...extra], probesOnly);
      expect(r.code, r.err).toBe(0);
      return (JSON.parse(await readFile(path.join(dir, 'out/channel-health-report-2026-W47.json'), 'utf8')) as Report).period;
    };
    expect(await period([])).toEqual({ label: '2026-W47', from: '2026-11-15T16:00:00.000Z', to: '2026-11-22T16:00:00.000Z', utcOffset: 'UTC+08:00' });
    expect(await period(['--utc-offset', 'Z'])).toMatchObject({ from: '2026-11-16T00:00:00.000Z', utcOffset: 'UTC+00:00' });
  });

  it('renders the same report byte for byte from the same answers', async () => {
    const first = await report(['--prometheus', 'http://prom.example:9090', '--week', '2026-W47', '--format', 'html'], probesOnly);
    const a = await readFile(path.join(dir, 'out/channel-health-report-2026-W47.html'), 'utf8');
    const second = await report(['--prometheus', 'http://prom.example:9090', '--week', '2026-W47', '--format', 'html'], probesOnly);
    const b = await readFile(path.join(dir, 'out/channel-health-report-2026-W47.html'), 'utf8');
    expect([first.code, second.code]).toEqual([0, 0]);
    expect(a).toBe(b);
  });

  it('asks Prometheus only the raw metrics of the contract', async () => {
    const seen: string[] = [];
    const r = await report(['--prometheus', 'http://prom.example:9090', '--week', '2026-W47', '--format', 'json'], fakePrometheus([[/probe_runs_total\[604800s\]/, () => vector([[{ channel: 'web', transaction: 'topup', tier: 'core' }, 1]])]], seen));
    expect(r.code).toBe(0);
    const names = new Set(seen.flatMap((q) => q.match(/[a-zA-Z_:]+(?=[[{])/g) ?? []));
    expect([...names].sort()).toEqual([
      'ALERTS',
      'channel_health_maintenance_active',
      'channel_health_objective_ratio',
      'channel_health_probe_business_errors_total',
      'channel_health_probe_duration_seconds_bucket',
      'channel_health_probe_failures_total',
      'channel_health_probe_runs_total',
      'channel_health_probe_step_failures_total',
      'channel_health_transaction_business_errors_total',
      'channel_health_transaction_failures_total',
      'channel_health_transactions_total',
    ]);
    expect(seen.some((q) => q.includes('channel_health:'))).toBe(false);
  });
});
