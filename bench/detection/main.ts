// `npm run bench:detection`: replays the scenarios through promtool with our generated rules and a
// baseline of plain workbook burn-rate rules side by side, and prints time to first alert, time to
// page and false alerts. `--record` writes the table into bench/RESULTS.md under "## Detection";
// `--only ID[,ID]` runs some scenarios. Figures are recorded, not asserted (test/ asserts).
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { toYaml } from '../../alerts/index.js';
import { loadConfigFile, type Config } from '../../config/index.js';
import { baselineRuleFile, ourRuleFiles } from './rules.js';
import { materialize, scenarios, STEP_SECONDS, type Scenario } from './scenarios.js';
import { eventSeries, probeSeries, upSeries, type InputSeries } from './series.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const OURS = 'alertname!~"Watchdog|Baseline.*"';
const BASELINE = 'alertname=~"Baseline.*"';
const SEED = 20_240_604;

interface Sample {
  labels: Record<string, string>;
  value: number;
}

export interface ScenarioResult {
  scenario: Scenario;
  first: Record<'ours' | 'baseline', Sample[]>;
  falseAlerts: Record<'ours' | 'baseline', Sample[]>;
  seconds: number;
}

/** Queries whose results promtool prints (we expect nothing, so it shows what it got). */
function queries(s: Scenario): Array<{ expr: string; at: number }> {
  const end = s.seconds;
  const fault = s.faultAt ?? end;
  const started = (sel: string) => `(ALERTS{alertstate="firing",${sel}} unless ALERTS{alertstate="firing",${sel}} offset ${STEP_SECONDS}s)`;
  const tag = (expr: string, q: string) => `label_replace(${expr}, "q", "${q}", "", "")`;
  const out: Array<{ expr: string; at: number }> = [];
  for (const [name, sel] of [['ours', OURS], ['baseline', BASELINE]] as const) {
    if (s.faultAt !== null) {
      out.push({ expr: tag(`min by (alertname, severity) (min_over_time((timestamp(${started(sel)}) >= ${fault})[${end}s:${STEP_SECONDS}s]))`, `first_${name}`), at: end });
    }
    // Episodes that began before the fault (all of them in the healthy month) are false alerts.
    out.push({ expr: tag(`sum by (alertname, severity) (count_over_time(${started(sel)}[${fault}s:${STEP_SECONDS}s]))`, `false_${name}`), at: fault });
  }
  return out;
}

function testFile(config: Config, s: Scenario, ruleFiles: string[]): string {
  const { probes, events } = materialize(config, s, SEED);
  const steps = Math.floor(s.seconds / STEP_SECONDS) + 1;
  const input: InputSeries[] = [upSeries(steps)];
  for (const [check, outcomes] of probes) input.push(...probeSeries(check, outcomes, STEP_SECONDS));
  for (const [stream, perStep] of events) input.push(...eventSeries(stream.check, perStep));
  return toYaml({
    rule_files: ruleFiles,
    evaluation_interval: `${STEP_SECONDS}s`,
    group_eval_order: ['channel-health-probes', 'channel-health-events', 'channel-health-synthetic', 'channel-health-burn-rate', 'channel-health-meta', 'baseline-recording', 'baseline-alerts'],
    tests: [
      {
        interval: `${STEP_SECONDS}s`,
        input_series: input,
        promql_expr_test: queries(s).map((q) => ({ expr: q.expr, eval_time: `${q.at}s`, exp_samples: [] })),
      },
    ],
  });
}

async function promtool(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('promtool', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('exit', () => resolve(out));
  });
}

/** `got:` lines of promtool's failure report, as samples. */
export function parseGot(output: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of output.split('\n')) {
    const m = /^\s*got:\s*(.*)$/.exec(line);
    if (!m) continue;
    for (const s of (m[1] as string).matchAll(/\{([^}]*)\}\s+([-+0-9.eE]+)/g)) {
      const labels = Object.fromEntries([...(s[1] as string).matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1] as string, l[2] as string]));
      samples.push({ labels, value: Number(s[2]) });
    }
  }
  return samples;
}

export async function runScenario(config: Config, s: Scenario, dir: string): Promise<ScenarioResult> {
  const rules = ourRuleFiles(config);
  const files = { recording: path.join(dir, 'recording.yml'), alerting: path.join(dir, 'alerting.yml'), baseline: path.join(dir, 'baseline.yml') };
  await writeFile(files.recording, rules.recording);
  await writeFile(files.alerting, rules.alerting);
  await writeFile(files.baseline, baselineRuleFile(config));
  const test = path.join(dir, `${s.id}.test.yml`);
  await writeFile(test, testFile(config, s, Object.values(files)));
  const started = Date.now();
  const output = await promtool(['test', 'rules', test]);
  if (/error|FAILED:/.test(output) && !/got:/.test(output) && !/SUCCESS/.test(output)) throw new Error(`promtool failed on ${s.id}:\n${output.slice(0, 2000)}`);
  const samples = parseGot(output);
  const pick = (q: string) => samples.filter((x) => x.labels.q === q);
  return {
    scenario: s,
    first: { ours: pick('first_ours'), baseline: pick('first_baseline') },
    falseAlerts: { ours: pick('false_ours'), baseline: pick('false_baseline') },
    seconds: (Date.now() - started) / 1000,
  };
}

const duration = (seconds: number) => {
  if (seconds < 60) return `${Math.round(seconds)}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${seconds % 60 ? `${Math.round(seconds % 60)}s` : ''}`;
  return `${Math.floor(seconds / 3600)}h${Math.round((seconds % 3600) / 60)}m`;
};

/** Time from the fault to the first alert of the given severities, with the alert's name. */
function firstOf(r: ScenarioResult, who: 'ours' | 'baseline', severities: string[]): string {
  const hits = r.first[who].filter((x) => severities.includes(x.labels.severity ?? '')).sort((a, b) => a.value - b.value);
  const hit = hits[0];
  if (!hit || r.scenario.faultAt === null) return '—';
  return `${duration(hit.value - r.scenario.faultAt)} (${(hit.labels.alertname ?? '').replace(/^ChannelHealth/, '')})`;
}

function falseCount(r: ScenarioResult, who: 'ours' | 'baseline'): string {
  const by = new Map<string, number>();
  for (const x of r.falseAlerts[who]) by.set(x.labels.severity ?? '?', (by.get(x.labels.severity ?? '?') ?? 0) + x.value);
  const days = (r.scenario.faultAt ?? r.scenario.seconds) / 86_400;
  const per30 = (n: number) => (r.scenario.faultAt === null ? String(n) : `${n} in ${days}d`);
  return ['page', 'warning', 'ticket'].map((s) => `${per30(by.get(s) ?? 0)} ${s}`).join(', ');
}

export function table(results: ScenarioResult[]): string {
  const rows = results.map((r) => [
    r.scenario.title,
    firstOf(r, 'ours', ['page', 'warning', 'ticket']),
    firstOf(r, 'ours', ['page']),
    falseCount(r, 'ours'),
    firstOf(r, 'baseline', ['page', 'warning', 'ticket']),
    firstOf(r, 'baseline', ['page']),
    falseCount(r, 'baseline'),
  ]);
  const head = ['scenario', 'ours: first alert', 'ours: page', 'ours: false alerts', 'baseline: first alert', 'baseline: page', 'baseline: false alerts'];
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

async function record(markdown: string): Promise<void> {
  const file = path.join(REPO, 'bench/RESULTS.md');
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch {
    text = '# Benchmark results\n';
  }
  const section = `## Detection\n\n${markdown}\n`;
  const start = text.indexOf('## Detection\n');
  if (start === -1) text = `${text.trimEnd()}\n\n${section}`;
  else {
    const next = text.indexOf('\n## ', start + 1);
    text = text.slice(0, start) + section + (next === -1 ? '' : text.slice(next + 1));
  }
  await writeFile(file, text);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { record: { type: 'boolean' }, only: { type: 'string' }, config: { type: 'string' } } });
  const config = await loadConfigFile(values.config ?? path.join(REPO, 'channel-health.yaml'));
  const wanted = values.only?.split(',');
  const list = scenarios(config).filter((s) => !wanted || wanted.includes(s.id));
  const dir = await mkdtemp(path.join(tmpdir(), 'ch-detection-'));
  const results: ScenarioResult[] = [];
  try {
    for (const s of list) {
      process.stderr.write(`${s.id} …`);
      const r = await runScenario(config, s, dir);
      process.stderr.write(` ${r.seconds.toFixed(0)}s\n`);
      results.push(r);
    }
  } finally {
    if (!process.env.KEEP) await rm(dir, { recursive: true, force: true });
  }
  const n = config.alerting.hardDownConsecutive;
  const bound = n * 30 + 30 + 30;
  const hard = results.find((r) => r.scenario.id === 'hard-down');
  const month = results.find((r) => r.scenario.id === 'healthy-month');
  const lines = [table(results), ''];
  if (hard) {
    const page = hard.first.ours.filter((x) => x.labels.severity === 'page').sort((a, b) => a.value - b.value)[0];
    const took = page ? page.value - (hard.scenario.faultAt as number) : Number.NaN;
    lines.push(`- Goal, hard-down core pages within ${n} × 30s + one scrape + one evaluation (${bound}s): ${Number.isNaN(took) ? 'no page' : `${took}s`} — ${took <= bound ? 'met' : 'MISSED'}.`);
  }
  if (month) {
    const pages = month.falseAlerts.ours.filter((x) => x.labels.severity === 'page').reduce((a, x) => a + x.value, 0);
    const basePages = month.falseAlerts.baseline.filter((x) => x.labels.severity === 'page').reduce((a, x) => a + x.value, 0);
    lines.push(`- Goal, zero false pages in the healthy month: ${pages} — ${pages === 0 ? 'met' : 'MISSED'}; the baseline pages ${basePages} times.`);
    const byAlert = [...month.falseAlerts.ours, ...month.falseAlerts.baseline].map((x) => `${x.labels.alertname}/${x.labels.severity} ${x.value}`).join(', ');
    lines.push(`- Healthy-month alerts by name: ${byAlert || 'none'}.`);
  }
  lines.push(
    `- Probes every ${STEP_SECONDS}s, scraped and evaluated every ${STEP_SECONDS}s (promtool, recording groups evaluated before alert groups); seed ${SEED}. ` +
      'Times are from the fault to the first alert (its name in brackets); "first alert" is any severity.',
  );
  const markdown = lines.join('\n');
  console.log(markdown);
  if (values.record) await record(markdown);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().catch((err: unknown) => {
    console.error(`bench:detection: ${(err as Error).stack ?? String(err)}`);
    process.exitCode = 1;
  });
}
