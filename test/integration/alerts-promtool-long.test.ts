// The promtool suites that replay days of data: burn-rate pairs over real events, the 30-day budget
// at a coarse step, and a day of seeded healthy-but-noisy probes and events in which no alert may
// fire. Kept apart from alerts-promtool.test.ts so each file stays well under two minutes.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { OUTPUT, type RecordingRule, type RuleGroup } from '../../alerts/index.js';
import { noisySuite } from '../../bench/detection/noisy-suite.js';
import { loadConfigFile } from '../../config/index.js';
import { REPO_ROOT } from '../support/processes.js';

const TESTS = path.join(REPO_ROOT, 'alerts/tests');

function promtoolTest(file: string, cwd: string) {
  const r = spawnSync('promtool', ['test', 'rules', file], { cwd, encoding: 'utf8', timeout: 110_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('promtool suites over days', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ch-alerts-long-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it.each(['burn-rate.test.yml', 'burn-rate-slow.test.yml', 'budget-30d.test.yml'])('promtool test rules passes alerts/tests/%s', (file) => {
    const r = promtoolTest(file, TESTS);
    expect(r.output).toContain('SUCCESS');
    expect(r.status, r.output).toBe(0);
  }, 110_000);

  it('a day of healthy but noisy data raises no alert, with the generated alert rules', async () => {
    const config = await loadConfigFile(path.join(REPO_ROOT, 'channel-health.yaml'));
    const { suite, recording, alerting } = noisySuite(config, 1, 7);
    // The alert rules are exactly the committed ones; the recording rules a subset of them, unchanged.
    const committedAlerting = await readFile(path.join(REPO_ROOT, OUTPUT.alerting), 'utf8');
    expect(committedAlerting.slice(committedAlerting.indexOf('\n') + 1)).toBe(alerting);
    const committed = (parse(await readFile(path.join(REPO_ROOT, OUTPUT.recording), 'utf8')) as { groups: RuleGroup<RecordingRule>[] }).groups.flatMap((g) => g.rules);
    const subset = (parse(recording) as { groups: RuleGroup<RecordingRule>[] }).groups.flatMap((g) => g.rules);
    expect(subset.length).toBeGreaterThan(10);
    for (const rule of subset) expect(committed).toContainEqual(rule);
    for (const name of ['channel_health:probe_failure_evidence:any_window', 'channel_health:event_burn_rate:rate1h']) expect(subset.map((r) => r.record)).toContain(name);

    await writeFile(path.join(dir, 'recording.yml'), recording);
    await writeFile(path.join(dir, 'alerting.yml'), alerting);
    await writeFile(path.join(dir, 'noisy.test.yml'), suite);
    const r = promtoolTest('noisy.test.yml', dir);
    expect(r.output).toContain('SUCCESS');
    expect(r.status, r.output).toBe(0);
  }, 110_000);
});
