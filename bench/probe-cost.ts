// Part 1, probe cost: CPU per probe of our runner against blackbox_exporter, same target, same
// rate, same way of measuring (/proc/<pid>/stat of the process that probes). Each subject is
// warmed up first (JIT, connection setup paths). Then the subjects take turns in many short
// rounds, in a rotating order, and each subject's cost is its total CPU over its total probes:
// on a shared machine the load drifts, and short alternating slices let every subject see the
// same drift, where one long run each would measure the neighbours as much as the subject.
import { blackboxProbeExposition, countSeries, driveBlackbox, startBlackbox, type Blackbox } from './blackbox.js';
import { startWorker, type Worker } from './child.js';
import { processCpuSeconds } from './process-cpu.js';
import type { ProbeMode } from './probe-worker.js';

export interface ProbeCostOptions {
  probes: number;
  /** Probes per second, for every subject. */
  rate: number;
  warmup: number;
  rounds: number;
  /** Passed to our prober's process, e.g. ['--cpu-prof', '--cpu-prof-dir=…'] to profile it. */
  execArgv?: string[];
}

export interface SubjectCost {
  subject: string;
  /** CPU milliseconds per probe (all rounds: total CPU / total probes). */
  cpuMsPerProbe: number;
  /** CPU seconds per 1,000 probes (the same figure in the unit). */
  cpuSecondsPer1000: number;
  perRoundMs: number[];
  ok: number;
  failed: number;
  firstFailure: string | null;
}

export interface ProbeCostResult {
  probes: number;
  rate: number;
  rounds: number;
  blackboxVersion: string;
  subjects: SubjectCost[];
  /** Our single-step probe CPU / blackbox's over all rounds; the headline figure. */
  probeCpuRatioVsBlackbox: number;
  /** The same ratio in each round, to show the spread the machine's load causes. */
  perRoundRatios: number[];
  /** Our three-step transaction CPU / one blackbox single-step probe (blackbox cannot chain steps). */
  threeStepCpuRatioVsBlackboxProbe: number;
  bareHttpCpuRatioVsBlackbox: number;
  blackboxSeriesPerTarget: number;
}

interface Subject {
  name: string;
  pid: number;
  run(count: number): Promise<{ ok: number; failed: number; firstFailure: string | null }>;
}

export async function measureProbeCost(o: ProbeCostOptions): Promise<ProbeCostResult> {
  const stops: Array<() => Promise<void>> = [];
  try {
    const target = await startWorker<{ url: string }>('target-server');
    stops.push(target.stop);
    const targetUrl = target.ready.url;
    const bb: Blackbox = await startBlackbox();
    stops.push(bb.stop);

    const workerSubject = async (name: string, mode: ProbeMode, execArgv: string[] = []): Promise<Subject> => {
      const w: Worker = await startWorker(`probe-worker`, { args: [JSON.stringify({ targetUrl, mode })], execArgv });
      stops.push(w.stop);
      return {
        name,
        pid: w.pid,
        run: (count) => w.ask({ type: 'run', count, rate: o.rate }, 'done', (count / o.rate) * 1000 + 60_000),
      };
    };
    const subjects: Subject[] = [
      await workerSubject('channel-health, 1-step HTTP probe', 'runner-single', o.execArgv),
      { name: `blackbox_exporter http_2xx`, pid: bb.pid, run: (count) => driveBlackbox(bb, targetUrl, count, o.rate) },
      await workerSubject('bare node:http GET (floor)', 'bare-http'),
      await workerSubject('channel-health, 3-step transaction', 'runner-three', o.execArgv),
    ];

    const perRound = new Map<string, { ms: number[]; ok: number; failed: number; firstFailure: string | null }>();
    for (const s of subjects) {
      await s.run(o.warmup);
      perRound.set(s.name, { ms: [], ok: 0, failed: 0, firstFailure: null });
    }
    for (let round = 0; round < o.rounds; round++) {
      const order = subjects.map((_, i) => subjects[(i + round) % subjects.length] as Subject);
      for (const s of order) {
        await new Promise((r) => setTimeout(r, 200));
        const before = processCpuSeconds(s.pid);
        const outcome = await s.run(o.probes);
        const cpu = processCpuSeconds(s.pid) - before;
        const acc = perRound.get(s.name) as { ms: number[]; ok: number; failed: number; firstFailure: string | null };
        acc.ms.push((cpu * 1000) / o.probes);
        acc.ok += outcome.ok;
        acc.failed += outcome.failed;
        acc.firstFailure ??= outcome.firstFailure;
      }
    }
    const costs: SubjectCost[] = subjects.map((s) => {
      const acc = perRound.get(s.name) as { ms: number[]; ok: number; failed: number; firstFailure: string | null };
      const ms = acc.ms.reduce((a, b) => a + b, 0) / acc.ms.length;
      return { subject: s.name, cpuMsPerProbe: ms, cpuSecondsPer1000: ms, perRoundMs: acc.ms, ok: acc.ok, failed: acc.failed, firstFailure: acc.firstFailure };
    });
    const [ours, blackbox, bare, three] = costs as [SubjectCost, SubjectCost, SubjectCost, SubjectCost];
    const perRoundRatios = ours.perRoundMs.map((ms, i) => ms / (blackbox.perRoundMs[i] as number));
    const exposition = await blackboxProbeExposition(bb, targetUrl);
    return {
      probes: o.probes,
      rate: o.rate,
      rounds: o.rounds,
      blackboxVersion: bb.version,
      subjects: costs,
      probeCpuRatioVsBlackbox: ours.cpuMsPerProbe / blackbox.cpuMsPerProbe,
      perRoundRatios,
      threeStepCpuRatioVsBlackboxProbe: three.cpuMsPerProbe / blackbox.cpuMsPerProbe,
      bareHttpCpuRatioVsBlackbox: bare.cpuMsPerProbe / blackbox.cpuMsPerProbe,
      blackboxSeriesPerTarget: countSeries(exposition),
    };
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
}
