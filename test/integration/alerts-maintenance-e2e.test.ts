// Maintenance windows and silences end to end, on real parts: `channel-health run` probing its
// sandbox every 2 s, Prometheus with the generated rules, Alertmanager with the generated config
// (a one-off window on kiosk and ivr ending at the next minute boundary at least 50 s away:
// Alertmanager's time intervals are in minutes), and a webhook receiver on loopback.
// A hard down on both channels inside the window notifies nobody; after it, kiosk pages; ivr,
// silenced by `channel-health silence` meanwhile, stays quiet until the silence is expired.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { alertFiles, OUTPUT } from '../../alerts/index.js';
import { loadConfigFile } from '../../config/index.js';
import { ivrOverHttp } from '../support/ivr-over-http.js';
import { CLI, REPO_ROOT, startAlertmanager, startPrometheus, startService, waitFor, type Managed } from '../support/processes.js';
import { startReceiver } from '../support/webhook-receiver.js';

const CHANNELS = ['web', 'kiosk', 'ivr'];
const MINUTE = 60_000;

describe('maintenance windows and silences: Prometheus → Alertmanager → webhook', () => {
  let dir: string;
  let configFile: string;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let svc: Managed | undefined;
  let am: Managed | undefined;
  let prom: Managed | undefined;
  let windowEnd: number;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ch-maint-e2e-'));
    receiver = await startReceiver();
    const shipped = parse(await readFile(path.join(REPO_ROOT, 'channel-health.yaml'), 'utf8')) as Record<string, unknown>;
    ivrOverHttp(shipped);
    for (const c of Object.values(shipped.channels as Record<string, Record<string, unknown>>)) c.rateLimitPerSecond = 200;
    const now = Date.now();
    const windowStart = Math.floor(now / MINUTE) * MINUTE;
    windowEnd = Math.ceil((now + 50_000) / MINUTE) * MINUTE;
    const iso = (ms: number) => new Date(ms).toISOString().slice(0, 16) + 'Z';
    const config = {
      ...shipped,
      checkDefaults: { interval: '2s', timeout: '1s' },
      checks: [{ channels: CHANNELS, transactions: ['balance_query'] }],
      alerting: {
        evidenceWindows: ['30s'],
        recoveryWindow: '10s',
        routes: { page: 'oncall', warning: 'noc', ticket: 'review', watchdog: 'deadman' },
        alertmanager: { groupWait: '1s', groupInterval: '1s', repeatInterval: '1h' },
      },
      // Only this window: the shipped nightly ones must not depend on when the test runs.
      maintenance: { push: { description: 'kiosk and ivr software push', channels: ['kiosk', 'ivr'], from: iso(windowStart), to: iso(windowEnd) } },
      receivers: Object.fromEntries(['oncall', 'noc', 'review', 'deadman'].map((r) => [r, { url: `${receiver.url}/${r}` }])),
    };
    configFile = path.join(dir, 'maint.yaml');
    await writeFile(configFile, stringify(config, { aliasDuplicateObjects: false }));
    const files = alertFiles(await loadConfigFile(configFile), { sourceName: 'maint.yaml' });
    const content = (p: string) => files.find((f) => f.path === p)?.content as string;
    const ruleFiles = [OUTPUT.recording, OUTPUT.alerting].map((p) => path.join(dir, path.basename(p)));
    await writeFile(ruleFiles[0] as string, content(OUTPUT.recording));
    await writeFile(ruleFiles[1] as string, content(OUTPUT.alerting));
    expect(content(OUTPUT.alertmanager)).toContain('mute_time_intervals');

    svc = await startService({ configFile });
    am = await startAlertmanager(content(OUTPUT.alertmanager));
    prom = await startPrometheus({ targets: [`127.0.0.1:${svc.port}`], scrapeInterval: '1s', evaluationInterval: '1s', ruleFiles, alertmanagers: [`127.0.0.1:${am.port}`] });
  }, 60_000);

  afterAll(async () => {
    await prom?.stop();
    await am?.stop();
    await svc?.stop();
    await receiver?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Notifications (other than the Watchdog's) naming an alert of `channel`. */
  const about = (channel: string) => receiver.received.filter((m) => m.path !== '/deadman' && m.body.alerts.some((a) => a.labels.channel === channel && a.status === 'firing'));
  const amAlerts = async (channel: string) =>
    (await (await fetch(`${(am as Managed).url}/api/v2/alerts?filter=${encodeURIComponent(`channel="${channel}"`)}`)).json()) as Array<{
      labels: Record<string, string>;
      status: { state: string; silencedBy: string[] };
    }>;
  const cli = (args: string[]) => spawnSync(process.execPath, [CLI, 'silence', '--config', configFile, '--alertmanager', (am as Managed).url, ...args], { encoding: 'utf8', timeout: 30_000 });

  it('mutes a hard down inside the window, pages after it, and a silence holds until it is expired', async () => {
    const sandbox = svc as Managed;
    const metrics = async () => (await fetch(`${sandbox.url}/metrics`)).text();
    expect(await metrics()).toMatch(/channel_health_maintenance_active\{window="push",channel="kiosk"\} 1/);
    for (const channel of ['kiosk', 'ivr']) {
      const res = await fetch(`${sandbox.url}/sandbox/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ scope: { channel }, mode: 'error', rate: 1, durationSeconds: 600 }),
      });
      expect(res.status, await res.text()).toBe(201);
    }
    // Alertmanager holds the hard-down pages of both channels while the window is on.
    await waitFor(
      async () => {
        const [k, i] = [await amAlerts('kiosk'), await amAlerts('ivr')];
        const paged = (xs: typeof k) => xs.some((a) => a.labels.severity === 'page' && a.status.state === 'active');
        return paged(k) && paged(i) ? true : undefined;
      },
      Math.max(5_000, windowEnd - Date.now() - 5_000),
      'hard-down pages of kiosk and ivr in Alertmanager, inside the window',
      250,
    );
    expect(Date.now()).toBeLessThan(windowEnd);

    // Unplanned work on ivr: a silence made by the CLI, listed by amtool and by --list.
    const made = cli(['--channel', 'ivr', '--for', '1h', '--comment', 'ivr media server swap']);
    expect(made.status, made.stderr).toBe(0);
    const id = made.stdout.split('\n')[0] as string;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(made.stdout).toContain('silenced channel="ivr" until');
    const query = spawnSync('amtool', ['silence', 'query', '-q', `--alertmanager.url=${(am as Managed).url}`], { encoding: 'utf8', timeout: 30_000 });
    expect(query.error?.message ?? query.status, query.stderr).toBe(0);
    expect(query.stdout.split('\n'), query.stderr).toContain(id);
    const listed = cli(['--list']);
    expect(listed.stdout).toContain(`${id}  active`);
    expect(listed.stdout).toContain('ivr media server swap');

    // After the window: kiosk pages, and no notification about kiosk or ivr came before it ended.
    const kioskPage = await waitFor(() => about('kiosk').find((m) => m.path === '/oncall'), windowEnd - Date.now() + 45_000, 'the kiosk page after the window', 250);
    expect(kioskPage.at).toBeGreaterThanOrEqual(windowEnd);
    expect(about('kiosk').every((m) => m.at >= windowEnd)).toBe(true);
    expect(await metrics()).toMatch(/channel_health_maintenance_active\{window="push",channel="kiosk"\} 0/);
    // ivr's pages are suppressed by the silence now, not by the window, and nobody heard of them.
    await waitFor(
      async () => ((await amAlerts('ivr')).some((a) => a.labels.severity === 'page' && a.status.state === 'suppressed' && a.status.silencedBy.includes(id)) ? true : undefined),
      10_000,
      'ivr suppressed by the silence',
    );
    expect(about('ivr')).toEqual([]);

    // Expiring the silence restores the notifications.
    const expired = cli(['--expire', id]);
    expect(expired.status, expired.stderr).toBe(0);
    const ivrPage = await waitFor(() => about('ivr').find((m) => m.path === '/oncall'), 30_000, 'the ivr page after the silence expired', 250);
    expect(ivrPage.body.alerts.some((a) => a.labels.channel === 'ivr' && a.labels.severity === 'page')).toBe(true);
    expect(cli(['--list']).stdout).not.toContain(id);
  }, 200_000);
});
