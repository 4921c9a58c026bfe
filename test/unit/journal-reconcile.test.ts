// Runs journaled around their money-moving step, and reconciliation of the runs a crash or a
// failure left behind, against the sandbox on 127.0.0.1 with the shipped flows. Balances, plans
// and add-ons are read back from the sandbox itself.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { JournalReconciler } from '../../journal/reconcile.js';
import { ProbeJournal } from '../../journal/store.js';
import { createLogger } from '../../logging/logger.js';
import { TestAccountPool } from '../../synthetic/accounts.js';
import type { IntendedRun } from '../../synthetic/runner.js';
import { waitFor } from '../support/processes.js';
import { writeLegacyJournal } from './journal-legacy.js';
import { startSandboxFixture, type SandboxFixture } from './journal-sandbox.js';

let sb: SandboxFixture;
let journal: ProbeJournal;
const log = createLogger({ level: 'silent' });
const MSISDN = '13900000001';
let dir: string;

beforeAll(async () => {
  sb = await startSandboxFixture();
  dir = mkdtempSync(path.join(tmpdir(), 'ch-reconcile-'));
});
afterAll(async () => {
  await sb?.close();
  journal?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  await sb.clearFaults();
  journal?.close();
  journal = ProbeJournal.open(null);
});

const reconciler = (maxAttempts = 3, runner = sb.runner(journal)) => new JournalReconciler({ journal, checks: sb.config.checks, recovery: runner, maxAttempts, log });

/** A journal row as the runner writes it just before the money-moving step. */
function intended(checkId: string, runId: string, vars: Record<string, string> = {}): IntendedRun {
  const check = sb.check(checkId);
  const plan = check.moneyMoving;
  if (!plan) throw new Error('not money-moving');
  return {
    runId,
    checkId,
    channel: check.channel,
    transaction: check.transaction,
    location: 'local',
    pool: 'sandbox',
    msisdn: MSISDN,
    step: check.steps[plan.stepIndex]?.name ?? '',
    fingerprint: plan.fingerprint,
    run: { id: runId, epochMs: '1', month: '2026-11', prevMonth: '2026-10', checkId, location: 'local' },
    vars,
  };
}

describe('a money-moving run journals itself', () => {
  it('topup: intended before the top-up, done with the order id, compensated after the refund; no token in the journal', async () => {
    const before = await sb.balances();
    const result = await sb.runner(journal, {}).run(sb.check('web.topup'), { trigger: 'manual', scheduledAt: null });
    expect(result.ok, result.detail ?? '').toBe(true);
    const [entry] = journal.list({ limit: 10, finished: true });
    expect(entry).toMatchObject({ runId: result.id, state: 'compensated', step: 'topup', vars: { orderId: result.id } });
    expect(Object.keys(entry?.vars ?? {})).toEqual(['orderId']);
    expect(JSON.stringify(entry)).not.toMatch(/token|unit-test-pin/i);
    expect(await sb.balances()).toEqual(before);
  });

  it('a failed refund leaves the run done; reconciliation refunds it later', async () => {
    const before = await sb.balances();
    const runner = sb.runner(journal);
    // Refunds fail (the verify and refund go to the topup transaction, so fault only after the top-up).
    const check = sb.check('app.topup');
    const faulty = { ...check, steps: check.steps.map((s) => ('request' in s && s.name === 'refund' ? { ...s, request: { ...s.request, url: s.request.url.replace('/refund', '/refund-broken') } } : s)) };
    const result = await runner.run(faulty, { trigger: 'manual', scheduledAt: null });
    expect(result).toMatchObject({ ok: true, cleanupFailed: true });
    const entry = journal.get(result.id);
    expect(entry).toMatchObject({ state: 'done', vars: { orderId: result.id } });
    const credited = await sb.balances();
    expect(Object.values(credited).reduce((a, b) => a + b, 0)).toBeCloseTo(Object.values(before).reduce((a, b) => a + b, 0) + 1, 6);

    expect(await reconciler().pass()).toEqual({ compensated: 1, retried: 0, flagged: 0 });
    expect(journal.get(result.id)?.state).toBe('compensated');
    expect(await sb.balances()).toEqual(before);
  });

  it('a business refusal of the money-moving step closes the run as refused: nothing moved', async () => {
    await sb.fault({ scope: { channel: 'sms', transaction: 'topup' }, mode: 'error', code: '5101', durationSeconds: 60 });
    const result = await sb.runner(journal).run(sb.check('sms.topup'), { trigger: 'manual', scheduledAt: null });
    expect(result).toMatchObject({ ok: false, reason: 'business_error', failedStep: 'topup' });
    expect(journal.get(result.id)).toMatchObject({ state: 'refused' });
    expect(journal.counts()).toEqual({ intended: 0, done: 0, flagged: 0 });
  });

  it('a money-moving check never runs without a journal', async () => {
    const result = await sb.runner(undefined).run(sb.check('web.topup'), { trigger: 'manual', scheduledAt: null });
    expect(result).toMatchObject({ ok: false, reason: 'internal', failedStep: null });
    expect(result.detail).toContain('no probe journal');
    expect(result.steps).toEqual([]);
  });
});

describe('reconciliation after a crash', () => {
  it('topup intended but never sent: replays the idempotent top-up, then refunds it', async () => {
    const before = await sb.balances();
    journal.intend(intended('web.topup', 'crash0000001'));
    journal.release('crash0000001');
    expect(await reconciler().pass()).toEqual({ compensated: 1, retried: 0, flagged: 0 });
    expect(journal.get('crash0000001')).toMatchObject({ state: 'compensated', vars: { orderId: 'crash0000001' } });
    expect(await sb.balances()).toEqual(before);
    // The order exists and is refunded: the replay really credited it, and the refund really undid it.
    const token = await sb.login(MSISDN);
    expect((await sb.call('GET', '/channels/web/topup/crash0000001', undefined, token)).data).toMatchObject({ status: 'REFUNDED' });
  });

  it('topup intended and credited before the crash: the replay credits nothing twice', async () => {
    const before = await sb.balances();
    const token = await sb.login(MSISDN);
    expect((await sb.call('POST', '/channels/web/topup', { amount: 1, orderId: 'crash0000002' }, token)).code).toBe('0000');
    expect((await sb.balances())[MSISDN]).toBeCloseTo((before[MSISDN] ?? 0) + 1, 6);
    journal.intend(intended('web.topup', 'crash0000002'));
    journal.release('crash0000002');
    await reconciler().pass();
    expect(journal.get('crash0000002')?.state).toBe('compensated');
    expect(await sb.balances()).toEqual(before);
  });

  it('plan change intended: reverts to the plan read before the change, without asking again', async () => {
    const token = await sb.login(MSISDN);
    const original = (await sb.account(MSISDN)).planId;
    expect((await sb.call('POST', '/channels/web/plan', { planId: 'P128' }, token)).code).toBe('0000');
    journal.intend(intended('web.plan_change', 'crash0000003', { previous: original, target: 'P128' }));
    journal.release('crash0000003');
    await reconciler().pass();
    expect(journal.get('crash0000003')?.state).toBe('compensated');
    expect((await sb.account(MSISDN)).planId).toBe(original);
  });

  it('add-on done: removes the subscription the journal recorded', async () => {
    const token = await sb.login(MSISDN);
    const r = await sb.call('POST', '/channels/web/addons', { addonId: 'DATA_1GB_DAY' }, token);
    const subscriptionId = (r.data as { subscriptionId: string }).subscriptionId;
    expect((await sb.account(MSISDN)).addons).toContain('DATA_1GB_DAY');
    journal.intend(intended('web.data_addon', 'crash0000004'));
    journal.done('crash0000004', { subscriptionId });
    journal.release('crash0000004');
    await reconciler().pass();
    expect(journal.get('crash0000004')?.state).toBe('compensated');
    expect((await sb.account(MSISDN)).addons).toEqual([]);
  });

  it('add-on intended: its subscription id was never received and it cannot be asked again, so a human is called', async () => {
    journal.intend(intended('web.data_addon', 'crash0000005'));
    journal.release('crash0000005');
    expect(await reconciler().pass()).toEqual({ compensated: 0, retried: 0, flagged: 1 });
    const entry = journal.get('crash0000005');
    expect(entry).toMatchObject({ state: 'intended', flagged: true, retryable: false });
    expect(entry?.detail).toContain('compensate by hand');
    // Flagged for good: the next pass does not touch it again.
    expect(await reconciler().pass()).toEqual({ compensated: 0, retried: 0, flagged: 0 });
    expect(journal.counts()).toEqual({ intended: 0, done: 0, flagged: 1 });
  });

  it('compensation that keeps failing is retried, flagged after maxAttempts, and finishes once the channel is back', async () => {
    const before = await sb.balances();
    const token = await sb.login(MSISDN, 'kiosk');
    await sb.call('POST', '/channels/kiosk/topup', { amount: 1, orderId: 'crash0000006' }, token);
    journal.intend(intended('kiosk.topup', 'crash0000006'));
    journal.done('crash0000006', { orderId: 'crash0000006' });
    journal.release('crash0000006');
    await sb.fault({ scope: { channel: 'kiosk', transaction: 'topup' }, mode: 'error', httpStatus: 503, durationSeconds: 60 });
    const r = reconciler(2);
    expect(await r.pass()).toEqual({ compensated: 0, retried: 1, flagged: 0 });
    expect(journal.get('crash0000006')).toMatchObject({ state: 'done', attempts: 1, flagged: false });
    expect(journal.get('crash0000006')?.detail).toContain('compensating step "refund" failed: http_status');
    await r.pass();
    expect(journal.get('crash0000006')).toMatchObject({ attempts: 2, flagged: true, retryable: true });
    expect(journal.counts()).toEqual({ intended: 0, done: 0, flagged: 1 });
    expect((await sb.balances())[MSISDN]).toBeCloseTo((before[MSISDN] ?? 0) + 1, 6);

    await sb.clearFaults();
    expect(await r.pass()).toEqual({ compensated: 1, retried: 0, flagged: 0 });
    expect(journal.get('crash0000006')).toMatchObject({ state: 'compensated', flagged: false });
    expect(await sb.balances()).toEqual(before);
  });

  it('log-in failure during reconciliation counts as a failed attempt', async () => {
    journal.intend(intended('app.topup', 'crash0000007'));
    journal.release('crash0000007');
    const runner = sb.runner(journal, { pools: new Map([['sandbox', new TestAccountPool('sandbox', [{ msisdn: MSISDN, pin: 'wrong' }])]]) });
    expect(await reconciler(3, runner).pass()).toEqual({ compensated: 0, retried: 1, flagged: 0 });
    expect(journal.get('crash0000007')?.detail).toContain('log-in step "login" failed');
  });

  it('one entry going wrong does not keep the others of its account from their turn', async () => {
    // Two unfinished runs on one account exist only in a journal written before that was refused.
    const file = path.join(dir, 'two-per-account.sqlite');
    writeLegacyJournal(file, [
      { ...intended('web.topup', 'crash0000011'), state: 'intended', createdAt: 1 },
      { ...intended('web.topup', 'crash0000012'), state: 'intended', createdAt: 2 },
    ]);
    journal.close();
    journal = ProbeJournal.open(file);
    const seen: string[] = [];
    const recovery = {
      recover: async (_check: unknown, entry: { runId: string }) => {
        seen.push(entry.runId);
        if (entry.runId === 'crash0000011') throw new Error('a bug');
        return { kind: 'compensated' as const };
      },
    };
    const r = new JournalReconciler({ journal, checks: sb.config.checks, recovery, maxAttempts: 3, log });
    expect(await r.pass()).toEqual({ compensated: 1, retried: 0, flagged: 0 });
    expect(seen).toEqual(['crash0000011', 'crash0000012']);
    expect(journal.get('crash0000011')?.state).toBe('intended');
    expect(journal.get('crash0000012')?.state).toBe('compensated');
  });

  it('flags runs whose check, steps or account are gone', async () => {
    journal.intend({ ...intended('web.topup', 'crash0000008'), checkId: 'web.gone', msisdn: '13900000002' });
    journal.intend({ ...intended('web.topup', 'crash0000009'), fingerprint: 'other-steps', msisdn: '13900000003' });
    journal.intend({ ...intended('web.topup', 'crash0000010'), msisdn: '13911112222' });
    for (const id of ['crash0000008', 'crash0000009', 'crash0000010']) journal.release(id);
    expect(await reconciler().pass()).toEqual({ compensated: 0, retried: 0, flagged: 3 });
    expect(journal.get('crash0000008')?.detail).toContain('no longer configured');
    expect(journal.get('crash0000009')?.detail).toContain('changed since this run');
    expect(journal.get('crash0000010')?.detail).toContain('no longer in pool');
  });
});

describe('reconciliation restores the account baseline and reads it back', () => {
  const PLAN_ACCOUNT = '13900000006';
  const planEntry = (runId: string, previous: string, target: string, createdAt: number) => ({
    ...intended('web.plan_change', runId, { previous, target }),
    msisdn: PLAN_ACCOUNT,
    state: 'done' as const,
    createdAt,
  });

  it('two open plan changes on one account (the second read the first one\'s plan): both undone to where the account started', async () => {
    // The defect as it was seen: P0 → A left open, a second run read A as "previous" and went A → B.
    const token = await sb.login(PLAN_ACCOUNT);
    const start = (await sb.account(PLAN_ACCOUNT)).planId;
    const offers = ((await sb.call('GET', '/channels/web/plans', undefined, token)).data as { offers: Array<{ planId: string }> }).offers.map((o) => o.planId);
    const [a, b] = offers as [string, string];
    await sb.call('POST', '/channels/web/plan', { planId: a }, token);
    await sb.call('POST', '/channels/web/plan', { planId: b }, token);
    const file = path.join(dir, 'drifted.sqlite');
    writeLegacyJournal(file, [planEntry('drift0000001', start, a, 1), planEntry('drift0000002', a, b, 2)]);
    journal.close();
    journal = ProbeJournal.open(file);
    expect(journal.get('drift0000002')?.baseline).toEqual({ previous: start, target: a });

    expect(await reconciler().pass()).toEqual({ compensated: 2, retried: 0, flagged: 0 });
    expect((await sb.account(PLAN_ACCOUNT)).planId).toBe(start);
  });

  it('a compensation that answers success but leaves the account elsewhere is flagged, never compensated, and clears once restored', async () => {
    const check = sb.check('web.plan_change');
    const token = await sb.login(PLAN_ACCOUNT);
    const start = (await sb.account(PLAN_ACCOUNT)).planId;
    const offers = ((await sb.call('GET', '/channels/web/plans', undefined, token)).data as { offers: Array<{ planId: string }> }).offers.map((o) => o.planId);
    const [other] = offers as [string];
    await sb.call('POST', '/channels/web/plan', { planId: other }, token);
    journal.intend({ ...intended('web.plan_change', 'drift0000003', { previous: start, target: other }), msisdn: PLAN_ACCOUNT });
    journal.done('drift0000003', {});
    journal.release('drift0000003');
    // A revert that goes to the wrong plan and says 0000 all the same.
    const wrong = { ...check, steps: check.steps.map((s) => ('request' in s && s.name === 'revert' ? { ...s, request: { ...s.request, json: { planId: other } } } : s)) };
    const lying = new JournalReconciler({ journal, checks: [wrong], recovery: sb.runner(journal), maxAttempts: 5, log });
    expect(await lying.pass()).toEqual({ compensated: 0, retried: 0, flagged: 1 });
    const entry = journal.get('drift0000003');
    expect(entry).toMatchObject({ state: 'done', flagged: true, retryable: true, attempts: 1 });
    expect(entry?.detail).toContain(`previous reads "${other}", baseline "${start}"`);
    expect(journal.counts()).toEqual({ intended: 0, done: 0, flagged: 1 });

    expect(await reconciler().pass()).toEqual({ compensated: 1, retried: 0, flagged: 0 });
    expect(journal.get('drift0000003')).toMatchObject({ state: 'compensated', flagged: false });
    expect((await sb.account(PLAN_ACCOUNT)).planId).toBe(start);
  });
});

describe('an account with an unfinished run is held', () => {
  it('no money-moving run leases it (read-only ones may) until reconciliation finishes the run', async () => {
    const pools = new Map([['sandbox', new TestAccountPool('sandbox', [{ msisdn: MSISDN, pin: 'unit-test-pin' }])]]);
    const runner = sb.runner(journal, { pools });
    journal.intend(intended('web.topup', 'hold00000001'));
    journal.release('hold00000001');
    const blocked = await runner.run({ ...sb.check('web.plan_change'), timeoutMs: 300 }, { trigger: 'manual', scheduledAt: null });
    expect(blocked).toMatchObject({ ok: false, reason: 'internal', steps: [] });
    expect(blocked.detail).toContain('1 held by unfinished money-moving runs');
    expect((await runner.run(sb.check('web.balance_query'), { trigger: 'manual', scheduledAt: null })).ok).toBe(true);

    // A run waiting for the account gets it as soon as the held run is compensated.
    const waiting = runner.run(sb.check('web.profile_update'), { trigger: 'manual', scheduledAt: null });
    expect(await reconciler(3, runner).pass()).toEqual({ compensated: 1, retried: 0, flagged: 0 });
    const after = await waiting;
    expect(after.ok, after.detail ?? '').toBe(true);
    expect(journal.heldAccounts().size).toBe(0);
  });
});

describe('a run left unfinished is retried soon, not only at the next interval', () => {
  it('a top-up whose refund failed in a billing outage is refunded within seconds of billing coming back, and the early tries do not count towards flagging', async () => {
    const token = await sb.login(MSISDN);
    expect((await sb.call('POST', '/channels/web/topup', { amount: 1, orderId: 'soon00000001' }, token)).code).toBe('0000');
    await sb.fault({ scope: { backend: 'billing' }, mode: 'error', rate: 1, durationSeconds: 60 });
    const early = new JournalReconciler({ journal, checks: sb.config.checks, recovery: sb.runner(journal), maxAttempts: 3, log, retrySoonMs: 50 });
    // The regular passes would come only after an hour.
    early.start(3_600_000);
    try {
      journal.intend(intended('web.topup', 'soon00000001'));
      journal.done('soon00000001', { orderId: 'soon00000001' });
      journal.release('soon00000001');
      // Early passes try the refund while billing is down: the detail says so, the count stays.
      await waitFor(() => (journal.get('soon00000001')?.detail?.includes('5101') ? true : undefined), 5000, 'an early refund attempt', 20);
      expect(journal.get('soon00000001')).toMatchObject({ state: 'done', attempts: 0, flagged: false });
      expect(journal.heldAccounts().has(MSISDN)).toBe(true);
      await sb.clearFaults();
      await waitFor(() => (journal.get('soon00000001')?.state === 'compensated' ? true : undefined), 5000, 'the refund once billing is back', 20);
      expect(journal.heldAccounts().size).toBe(0);
      expect((await sb.call('GET', '/channels/web/topup/soon00000001', undefined, await sb.login(MSISDN))).data).toMatchObject({ status: 'REFUNDED' });
    } finally {
      await early.stop();
    }
  });
});
