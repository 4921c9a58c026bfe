// Prometheus's and Alertmanager's own tools on what `generate` writes: promtool check rules (also on
// rules from configs unlike the shipped one), the hand-written promtool suites in alerts/tests/, and
// amtool check-config on the Alertmanager config.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { alertFiles, alertmanagerPlaceholders, OUTPUT } from '../../alerts/index.js';
import { parseConfig } from '../../config/index.js';
import { ivrOverHttp } from '../support/ivr-over-http.js';
import { REPO_ROOT } from '../support/processes.js';

const TESTS = path.join(REPO_ROOT, 'alerts/tests');

function run(command: string, args: string[], cwd = REPO_ROOT) {
  // synthetic.test.yml takes ~45 s of one core alone; beside a second busy test worker it can take
  // twice that, so the bound is generous (the whole suite runs in ~15 min of CI's 90).
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 280_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('generated rules and Alertmanager config pass Prometheus tooling', () => {
  let dir: string;
  const shippedText = () => readFile(path.join(REPO_ROOT, 'channel-health.yaml'), 'utf8');

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ch-alerts-tools-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('promtool check rules accepts the committed rule files and the PrometheusRule groups, without lint findings', async () => {
    const r = run('promtool', ['check', 'rules', OUTPUT.recording, OUTPUT.alerting]);
    expect(r.output).toMatch(/SUCCESS: \d+ rules found[\s\S]*SUCCESS: \d+ rules found/);
    expect(r.output).not.toMatch(/lint|duplicate|FAILED/i);
    expect(r.status).toBe(0);
    const k8s = parse(await readFile(path.join(REPO_ROOT, OUTPUT.prometheusRule), 'utf8')) as { kind: string; spec: { groups: unknown[] } };
    expect(k8s.kind).toBe('PrometheusRule');
    await writeFile(path.join(dir, 'k8s-groups.yml'), stringify({ groups: k8s.spec.groups }));
    const k = run('promtool', ['check', 'rules', path.join(dir, 'k8s-groups.yml')]);
    expect(k.status, k.output).toBe(0);
  });

  it('promtool check rules accepts rules generated from configs unlike the shipped one', async () => {
    const raw = parse(await shippedText()) as Record<string, unknown>;
    ivrOverHttp(raw);
    const variants: Record<string, Record<string, unknown>> = {
      // Mixed periods, a cron check and one tier only for some transactions.
      mixed: {
        checks: [
          { channels: ['web'], transactions: '*', interval: '10s', timeout: '5s' },
          { channels: ['app', 'ivr'], transactions: ['topup', 'other_query'], cron: '15 */2 * * * *' },
          { channel: 'kiosk', transaction: 'balance_query', interval: '1m' },
        ],
        alerting: { evidenceWindows: ['5m', '2h', '1d'], sloWindow: '28d', pageTiers: ['core', 'noncore'], hardDownConsecutive: 5 },
      },
      // A single tier and a backend no transaction uses.
      oneTier: {
        tiers: { gold: { objective: 0.999 } },
        transactions: Object.fromEntries(Object.entries(raw.transactions as Record<string, Record<string, unknown>>).map(([k, t]) => [k, { ...t, tier: 'gold' }])),
        backends: { ...(raw.backends as object), unused: { description: 'nothing depends on it' } },
        alerting: {},
        receivers: {},
      },
    };
    for (const [name, changes] of Object.entries(variants)) {
      const config = parseConfig(stringify({ ...raw, ...changes }, { aliasDuplicateObjects: false }), `${name}.yaml`);
      const files = alertFiles(config, { sourceName: `${name}.yaml` });
      const paths: string[] = [];
      for (const f of files.filter((x) => x.path === OUTPUT.recording || x.path === OUTPUT.alerting)) {
        const p = path.join(dir, `${name}-${path.basename(f.path)}`);
        await writeFile(p, f.content);
        paths.push(p);
      }
      const r = run('promtool', ['check', 'rules', ...paths]);
      expect(r.status, `${name}: ${r.output}`).toBe(0);
      expect(r.output, name).not.toMatch(/lint|duplicate/i);
    }
  });

  it('amtool check-config accepts the Alertmanager config, once its URL placeholders are filled', async () => {
    const text = await readFile(path.join(REPO_ROOT, OUTPUT.alertmanager), 'utf8');
    const config = parseConfig(await shippedText(), 'channel-health.yaml');
    const names = alertmanagerPlaceholders(config);
    expect(names).toEqual(['CH_DEADMAN_WEBHOOK_URL', 'CH_NOC_WEBHOOK_URL', 'CH_ONCALL_WEBHOOK_URL', 'CH_REVIEW_WEBHOOK_URL']);
    // As committed it must be refused: an unfilled placeholder may never reach a running Alertmanager.
    await writeFile(path.join(dir, 'raw.yml'), text);
    expect(run('amtool', ['check-config', path.join(dir, 'raw.yml')]).status).not.toBe(0);
    let filled = text;
    for (const n of names) filled = filled.replaceAll(`\${${n}}`, `https://hooks.example.invalid/${n.toLowerCase()}`);
    expect(filled).not.toContain('${');
    await writeFile(path.join(dir, 'alertmanager.yml'), filled);
    const r = run('amtool', ['check-config', path.join(dir, 'alertmanager.yml')]);
    expect(r.output).toMatch(/SUCCESS[\s\S]*3 inhibit rules[\s\S]*4 receivers/);
    expect(r.status).toBe(0);
  });

  it('amtool check-config accepts a config with plain receiver URLs as generated, untouched', async () => {
    const raw = parse(await shippedText()) as Record<string, unknown>;
    const config = parseConfig(
      stringify({ ...raw, receivers: { oncall: { url: 'http://127.0.0.1:9999/oncall', token: { file: 'oncall.token' } }, noc: { url: 'http://127.0.0.1:9999/noc' } }, alerting: {} }, { aliasDuplicateObjects: false }),
      'plain.yaml',
    );
    const am = alertFiles(config, { sourceName: 'plain.yaml' }).find((f) => f.path === OUTPUT.alertmanager)?.content as string;
    await writeFile(path.join(dir, 'plain.yml'), am);
    const r = run('amtool', ['check-config', path.join(dir, 'plain.yml')]);
    expect(r.status, r.output).toBe(0);
  });

  it.each(['synthetic.test.yml', 'failure-share.test.yml', 'traffic.test.yml', 'meta.test.yml', 'tls.test.yml'])('promtool test rules passes alerts/tests/%s', (file) => {
    const r = run('promtool', ['test', 'rules', file], TESTS);
    expect(r.output).toContain('SUCCESS');
    expect(r.status, r.output).toBe(0);
  }, 300_000);

  it('covers every alert with a firing case in the hand-written suites', async () => {
    const files = (await readdir(TESTS)).filter((f) => f.endsWith('.test.yml'));
    const text = (await Promise.all(files.map((f) => readFile(path.join(TESTS, f), 'utf8')))).join('\n');
    const alerts = alertFiles(parseConfig(await shippedText(), 'channel-health.yaml'), { sourceName: 'x' })
      .find((f) => f.path === OUTPUT.alerting)
      ?.content.match(/alert: (\w+)/g)
      ?.map((a) => a.slice(7));
    for (const a of new Set(alerts)) expect(text, a).toMatch(new RegExp(`alertname: ${a}\\n\\s+exp_alerts:`));
  });
});
