// Every query of every generated dashboard, run through a real Prometheus's HTTP API with the
// template variables filled in: it must parse and return data. Prometheus scrapes a running
// `channel-health run` (1 s probes, a billing outage injected in its sandbox) with the recording
// and alerting rules generated from the same config, so the recording-rule panels, the ALERTS
// panels and the alert annotations all have something to show.
//
// Two stand-ins, both built from the project's own code:
// - real customer events: the service has no ingest API yet, so a small exporter built on
//   collector/metrics.ts (`recordEvent`) serves the two real-event counters as a second target;
// - history: week-over-week and hour-of-day panels look back up to 14 days, which a Prometheus
//   started a minute ago does not have. Before Prometheus starts, the service's own exposition is
//   stretched back over 15 days (test/support/history.ts: counters ramp with a daily shape up to
//   3 minutes ago, gauges hold) and written as TSDB blocks with promtool; the live scrape then
//   continues those series.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { generateRules, toYaml } from '../../alerts/index.js';
import { createMetrics } from '../../collector/metrics.js';
import { maintenanceActive, parseConfig, type Config } from '../../config/index.js';
import { generateDashboards } from '../../dashboards/generate.js';
import { backfillHistory } from '../support/history.js';
import { REPO_ROOT, freePort, startPrometheus, startService, waitFor, type Managed } from '../support/processes.js';
import { readFileSync } from 'node:fs';

/**
 * The shipped config cut down and sped up: channels web and wechat (a channel the shipped config
 * does not have), transactions balance_query and bill_query (billing), other_query and
 * roaming_pack (a transaction the shipped config does not have), probes every second.
 */
function testConfigText(): string {
  const doc = parseDocument(readFileSync(path.join(REPO_ROOT, 'channel-health.yaml'), 'utf8'));
  const keep = (section: string, ids: string[]) => {
    const map = doc.get(section) as { items: Array<{ key: { value: string } }> };
    for (const item of [...map.items]) if (!ids.includes(item.key.value)) doc.deleteIn([section, item.key.value]);
  };
  keep('channels', ['web']);
  doc.setIn(['channels', 'wechat'], doc.createNode({ description: 'WeChat mini program', transport: 'http', baseUrl: '{{sandbox.url}}/channels/wechat', rateLimitPerSecond: 200, capacityPerSecond: 50, businessCode: { path: '$.code', success: ['0000'] } }));
  doc.setIn(['channels', 'web', 'rateLimitPerSecond'], 200);
  keep('transactions', ['balance_query', 'bill_query', 'other_query']);
  doc.setIn(['transactions', 'roaming_pack'], doc.createNode({ description: 'Roaming pack query', tier: 'noncore', backends: ['crm'], latencyThresholdMs: 2500 }));
  keep('flows', ['balance_query', 'bill_query', 'other_query']);
  doc.setIn(['flows', 'roaming_pack'], (doc.getIn(['flows', 'other_query']) as { clone(): unknown }).clone());
  // Maintenance windows of channels cut above go with them (the billing window stays).
  const maintenance = doc.get('maintenance') as { items: Array<{ key: { value: string }; value: { toJSON(): { channels?: string[] } } }> } | undefined;
  for (const item of [...(maintenance?.items ?? [])]) {
    if ((item.value.toJSON().channels ?? []).some((c) => c !== 'web')) doc.deleteIn(['maintenance', item.key.value]);
  }
  // The maintenance annotations draw windows that are on; the shipped ones are at night on the
  // business clock, so two one-off windows hold the test's hours: one on a channel, one on a
  // backend (each variable set below reaches both kinds of term of the detail's annotation).
  const minute = (ms: number) => `${new Date(Math.floor(ms / 60_000) * 60_000).toISOString().slice(0, 16)}Z`;
  const now = Date.now();
  for (const [id, scope] of [['web_drill', { channels: ['web'] }], ['billing_failover', { backends: ['billing'] }]] as const) {
    doc.setIn(['maintenance', id], doc.createNode({ description: `test window ${id}`, ...scope, from: minute(now - 3_600_000), to: minute(now + 3 * 3_600_000) }));
  }
  // The shipped checks name the channels cut above (the SMS hall's own over SMPP): every kept
  // channel × every kept transaction instead.
  doc.set('checks', doc.createNode([{ channels: '*', transactions: '*' }]));
  doc.setIn(['checkDefaults', 'interval'], '1s');
  doc.setIn(['checkDefaults', 'timeout'], '900ms');
  // Every panel must get numbers, so probes keep running through the outage: an open breaker
  // would leave minutes without a run (its own test is safety-load.test.ts).
  doc.setIn(['service', 'breaker'], doc.createNode({ openAfter: 1000 }));
  return doc.toString();
}

interface QueryResult {
  resultType: string;
  result: Array<{ metric: Record<string, string>; value: [number, string] }>;
}

/** An instant query, at `time` (Unix seconds) when given, else at Prometheus's now. */
async function instant(prometheusUrl: string, query: string, time?: number): Promise<QueryResult> {
  const params = new URLSearchParams({ query });
  if (time !== undefined) params.set('time', String(time));
  const res = await fetch(`${prometheusUrl}/api/v1/query`, { method: 'POST', body: params });
  const body = (await res.json()) as { status: string; error?: string; data?: QueryResult };
  if (body.status !== 'success' || !body.data) throw new Error(`${body.error ?? res.status}\n  in: ${query}`);
  return body.data;
}

/** Grafana's interpolation, for the values a person would pick. */
function interpolate(expr: string, vars: Readonly<Record<string, string>>): string {
  return expr.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g, (whole, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare) as string;
    const value = vars[name];
    if (value === undefined) throw new Error(`no value for $${name} in ${expr}`);
    return value;
  });
}

/** Stand-in for the channel systems' real-event feed: the contract's own counters, served over HTTP. */
async function startEventExporter(config: Config, failing: () => boolean): Promise<{ target: string; stop: () => Promise<void> }> {
  const registry = new Registry();
  const metrics = createMetrics(registry, config, { version: 'events-stand-in' });
  const billing = new Set(config.transactions.filter((t) => t.backends.includes('billing')).map((t) => t.id));
  let tick = 0;
  const timer = setInterval(() => {
    tick++;
    for (const c of config.channels) {
      for (const t of config.transactions) {
        // Billing transactions fail half the time while billing is down; everything else one in twenty.
        const ok = billing.has(t.id) && failing() ? tick % 2 === 0 : tick % 20 !== 0;
        metrics.recordEvent({ channel: c.id, transaction: t.id, ok, reason: ok ? null : billing.has(t.id) ? 'business_error' : 'timeout' });
      }
    }
  }, 100);
  const server: Server = createServer((_req, res) => {
    void Promise.all([registry.getSingleMetricAsString('channel_health_transactions_total'), registry.getSingleMetricAsString('channel_health_transaction_failures_total')]).then((parts) => {
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(`${parts.join('\n')}\n`);
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    target: `127.0.0.1:${port}`,
    stop: async () => {
      clearInterval(timer);
      await new Promise((r) => server.close(r));
    },
  };
}

describe('every dashboard query against real Prometheus', () => {
  let dir: string;
  let config: Config;
  let svc: Managed | undefined;
  let prom: Managed | undefined;
  let events: { target: string; stop: () => Promise<void> } | undefined;
  let billingDown = false;
  /**
   * The moment every panel is read at. Queries at Prometheus's "now" depend on the scrapes of the
   * last minute having landed, which a loaded machine can delay past a 1m window; this moment is
   * one at which the window was seen complete, and data at or before it does not change later.
   */
  let at = 0;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ch-dash-'));
    const text = testConfigText();
    await writeFile(path.join(dir, 'config.yaml'), text);
    config = parseConfig(text, 'config.yaml');
    svc = await startService({ configFile: path.join(dir, 'config.yaml') });
    events = await startEventExporter(config, () => billingDown);

    const res = await fetch(`${svc.url}/sandbox/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ scope: { backend: 'billing' }, mode: 'error', rate: 1, durationSeconds: 600 }) });
    expect(res.status, await res.clone().text()).toBe(201);
    billingDown = true;
    // The history is taken from the exposition once the outage is hard down (3 failed runs in a row)
    // for every billing check, so the stretched-back series show it too.
    const service = svc;
    const billingChecks = config.checks.filter((c) => config.transactions.find((t) => t.id === c.transaction)?.backends.includes('billing'));
    const serviceText = await waitFor(
      async () => {
        const text = await (await fetch(`${service.url}/metrics`)).text();
        const hardDown = billingChecks.every((c) => {
          const line = new RegExp(`^channel_health_probe_consecutive_failures\\{channel="${c.channel}",transaction="${c.transaction}",[^}]*\\} (\\d+)$`, 'm').exec(text);
          return Number(line?.[1] ?? 0) >= 3;
        });
        return hardDown ? text : undefined;
      },
      30_000,
      'every billing check to fail 3 runs in a row',
      200,
    );
    const expositions = [
      { target: svc.url.replace('http://', ''), text: serviceText },
      { target: events.target, text: await (await fetch(`http://${events.target}/metrics`)).text() },
    ];
    const storage = await backfillHistory(expositions, dir, Date.now() / 1000);

    // Rule groups are evaluated at the test's 1 s instead of their own intervals: a 5-minute group
    // could otherwise first run minutes after Prometheus starts.
    const rules = generateRules(config);
    const fast = (groups: Array<{ interval?: string }>) => groups.map(({ interval: _interval, ...g }) => g);
    await writeFile(path.join(dir, 'recording.yml'), toYaml({ groups: fast(rules.recording) }));
    await writeFile(path.join(dir, 'alerting.yml'), toYaml({ groups: fast(rules.alerting) }));
    prom = await startPrometheus({
      targets: expositions.map((e) => e.target),
      scrapeInterval: '1s',
      ruleFiles: [path.join(dir, 'recording.yml'), path.join(dir, 'alerting.yml')],
      storagePath: storage,
      extraArgs: ['--storage.tsdb.retention.time=60d'],
    });
    const url = prom.url;
    const targets = expositions.length;
    // Ready when the rules see the outage (evidence, spreading, alerts firing, budgets recorded)
    // and the minute before holds at least 20 good scrapes of every target, so every `[1m]` panel
    // has samples to work on; that moment is the one every panel is read at.
    at = await waitFor(
      async () => {
        const t = Date.now() / 1000;
        const checks = await Promise.all([
          instant(url, 'channel_health:backend_failing_channels:any_window >= 2', t),
          instant(url, 'ALERTS{alertname="ChannelHealthHardDown", alertstate="firing"}', t),
          instant(url, 'channel_health:event_error_budget_remaining:30d', t),
          instant(url, 'channel_health:probe_error_budget_remaining:30d', t),
          instant(url, 'channel_health:event_burn_rate_by_transaction:rate5m', t),
        ]);
        const scrapes = await instant(url, 'sum by (instance) (sum_over_time(up[1m])) >= 20', t);
        return checks.every((c) => c.result.length > 0) && scrapes.result.length === targets ? t : undefined;
      },
      60_000,
      'the rules to see the billing outage, with a full minute of scrapes',
      500,
    );
  }, 125_000);

  afterAll(async () => {
    await prom?.stop();
    await events?.stop();
    await svc?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  // Values a person would pick; the second set uses All and a multi-value selection.
  const variableSets: Array<Record<string, string>> = [
    { transaction: 'balance_query', channel: 'web', location: 'local', tier: 'core' },
    { transaction: 'bill_query', channel: '(web|wechat)', location: '.*', tier: '.*' },
  ];
  const ranges = { __rate_interval: '1m', __interval: '15s' };
  /** `$__range` is the dashboard's own default time range (now-7d → 7d), as when it is opened. */
  const rangeOf = (d: { time: { from: string } }) => d.time.from.replace(/^now-/, '');

  it('runs every panel query and annotation: each parses and returns data with a number in it', async () => {
    const url = (prom as Managed).url;
    const files = generateDashboards(config);
    let count = 0;
    const failures: string[] = [];
    for (const file of files) {
      const d = JSON.parse(file.content) as { uid: string; time: { from: string }; panels: Array<{ title: string; type: string; targets?: Array<{ refId: string; expr: string }> }>; annotations: { list: Array<{ name: string; expr?: string }> } };
      const queries = [
        ...d.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `${d.uid} / ${p.title} / ${t.refId}`, expr: t.expr }))),
        ...d.annotations.list.flatMap((a) => (a.expr ? [{ where: `${d.uid} / annotation ${a.name}`, expr: a.expr }] : [])),
      ];
      for (const q of queries) {
        const sets = /\$(transaction|channel|location|tier)\b/.test(q.expr) ? variableSets : [{}];
        for (const vars of sets) {
          const expr = interpolate(q.expr, { ...ranges, __range: rangeOf(d), ...vars });
          count++;
          try {
            const data = await instant(url, expr, at);
            const finite = data.result.filter((r) => Number.isFinite(Number(r.value[1])));
            if (data.resultType !== 'vector' || data.result.length === 0) failures.push(`${q.where} ${JSON.stringify(vars)}: no data\n  ${expr}`);
            else if (finite.length === 0) failures.push(`${q.where} ${JSON.stringify(vars)}: only NaN/Inf\n  ${expr}`);
          } catch (err) {
            failures.push(`${q.where} ${JSON.stringify(vars)}: ${(err as Error).message}`);
          }
        }
      }
    }
    expect(failures, failures.join('\n')).toEqual([]);
    expect(count).toBeGreaterThan(80);
  }, 60_000);

  it('draws the maintenance windows that are on: all of them on the NOC overview, on the detail those covering its channel or a backend of its transaction', async () => {
    const url = (prom as Managed).url;
    const annotation = (file: string) => {
      const d = JSON.parse(generateDashboards(config).find((f) => f.path.endsWith(file))?.content as string) as { annotations: { list: Array<{ name: string; expr?: string }> } };
      return d.annotations.list.find((a) => a.name === 'Maintenance windows')?.expr as string;
    };
    const on = config.maintenance.filter((w) => maintenanceActive(w, at * 1000, config.service.utcOffsetMinutes));
    expect(on.map((w) => w.id)).toEqual(expect.arrayContaining(['web_drill', 'billing_failover']));
    const windows = async (expr: string) => [...new Set((await instant(url, expr, at)).result.map((r) => r.metric.window))].sort();
    expect(await windows(annotation('noc-overview.json'))).toEqual(on.map((w) => w.id).sort());
    const detail = annotation('transaction-detail.json');
    for (const [transaction, channel] of [['other_query', 'web'], ['other_query', 'wechat'], ['balance_query', 'wechat'], ['bill_query', '.*']] as const) {
      const backends = config.transactions.find((t) => t.id === transaction)?.backends ?? [];
      const expected = on.filter((w) => w.channels.some((c) => new RegExp(`^(?:${channel})$`).test(c)) || w.backends.some((b) => backends.includes(b))).map((w) => w.id);
      expect(await windows(interpolate(detail, { transaction, channel })), `${transaction} on ${channel}`).toEqual(expected.sort());
    }
  });

  it('fills the template variables from the data: label_values queries return the configured values', async () => {
    const url = (prom as Managed).url;
    const detail = JSON.parse(generateDashboards(config).find((f) => f.path.endsWith('transaction-detail.json'))?.content as string) as { templating: { list: Array<{ name: string; query?: string }> } };
    for (const v of detail.templating.list.filter((x) => typeof x.query === 'string' && x.query.startsWith('label_values('))) {
      const m = /^label_values\((.*), ([a-z_]+)\)$/.exec(interpolate(v.query as string, { transaction: 'balance_query' })) as RegExpExecArray;
      const res = await fetch(`${url}/api/v1/label/${m[2]}/values?${new URLSearchParams({ 'match[]': m[1] as string })}`);
      const values = ((await res.json()) as { data: string[] }).data;
      const expected = { transaction: config.transactions.map((t) => t.id), channel: config.channels.map((c) => c.id), location: ['local'] }[v.name];
      expect(values.sort(), v.name).toEqual([...(expected ?? [])].sort());
    }
  });

  it('shows every configured pair on the NOC grid, the new channel and transaction included, coloured by the outage', async () => {
    const noc = JSON.parse(generateDashboards(config).find((f) => f.path.endsWith('noc-overview.json'))?.content as string) as { panels: Array<{ title: string; targets?: Array<{ expr: string }> }> };
    const grid = noc.panels.find((p) => p.title === 'Status vs objective (probes)')?.targets?.[0]?.expr as string;
    const data = await instant((prom as Managed).url, grid, at);
    const cells = new Map(data.result.map((r) => [`${r.metric.channel}/${r.metric.transaction}`, Number(r.value[1])]));
    const pairs = config.channels.flatMap((c) => config.transactions.map((t) => `${c.id}/${t.id}`));
    expect([...cells.keys()].sort()).toEqual(pairs.sort());
    expect(pairs).toContain('wechat/roaming_pack');
    for (const c of config.channels) {
      // Billing is down: its transactions are FAILING (2) everywhere.
      expect(cells.get(`${c.id}/balance_query`), `${c.id}/balance_query`).toBe(2);
      expect(cells.get(`${c.id}/bill_query`), `${c.id}/bill_query`).toBe(2);
      expect(cells.get(`${c.id}/roaming_pack`), `${c.id}/roaming_pack`).toBeLessThan(2);
    }
  });

  it('attributes failed runs to the failing step, adding up to the failed runs', { timeout: 40_000 }, async () => {
    const detail = JSON.parse(generateDashboards(config).find((f) => f.path.endsWith('transaction-detail.json'))?.content as string) as { panels: Array<{ title: string; targets?: Array<{ expr: string }> }> };
    const expr = detail.panels.find((p) => p.title === 'Failed runs by failing step')?.targets?.[0]?.expr as string;
    const url = (prom as Managed).url;
    const failedIn2m = async (transaction: string) => Number((await instant(url, `sum(increase(channel_health_probe_failures_total{transaction="${transaction}"}[2m]))`)).result[0]?.value[1]);
    // Enough live failures in the window that one run more or less does not move the ratio much.
    await waitFor(async () => ((await failedIn2m('balance_query')) >= 20 ? true : undefined), 20_000, '20 failed runs in 2 minutes');
    for (const transaction of ['balance_query', 'bill_query']) {
      const bySteps = await instant(url, interpolate(expr, { ...ranges, __range: '2m', transaction, channel: '.*', location: '.*' }));
      const steps = config.checks.find((c) => c.transaction === transaction)?.steps.filter((s) => !s.always).map((s) => s.name) ?? [];
      expect(bySteps.result.map((r) => r.metric.step).sort(), transaction).toEqual([...steps].sort());
      expect(new Set(bySteps.result.map((r) => r.metric.transaction))).toEqual(new Set([transaction]));
      const attributed = bySteps.result.reduce((s, r) => s + Number(r.value[1]), 0);
      const failed = await failedIn2m(transaction);
      expect(failed, transaction).toBeGreaterThanOrEqual(20);
      expect(attributed / failed, transaction).toBeGreaterThan(0.8);
      expect(attributed / failed, transaction).toBeLessThan(1.2);
      // Billing answers errors, so the run stops at the first step that needs billing, never at login.
      const worst = bySteps.result.reduce((a, b) => (Number(b.value[1]) > Number(a.value[1]) ? b : a));
      expect(worst.metric.step, transaction).not.toBe('login');
    }
  });

  it('spreads the week over the hours of the day on the capacity dashboard, peak in the afternoon', async () => {
    const weekly = JSON.parse(generateDashboards(config).find((f) => f.path.endsWith('weekly-capacity.json'))?.content as string) as { panels: Array<{ title: string; targets?: Array<{ expr: string }> }> };
    const grid = weekly.panels.find((p) => p.title.startsWith('Average transactions by channel and hour'))?.targets?.[0]?.expr as string;
    const data = await instant((prom as Managed).url, interpolate(grid, { __range: '7d' }), at);
    for (const c of config.channels) {
      const hours = data.result.filter((r) => r.metric.channel === c.id);
      expect(hours.length, c.id).toBe(24);
      // The history's load peaks around 14:00 UTC and bottoms out around 02:00; the grid's hours
      // are on the business clock (service.utcOffset, +08:00 shipped): 22 and 10 there.
      const local = (utcHour: number) => String((utcHour + config.service.utcOffsetMinutes / 60 + 24) % 24).padStart(2, '0');
      const at = (h: string) => Number(hours.find((r) => r.metric.hour === h)?.value[1]);
      expect(at(local(14)), c.id).toBeGreaterThan(at(local(2)));
      expect(at(local(14)), c.id).toBeGreaterThan(at(local(20)));
    }
  });
});
