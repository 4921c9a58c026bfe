// Probe cost per transport: CPU per probe of the shipped balance query over each transport,
// sms.balance_query (one SMS on the channel's shared SMPP bind), ivr.balance_query (a SIP call:
// dial, hear the menu, press 1, hear the balance read digit by digit, hang up; RTP both ways for
// the whole call) and web.balance_query (log in and query over HTTP), each measured from /proc
// in a process that does nothing else, against the sandbox, its SMSC and its IVR in another
// process. Short alternating rounds, as in probe-cost.ts, so every subject sees the same machine
// load. A call lasts seconds of real time (the prompts are played at 8 kHz), so calls run up to
// eight at once (the shipped pool's accounts); the HTTP and SMS probes run one after another.
// Run: npx tsc -p tsconfig.json && node dist/bench/transport-cost.js [probes per round] [rounds] [calls per round]
import { startWorker } from './child.js';
import { processCpuSeconds } from './process-cpu.js';

const perRound = Number(process.argv[2] ?? 200);
const rounds = Number(process.argv[3] ?? 5);
const callsPerRound = Number(process.argv[4] ?? 24);
const server = await startWorker<{ sandboxUrl: string; smppUrl: string; sipUrl: string }>('transport-server');
const subjects = [
  { checkId: 'sms.balance_query', count: perRound, parallel: 1, warmUp: 50 },
  { checkId: 'ivr.balance_query', count: callsPerRound, parallel: 8, warmUp: 8 },
  { checkId: 'web.balance_query', count: perRound, parallel: 1, warmUp: 50 },
];
const args = (checkId: string) => [JSON.stringify({ sandboxUrl: server.ready.sandboxUrl, smppUrl: server.ready.smppUrl, sipUrl: server.ready.sipUrl, checkId })];
const workers = await Promise.all(subjects.map((s) => startWorker('transport-worker', { args: args(s.checkId) })));
const totals = subjects.map(() => ({ cpu: 0, wall: 0, probes: 0, ok: 0, steps: 0, firstFailure: null as string | null }));
try {
  // Warm-up: the bind, the JIT, the connection paths, the prompt references.
  for (const [i, w] of workers.entries()) await w.ask({ type: 'run', count: subjects[i]?.warmUp, parallel: subjects[i]?.parallel }, 'done', 300_000);
  for (let round = 0; round < rounds; round++) {
    for (let j = 0; j < workers.length; j++) {
      const k = (j + round) % workers.length;
      const worker = workers[k];
      const subject = subjects[k];
      const t = totals[k];
      if (!worker || !subject || !t) continue;
      const before = processCpuSeconds(worker.pid);
      const started = performance.now();
      const r = await worker.ask<{ ok: number; firstFailure: string | null; steps: number }>({ type: 'run', count: subject.count, parallel: subject.parallel }, 'done', 600_000);
      t.wall += (performance.now() - started) / 1000;
      t.cpu += processCpuSeconds(worker.pid) - before;
      t.probes += subject.count;
      t.ok += r.ok;
      t.steps = r.steps;
      t.firstFailure ??= r.firstFailure;
    }
  }
} finally {
  for (const w of workers) await w.stop();
  await server.stop();
}
const web = totals[subjects.findIndex((s) => s.checkId === 'web.balance_query')];
const webPerProbe = web ? web.cpu / web.probes : Number.NaN;
const out = subjects.map((s, i) => {
  const t = totals[i] as (typeof totals)[number];
  return {
    check: s.checkId,
    probes: t.probes,
    ok: t.ok,
    parallel: s.parallel,
    stepsPerProbe: t.steps,
    cpuMsPerProbe: +((t.cpu * 1000) / t.probes).toFixed(3),
    cpuMsPerStep: +((t.cpu * 1000) / t.probes / t.steps).toFixed(3),
    vsWebProbe: +(t.cpu / t.probes / webPerProbe).toFixed(2),
    wallSecondsPerProbe: +((t.wall / t.probes) * s.parallel).toFixed(3),
    firstFailure: t.firstFailure,
  };
});
process.stdout.write(`${JSON.stringify({ perRound, rounds, callsPerRound, subjects: out }, null, 2)}\n`);
