// Child process: the prober under measurement for the SMS-cost bench. It runs one check of the
// shipped config (sms.balance_query: one SMS step on the shared bind; web.balance_query: log in
// and query over HTTP) back to back as many times as asked, and nothing else, so its CPU (read by
// the parent from /proc) is the cost of those probes.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../config/index.js';
import { TestAccountPool } from '../synthetic/accounts.js';
import { createProbers } from '../synthetic/probers/index.js';
import { createRunner } from '../synthetic/runner.js';
import { REPO_ROOT } from './child.js';
import { BENCH_PIN, BENCH_SMSC_PASSWORD } from './smpp-bench-secrets.js';

const init = JSON.parse(process.argv[2] ?? '{}') as { sandboxUrl: string; smppUrl: string; checkId: string };
const text = readFileSync(path.join(REPO_ROOT, 'channel-health.yaml'), 'utf8')
  .replace(/\{\{sandbox\.url\}\}/g, init.sandboxUrl)
  .replace(/\{\{sandbox\.smppUrl\}\}/g, init.smppUrl)
  .replace('sandbox: true', 'sandbox: false');
const config = parseConfig(text, path.join(REPO_ROOT, 'channel-health.yaml'));
const check = config.checks.find((c) => c.id === init.checkId);
if (!check) throw new Error(`no check ${init.checkId}`);
const pools = new Map(Object.entries(config.accounts).map(([name, list]) => [name, new TestAccountPool(name, list.map((a) => ({ msisdn: a.msisdn, pin: BENCH_PIN })))]));
const probers = createProbers({ readSecret: () => BENCH_SMSC_PASSWORD });
const runner = createRunner({ config, probers: probers.probers, accountPools: pools, rateLimiters: new Map(), sandboxUrl: null, location: 'bench' });

process.on('message', (m: { type?: string; count?: number }) => {
  if (m?.type !== 'run') return;
  void (async () => {
    let ok = 0;
    let firstFailure: string | null = null;
    for (let i = 0; i < (m.count ?? 0); i++) {
      const r = await runner.run(check, { trigger: 'schedule', scheduledAt: Date.now() });
      if (r.ok) ok += 1;
      else firstFailure ??= `${r.reason}: ${r.detail}`;
    }
    process.send?.({ type: 'done', ok, firstFailure, steps: check.steps.length });
  })().catch((err: Error) => process.send?.({ type: 'error', error: err.message }));
});
process.on('disconnect', () => {
  void probers.close().then(() => process.exit(0));
});
process.send?.({ type: 'ready' });
