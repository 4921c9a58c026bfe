// The generated dashboards: valid Grafana dashboard JSON, committed files up to date, reproducible,
// every name they query exists, and nothing about the operator's channels, transactions or
// objectives typed into a panel: a config with more of them yields dashboards that show more.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { generateAlertRules, generateRecordingRules } from '../../alerts/index.js';
import { createMetrics } from '../../collector/metrics.js';
import { parseConfig, type Config } from '../../config/index.js';
import { DASHBOARD_UID, dashboardPath, DEFAULT_DATASOURCE_UID, stableJson } from '../../dashboards/dashboard.js';
import { generateDashboards, GENERATED_DIR } from '../../dashboards/generate.js';
import { METRICS } from '../../contract/metrics.js';
import { REPO_ROOT } from '../support/processes.js';

const SHIPPED_TEXT = readFileSync(path.join(REPO_ROOT, 'channel-health.yaml'), 'utf8');
const shipped = parseConfig(SHIPPED_TEXT, 'channel-health.yaml');

interface Target {
  refId: string;
  expr: string;
  datasource: { type: string; uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: Target[];
  panels?: Panel[];
}
interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  time: { from: string; to: string };
  templating: { list: Array<{ name: string; type: string; query?: unknown }> };
  annotations: { list: Array<{ expr?: string; datasource?: { uid: string } }> };
  panels: Panel[];
}

function dashboards(config: Config): Dashboard[] {
  return generateDashboards(config).map((f) => JSON.parse(f.content) as Dashboard);
}

function exprs(d: Dashboard): string[] {
  return [...d.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)), ...d.annotations.list.flatMap((a) => (a.expr ? [a.expr] : []))];
}

/** The shipped config text with edits applied through the YAML document, parsed like a user's file. */
function editedConfig(edit: (doc: ReturnType<typeof parseDocument>) => void): Config {
  const doc = parseDocument(SHIPPED_TEXT);
  edit(doc);
  return parseConfig(doc.toString(), 'edited.yaml');
}

const BUILTIN_VARIABLES = new Set(['__range', '__rate_interval', '__interval', '__all', '__data', '__field', '__url_time_range']);

describe('generated dashboards are Grafana dashboard JSON', () => {
  const all = dashboards(shipped);

  it('are the four dashboards with their stable uids', () => {
    expect(all.map((d) => d.uid).sort()).toEqual(Object.values(DASHBOARD_UID).sort());
  });

  for (const d of all) {
    describe(d.uid, () => {
      it('has the dashboard fields Grafana requires', () => {
        expect(Number.isInteger(d.schemaVersion) && d.schemaVersion >= 39).toBe(true);
        expect(d.title).toMatch(/\S/);
        expect(d.time).toEqual({ from: expect.stringMatching(/^now-\d+[mhd]$/), to: 'now' });
        expect(Array.isArray(d.templating.list)).toBe(true);
        expect(Array.isArray(d.annotations.list)).toBe(true);
        expect(d.templating.list.find((v) => v.name === 'datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
        expect(d.panels.filter((p) => p.type !== 'row').length).toBeGreaterThan(3);
      });

      it('gives every panel a unique id and a place on the 24-column grid without overlap', () => {
        const ids = d.panels.map((p) => p.id);
        expect(new Set(ids).size).toBe(ids.length);
        const taken = new Set<string>();
        for (const p of d.panels) {
          const { x, y, w, h } = p.gridPos;
          for (const n of [x, y, w, h]) expect(Number.isInteger(n) && n >= 0, `${p.title}: gridPos ${JSON.stringify(p.gridPos)}`).toBe(true);
          expect(w > 0 && h > 0 && x + w <= 24, `${p.title}: gridPos ${JSON.stringify(p.gridPos)}`).toBe(true);
          for (let i = x; i < x + w; i++)
            for (let j = y; j < y + h; j++) {
              expect(taken.has(`${i},${j}`), `${p.title} overlaps another panel at ${i},${j}`).toBe(false);
              taken.add(`${i},${j}`);
            }
        }
      });

      it('gives every panel the datasource variable and Prometheus targets with distinct refIds', () => {
        for (const p of d.panels.filter((q) => q.type !== 'row')) {
          expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
          expect(p.targets?.length, p.title).toBeGreaterThan(0);
          const refIds = (p.targets ?? []).map((t) => t.refId);
          expect(new Set(refIds).size, p.title).toBe(refIds.length);
          for (const t of p.targets ?? []) {
            expect(t.datasource, p.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
            expect(t.expr, p.title).toMatch(/\S/);
            expect(balanced(t.expr), `${p.title}: unbalanced brackets in ${t.expr}`).toBe(true);
          }
        }
      });

      it('uses no template variable it does not define', () => {
        const defined = new Set(d.templating.list.map((v) => v.name));
        const text = JSON.stringify(d.panels) + JSON.stringify(d.annotations) + JSON.stringify(d.templating);
        for (const [, braced, bare] of text.matchAll(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)|([A-Za-z_][A-Za-z0-9_]*))/g)) {
          const name = (braced ?? bare) as string;
          expect(defined.has(name) || BUILTIN_VARIABLES.has(name), `${d.uid} uses $${name}`).toBe(true);
        }
      });
    });
  }

  it('gives the transaction detail the variables alert links fill in', () => {
    const detail = all.find((d) => d.uid === DASHBOARD_UID.transactionDetail) as Dashboard;
    expect(detail.templating.list.map((v) => v.name)).toEqual(['datasource', 'transaction', 'channel', 'location']);
    expect(detail.annotations.list[0]?.expr).toContain('ALERTS{alertstate="firing"');
  });

  it('is where the alerts link: every dashboard_url names a dashboard here and only variables it has', () => {
    const rules = generateAlertRules(shipped).flatMap((g) => g.rules);
    const links = rules.flatMap((r) => Object.values(r.annotations ?? {})).filter((v) => v.includes('/d/'));
    expect(links.length).toBeGreaterThan(10);
    for (const link of links) {
      const m = /\/d\/([a-z0-9-]+)(?:\?(\S*))?/.exec(link) as RegExpExecArray;
      const target = all.find((d) => d.uid === m[1]);
      expect(target, link).toBeDefined();
      const names = new Set(target?.templating.list.map((v) => v.name));
      for (const [, name] of (m[2] ?? '').matchAll(/var-([a-z_]+)=/g)) expect(names.has(name as string), `${link}: no variable ${name}`).toBe(true);
    }
  });

  it('links to the transaction detail with the variables in the URL', () => {
    expect(dashboardPath(DASHBOARD_UID.transactionDetail, { transaction: 'topup', channel: 'web' })).toBe('/d/ch-transaction-detail?var-transaction=topup&var-channel=web');
    expect(dashboardPath('x', { channel: 'a b&c' })).toBe('/d/x?var-channel=a%20b%26c');
    expect(dashboardPath('x', { transaction: '${__data.fields.transaction}' })).toBe('/d/x?var-transaction=${__data.fields.transaction}');
  });
});

describe('generation', () => {
  it('matches the committed files byte for byte', () => {
    const files = generateDashboards(shipped);
    expect(files.map((f) => f.path).every((p) => p.startsWith(`${GENERATED_DIR}/`))).toBe(true);
    for (const f of files) expect(readFileSync(path.join(REPO_ROOT, f.path), 'utf8'), `${f.path} is stale: run channel-health generate`).toBe(f.content);
  });

  it('is a pure function of the config: same bytes twice, keys sorted, no time in it', () => {
    const again = parseConfig(SHIPPED_TEXT, 'channel-health.yaml');
    const a = generateDashboards(shipped);
    expect(generateDashboards(again)).toEqual(a);
    for (const f of a) {
      expect(f.content.endsWith('}\n')).toBe(true);
      expect(f.content).not.toMatch(/20\d\d-\d\d-\d\dT|"(?:created|updated|version|iteration)"/);
      // Canonical form: parsing and writing again with sorted keys gives the same text.
      expect(stableJson(JSON.parse(f.content)), f.path).toBe(f.content);
    }
  });

  it('queries only metrics of the contract and recording rules the alerting generator writes', () => {
    const registry = new Registry();
    createMetrics(registry, shipped, { version: 'test' });
    const exported = new Set(registry.getMetricsAsArray().map((m) => (m as unknown as { name: string }).name));
    const declared = new Set(Object.values(METRICS).map((m) => m.name));

    const recorded = new Set(generateRecordingRules(shipped).flatMap((g) => g.rules.map((r) => r.record)));
    const used = new Set(dashboards(shipped).flatMap(exprs).flatMap((e) => [...e.matchAll(/channel_health:[a-z0-9_]+:[a-z0-9_]+/g)].map((m) => m[0])));
    expect(used.size).toBeGreaterThan(10);
    for (const name of used) expect(recorded.has(name), `${name} is not recorded by alerts/`).toBe(true);
    const raw = new Set(dashboards(shipped).flatMap(exprs).flatMap((e) => [...e.matchAll(/\bchannel_health_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, ''))));
    expect(raw.size).toBeGreaterThan(5);
    for (const name of raw) expect(declared.has(name), `${name} is not in the metric contract`).toBe(true);
    for (const name of raw) expect(exported.has(name), `${name} is not served by run and the collector`).toBe(true);
  });

  it('writes provisioning that points Grafana at the generated files and the datasource the variable starts on', () => {
    const provider = parseDocument(readFileSync(path.join(REPO_ROOT, 'dashboards/provisioning/dashboards.yaml'), 'utf8')).toJS() as { providers: Array<{ type: string; options: { path: string } }> };
    expect(provider.providers[0]).toMatchObject({ type: 'file', options: { path: expect.stringMatching(/^\//) } });
    const ds = parseDocument(readFileSync(path.join(REPO_ROOT, 'dashboards/provisioning/datasource.example.yaml'), 'utf8')).toJS() as { datasources: Array<{ uid: string; type: string }> };
    expect(ds.datasources[0]).toMatchObject({ uid: DEFAULT_DATASOURCE_UID, type: 'prometheus' });
    for (const d of dashboards(shipped)) expect(d.templating.list[0]).toMatchObject({ name: 'datasource', current: { value: DEFAULT_DATASOURCE_UID } });
  });
});

describe('nothing of the operator typed into a panel', () => {
  const withMore = editedConfig((doc) => {
    // The shipped matrix names its HTTP channels; the new channel joins it.
    (doc.getIn(['checks', 0, 'channels']) as { add(v: unknown): void }).add('wechat');
    doc.setIn(['channels', 'wechat'], doc.createNode({ description: 'WeChat mini program', transport: 'http', baseUrl: '{{sandbox.url}}/channels/wechat', capacityPerSecond: 120 }));
    doc.setIn(['transactions', 'roaming_pack'], doc.createNode({ description: 'Roaming pack', tier: 'noncore', backends: ['crm'], latencyThresholdMs: 2500 }));
    doc.setIn(['flows', 'roaming_pack'], doc.createNode({ accountPool: 'sandbox', steps: [{ name: 'login', request: { method: 'POST', url: '{{channel.baseUrl}}/login' } }, { name: 'roam', request: { url: '{{channel.baseUrl}}/points' } }] }));
  });

  it('the edited config has the new channel and transaction', () => {
    expect(withMore.channels.map((c) => c.id)).toContain('wechat');
    expect(withMore.checks.some((c) => c.channel === 'wechat' && c.transaction === 'roaming_pack')).toBe(true);
  });

  it('names a channel or transaction only in the unions iterated over the config, and those cover the new ones', () => {
    const base = dashboards(shipped);
    const more = dashboards(withMore);
    const ids = (c: Config) => [...c.channels.map((x) => x.id), ...c.transactions.map((x) => x.id)];
    let iterated = 0;
    base.forEach((d, i) => {
      const moreExprs = exprs(more[i] as Dashboard);
      const baseExprs = exprs(d);
      expect(moreExprs.length).toBe(baseExprs.length);
      baseExprs.forEach((expr, j) => {
        const named = ids(shipped).filter((id) => expr.includes(`"${id}"`));
        const after = moreExprs[j] as string;
        if (named.length === 0) {
          // Generic query: grouped by label or filtered by a variable, unchanged by the new ids.
          expect(after, `${d.uid}: ${expr}`).toBe(expr);
          return;
        }
        iterated++;
        const kinds = new Set(named.map((id) => (shipped.channels.some((c) => c.id === id) ? 'channel' : 'transaction')));
        // Every id of that kind is listed (none picked by hand), and the new one joins them.
        if (kinds.has('transaction')) {
          const listed = shipped.transactions.filter((t) => expr.includes(`"${t.id}"`)).length;
          expect(listed, `${d.uid}: ${expr.slice(0, 120)}`).toBeGreaterThanOrEqual(shipped.transactions.length - 1);
          expect(after).toContain('"roaming_pack"');
        }
        if (kinds.has('channel')) {
          expect(shipped.channels.every((c) => expr.includes(`"${c.id}"`)), `${d.uid}: ${expr.slice(0, 120)}`).toBe(true);
          expect(after).toContain('"wechat"');
        }
      });
    });
    expect(iterated).toBeGreaterThan(0);
  });

  it('drops a removed transaction from every dashboard', () => {
    const fewer = editedConfig((doc) => {
      doc.deleteIn(['transactions', 'other_query']);
      doc.deleteIn(['flows', 'other_query']);
      // The SMS hall's own check and flow for it go too.
      const checks = doc.get('checks') as { items: Array<{ get(k: string): unknown }> };
      checks.items = checks.items.filter((c) => typeof c.get !== 'function' || c.get('transaction') !== 'other_query');
      doc.deleteIn(['flows', 'sms_other_query']);
    });
    for (const f of generateDashboards(fewer)) expect(f.content, f.path).not.toContain('other_query');
  });

  it('never writes an objective: thresholds come from channel_health_objective_ratio', () => {
    const odd = editedConfig((doc) => {
      doc.setIn(['tiers', 'core', 'objective'], 0.99913);
      doc.setIn(['tiers', 'noncore', 'objective'], 0.95117);
    });
    const text = generateDashboards(odd).map((f) => f.content).join('\n');
    for (const n of ['0.99913', '0.95117', '0.00087', '0.04883', '99.913', '95.117']) expect(text).not.toContain(n);
    expect(text).toContain('channel_health_objective_ratio');
    // Different objectives, same dashboards.
    expect(generateDashboards(odd)).toEqual(generateDashboards(shipped));
  });

  it('puts a new paging tier on the NOC wall as its own budget panel', () => {
    const gold = editedConfig((doc) => {
      doc.setIn(['tiers', 'gold'], doc.createNode({ objective: 0.9999, label: 'gold' }));
      doc.setIn(['transactions', 'topup', 'tier'], 'gold');
      doc.setIn(['alerting', 'pageTiers'], doc.createNode(['core', 'gold']));
    });
    const noc = dashboards(gold).find((d) => d.uid === DASHBOARD_UID.nocOverview) as Dashboard;
    const budgets = noc.panels.filter((p) => p.title.startsWith('Error budget left —'));
    expect(budgets.map((p) => p.title)).toEqual(['Error budget left — core (five sigma)', 'Error budget left — gold (gold)']);
    expect(budgets.reduce((w, p) => w + p.gridPos.w, 0)).toBe(24);
  });
});

function balanced(expr: string): boolean {
  const stack: string[] = [];
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  let quoted = false;
  for (const ch of expr) {
    if (ch === '"') quoted = !quoted;
    if (quoted) continue;
    if ('([{'.includes(ch)) stack.push(ch);
    else if (ch in pairs && stack.pop() !== pairs[ch]) return false;
  }
  return stack.length === 0 && !quoted;
}

