// Child process: the prober under measurement. It runs probes at the rate the parent asks and
// nothing else, so its CPU (read by the parent from /proc) is the cost of probing.
//   runner-single / runner-three: our runner + PROBERS, results into the collector's sink,
//     exactly as `channel-health run` wires them;
//   bare-http: node:http GET on a fresh connection per probe, the floor Node can reach.
import { request } from 'node:http';
import { Registry } from 'prom-client';
import { createMetrics } from '../collector/metrics.js';
import { ResultStore } from '../collector/result-store.js';
import { createResultSink } from '../collector/result-sink.js';
import { TestAccountPool } from '../synthetic/accounts.js';
import { PROBERS } from '../synthetic/probers/index.js';
import { createRunner } from '../synthetic/runner.js';
import { benchConfig } from './large-config.js';
import { paced } from './pacing.js';

export type ProbeMode = 'runner-single' | 'runner-three' | 'bare-http';

interface Init {
  targetUrl: string;
  mode: ProbeMode;
}

const init = JSON.parse(process.argv[2] ?? '{}') as Init;

function bareGet(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}

function makeProbe(): () => Promise<{ ok: boolean; detail: string | null }> {
  if (init.mode === 'bare-http') {
    const url = `${init.targetUrl}/bare/query`;
    return async () => ({ ok: await bareGet(url), detail: null });
  }
  const config = benchConfig({ targetUrl: init.targetUrl, checks: 7, flow: init.mode === 'runner-three' ? 'three' : 'single' });
  const accountPools = new Map(Object.entries(config.accounts).map(([name, accounts]) => [name, new TestAccountPool(name, accounts.map((a) => ({ msisdn: a.msisdn, pin: '' })))]));
  const runner = createRunner({ config, probers: PROBERS, accountPools, rateLimiters: new Map(), sandboxUrl: null, location: config.service.location });
  const metrics = createMetrics(new Registry(), config, { version: 'bench' });
  const sink = createResultSink(config, metrics, new ResultStore(config.service.resultsRetained));
  let i = 0;
  return async () => {
    const check = config.checks[i++ % config.checks.length];
    if (!check) throw new Error('no checks in the bench config');
    const result = await runner.run(check, { trigger: 'schedule', scheduledAt: Date.now() });
    sink.accept(result);
    return { ok: result.ok, detail: result.ok ? null : `${result.reason} at ${result.failedStep}: ${result.detail}` };
  };
}

const probe = makeProbe();

process.on('message', (m: { type?: string; count?: number; rate?: number }) => {
  if (m?.type !== 'run') return;
  let ok = 0;
  let failed = 0;
  let firstFailure: string | null = null;
  paced(m.count ?? 0, m.rate ?? 100, async () => {
    const outcome = await probe();
    if (outcome.ok) ok++;
    else {
      failed++;
      firstFailure ??= outcome.detail;
    }
  }).then(
    () => process.send?.({ type: 'done', ok, failed, firstFailure }),
    (err: unknown) => process.send?.({ type: 'error', error: String(err) }),
  );
});
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'ready' });
