// Turning the figures into the printed table, the goals verdicts and the RESULTS.md section.
import type { MachineInfo } from './machine.js';
import type { MemoryResult } from './memory.js';
import type { ProbeCostResult } from './probe-cost.js';
import type { ScheduleResult } from './schedule-precision.js';
import type { ScrapeResult } from './scrape-cost.js';

export interface BenchResults {
  mode: 'quick' | 'full';
  command: string;
  date: string;
  machine: MachineInfo;
  /** The headline: our single-step probe CPU over blackbox_exporter's, same run. */
  probeCpuRatioVsBlackbox: number | null;
  probe: ProbeCostResult | null;
  schedule: ScheduleResult[];
  scrape: (ScrapeResult & { blackboxSeriesPerTarget: number | null }) | null;
  memory: MemoryResult | null;
  goals: Goal[];
}

export interface Goal {
  goal: string;
  target: string;
  measured: string;
  met: boolean;
}

const f = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

export function goalsOf(r: Omit<BenchResults, 'goals'>): Goal[] {
  const goals: Goal[] = [];
  if (r.probe) {
    goals.push({ goal: 'probe CPU vs blackbox_exporter (1-step HTTP)', target: '≤ 1.0 (aim 0.5)', measured: f(r.probe.probeCpuRatioVsBlackbox), met: r.probe.probeCpuRatioVsBlackbox <= 1 });
  }
  const at5000 = r.schedule.filter((s) => s.checks >= 5000);
  for (const s of at5000) {
    goals.push({
      goal: `start lag at ${s.checks} checks / ${s.interval} (${s.runner === 'stub' ? 'scheduler alone' : 'real probes'})`,
      target: 'p99 ≤ 20 ms, 0 missed',
      measured: `p99 ${f(s.lagP99Ms, 1)} ms, ${s.missedRuns} missed`,
      met: s.lagP99Ms <= 20 && s.missedRuns === 0,
    });
  }
  if (r.scrape) {
    goals.push({ goal: '/metrics, every series changed, scaled to 50,000 series', target: '≤ 250 ms', measured: `${f(r.scrape.httpMsPer50kSeries, 0)} ms (CPU ${f((r.scrape.httpCpuMedianMs * 50_000) / r.scrape.series, 0)} ms)`, met: r.scrape.httpMsPer50kSeries <= 250 });
    const s = r.scrape;
    goals.push({
      goal: '/metrics, unchanged registry scraped again',
      target: 'rendering ≤ 10 % of a full scrape (CPU)',
      measured: `rendering ${f((s.unchangedRenderCpuMedianMs * 50_000) / s.series, 1)} ms CPU per 50k series (${f((100 * s.unchangedRenderCpuMedianMs) / s.httpCpuMedianMs, 1)} %; wall ${f((s.unchangedRenderMedianMs * 50_000) / s.series, 1)} ms); with sending the bytes ${f(s.unchangedMsPer50kSeries, 1)} ms`,
      met: s.unchangedRenderCpuMedianMs <= 0.1 * s.httpCpuMedianMs,
    });
  }
  return goals;
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  return [line(headers), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)].join('\n');
}

/** Markdown tables: printed by the bench and recorded in RESULTS.md, so both read the same. */
export function renderTables(r: BenchResults): string {
  const out: string[] = [];
  if (r.probe) {
    const p = r.probe;
    out.push(
      `Probe cost (${p.rounds} rounds × ${p.probes} probes per subject at ${p.rate}/s, subjects alternating; CPU of the probing process from /proc). ` +
        `Ratio to blackbox over all rounds: ${f(p.probeCpuRatioVsBlackbox)}; per round: ${p.perRoundRatios.map((x) => f(x)).join(', ')}.`,
      '',
      table(
        ['subject', 'CPU s / 1,000', 'vs blackbox', 'per round (ms/probe)', 'failed'],
        p.subjects.map((s, i) => [s.subject, f(s.cpuSecondsPer1000, 3), i === 1 ? '1.00' : f(s.cpuMsPerProbe / (p.subjects[1]?.cpuMsPerProbe ?? NaN)), s.perRoundMs.map((x) => f(x, 3)).join(', '), String(s.failed)]),
      ),
      '',
    );
  }
  if (r.schedule.length > 0) {
    out.push(
      'Schedule precision (start lag = runner start − planned time; "waiting for a CPU": share of the run the event loop was ready but other processes held the cores; "p99 on our CPU": each lag bounded by the CPU the process used while that firing waited, i.e. what our own timers, recording, logging and GC can account for; "late, process off CPU": firings over 20 ms during whose wait the process used under half the time in CPU):',
      '',
      table(
        ['checks', 'interval', 'runner', 'seconds', 'runs', 'missed', 'p50 ms', 'p99 ms', 'max ms', 'p99 on our CPU ms', 'late, process off CPU', 'CPU (share of a core)', 'waiting for a CPU'],
        r.schedule.map((s) => [
          String(s.checks), s.interval, s.runner, String(s.durationMs / 1000), String(s.firings), String(s.missedRuns + s.unplannedRuns),
          f(s.lagP50Ms, 1), f(s.lagP99Ms, 1), f(s.lagMaxMs, 1), f(s.lagP99OnCpuMs, 1), `${s.lateOffCpu} of ${s.lateFirings}`, f(s.cpuCoreShare, 3), `${f(s.runQueueWaitShare * 100, 1)} %`,
        ]),
      ),
      '',
    );
  }
  if (r.scrape) {
    const s = r.scrape;
    out.push(
      `Scrape cost (${s.checks} checks × ${s.locations} locations, every histogram populated; GET /metrics medians with every series changed since the last scrape, a tenth of the checks changed, nothing changed; prom-client's registry.metrics() alone for comparison):`,
      '',
      table(
        ['series', 'size', 'every series changed', 'max', 'CPU', 'per 50k series', 'a tenth changed', 'unchanged', 'CPU', 'of which rendering', 'unchanged per 50k', 'registry.metrics()', 'loop held at most', 'series per check', 'blackbox series per target'],
        [[
          String(s.series), `${(s.bytes / 1048576).toFixed(1)} MiB`, `${f(s.httpMedianMs, 0)} ms`, `${f(s.httpMaxMs, 0)} ms`, `${f(s.httpCpuMedianMs, 0)} ms`, `${f(s.httpMsPer50kSeries, 0)} ms`,
          `${f(s.tenthChangedMedianMs, 0)} ms`, `${f(s.unchangedMedianMs, 1)} ms`, `${f(s.unchangedCpuMedianMs, 1)} ms`, `${f(s.unchangedRenderMedianMs, 1)} ms`, `${f(s.unchangedMsPer50kSeries, 1)} ms`, `${f(s.registryMedianMs, 0)} ms`, `${f(s.loopHeldMaxMs, 0)} ms`,
          f(s.seriesPerCheck, 0), s.blackboxSeriesPerTarget === null ? 'n/a' : String(s.blackboxSeriesPerTarget),
        ]],
      ),
      '',
    );
  }
  if (r.memory) {
    const m = r.memory;
    out.push(
      `Memory (${m.checks} three-step checks, steady state, after GC):`,
      '',
      table(['checks', 'heap', 'RSS', 'heap per check', 'RSS per check', 'marginal heap per check'], [[String(m.checks), kb(m.heapBytes), kb(m.rssBytes), kb(m.heapBytesPerCheck), kb(m.rssBytesPerCheck), kb(m.marginalHeapBytesPerCheck)]]),
      '',
      table(['heap per check, by part', 'bytes'], Object.entries(m.heapBytesPerCheckByPart).map(([part, bytes]) => [part, bytes.toFixed(0)])),
      '',
    );
  }
  if (r.goals.length > 0) {
    out.push('Goals:', '', table(['goal', 'target', 'measured', 'met'], r.goals.map((g) => [g.goal, g.target, g.measured, g.met ? 'yes' : 'NO'])), '');
  }
  return out.join('\n');
}

/** The `## Performance` section of RESULTS.md; other sections belong to other benches. */
export function resultsSection(r: BenchResults): string {
  const m = r.machine;
  return [
    '## Performance',
    '',
    `Recorded by \`${r.command}\` on ${r.date} (${r.mode} run).`,
    `Machine: ${m.nproc} CPUs (${m.cpuModel}), Node ${m.node}, Linux ${m.kernel}; load average ${m.loadAverageStart} at start, ${m.loadAverageEnd ?? 'n/a'} at end (the machine is shared, so absolute figures move; ratios are taken within one run).`,
    `Baseline: prometheus-blackbox-exporter ${r.probe?.blackboxVersion ?? 'n/a'} (Debian). How to read these: docs/performance.md.`,
    '',
    renderTables(r),
  ].join('\n');
}

/** Replaces (or appends) the `## Performance` section of a RESULTS.md text, leaving the rest as it was. */
export function replaceSection(text: string, section: string): string {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trim() === '## Performance');
  const body = section.trimEnd().split('\n');
  if (start < 0) {
    const base = text.trimEnd();
    return `${base}${base ? '\n\n' : '# Bench results\n\n'}${body.join('\n')}\n`;
  }
  let end = lines.findIndex((l, i) => i > start && /^## /.test(l));
  if (end < 0) end = lines.length;
  const after = lines.slice(end);
  return [...lines.slice(0, start), ...body, ...(after.length > 0 ? ['', ...after] : [''])].join('\n');
}
