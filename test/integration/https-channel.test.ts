// An https channel end to end: `run` serves its embedded sandbox over TLS too (--https-listen)
// with a certificate made here by openssl, expiring in 10 days; a separate `sandbox` serves
// another channel with one expiring in 60. The probes trust them through channels.<id>.tls.caFile.
// Proves the dns/connect/tls phases, the expiry gauge against each certificate's notAfter, the
// generated ChannelHealthTlsCertExpiring alert in real Prometheus (fires for 10 days, not for
// 60, with the default 21-day window), and the tls failures: an untrusted certificate, a name the
// certificate does not carry. Loopback only.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeResult } from '../../synthetic/result.js';
import { CLI, freePort, promQuery, sampleValue, startBinary, startCommand, startPrometheus, waitFor, type Managed } from '../support/processes.js';
import { makeTestCertificate, type TestCertificate } from '../support/tls-certs.js';

const ENV = { CH_SANDBOX_PIN: 'https-test-pin', CH_LOG_LEVEL: 'warn' };

let dir: string;
let near: TestCertificate;
let far: TestCertificate;
let portNear: number;
let portFar: number;
let run: Managed;
let sandbox: Managed;
let prometheus: Managed;

const configText = () => `version: 1
service: { location: local, sandbox: true }
tiers: { core: { objective: 0.9998 } }
backends: { billing: {} }
channels:
  # Trusted through the CA that signed run's certificate (10 days left).
  web: { transport: http, baseUrl: "https://localhost:${portNear}/sandbox/channels/web", tls: { caFile: near-ca.pem } }
  # The separate sandbox's certificate (60 days left).
  app: { transport: http, baseUrl: "https://localhost:${portFar}/sandbox/channels/app", tls: { caFile: far-ca.pem } }
  # No caFile: the test CA is in no system store, so the certificate is untrusted.
  kiosk: { transport: http, baseUrl: "https://localhost:${portNear}/sandbox/channels/kiosk" }
  # The certificate names localhost only.
  ivr: { transport: http, baseUrl: "https://127.0.0.1:${portNear}/sandbox/channels/ivr", tls: { caFile: near-ca.pem } }
transactions:
  balance_query: { tier: core, backends: [billing] }
accounts:
  sandbox:
    - { msisdn: "13900000001", pin: { env: CH_SANDBOX_PIN } }
    - { msisdn: "13900000002", pin: { env: CH_SANDBOX_PIN } }
    - { msisdn: "13900000003", pin: { env: CH_SANDBOX_PIN } }
    - { msisdn: "13900000004", pin: { env: CH_SANDBOX_PIN } }
flows:
  balance_query:
    accountPool: sandbox
    steps:
      - name: login
        request:
          method: POST
          url: "{{channel.baseUrl}}/login"
          json: { msisdn: "{{account.msisdn}}", pin: "{{account.pin}}" }
        extract: { token: $.data.token }
      - name: balance
        request:
          url: "{{channel.baseUrl}}/balance"
          headers: { authorization: "Bearer {{vars.token}}" }
        assert:
          json: [{ path: $.data.balance, exists: true }]
checkDefaults: { interval: 5s, timeout: 4s }
checks:
  - { channels: [web, app, kiosk, ivr], transactions: [balance_query] }
`;

const resultsOf = async (channel: string): Promise<ProbeResult[]> => {
  const res = await fetch(`${run.url}/api/v1/results?check=${channel}.balance_query&limit=20`);
  return ((await res.json()) as { results: ProbeResult[] }).results;
};

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ch-https-'));
  near = makeTestCertificate(dir, 'near', { days: 10 });
  far = makeTestCertificate(dir, 'far', { days: 60 });
  [portNear, portFar] = [await freePort(), await freePort()];
  const configFile = path.join(dir, 'channel-health.yaml');
  await writeFile(configFile, configText());
  const rulesDir = path.join(dir, 'generated');
  const generated = spawnSync(process.execPath, [CLI, 'generate', '--config', configFile, '--out', rulesDir], { encoding: 'utf8', timeout: 60_000 });
  expect(generated.status, generated.stderr).toBe(0);

  const sandboxPort = await freePort();
  sandbox = await startCommand('sandbox', ['--config', configFile, '--https-listen', `127.0.0.1:${portFar}`, '--tls-cert', far.certFile, '--tls-key', far.keyFile], {
    port: sandboxPort,
    readyPath: '/sandbox/faults',
    env: ENV,
  });
  const runPort = await freePort();
  run = await startBinary(
    process.execPath,
    [CLI, 'run', '--config', configFile, '--listen', `127.0.0.1:${runPort}`, '--https-listen', `127.0.0.1:${portNear}`, '--tls-cert', near.certFile, '--tls-key', near.keyFile],
    { port: runPort, readyPath: '/readyz', env: { ...process.env, ...ENV }, cwd: dir },
  );
  prometheus = await startPrometheus({
    targets: [`127.0.0.1:${runPort}`],
    ruleFiles: [path.join(rulesDir, 'alerts/generated/recording-rules.yml'), path.join(rulesDir, 'alerts/generated/alert-rules.yml')],
  });
}, 120_000);

afterAll(async () => {
  await prometheus?.stop();
  await run?.stop();
  await sandbox?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('an https channel', () => {
  it('times dns, connect and tls on the run\'s new connection, and none of them on the step that reused it', async () => {
    const ok = await waitFor(async () => (await resultsOf('web')).find((r) => r.ok), 30_000, 'a successful web run');
    const [login, balance] = ok.steps;
    expect(login?.connection).toBe('new');
    for (const phase of ['dns', 'connect', 'tls', 'processing', 'transfer']) expect(login?.phases?.[phase], phase).toBeGreaterThan(0);
    expect(login?.connectMs).toBeGreaterThan(0);
    expect(balance?.connection).toBe('reused');
    expect(Object.keys(balance?.phases ?? {}).sort()).toEqual(['processing', 'transfer']);
    expect(balance?.connectMs).toBe(0);
  });

  it('exports each origin\'s certificate expiry as its notAfter', async () => {
    const text = await waitFor(
      async () => {
        const t = await (await fetch(`${run.url}/metrics`)).text();
        return t.includes('channel="app"') && t.includes('tls_cert_expiry_timestamp_seconds{channel="app"') ? t : undefined;
      },
      30_000,
      'both expiry series',
    );
    expect(sampleValue(text, 'channel_health_tls_cert_expiry_timestamp_seconds', { channel: 'web', origin: `https://localhost:${portNear}` })).toBe(Math.floor(near.notAfterMs / 1000));
    expect(sampleValue(text, 'channel_health_tls_cert_expiry_timestamp_seconds', { channel: 'app', origin: `https://localhost:${portFar}` })).toBe(Math.floor(far.notAfterMs / 1000));
    // A refused handshake exports no date.
    expect(sampleValue(text, 'channel_health_tls_cert_expiry_timestamp_seconds', { channel: 'kiosk' })).toBeUndefined();
    expect(sampleValue(text, 'channel_health_tls_cert_expiry_timestamp_seconds', { channel: 'ivr' })).toBeUndefined();
  });

  it.each([
    ['kiosk', 'an untrusted certificate', 'TLS UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
    ['ivr', 'a certificate for another name', 'TLS ERR_TLS_CERT_ALTNAME_INVALID'],
  ])('fails %s (%s) with reason tls and the code in the detail', async (channel, _what, detail) => {
    const failed = await waitFor(async () => (await resultsOf(channel))[0], 30_000, `a ${channel} run`);
    expect(failed).toMatchObject({ ok: false, reason: 'tls', failedStep: 'login' });
    expect(failed.detail).toContain(detail);
    const text = await (await fetch(`${run.url}/metrics`)).text();
    expect(sampleValue(text, 'channel_health_probe_failures_total', { channel, reason: 'tls' })).toBeGreaterThan(0);
  });

  it('fires the generated expiry alert in Prometheus for the certificate inside the warning window, not for the one outside', async () => {
    const firing = await waitFor(
      async () => {
        const alerts = await promQuery(prometheus.url, 'ALERTS{alertname="ChannelHealthTlsCertExpiring",alertstate="firing"}');
        return alerts.length > 0 ? alerts : undefined;
      },
      60_000,
      'ChannelHealthTlsCertExpiring firing',
      500,
    );
    // The outside-the-window verdict needs app's series in Prometheus and an evaluation after it.
    await waitFor(async () => ((await promQuery(prometheus.url, 'channel_health_tls_cert_expiry_timestamp_seconds{channel="app"}')).length > 0 ? true : undefined), 30_000, 'app scraped', 250);
    const scrapedBy = Date.now();
    await waitFor(
      async () => {
        const body = (await (await fetch(`${prometheus.url}/api/v1/rules?type=alert`)).json()) as { data: { groups: Array<{ name: string; lastEvaluation: string }> } };
        const group = body.data.groups.find((g) => g.name === 'channel-health-synthetic');
        return group && Date.parse(group.lastEvaluation) > scrapedBy ? true : undefined;
      },
      30_000,
      'an evaluation after app was scraped',
      250,
    );
    const scraped = await promQuery(prometheus.url, 'channel_health_tls_cert_expiry_timestamp_seconds');
    expect(scraped.map((s) => s.metric.channel).sort()).toEqual(['app', 'web']);
    const again = await promQuery(prometheus.url, 'ALERTS{alertname="ChannelHealthTlsCertExpiring",alertstate="firing"}');
    expect(firing.map((a) => a.metric.channel)).toEqual(['web']);
    expect(again.map((a) => [a.metric.channel, a.metric.origin, a.metric.severity])).toEqual([['web', `https://localhost:${portNear}`, 'warning']]);
  });
});
