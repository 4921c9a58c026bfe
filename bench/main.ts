// `npm run bench` / `npm run bench:quick`: every part in turn, a table on stdout, the figures in
// bench/results/latest.json, and with --record the `## Performance` section of bench/RESULTS.md.
// Every part runs in child processes on 127.0.0.1 and is bounded in time; nothing is left running.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT, startWorker } from './child.js';
import { BenchError } from './errors.js';
import { currentLoad, machineInfo } from './machine.js';
import { measureMemory, type MemoryResult } from './memory.js';
import { measureProbeCost, type ProbeCostOptions, type ProbeCostResult } from './probe-cost.js';
import { goalsOf, renderTables, replaceSection, resultsSection, type BenchResults } from './report.js';
import { measureSchedule, type ScheduleResult, type ScheduleScenario } from './schedule-precision.js';
import { measureScrape, type ScrapeResult } from './scrape-cost.js';
import type { ScrapeInit } from './scrape-worker.js';

const PARTS = ['probe', 'schedule', 'scrape', 'memory'] as const;
type Part = (typeof PARTS)[number];

interface Plan {
  probe: ProbeCostOptions;
  schedule: ScheduleScenario[];
  scrape: ScrapeInit;
  memoryChecks: number;
}

/** The full run: about eight minutes on two cores. */
export const FULL_PLAN: Plan = {
  probe: { probes: 250, rate: 200, warmup: 300, rounds: 20 },
  schedule: [
    { checks: 1000, interval: '30s', durationMs: 120_000, runner: 'stub' },
    { checks: 5000, interval: '30s', durationMs: 120_000, runner: 'stub' },
    { checks: 5000, interval: '30s', durationMs: 64_000, runner: 'probe' },
  ],
  // 5 channels × 10 variants (as channels) × 7 transactions = 350 checks, at 10 locations: over
  // 50,000 series at about 16 per check, so the per-50k figure is measured, not extrapolated.
  scrape: { checks: 350, locations: 10, renders: 10 },
  memoryChecks: 5000,
};

/**
 * About 35 s on an unloaded machine (the build before it takes 10–30 s): fewer probes, one
 * schedule scenario at three times the firing rate of 30 s, the scrape config at 2 locations
 * instead of 5 (series per check are the same), memory at 1,000 checks.
 */
export const QUICK_PLAN: Plan = {
  probe: { probes: 125, rate: 200, warmup: 50, rounds: 4 },
  schedule: [{ checks: 5000, interval: '10s', durationMs: 11_000, runner: 'stub' }],
  scrape: { checks: 350, locations: 2, renders: 2 },
  memoryChecks: 1000,
};

export interface RunOptions {
  mode: 'quick' | 'full';
  plan: Plan;
  parts: readonly Part[];
  command: string;
  /** Progress lines (stderr by default). */
  progress?: (line: string) => void;
  probeExecArgv?: string[];
}

export async function runBench(o: RunOptions): Promise<BenchResults> {
  const say = o.progress ?? ((line: string) => process.stderr.write(`${line}\n`));
  const machine = machineInfo();
  const started = Date.now();
  let probe: ProbeCostResult | null = null;
  const schedule: ScheduleResult[] = [];
  let scrape: ScrapeResult | null = null;
  let memory: MemoryResult | null = null;

  if (o.parts.includes('probe')) {
    say(`probe cost: ${o.plan.probe.probes} probes × 4 subjects × ${o.plan.probe.rounds} round(s) at ${o.plan.probe.rate}/s…`);
    probe = await measureProbeCost({ ...o.plan.probe, ...(o.probeExecArgv ? { execArgv: o.probeExecArgv } : {}) });
  }
  if (o.parts.includes('schedule')) {
    const needsTarget = o.plan.schedule.some((s) => s.runner === 'probe');
    const target = needsTarget ? await startWorker<{ url: string }>('target-server') : null;
    try {
      for (const scenario of o.plan.schedule) {
        say(`schedule: ${scenario.checks} checks every ${scenario.interval}, ${scenario.runner} runner, ${scenario.durationMs / 1000} s…`);
        // A closed port for the stub runner: it never connects anywhere.
        schedule.push(await measureSchedule(scenario, target?.ready.url ?? 'http://127.0.0.1:9'));
      }
    } finally {
      await target?.stop();
    }
  }
  if (o.parts.includes('scrape')) {
    say(`scrape: ${o.plan.scrape.checks} checks × ${o.plan.scrape.locations} locations…`);
    scrape = await measureScrape(o.plan.scrape);
  }
  if (o.parts.includes('memory')) {
    say(`memory: ${o.plan.memoryChecks} checks…`);
    memory = await measureMemory(o.plan.memoryChecks);
  }
  machine.loadAverageEnd = currentLoad();
  const partial: Omit<BenchResults, 'goals'> = {
    mode: o.mode,
    command: o.command,
    date: new Date(started).toISOString().replace(/\.\d+Z$/, 'Z'),
    machine,
    probeCpuRatioVsBlackbox: probe?.probeCpuRatioVsBlackbox ?? null,
    probe,
    schedule,
    scrape: scrape ? { ...scrape, blackboxSeriesPerTarget: probe?.blackboxSeriesPerTarget ?? null } : null,
    memory,
  };
  say(`done in ${Math.round((Date.now() - started) / 1000)} s`);
  return { ...partial, goals: goalsOf(partial) };
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        quick: { type: 'boolean' },
        record: { type: 'boolean' },
        profile: { type: 'boolean' },
        only: { type: 'string' },
        schedule: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new BenchError('CH_BENCH_USAGE', (err as Error).message);
  }
  if (values.help) {
    process.stdout.write(`Usage: node dist/bench/main.js [--quick] [--only probe,schedule,scrape,memory] [--record] [--profile]

  --quick    under a minute (npm run bench:quick); default is the full run (npm run bench)
  --only     run some parts only
  --record   write the figures into the "## Performance" section of bench/RESULTS.md
  --profile  run our prober with --cpu-prof; the profiles' folder is printed
  --schedule CHECKS@INTERVAL/SECONDS  the schedule part runs this one scenario (stub runner) instead,
             e.g. 5000@30s/60: the scheduler alone, without the five minutes of the full plan
`);
    return 0;
  }
  const parts = values.only ? (values.only.split(',').map((p) => p.trim()) as Part[]) : [...PARTS];
  const unknown = parts.filter((p) => !(PARTS as readonly string[]).includes(p));
  if (unknown.length > 0) throw new BenchError('CH_BENCH_USAGE', `--only: unknown part(s) ${unknown.join(', ')} (known: ${PARTS.join(', ')})`);
  const mode = values.quick ? 'quick' : 'full';
  let plan = values.quick ? QUICK_PLAN : FULL_PLAN;
  if (values.schedule !== undefined) {
    const m = /^(\d+)@(\d+[smh])\/(\d+)$/.exec(values.schedule);
    if (!m) throw new BenchError('CH_BENCH_USAGE', `--schedule: "${values.schedule}" must be CHECKS@INTERVAL/SECONDS, e.g. 5000@30s/60`);
    plan = { ...plan, schedule: [{ checks: Number(m[1]), interval: m[2] as string, durationMs: Number(m[3]) * 1000, runner: 'stub' }] };
  }
  const profileDir = values.profile ? path.join(tmpdir(), `ch-bench-profiles-${process.pid}`) : null;
  const flags = [values.only ? `--only ${values.only}` : '', values.schedule ? `--schedule ${values.schedule}` : ''].filter(Boolean).join(' ');
  const command = `npm run ${values.quick ? 'bench:quick' : 'bench'}${flags ? ` -- ${flags}` : ''}`;
  const results = await runBench({
    mode,
    plan,
    parts,
    command,
    ...(profileDir ? { probeExecArgv: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] } : {}),
  });
  process.stdout.write(`\n${renderTables(results)}\n`);
  const resultsDir = path.join(REPO_ROOT, 'bench', 'results');
  await mkdir(resultsDir, { recursive: true });
  const jsonFile = path.join(resultsDir, 'latest.json');
  await writeFile(jsonFile, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`figures written to ${path.relative(process.cwd(), jsonFile)}\n`);
  if (profileDir) process.stdout.write(`CPU profiles of our probers in ${profileDir} (open in Chrome DevTools → Performance)\n`);
  if (values.record) {
    const file = path.join(REPO_ROOT, 'bench', 'RESULTS.md');
    const before = await readFile(file, 'utf8').catch(() => '');
    await writeFile(file, replaceSection(before, resultsSection(results)));
    process.stdout.write(`recorded in ${path.relative(process.cwd(), file)} (## Performance)\n`);
  }
  return 0;
}

// Imported by the harness test for runBench; run as a program only when it is the entry point.
if (process.argv[1] && path.resolve(process.argv[1]) === path.join(REPO_ROOT, 'dist', 'bench', 'main.js')) {
  main().then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      if (err instanceof BenchError) {
        process.stderr.write(`bench: ${err.code}: ${err.message}\n`);
        process.exitCode = err.exitCode;
        return;
      }
      process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
