// SMS probe cost: CPU per probe of sms.balance_query (one SMS on the channel's shared SMPP bind)
// beside web.balance_query (log in and query over HTTP), each measured from /proc in a process
// that does nothing else, against the sandbox and its SMSC running in a third process. Short
// alternating rounds, as in probe-cost.ts, so both subjects see the same machine load.
// Run: npx tsc -p tsconfig.json && node dist/bench/smpp-cost.js [probes per round] [rounds]
import { startWorker } from './child.js';
import { processCpuSeconds } from './process-cpu.js';

const perRound = Number(process.argv[2] ?? 200);
const rounds = Number(process.argv[3] ?? 5);
const server = await startWorker<{ sandboxUrl: string; smppUrl: string }>('smpp-server');
const subjects = ['sms.balance_query', 'web.balance_query'];
const workers = await Promise.all(subjects.map((checkId) => startWorker('smpp-worker', { args: [JSON.stringify({ sandboxUrl: server.ready.sandboxUrl, smppUrl: server.ready.smppUrl, checkId })] })));
const totals = subjects.map(() => ({ cpu: 0, probes: 0, ok: 0, steps: 0, firstFailure: null as string | null }));
try {
  // Warm-up: the bind, the JIT, the connection paths.
  for (const w of workers) await w.ask({ type: 'run', count: 50 }, 'done', 120_000);
  for (let round = 0; round < rounds; round++) {
    for (const [i, w] of workers.entries()) {
      const k = (i + round) % workers.length;
      const worker = workers[k] ?? w;
      const before = processCpuSeconds(worker.pid);
      const r = await worker.ask<{ ok: number; firstFailure: string | null; steps: number }>({ type: 'run', count: perRound }, 'done', 300_000);
      const t = totals[k] as (typeof totals)[number];
      t.cpu += processCpuSeconds(worker.pid) - before;
      t.probes += perRound;
      t.ok += r.ok;
      t.steps = r.steps;
      t.firstFailure ??= r.firstFailure;
    }
  }
} finally {
  for (const w of workers) await w.stop();
  await server.stop();
}
const out = subjects.map((s, i) => {
  const t = totals[i] as (typeof totals)[number];
  return { check: s, probes: t.probes, ok: t.ok, stepsPerProbe: t.steps, cpuMsPerProbe: +((t.cpu * 1000) / t.probes).toFixed(3), cpuMsPerStep: +((t.cpu * 1000) / t.probes / t.steps).toFixed(3), firstFailure: t.firstFailure };
});
process.stdout.write(`${JSON.stringify({ perRound, rounds, subjects: out }, null, 2)}\n`);
