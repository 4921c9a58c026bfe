// A configured holiday is not judged against the weeks before: the all-channel topup drop of
// alerts/tests/traffic.test.yml, replayed with rules generated from the shipped config plus a
// holiday inside promtool's clock (1970-01-15 on the business clock, +08:00: 13d16h to 14d16h UTC).
// The drop inside the holiday and in the hour after it (whose count is still the holiday's) raises
// nothing; the same drop an hour after the holiday ends pages.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { alertFiles, OUTPUT, toYaml } from '../../alerts/index.js';
import { parseConfig } from '../../config/index.js';
import { REPO_ROOT } from '../support/processes.js';

describe('traffic drops on a holiday', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ch-traffic-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('are not judged on a configured holiday, and are after it', async () => {
    const raw = parse(await readFile(path.join(REPO_ROOT, 'channel-health.yaml'), 'utf8')) as { alerting: Record<string, unknown> };
    const config = parseConfig(stringify({ ...raw, alerting: { ...raw.alerting, holidays: ['1970-01-15'] } }, { aliasDuplicateObjects: false }), 'holiday.yaml');
    const files = alertFiles(config, { sourceName: 'holiday.yaml' });
    for (const p of [OUTPUT.recording, OUTPUT.alerting]) await writeFile(path.join(dir, path.basename(p)), files.find((f) => f.path === p)?.content as string);
    const series = (channel: string, after: number) => ({
      series: `channel_health_transactions_total{channel="${channel}",transaction="topup",tier="core",instance="ch:9470",job="channel-health"}`,
      values: `0+1200x340 ${408_000 + after}+${after}x20`,
    });
    const quiet = ['ChannelHealthTrafficDrop', 'ChannelHealthTrafficDropEverywhere'];
    const suite = toYaml({
      rule_files: ['recording-rules.yml', 'alert-rules.yml'],
      evaluation_interval: '1h',
      group_eval_order: ['channel-health-probes', 'channel-health-events', 'channel-health-budget', 'channel-health-synthetic', 'channel-health-burn-rate', 'channel-health-meta'],
      tests: [
        {
          name: 'a drop on every channel during a holiday raises nothing; after it, it pages',
          interval: '1h',
          input_series: [series('web', 200), series('app', 100)],
          alert_rule_test: [
            // 14d16h: the holiday is over, but the hour's count is still the holiday's.
            ...quiet.flatMap((alertname) => ['14d5h', '14d15h', '14d16h'].map((eval_time) => ({ eval_time, alertname }))),
            {
              eval_time: '14d17h',
              alertname: 'ChannelHealthTrafficDropEverywhere',
              exp_alerts: [
                {
                  exp_labels: { severity: 'page', channel: 'all', transaction: 'topup', tier: 'core' },
                  exp_annotations: {
                    summary: 'Real topup transactions dropped on every channel',
                    description:
                      'All 2 channels with enough traffic carry under 50% of the topup transactions of the same hour in previous weeks: customers cannot complete it anywhere, and nothing fails, so no failure alert speaks.',
                    runbook_url: 'http://grafana.example.invalid/docs/alerting.md#channelhealthtrafficdropeverywhere',
                    dashboard_url: 'http://grafana.example.invalid/d/ch-weekly-capacity',
                  },
                },
              ],
            },
          ],
          promql_expr_test: ['14d5h', '14d16h'].map((eval_time) => ({ expr: 'channel_health:holiday:active', eval_time, exp_samples: [{ labels: 'channel_health:holiday:active', value: 1 }] })),
        },
      ],
    });
    await writeFile(path.join(dir, 'holiday.test.yml'), suite);
    const r = spawnSync('promtool', ['test', 'rules', 'holiday.test.yml'], { cwd: dir, encoding: 'utf8', timeout: 280_000 });
    expect(`${r.stdout}${r.stderr}`).toContain('SUCCESS');
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
  }, 300_000);
});
