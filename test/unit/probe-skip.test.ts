// A billing fault must not fail transactions that do not use billing. Top-ups the fault caught
// between the top-up and its refund keep their accounts held (docs/safety.md) while the refund
// cannot go through; with a small pool, the money-moving checks of CRM transactions then find no
// free account. That is the probe's own shortage: counted as skipped, never as a failure of the
// channel, and it feeds neither the breaker nor the consecutive failures.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { createMetrics } from '../../collector/metrics.js';
import { ResultStore } from '../../collector/result-store.js';
import { createResultSink } from '../../collector/result-sink.js';
import { JournalReconciler } from '../../journal/reconcile.js';
import { ProbeJournal } from '../../journal/store.js';
import { createLogger } from '../../logging/logger.js';
import { TestAccountPool } from '../../synthetic/accounts.js';
import { CircuitBreakers } from '../../synthetic/breaker.js';
import type { ProbeResult } from '../../synthetic/result.js';
import { PIN, startSandboxFixture, type SandboxFixture } from './journal-sandbox.js';

let sb: SandboxFixture;
const log = createLogger({ level: 'silent' });
const POOL = ['13900000001', '13900000002'];
// The hotline offers no non-billing transaction (its menu has the four billing ones).
const CHANNELS = ['web', 'app', 'sms', 'kiosk'];
const NOT_BILLING = ['data_addon', 'profile_update', 'other_query'];

beforeAll(async () => {
  sb = await startSandboxFixture();
});
afterAll(async () => sb?.close());

const sum = async (registry: Registry, name: string, match: (labels: Record<string, string | number>) => boolean) =>
  ((await registry.getSingleMetric(name)?.get())?.values ?? []).filter((v) => match(v.labels as Record<string, string | number>)).reduce((a, v) => a + v.value, 0);

describe('a billing fault with every account held by an unfinished top-up', () => {
  it('fails no non-billing transaction: their money-moving runs are skipped and counted, the breaker and failure counts untouched', async () => {
    const journal = ProbeJournal.open(null);
    const pools = new Map([['sandbox', new TestAccountPool('sandbox', POOL.map((msisdn) => ({ msisdn, pin: PIN })))]]);
    const breakers = new CircuitBreakers({ openAfter: 1, maxBackoff: 8 }, sb.config.checks.map((c) => c.id));
    const runner = sb.runner(journal, { pools, breakers });
    const registry = new Registry();
    const metrics = createMetrics(registry, sb.config, { version: 't' });
    const store = new ResultStore(1000);
    const sink = createResultSink(sb.config, metrics, store);
    try {
      // Two top-ups went through; the fault arrived before their refunds (journaled as the runner does).
      await sb.fault({ scope: { backend: 'billing' }, mode: 'error', rate: 1, durationSeconds: 60 });
      for (const [i, msisdn] of POOL.entries()) {
        const check = sb.check('web.topup');
        const plan = check.moneyMoving as NonNullable<typeof check.moneyMoving>;
        const runId = `skiptopup00${i}`;
        journal.intend({
          runId,
          checkId: check.id,
          channel: 'web',
          transaction: 'topup',
          location: 'local',
          pool: 'sandbox',
          msisdn,
          step: 'topup',
          fingerprint: plan.fingerprint,
          run: { id: runId, epochMs: '1', month: '2026-11', prevMonth: '2026-10', checkId: check.id, location: 'local' },
          vars: {},
        });
        journal.done(runId, { orderId: runId });
        journal.release(runId);
      }
      // Reconciliation cannot refund while billing fails: the accounts stay held.
      const pass = await new JournalReconciler({ journal, checks: sb.config.checks, recovery: runner, maxAttempts: 5, log }).pass();
      expect(pass).toEqual({ compensated: 0, retried: 2, flagged: 0 });
      expect([...journal.heldAccounts()].sort()).toEqual(POOL);

      const results: ProbeResult[] = [];
      for (const channel of CHANNELS) {
        for (const transaction of NOT_BILLING) {
          const check = sb.check(`${channel}.${transaction}`);
          // A money-moving run waits for a free account until its deadline, so those get 200 ms;
          // the read-only ones keep their own timeout (the SMS hall's first one includes the bind,
          // which a loaded machine can take longer than 200 ms over).
          const timeoutMs = transaction === 'other_query' ? check.timeoutMs : 200;
          const result = await runner.run({ ...check, timeoutMs }, { trigger: 'schedule', scheduledAt: Date.now() });
          sink.accept(result);
          results.push(result);
        }
      }
      const moneyMoving = results.filter((r) => r.transaction !== 'other_query');
      expect(moneyMoving).toHaveLength(8);
      for (const r of moneyMoving) expect(r, r.checkId).toMatchObject({ skipped: 'no_free_account', steps: [] });
      for (const r of results.filter((x) => x.transaction === 'other_query')) expect(r.ok, `${r.checkId}: ${r.detail}`).toBe(true);

      const notBilling = (l: Record<string, string | number>) => NOT_BILLING.includes(String(l.transaction));
      expect(await sum(registry, 'channel_health_probe_failures_total', notBilling)).toBe(0);
      // Skipped runs are not runs: only the read-only checks counted.
      expect(await sum(registry, 'channel_health_probe_runs_total', notBilling)).toBe(4);
      expect(await sum(registry, 'channel_health_probe_skipped_total', (l) => notBilling(l) && l.reason === 'no_free_account')).toBe(8);
      expect(await sum(registry, 'channel_health_probe_consecutive_failures', notBilling)).toBe(0);
      for (const r of moneyMoving) {
        expect(store.summary(r.checkId)).toMatchObject({ consecutiveFailures: 0, lastFailure: null, lastResult: null, skipped: 1 });
        expect(breakers.state(r.checkId)).toBe('closed');
      }
      expect(store.recentFailures(100)).toEqual([]);
      // The API still lists them, as skipped.
      expect(store.recent(100).filter((r) => r.skipped === 'no_free_account')).toHaveLength(8);
    } finally {
      await sb.clearFaults();
      journal.close();
    }
  });
});
