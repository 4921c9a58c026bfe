// The pure parts of alert generation: the binomial thresholds, the selectors that cover exactly a
// set of checks, the rule and Alertmanager generators, and the `generate` command's file handling.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import {
  ALERT,
  alertFiles,
  binomialUpperTails,
  burnFactor,
  BURN_RATE_PAIRS,
  failureThreshold,
  generateAlertmanagerConfig,
  generateRules,
  OUTPUT,
  pairSelectors,
  thresholdGroups,
  upperNormalQuantile,
} from '../../alerts/index.js';
import { errorBudgetRatio, promNumber } from '../../alerts/promql-text.js';
import { main as generateMain } from '../../cli/generate.js';
import { ConfigError, loadConfigFile, parseConfig, type Config } from '../../config/index.js';
import { REPO_ROOT } from '../support/processes.js';

const SHIPPED = path.join(REPO_ROOT, 'channel-health.yaml');
const shippedText = readFileSync(SHIPPED, 'utf8');
const shipped = (): Config => parseConfig(shippedText, 'channel-health.yaml');

/** The shipped config with some top-level sections replaced. */
function variant(changes: Record<string, unknown>): Config {
  const raw = parse(shippedText) as Record<string, unknown>;
  return parseConfig(stringify({ ...raw, ...changes }, { aliasDuplicateObjects: false }), 'variant.yaml');
}

function binomialTailDirect(n: number, p: number, k: number): number {
  // Exact for small n: 1 - sum_{i<k} C(n,i) p^i (1-p)^(n-i), with C built up multiplicatively.
  let c = 1;
  let below = 0;
  for (let i = 0; i < k; i++) {
    if (i > 0) c = (c * (n - i + 1)) / i;
    below += c * p ** i * (1 - p) ** (n - i);
  }
  return 1 - below;
}

describe('binomial thresholds', () => {
  it('match the direct sum for small n', () => {
    const tails = binomialUpperTails(31, 0.06);
    for (const k of [1, 2, 5, 9]) expect(tails[k]).toBeCloseTo(binomialTailDirect(31, 0.06, k), 12);
    expect(tails[0]).toBeCloseTo(1, 12);
    expect(tails[32]).toBe(0);
  });

  it('stay finite where (1-p)^n underflows', () => {
    const tails = binomialUpperTails(20_000, 0.06);
    expect(tails[0]).toBeCloseTo(1, 9);
    expect(tails[1200]).toBeGreaterThan(0.4);
    expect(tails[1200]).toBeLessThan(0.6);
    expect(tails.every((t) => Number.isFinite(t) && t >= 0 && t <= 1)).toBe(true);
  });

  it('give the smallest count at or above the minimum whose tail is under the bound', () => {
    // 1h of 30 s probes at 99.98%: P(>=2) = 2.8e-4 > 1e-4, P(>=3) = 2.3e-6.
    const core = failureThreshold(0.9998, 30_000, 3_600_000, 1e-4, 1);
    expect(core.runs).toBe(121);
    expect(core.failures).toBe(3);
    expect(Math.abs((core.probabilityAtObjective as number) / binomialTailDirect(121, 0.0002, 3) - 1)).toBeLessThan(1e-6);
    expect(binomialTailDirect(121, 0.0002, 2)).toBeGreaterThan(1e-4);
    // The minimum wins when the statistics would allow fewer.
    expect(failureThreshold(0.9998, 30_000, 900_000, 1e-4, 3).failures).toBe(3);
    expect(failureThreshold(0.9998, 30_000, 900_000, 1e-4, 1).failures).toBe(2);
    // Four sigma (94%) needs many more.
    const noncore = failureThreshold(0.94, 30_000, 3_600_000, 1e-4, 3);
    expect(noncore.failures).toBe(20);
    expect(binomialTailDirect(121, 0.06, 19)).toBeGreaterThan(1e-4);
    expect(binomialTailDirect(121, 0.06, 20)).toBeLessThanOrEqual(1e-4);
  });

  it('are null when the window holds too few runs to ever reach the bound', () => {
    expect(failureThreshold(0.94, 3_600_000, 3_600_000, 1e-4, 3)).toMatchObject({ runs: 2, failures: null });
  });

  it('give the normal quantile the burn-rate evidence term uses', () => {
    expect(upperNormalQuantile(1e-4)).toBeCloseTo(3.719, 3);
    expect(upperNormalQuantile(0.025)).toBeCloseTo(1.96, 3);
    expect(() => upperNormalQuantile(0.7)).toThrow(RangeError);
  });

  it('refuse impossible inputs', () => {
    expect(() => binomialUpperTails(-1, 0.5)).toThrow(RangeError);
    expect(() => binomialUpperTails(10, 1)).toThrow(RangeError);
  });
});

describe('numbers written into PromQL', () => {
  it('say what the config meant, without float noise', () => {
    expect(errorBudgetRatio(0.9998)).toBe('0.0002');
    expect(errorBudgetRatio(0.94)).toBe('0.06');
    expect(promNumber(0.1 + 0.2)).toBe('0.3');
    expect(burnFactor(BURN_RATE_PAIRS[0], 30 * 86_400_000)).toBe(14.4);
    expect(BURN_RATE_PAIRS.map((p) => burnFactor(p, 30 * 86_400_000))).toEqual([14.4, 6, 3, 1]);
    expect(burnFactor(BURN_RATE_PAIRS[0], 28 * 86_400_000)).toBeCloseTo(13.44, 10);
  });
});

describe('pair selectors', () => {
  const config = shipped();
  const pairsOf = (sel: string[]) => {
    const values = (label: string) => {
      const m = sel.find((s) => s.startsWith(`${label}=`));
      if (!m) return null;
      const v = m.slice(label.length).replace(/^=~?"|"$/g, '');
      return v.split('|');
    };
    return config.checks.filter((c) => {
      const tier = values('tier');
      const ch = values('channel');
      const tx = values('transaction');
      return (!tier || tier.includes(c.tier)) && (!ch || ch.includes(c.channel)) && (!tx || tx.includes(c.transaction));
    });
  };

  it('use no matcher for every check and the tier for a whole tier', () => {
    expect(pairSelectors(config.checks, config)).toEqual([[]]);
    expect(pairSelectors(config.checks.filter((c) => c.tier === 'core'), config)).toEqual([['tier="core"']]);
  });

  it('match exactly the given set of checks, whatever it is', () => {
    fc.assert(
      fc.property(fc.subarray([...config.checks], { minLength: 1 }), (subset) => {
        const selected = new Set(pairSelectors(subset, config).flatMap((sel) => pairsOf(sel).map((c) => c.id)));
        expect([...selected].sort()).toEqual(subset.map((c) => c.id).sort());
      }),
      { numRuns: 200, seed: 42 },
    );
  });
});

describe('rule generation', () => {
  it('is deterministic and equal for equal configs', () => {
    const a = alertFiles(shipped(), { sourceName: 'channel-health.yaml' });
    const b = alertFiles(shipped(), { sourceName: 'channel-health.yaml' });
    expect(a).toEqual(b);
    for (const f of a) expect(f.content.startsWith(f.path.endsWith('.md') ? '<!-- Generated by channel-health from channel-health.yaml; DO NOT EDIT. -->\n' : '# Generated by channel-health from channel-health.yaml; DO NOT EDIT.\n'), f.path).toBe(true);
    expect(a.map((f) => f.path)).toEqual([OUTPUT.recording, OUTPUT.alerting, OUTPUT.alertmanager, OUTPUT.prometheusRule, OUTPUT.escalation]);
  });

  it('gives every alert a severity, the routing labels and the four annotations', () => {
    const { alerting } = generateRules(shipped());
    const rules = alerting.flatMap((g) => g.rules);
    expect(new Set(rules.map((r) => r.alert))).toEqual(new Set(Object.values(ALERT)));
    for (const r of rules) {
      expect(['page', 'warning', 'ticket']).toContain(r.labels.severity);
      expect(Object.keys(r.annotations).sort()).toEqual(['dashboard_url', 'description', 'runbook_url', 'summary']);
      expect(r.annotations.runbook_url).toBe(`http://grafana.example.invalid/docs/alerting.md#${r.alert.toLowerCase()}`);
      // Alerts about the whole pipeline set the routing labels on the rule; the others get them
      // from their expression (the promtool suites check the labels of each firing alert).
      if (r.alert === ALERT.targetDown || r.alert === ALERT.watchdog) expect(r.labels, r.alert).toMatchObject({ channel: 'all', transaction: 'all', tier: 'all' });
    }
    expect(rules.find((r) => r.alert === ALERT.spreading)?.labels.backend).toBe('billing');
  });

  it('pages hard down for the page tiers and warns for the rest', () => {
    const hard = generateRules(shipped()).alerting.flatMap((g) => g.rules).filter((r) => r.alert === ALERT.hardDown);
    expect(hard.map((r) => [r.labels.severity, r.expr])).toEqual([
      ['page', 'max by (channel, transaction, tier, location) (channel_health_probe_consecutive_failures{tier="core"}) >= 3'],
      // The shipped non-core tier needs 5 in a row (tiers.noncore.hardDownConsecutive): at 94 % three happen by chance daily.
      ['warning', 'max by (channel, transaction, tier, location) (channel_health_probe_consecutive_failures{tier="noncore"}) >= 5'],
    ]);
    const tiers = { core: { objective: 0.9998 }, noncore: { objective: 0.94 } };
    const allPage = generateRules(variant({ tiers, alerting: { pageTiers: ['core', 'noncore'], hardDownConsecutive: 5 } })).alerting.flatMap((g) => g.rules).filter((r) => r.alert === ALERT.hardDown);
    expect(allPage.map((r) => r.labels.severity)).toEqual(['page']);
    expect(allPage[0]?.expr).toContain('{tier=~"core|noncore"}) >= 5');
    // Both paging with different counts: one rule per count, and the evidence record uses each tier's own.
    const split = generateRules(variant({ tiers: { ...tiers, noncore: { objective: 0.94, hardDownConsecutive: 4 } }, alerting: { pageTiers: ['core', 'noncore'] } }));
    expect(split.alerting.flatMap((g) => g.rules).filter((r) => r.alert === ALERT.hardDown).map((r) => [r.labels.severity, r.expr.replace(/^.*\{|\}\) /g, '')])).toEqual([
      ['page', 'tier="core">= 3'],
      ['page', 'tier="noncore">= 4'],
    ]);
    const evidence = split.recording.flatMap((g) => g.rules).find((r) => r.record === 'channel_health:probe_failure_evidence:any_window')?.expr ?? '';
    expect(evidence).toContain('(channel_health_probe_consecutive_failures{tier="core"}) >= 3)');
    expect(evidence).toContain('(channel_health_probe_consecutive_failures{tier="noncore"}) >= 4)');
    // One count for all tiers: no tier matcher at all.
    const same = generateRules(variant({ tiers })).recording.flatMap((g) => g.rules).find((r) => r.record === 'channel_health:probe_failure_evidence:any_window')?.expr ?? '';
    expect(same).toContain('(max by (channel, transaction, tier, location) (channel_health_probe_consecutive_failures) >= 3)');
  });

  it('expands backends into explicit transaction matchers', () => {
    const recording = generateRules(shipped()).recording.flatMap((g) => g.rules);
    const failing = recording.filter((r) => r.record === 'channel_health:backend_failing_channels:any_window');
    expect(failing.map((r) => [r.labels?.backend, r.expr])).toEqual([
      ['billing', 'count(max by (channel) (channel_health:probe_failure_evidence:any_window{transaction=~"balance_query|bill_query|plan_change|topup"}))'],
      ['payment', 'count(max by (channel) (channel_health:probe_failure_evidence:any_window{transaction="topup"}))'],
      ['crm', 'count(max by (channel) (channel_health:probe_failure_evidence:any_window{transaction=~"data_addon|other_query|plan_change|profile_update"}))'],
    ]);
  });

  it('computes a threshold per check from its own period', () => {
    // web probes every 10s, the rest every 30s: web's counts need a higher threshold.
    const config = variant({ checks: [{ channels: ['web'], transactions: '*', interval: '10s', timeout: '5s' }, { channels: ['app', 'kiosk'], transactions: '*' }] });
    const groups = thresholdGroups(config).filter((g) => g.windowMs === 6 * 3_600_000 && g.tier === 'core');
    expect(groups.map((g) => [g.periodMs, g.threshold.runs, g.threshold.failures])).toEqual([
      [10_000, 2161, 5],
      [30_000, 721, 4],
    ]);
    const rules = generateRules(config);
    const threshold = rules.recording.flatMap((g) => g.rules).find((r) => r.record === 'channel_health:probe_failure_threshold:6h');
    expect(threshold?.expr).toContain('5 + 0 * max by (channel, transaction, tier) (channel_health_probe_runs_total{channel="web", transaction=~"balance_query|bill_query|plan_change|topup"})');
    const alerts = rules.alerting.flatMap((g) => g.rules).filter((r) => r.alert === ALERT.probeFailures && r.labels.window === '6h' && r.labels.tier === 'core');
    expect(alerts.map((r) => r.labels.check_period).sort()).toEqual(['10s', '30s']);
  });

  it('tests failure-share counts against impactBurnRate budgets, paging only for the page tiers', () => {
    const config = shipped();
    const impact = thresholdGroups(config, 'impact');
    // Core: 14.4 × 0.02% = 0.288%; non-core (tiers.noncore.impactBurnRate 2): 12%.
    expect(impact.map((g) => [g.tier, g.windowMs / 60_000, g.threshold.failures])).toEqual([
      ['core', 15, 4],
      ['noncore', 15, 13],
      ['core', 60, 5],
      ['noncore', 60, 30],
      ['core', 360, 10],
      ['noncore', 360, 122],
    ]);
    for (const g of impact) {
      const share = 1 - g.objective;
      const k = g.threshold.failures as number;
      // The bound holds at the hypothesis, and k is the smallest count that keeps it.
      expect(binomialTailDirect(g.threshold.runs, share, k)).toBeLessThanOrEqual(1e-4 * (1 + 1e-9));
      expect(binomialTailDirect(g.threshold.runs, share, k - 1)).toBeGreaterThan(1e-4);
    }
    const rules = generateRules(config).alerting.flatMap((g) => g.rules).filter((r) => r.alert === ALERT.failureShare);
    expect(rules.map((r) => [r.labels.tier, r.labels.window, r.labels.severity])).toEqual([
      ['core', '15m', 'page'],
      ['noncore', '15m', 'warning'],
      ['core', '1h', 'page'],
      ['noncore', '1h', 'warning'],
      ['core', '6h', 'page'],
      ['noncore', '6h', 'warning'],
    ]);
    // Each window is kept firing by failures in the next shorter recorded window only.
    expect(rules[0]?.expr).toBe('channel_health:probe_failures:delta15m{tier="core"} >= 4\nand channel_health:probe_failures:delta5m{tier="core"} > 0');
    expect(rules[4]?.expr).toBe('channel_health:probe_failures:delta6h{tier="core"} >= 10\nand channel_health:probe_failures:delta1h{tier="core"} > 0');
  });
});

describe('Alertmanager config', () => {
  it('routes each severity to its receiver and keeps secrets out', () => {
    process.env.CH_ONCALL_WEBHOOK_URL = 'https://hooks.example.invalid/secret-path-123';
    try {
      const am = generateAlertmanagerConfig(shipped());
      const text = stringify(am);
      expect(text).not.toContain('secret-path-123');
      // Routes muted by maintenance windows come first (test/unit/alerts-maintenance.test.ts).
      const normal = am.route.routes?.filter((r) => r.mute_time_intervals === undefined);
      expect(normal?.map((r) => [r.matchers?.[0], r.receiver])).toEqual([
        ['alertname="Watchdog"', 'deadman'],
        ['alertname="ChannelHealthBackendSpreading"', 'oncall'],
        ['alertname=~"ChannelHealthHardDown|ChannelHealthFailureShareHigh"', 'noc'],
        ['severity="page"', 'oncall'],
        ['severity="warning"', 'noc'],
        ['severity="ticket"', 'review'],
      ]);
      // A pair's hard down and failure share are one incident per pair, paged or warned by severity.
      const pair = normal?.[2];
      expect(pair?.group_by).toEqual(['channel', 'transaction']);
      expect(pair?.routes?.map((r) => [r.matchers?.[0], r.receiver])).toEqual([
        ['severity="page"', 'oncall'],
        ['severity="warning"', 'noc'],
      ]);
      const oncall = am.receivers.find((r) => r.name === 'oncall')?.webhook_configs?.[0];
      expect(oncall).toEqual({
        url: '${CH_ONCALL_WEBHOOK_URL}',
        send_resolved: true,
        max_alerts: 0,
        http_config: { authorization: { type: 'Bearer', credentials_file: '/etc/alertmanager/secrets/CH_ONCALL_WEBHOOK_TOKEN' } },
      });
      expect(am.inhibit_rules).toEqual([
        { source_matchers: ['alertname="ChannelHealthBackendSpreading"'], target_matchers: ['alertname=~"ChannelHealthHardDown|ChannelHealthFailureShareHigh|ChannelHealthProbeFailures"'], equal: ['channel', 'transaction'] },
        { source_matchers: ['alertname="ChannelHealthTrafficDropEverywhere"'], target_matchers: ['alertname="ChannelHealthTrafficDrop"'], equal: ['transaction'] },
        { source_matchers: ['alertname="ChannelHealthHardDown"'], target_matchers: ['alertname="ChannelHealthErrorBudgetBurn"'], equal: ['channel', 'transaction'] },
      ]);
    } finally {
      delete process.env.CH_ONCALL_WEBHOOK_URL;
    }
  });

  it('sends severities without a receiver to a receiver that notifies no one', () => {
    const am = generateAlertmanagerConfig(variant({ receivers: { noc: { url: 'http://noc.example.invalid/hook' } }, alerting: {} }));
    expect(am.receivers).toEqual([
      { name: 'channel-health-discard' },
      { name: 'noc', webhook_configs: [{ url: 'http://noc.example.invalid/hook', send_resolved: true, max_alerts: 0 }] },
    ]);
    expect(am.route.receiver).toBe('noc');
    expect(am.route.routes?.find((r) => r.matchers?.[0] === 'severity="page"')?.receiver).toBe('channel-health-discard');
  });

  it('refuses a webhook URL held in a file, naming the receiver', () => {
    const config = variant({ receivers: { oncall: { url: { file: 'oncall-url.txt' } } }, alerting: {} });
    expect(() => generateAlertmanagerConfig(config)).toThrow(/CH_ALERTS_UNSUPPORTED_SECRET: receivers\.oncall\.url: Alertmanager 0\.25 cannot read a webhook URL from a file/);
  });
});

describe('alerting config', () => {
  const problems = (alerting: unknown, receivers?: unknown) => {
    try {
      variant({ alerting, ...(receivers ? { receivers } : {}) });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
    }
    return [];
  };

  it('takes the defaults when absent', () => {
    const a = variant({ alerting: undefined, receivers: undefined }).alerting;
    expect(a).toMatchObject({ sloWindowMs: 30 * 86_400_000, hardDownConsecutive: 3, falseAlarmProbability: 1e-4, evidenceWindowsMs: [900_000, 3_600_000, 21_600_000], pageTiers: ['core'] });
    expect(a.routes).toEqual({ page: null, warning: null, ticket: null, watchdog: null });
  });

  it('names every bad field with its path', () => {
    expect(problems({ hardDownConsecutive: 0, bogus: true }).sort()).toEqual(['alerting.bogus: unknown field', 'alerting.hardDownConsecutive: must be >= 1']);
    expect(problems({ routes: { page: 'pager' }, pageTiers: ['gold'], evidenceWindows: ['5s', '1h', '1h'], sloWindow: '6h' })).toEqual([
      'alerting.evidenceWindows[0]: must be whole seconds and at least 10s',
      'alerting.evidenceWindows: lists a window twice',
      'alerting.routes.page: unknown receiver "pager" (known: oncall, noc, review, deadman)',
      'alerting.pageTiers[0]: unknown tier "gold" (known: core, noncore)',
      'alerting.sloWindow: must be whole seconds and at least 86400s (got 6h)',
    ]);
    expect(problems({ runbookUrl: 'docs/alerting.md' })).toEqual(['alerting.runbookUrl: must be an absolute URL (got "docs/alerting.md")']);
  });

  it('refuses an impactBurnRate that makes a failure share of 1 or more, naming the field', () => {
    // The shipped non-core tier sets its own factor, so the default 14.4 only reaches core.
    expect(problems({ impactBurnRate: 6000 })).toEqual([
      'alerting.impactBurnRate: 6000 times the error budget of tier core (0.0002) is a failure share of 1 or more; set tiers.core.impactBurnRate below 5000',
    ]);
    const tiers = { core: { objective: 0.9998 }, noncore: { objective: 0.94, impactBurnRate: 20 } };
    let caught: unknown;
    try {
      variant({ tiers });
    } catch (err) {
      caught = err;
    }
    expect((caught as ConfigError).problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'tiers.noncore.impactBurnRate: 20 times the error budget of tier noncore (0.06) is a failure share of 1 or more; set tiers.noncore.impactBurnRate below 16.67',
    ]);
    expect(variant({ tiers: { core: { objective: 0.9998 }, noncore: { objective: 0.94, impactBurnRate: 3 } } }).tiers.map((t) => t.impactBurnRate)).toEqual([14.4, 3]);
  });
});

describe('channel-health generate', () => {
  let dir: string;
  let out: string;
  let err: string;
  const io = () => ({
    stdout: new Writable({ write: (c, _e, cb) => ((out += String(c)), cb()) }),
    stderr: new Writable({ write: (c, _e, cb) => ((err += String(c)), cb()) }),
    env: {},
  });
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ch-generate-'));
    out = '';
    err = '';
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('writes, then --check passes, then a changed file fails --check with its name', async () => {
    expect(await generateMain(['--config', SHIPPED, '--out', dir], io())).toBe(0);
    for (const p of Object.values(OUTPUT)) expect(existsSync(path.join(dir, p)), p).toBe(true);
    expect(out).toContain(`wrote ${OUTPUT.recording}\n`);
    out = '';
    expect(await generateMain(['--config', SHIPPED, '--out', dir], io())).toBe(0);
    expect(out).toContain(`unchanged ${OUTPUT.recording}\n`);
    expect(await generateMain(['--config', SHIPPED, '--out', dir, '--check'], io())).toBe(0);
    await writeFile(path.join(dir, OUTPUT.alerting), '# hand edit\n');
    err = '';
    expect(await generateMain(['--config', SHIPPED, '--out', dir, '--check'], io())).toBe(1);
    expect(err).toMatch(/^CH_ALERTS_STALE: 1 generated file differs? from /);
    expect(err).toContain(`  ${OUTPUT.alerting}\n`);
    expect(await readFile(path.join(dir, OUTPUT.alerting), 'utf8')).toBe('# hand edit\n');
  });

  it('writes nothing for a config it refuses', async () => {
    const bad = path.join(dir, 'bad.yaml');
    await writeFile(bad, shippedText.replace('hardDownConsecutive: 3', 'hardDownConsecutive: -1'));
    expect(await generateMain(['--config', bad, '--out', dir], io())).toBe(2);
    expect(err).toContain('alerting.hardDownConsecutive: must be >= 1');
    const fileUrl = path.join(dir, 'file-url.yaml');
    await writeFile(fileUrl, shippedText.replace('oncall: { url: { env: CH_ONCALL_WEBHOOK_URL }', 'oncall: { url: { file: url.txt }'));
    err = '';
    expect(await generateMain(['--config', fileUrl, '--out', dir], io())).toBe(2);
    expect(err).toContain('CH_ALERTS_UNSUPPORTED_SECRET: receivers.oncall.url');
    for (const p of Object.values(OUTPUT)) expect(existsSync(path.join(dir, p)), p).toBe(false);
  });

  it('has committed files equal to a fresh generation from channel-health.yaml', async () => {
    const files = alertFiles(await loadConfigFile(SHIPPED), { sourceName: 'channel-health.yaml' });
    for (const f of files) expect(readFileSync(path.join(REPO_ROOT, f.path), 'utf8'), `${f.path} is stale: run channel-health generate`).toBe(f.content);
  });
});
