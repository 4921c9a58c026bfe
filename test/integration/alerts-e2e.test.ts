// The alerting pipeline end to end, on real parts: `channel-health run` probing its embedded
// sandbox every 2 s, Prometheus scraping it every second with the rules generated from the same
// config, Alertmanager with the generated config, and a webhook receiver on loopback. A billing
// fault must page on-call with backend="billing"; clearing it must deliver the resolved notice.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { alertFiles, OUTPUT } from '../../alerts/index.js';
import { loadConfigFile } from '../../config/index.js';
import { ivrOverHttp } from '../support/ivr-over-http.js';
import { promQuery, REPO_ROOT, startAlertmanager, startPrometheus, startService, waitFor, type Managed } from '../support/processes.js';
import { startReceiver } from '../support/webhook-receiver.js';

// http channels only: sms speaks SMPP and has its own flows.
const CHANNELS = ['web', 'app', 'ivr'];
const TRANSACTIONS = ['balance_query', 'bill_query', 'other_query'];

describe('alerting end to end: sandbox fault → Prometheus → Alertmanager → webhook', () => {
  let dir: string;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let svc: Managed | undefined;
  let am: Managed | undefined;
  let prom: Managed | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ch-alerts-e2e-'));
    receiver = await startReceiver();
    // The shipped config, made fast and small: 3 channels × 3 read-only transactions every 2 s,
    // counts over 30 s, a 10 s recovery window, and Alertmanager timers of a second.
    const shipped = parse(await readFile(path.join(REPO_ROOT, 'channel-health.yaml'), 'utf8')) as Record<string, unknown>;
    const channels = shipped.channels as Record<string, Record<string, unknown>>;
    ivrOverHttp(shipped);
    for (const c of Object.values(channels)) c.rateLimitPerSecond = 200;
    const config = {
      ...shipped,
      checkDefaults: { interval: '2s', timeout: '1s' },
      checks: [{ channels: CHANNELS, transactions: TRANSACTIONS }],
      alerting: {
        evidenceWindows: ['30s'],
        recoveryWindow: '10s',
        hardDownConsecutive: 3,
        routes: { page: 'oncall', warning: 'noc', ticket: 'review', watchdog: 'deadman' },
        alertmanager: { groupWait: '1s', groupInterval: '1s', repeatInterval: '1h' },
      },
      // The shipped nightly windows would mute billing pages if the test ran at that hour.
      maintenance: {},
      receivers: Object.fromEntries(['oncall', 'noc', 'review', 'deadman'].map((r) => [r, { url: `${receiver.url}/${r}` }])),
    };
    const configFile = path.join(dir, 'e2e.yaml');
    await writeFile(configFile, stringify(config, { aliasDuplicateObjects: false }));

    const files = alertFiles(await loadConfigFile(configFile), { sourceName: 'e2e.yaml' });
    const content = (p: string) => files.find((f) => f.path === p)?.content as string;
    const ruleFiles = [OUTPUT.recording, OUTPUT.alerting].map((p) => path.join(dir, path.basename(p)));
    await writeFile(ruleFiles[0] as string, content(OUTPUT.recording));
    await writeFile(ruleFiles[1] as string, content(OUTPUT.alerting));

    svc = await startService({ configFile });
    am = await startAlertmanager(content(OUTPUT.alertmanager));
    prom = await startPrometheus({
      targets: [`127.0.0.1:${svc.port}`],
      scrapeInterval: '1s',
      evaluationInterval: '1s',
      ruleFiles,
      alertmanagers: [`127.0.0.1:${am.port}`],
    });
  }, 60_000);

  afterAll(async () => {
    await prom?.stop();
    await am?.stop();
    await svc?.stop();
    await receiver?.close();
    await rm(dir, { recursive: true, force: true });
  });

  // A group's notification is `resolved` only when every alert in it is.
  const billingPages = (status: 'firing' | 'resolved', since: number) =>
    receiver.received.filter(
      (m) => m.path === '/oncall' && m.at >= since && m.body.status === status && m.body.groupLabels.alertname === 'ChannelHealthBackendSpreading' && m.body.groupLabels.backend === 'billing',
    );

  it('pages on-call with backend="billing" for a billing fault, and sends the resolved notice once it clears', async () => {
    const sandbox = svc as Managed;
    // Healthy first: every pair has run, and nothing has paged.
    await waitFor(
      async () => {
        const text = await (await fetch(`${sandbox.url}/metrics`)).text();
        const ran = CHANNELS.every((c) => TRANSACTIONS.every((t) => new RegExp(`channel_health_probe_runs_total\\{[^}]*channel="${c}"[^}]*transaction="${t}"[^}]*\\} [1-9]`).test(text)));
        return ran ? true : undefined;
      },
      20_000,
      'a run of every pair',
    );
    // Prometheus has scraped the healthy state and recorded the thresholds (its first scrape can
    // come seconds after it is ready), so the counts it takes later start from a healthy sample.
    await waitFor(
      async () => ((await promQuery((prom as Managed).url, 'channel_health:probe_failure_threshold:30s')).length === CHANNELS.length * TRANSACTIONS.length ? true : undefined),
      20_000,
      'Prometheus to record the thresholds',
    );
    await new Promise((r) => setTimeout(r, 2000));
    expect(receiver.received.filter((m) => m.path === '/oncall')).toEqual([]);

    const injected = Date.now();
    const res = await fetch(`${sandbox.url}/sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ scope: { backend: 'billing' }, mode: 'error', rate: 1 }),
    });
    expect(res.status, await res.text()).toBe(201);

    const [page] = await waitFor(() => (billingPages('firing', injected).length > 0 ? billingPages('firing', injected) : undefined), 45_000, 'the billing page', 200);
    const pagedAfterMs = (page?.at as number) - injected;
    const firing = (page?.body.alerts ?? []).filter((a) => a.labels.alertname === 'ChannelHealthBackendSpreading');
    expect(page?.body.receiver).toBe('oncall');
    expect(page?.body.groupLabels).toEqual({ alertname: 'ChannelHealthBackendSpreading', backend: 'billing' });
    for (const a of firing) {
      expect(a.labels).toMatchObject({ severity: 'page', backend: 'billing', tier: 'core' });
      expect(['balance_query', 'bill_query']).toContain(a.labels.transaction);
      expect(CHANNELS).toContain(a.labels.channel);
      expect(a.annotations.runbook_url).toMatch(/docs\/alerting\.md#channelhealthbackendspreading$/);
      expect(a.annotations.description).toMatch(/^[2-3] channels fail transactions that use billing/);
    }
    // other_query depends on crm only: it must not be part of a billing page.
    expect(firing.some((a) => a.labels.transaction === 'other_query')).toBe(false);
    // Hard down after 3 runs of 2 s, plus a scrape, an evaluation and group_wait, with slack for a loaded host.
    expect(pagedAfterMs).toBeLessThan(30_000);

    const cleared = Date.now();
    expect((await fetch(`${sandbox.url}/sandbox/faults`, { method: 'DELETE' })).ok).toBe(true);
    const [resolved] = await waitFor(() => (billingPages('resolved', cleared).length > 0 ? billingPages('resolved', cleared) : undefined), 45_000, 'the resolved notice', 200);
    expect(resolved?.body.receiver).toBe('oncall');
    const resolvedAlerts = (resolved?.body.alerts ?? []).filter((a) => a.labels.alertname === 'ChannelHealthBackendSpreading');
    expect(resolvedAlerts.length).toBeGreaterThan(0);
    for (const a of resolvedAlerts) expect(a).toMatchObject({ status: 'resolved', labels: { backend: 'billing', severity: 'page' } });
    console.log(`billing page ${pagedAfterMs} ms after the fault; resolved ${(resolved?.at as number) - cleared} ms after clearing`);
  }, 110_000);
});
