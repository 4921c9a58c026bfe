// `npm run bench:detection`: replays the scenarios through promtool with our generated rules and a
// baseline of plain workbook burn-rate rules (two promtool processes side by side), and prints time
// to first alert, time to page and false alerts. `--record` writes the table into bench/RESULTS.md
// under "## Detection"; `--only ID[,ID]` runs some scenarios; `--days N` shortens the healthy
// month (30 by default; promtool replays it at 30 s steps, which takes a while).
// Figures are recorded, not asserted (test/ asserts).
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { toYaml } from '../../alerts/index.js';
import { loadConfigFile, type Config } from '../../config/index.js';
import { currentLoad, machineInfo } from '../machine.js';
import { timeToAlert } from './time-to-page.js';
import { baselineRuleFile, ourRuleFiles } from './rules.js';
import { materialize, scenarios, STEP_SECONDS, stepOf, TRAFFIC_DROP_TO, type Scenario } from './scenarios.js';
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

type Side = 'ours' | 'baseline';

/** Subquery span: promtool's engine loads at most 10,000 samples per query, so ranges are cut. */
const CHUNK_SECONDS = 600;

/**
 * Queries whose results promtool prints (we expect nothing, so it shows what it got): for each
 * 10-minute chunk, the first episode start after the fault and the number of episodes before it.
 */
function queries(s: Scenario, side: Side): Array<{ expr: string; at: number }> {
  const end = s.seconds;
  const fault = s.faultAt ?? end;
  const sel = side === 'ours' ? OURS : BASELINE;
  const step = stepOf(s);
  const started = `(ALERTS{alertstate="firing",${sel}} unless ALERTS{alertstate="firing",${sel}} offset ${step}s)`;
  const tag = (expr: string, q: string) => `label_replace(${expr}, "q", "${q}", "", "")`;
  const range = `[${CHUNK_SECONDS}s:${step}s]`;
  const out: Array<{ expr: string; at: number }> = [];
  for (let at = CHUNK_SECONDS; at < end + CHUNK_SECONDS; at += CHUNK_SECONDS) {
    const t = Math.min(at, end);
    // Episodes that began before the fault (all of them in the healthy month) are false alerts.
    if (t - CHUNK_SECONDS < fault) out.push({ expr: tag(`sum by (alertname, severity) (count_over_time((${started} and on () (vector(time()) < ${fault}))${range}))`, 'false'), at: t });
    if (s.faultAt !== null && t > fault) out.push({ expr: tag(`min by (alertname, severity) (min_over_time((timestamp(${started}) >= ${fault})${range}))`, 'first'), at: t });
  }
  return out;
}

/** One promtool test file per side: each loads only its own rules (promtool evaluates every rule at every step). */
function testFile(s: Scenario, side: Side, input: InputSeries[], ruleFiles: string[], groups: string[]): string {
  return toYaml({
    rule_files: ruleFiles,
    evaluation_interval: `${stepOf(s)}s`,
    group_eval_order: groups,
    tests: [
      {
        interval: `${stepOf(s)}s`,
        input_series: input,
        promql_expr_test: queries(s, side).map((q) => ({ expr: q.expr, eval_time: `${q.at}s`, exp_samples: [] })),
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

/** The config a scenario's rules are generated from: the shipped one, with the scenario's holidays (dates inside promtool's 1970 clock) added. */
export function scenarioConfig(config: Config, s: Scenario): Config {
  if (!s.holidays?.length) return config;
  return { ...config, alerting: { ...config.alerting, holidays: [...new Set([...config.alerting.holidays, ...s.holidays])].sort() } };
}

export async function runScenario(shipped: Config, s: Scenario, dir: string): Promise<ScenarioResult> {
  const config = scenarioConfig(shipped, s);
  const { probes, events } = materialize(config, s, SEED);
  const steps = Math.floor(s.seconds / stepOf(s)) + 1;
  const probeInput: InputSeries[] = [upSeries(steps)];
  for (const [check, outcomes] of probes) probeInput.push(...probeSeries(check, outcomes, stepOf(s)));
  const eventInput: InputSeries[] = [];
  for (const [stream, perStep] of events) eventInput.push(...eventSeries(stream.check, perStep));

  const rules = ourRuleFiles(config);
  const files = { recording: path.join(dir, 'recording.yml'), alerting: path.join(dir, 'alerting.yml'), baseline: path.join(dir, 'baseline.yml') };
  await writeFile(files.recording, rules.recording);
  await writeFile(files.alerting, rules.alerting);
  await writeFile(files.baseline, baselineRuleFile(config));
  const ours = path.join(dir, `${s.id}-ours.test.yml`);
  const baseline = path.join(dir, `${s.id}-baseline.test.yml`);
  await writeFile(
    ours,
    testFile(s, 'ours', [...probeInput, ...eventInput], [files.recording, files.alerting], ['channel-health-probes', 'channel-health-events', 'channel-health-synthetic', 'channel-health-burn-rate', 'channel-health-meta']),
  );
  // The baseline reads probes only (the plain workbook rules applied to synthetic data).
  await writeFile(baseline, testFile(s, 'baseline', probeInput, [files.baseline], ['baseline-recording', 'baseline-alerts']));
  const started = Date.now();
  const [outOurs, outBaseline] = await Promise.all([promtool(['test', 'rules', ours]), promtool(['test', 'rules', baseline])]);
  for (const [name, out] of [['ours', outOurs], ['baseline', outBaseline]] as const) {
    if (!/SUCCESS|got:/.test(out) || /\berr: /.test(out)) throw new Error(`promtool failed on ${s.id} (${name}):\n${out.slice(0, 2000)}`);
  }
  // Chunks repeat a series per alert: episodes add up, first times take the minimum.
  const combine = (out: string, q: string, merge: (a: number, b: number) => number): Sample[] => {
    const by = new Map<string, Sample>();
    for (const x of parseGot(out).filter((y) => y.labels.q === q)) {
      const key = `${x.labels.alertname}\u0000${x.labels.severity}`;
      const seen = by.get(key);
      by.set(key, seen ? { labels: seen.labels, value: merge(seen.value, x.value) } : x);
    }
    return [...by.values()];
  };
  return {
    scenario: s,
    first: { ours: combine(outOurs, 'first', Math.min), baseline: combine(outBaseline, 'first', Math.min) },
    falseAlerts: { ours: combine(outOurs, 'false', (a, b) => a + b), baseline: combine(outBaseline, 'false', (a, b) => a + b) },
    seconds: (Date.now() - started) / 1000,
  };
}

const duration = (seconds: number) => {
  if (seconds < 60) return `${Math.round(seconds)}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${seconds % 60 ? `${Math.round(seconds % 60)}s` : ''}`;
  if (seconds >= 86_400 && seconds % 86_400 === 0) return `${seconds / 86_400}d`;
  return `${Math.floor(seconds / 3600)}h${seconds % 3600 ? `${Math.round((seconds % 3600) / 60)}m` : ''}`;
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
  const seconds = r.scenario.faultAt ?? r.scenario.seconds;
  const counts = `${['page', 'warning', 'ticket'].map((s) => `${by.get(s) ?? 0} ${s}`).join(', ')} in ${duration(seconds)}`;
  // The healthy replay may be shortened (--days); the issue asks for a rate per 30 days.
  if (r.scenario.id !== 'healthy-month' || seconds === 30 * 86_400) return counts;
  const per30 = (n: number) => Number(((n * 30 * 86_400) / seconds).toFixed(1));
  return `${counts} (≈ ${['page', 'warning', 'ticket'].map((s) => `${per30(by.get(s) ?? 0)} ${s}`).join(', ')} per 30d)`;
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

const IMPACT = ['ChannelHealthFailureShareHigh', 'ChannelHealthHardDown'];

/**
 * The interleaved scenarios beside the simulated time to page (core) or warn (non-core) of
 * docs/alerting.md ("Time to page against the failure share"), from the same generated thresholds:
 * the replay is one seeded fault, the simulation the median and 90th percentile of 2,000. The
 * simulation counts from the first faulty run's end, the replay from the fault's start (30 s apart).
 */
function againstDocs(config: Config, results: ScenarioResult[]): string[] {
  const out: string[] = [];
  for (const r of results) {
    const m = /^interleaved-(\w+)-(\d+)pct$/.exec(r.scenario.id);
    if (!m || r.scenario.faultAt === null) continue;
    const tier = config.transactions.find((t) => t.id === m[1])?.tier ?? 'core';
    const share = Number(m[2]) / 100;
    const sim = timeToAlert(config, tier, share, 2000, 86_400, 20_261_125);
    const hit = r.first.ours.filter((x) => IMPACT.includes(x.labels.alertname ?? '')).sort((a, b) => a.value - b.value)[0];
    const replayed = hit ? `${duration(hit.value - r.scenario.faultAt)} (${(hit.labels.alertname ?? '').replace(/^ChannelHealth/, '')}, ${hit.labels.severity})` : `none within ${duration(r.scenario.seconds - r.scenario.faultAt)}`;
    const simulated = sim.median === null ? `none within 24h in ${Math.round((1 - sim.alerted) * 100)}% of faults` : `median ${duration(sim.median)}, 90th percentile ${sim.p90 === null ? '> 24h' : duration(sim.p90)}`;
    const agrees =
      sim.median === null ? (hit ? 'DISAGREES' : 'agrees') : hit && hit.value - r.scenario.faultAt <= (sim.p90 ?? 86_400) + 60 ? 'agrees' : 'DISAGREES';
    out.push(`- ${tier} at ${share * 100}% (${r.scenario.id}): hard down or failure share after ${replayed}; docs/alerting.md's simulation: ${simulated} — ${agrees}.`);
  }
  for (const r of results) {
    if (!r.scenario.id.startsWith('traffic-drop') || r.scenario.faultAt === null) continue;
    const share = config.alerting.trafficDrop.share;
    const expected = ((1 - share) / (1 - TRAFFIC_DROP_TO)) * 3600;
    // One pair warns; every channel at once pages.
    const wanted = r.scenario.id === 'traffic-drop-everywhere' ? 'ChannelHealthTrafficDropEverywhere' : 'ChannelHealthTrafficDrop';
    const hit = r.first.ours.filter((x) => x.labels.alertname === wanted).sort((a, b) => a.value - b.value)[0];
    const took = hit ? hit.value - r.scenario.faultAt : null;
    // The traffic of the hour of the week rises or falls within the hour, so the crossing moves by minutes.
    const agrees = took !== null && Math.abs(took - expected) <= 600 ? 'agrees' : 'DISAGREES';
    out.push(
      `- ${r.scenario.id}: ${hit ? `${(hit.labels.alertname ?? '').replace(/^ChannelHealth/, '')} (${hit.labels.severity}) after ${duration(took as number)}` : 'no traffic alert'}; ` +
        `docs/alerting.md: a drop to ${TRAFFIC_DROP_TO * 100}% is seen after (1 − ${share})/(1 − ${TRAFFIC_DROP_TO}) of an hour, ${duration(expected)} — ${agrees}.`,
    );
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { record: { type: 'boolean' }, only: { type: 'string' }, config: { type: 'string' }, days: { type: 'string' } } });
  const days = Number(values.days ?? 30);
  if (!Number.isInteger(days) || days < 1 || days > 30) throw new Error(`--days must be a whole number of days from 1 to 30 (got ${values.days})`);
  const config = await loadConfigFile(values.config ?? path.join(REPO, 'channel-health.yaml'));
  const wanted = values.only?.split(',');
  const list = scenarios(config, days).filter((s) => !wanted || wanted.includes(s.id));
  const dir = await mkdtemp(path.join(tmpdir(), 'ch-detection-'));
  const machine = machineInfo();
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
  const lines = [
    `Recorded by \`npm run bench:detection${[days === 30 ? '' : ` --days ${days}`, wanted ? ` --only ${wanted.join(',')}` : ''].join('').replace(/^ /, ' -- ')}\` on ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}: ` +
      `promtool replays each scenario against our generated rules and, side by side, a baseline of plain workbook burn-rate rules on the probes${month ? `; the healthy replay covers ${days} day${days === 1 ? '' : 's'}` : ''}.`,
    `Machine: ${machine.nproc} CPUs (${machine.cpuModel}), Node ${machine.node}, promtool; load average ${machine.loadAverageStart} at start, ${currentLoad()} at end ` +
      `(shared; the load moves how long promtool takes, not the figures, which are in replayed time). Replay took ${Math.round(results.reduce((a, r) => a + r.seconds, 0))} s.`,
    '',
    table(results),
    '',
  ];
  if (hard) {
    const page = hard.first.ours.filter((x) => x.labels.severity === 'page').sort((a, b) => a.value - b.value)[0];
    const took = page ? page.value - (hard.scenario.faultAt as number) : Number.NaN;
    lines.push(`- Goal, hard-down core pages within ${n} × 30s + one scrape + one evaluation (${bound}s): ${Number.isNaN(took) ? 'no page' : `${took}s`} — ${took <= bound ? 'met' : 'MISSED'}.`);
  }
  lines.push(...againstDocs(config, results));
  for (const r of results) {
    const named = [...r.falseAlerts.ours, ...r.falseAlerts.baseline].map((x) => `${(x.labels.alertname ?? '').replace(/^ChannelHealth/, '')}/${x.labels.severity} ${x.value}`);
    if (named.length > 0 && r.scenario.faultAt !== null) lines.push(`- False alerts before the fault in "${r.scenario.title}": ${named.join(', ')}.`);
  }
  if (month) {
    const pages = month.falseAlerts.ours.filter((x) => x.labels.severity === 'page').reduce((a, x) => a + x.value, 0);
    const basePages = month.falseAlerts.baseline.filter((x) => x.labels.severity === 'page').reduce((a, x) => a + x.value, 0);
    lines.push(`- Goal, zero false pages in the healthy month (${days} days replayed): ${pages} — ${pages === 0 ? 'met' : 'MISSED'}; the baseline pages ${basePages} times.`);
    const byAlert = [...month.falseAlerts.ours, ...month.falseAlerts.baseline].map((x) => `${x.labels.alertname}/${x.labels.severity} ${x.value}`).join(', ');
    lines.push(`- Healthy-month alerts by name: ${byAlert || 'none'}.`);
  }
  const traffic = results.find((r) => r.scenario.id === 'healthy-month-traffic');
  if (traffic) {
    const pages = traffic.falseAlerts.ours.filter((x) => x.labels.severity === 'page').reduce((a, x) => a + x.value, 0);
    const byAlert = traffic.falseAlerts.ours.map((x) => `${x.labels.alertname}/${x.labels.severity} ${x.value}`).join(', ');
    lines.push(`- Goal, zero false pages in the healthy traffic month (30 days, the week's shape and a holiday): ${pages} — ${pages === 0 ? 'met' : 'MISSED'}; alerts by name: ${byAlert || 'none'}.`);
  }
  lines.push(
    `- Probes every ${STEP_SECONDS}s, scraped and evaluated every ${STEP_SECONDS}s (promtool, recording groups evaluated before alert groups); seed ${SEED}. ` +
      'Times are from the fault to the first alert (its name in brackets); "first alert" is any severity. ' +
      `The scenarios of real events only (traffic drops, the traffic month: a week and more each) replay at ${[...new Set(results.filter((r) => stepOf(r.scenario) !== STEP_SECONDS).map((r) => `${stepOf(r.scenario)}s`))].join(', ') || '300s'} steps.`,
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
