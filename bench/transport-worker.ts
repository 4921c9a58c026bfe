// Child process: the prober under measurement for the transport-cost bench. It runs one check of
// the shipped config (sms.balance_query: one SMS step on the shared bind; ivr.balance_query: a
// call that dials, hears the menu, presses 1 and hears the balance read digit by digit;
// web.balance_query: log in and query over HTTP) as many times as asked, up to `parallel` at
// once, and nothing else, so its CPU (read by the parent from /proc) is the cost of those probes.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../config/index.js';
import { TestAccountPool } from '../synthetic/accounts.js';
import { createProbers } from '../synthetic/probers/index.js';
import { createRunner } from '../synthetic/runner.js';
import { REPO_ROOT } from './child.js';
import { BENCH_IVR_PASSWORD, BENCH_PIN, BENCH_SMSC_PASSWORD } from './transport-bench-secrets.js';

const init = JSON.parse(process.argv[2] ?? '{}') as { sandboxUrl: string; smppUrl: string; sipUrl: string; checkId: string };
const text = readFileSync(path.join(REPO_ROOT, 'channel-health.yaml'), 'utf8')
  .replace(/\{\{sandbox\.url\}\}/g, init.sandboxUrl)
  .replace(/\{\{sandbox\.smppUrl\}\}/g, init.smppUrl)
  .replace(/\{\{sandbox\.sipUrl\}\}/g, init.sipUrl)
  .replace('sandbox: true', 'sandbox: false');
const config = parseConfig(text, path.join(REPO_ROOT, 'channel-health.yaml'));
const check = config.checks.find((c) => c.id === init.checkId);
if (!check) throw new Error(`no check ${init.checkId}`);
const pools = new Map(Object.entries(config.accounts).map(([name, list]) => [name, new TestAccountPool(name, list.map((a) => ({ msisdn: a.msisdn, pin: BENCH_PIN })))]));
const probers = createProbers({ readSecret: (_ref, where) => (where.includes('sip') ? BENCH_IVR_PASSWORD : BENCH_SMSC_PASSWORD) });
probers.prepare(config.channels);
const runner = createRunner({ config, probers: probers.probers, accountPools: pools, rateLimiters: new Map(), sandboxUrl: null, location: 'bench' });

process.on('message', (m: { type?: string; count?: number; parallel?: number }) => {
  if (m?.type !== 'run') return;
  void (async () => {
    let ok = 0;
    let next = 0;
    let firstFailure: string | null = null;
    const lane = async () => {
      while (next < (m.count ?? 0)) {
        next += 1;
        const r = await runner.run(check, { trigger: 'schedule', scheduledAt: Date.now() });
        if (r.ok) ok += 1;
        else firstFailure ??= `${r.reason}: ${r.detail}`;
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, m.parallel ?? 1) }, lane));
    process.send?.({ type: 'done', ok, firstFailure, steps: check.steps.length });
  })().catch((err: Error) => process.send?.({ type: 'error', error: err.message }));
});
process.on('disconnect', () => {
  void probers.close().then(() => process.exit(0));
});
process.send?.({ type: 'ready' });
