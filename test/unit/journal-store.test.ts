// The journal's state machine (intended → done → compensated; refused; flagged; resolved), its
// durability settings, and one process per journal file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { JournalError } from '../../journal/errors.js';
import { FINISHED_RETENTION_MS, ProbeJournal } from '../../journal/store.js';
import type { IntendedRun } from '../../synthetic/runner.js';
import { writeLegacyJournal } from './journal-legacy.js';

let clock = 1_700_000_000_000;
const now = () => clock;
const opened: ProbeJournal[] = [];
const dirs: string[] = [];

function memory(): ProbeJournal {
  const j = ProbeJournal.open(null, { now });
  opened.push(j);
  return j;
}

function run(runId: string, over: Partial<IntendedRun> = {}): IntendedRun {
  return {
    runId,
    checkId: 'web.topup',
    channel: 'web',
    transaction: 'topup',
    location: 'local',
    pool: 'sandbox',
    msisdn: '13900000001',
    step: 'topup',
    fingerprint: 'f00d',
    run: { id: runId, epochMs: '1', month: '2026-11', prevMonth: '2026-10', checkId: 'web.topup', location: 'local' },
    vars: {},
    ...over,
  };
}

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof JournalError ? err.code : `not a JournalError: ${String(err)}`;
  }
  return 'no error';
};

afterEach(() => {
  for (const j of opened.splice(0)) j.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('journal state machine', () => {
  it('moves a run intended → done → compensated, keeping what compensation needs', () => {
    const j = memory();
    j.intend(run('run00000001', { vars: { previous: 'P38' } }));
    expect(j.get('run00000001')).toMatchObject({ state: 'intended', vars: { previous: 'P38' }, flagged: false, attempts: 0 });
    expect(j.counts()).toEqual({ intended: 1, done: 0, flagged: 0 });
    clock += 10;
    j.done('run00000001', { orderId: 'O-1' });
    expect(j.get('run00000001')).toMatchObject({ state: 'done', vars: { previous: 'P38', orderId: 'O-1' }, updatedAt: clock });
    expect(j.counts()).toEqual({ intended: 0, done: 1, flagged: 0 });
    j.compensated('run00000001');
    expect(j.get('run00000001')?.state).toBe('compensated');
    expect(j.counts()).toEqual({ intended: 0, done: 0, flagged: 0 });
    expect(j.list({ limit: 10 })).toEqual([]);
    expect(j.list({ limit: 10, finished: true }).map((e) => e.runId)).toEqual(['run00000001']);
  });

  it('refuses transitions a run cannot make, and changes nothing', () => {
    const j = memory();
    j.intend(run('run00000002'));
    expect(code(() => j.intend(run('run00000002')))).toBe('CH_JOURNAL_TRANSITION');
    j.done('run00000002', {});
    expect(code(() => j.refused('run00000002', 'x'))).toBe('CH_JOURNAL_TRANSITION');
    expect(code(() => j.unclear('run00000002', 'x'))).toBe('CH_JOURNAL_TRANSITION');
    j.compensated('run00000002');
    expect(code(() => j.done('run00000002', {}))).toBe('CH_JOURNAL_TRANSITION');
    expect(code(() => j.resolve('run00000002', 'by hand'))).toBe('CH_JOURNAL_TRANSITION');
    expect(code(() => j.done('nosuchrun1', {}))).toBe('CH_JOURNAL_NOT_FOUND');
    expect(code(() => j.compensated('nosuchrun1'))).toBe('CH_JOURNAL_NOT_FOUND');
    expect(j.get('run00000002')?.state).toBe('compensated');
  });

  it('closes a refused run for good: a later compensation changes nothing', () => {
    const j = memory();
    j.intend(run('run00000003'));
    j.refused('run00000003', 'business code 5101');
    j.compensated('run00000003');
    expect(j.get('run00000003')).toMatchObject({ state: 'refused', detail: 'business code 5101' });
    expect(j.unfinished()).toEqual([]);
  });

  it('keeps an unclear outcome intended, with why', () => {
    const j = memory();
    j.intend(run('run00000004'));
    j.unclear('run00000004', 'check timeout reached');
    expect(j.get('run00000004')).toMatchObject({ state: 'intended', detail: 'outcome unknown: check timeout reached' });
  });

  it('hides runs still in flight in this process from reconciliation until released', () => {
    const j = memory();
    j.intend(run('run00000005'));
    expect(j.unfinished()).toEqual([]);
    j.release('run00000005');
    expect(j.unfinished().map((e) => e.runId)).toEqual(['run00000005']);
  });

  it('flags after maxAttempts failed attempts but keeps retrying; a stuck run is flagged and left alone', () => {
    const j = memory();
    j.intend(run('run00000006'));
    j.release('run00000006');
    expect(j.attemptFailed('run00000006', 'refund failed', 3)).toMatchObject({ attempts: 1, flagged: false });
    expect(j.attemptFailed('run00000006', 'refund failed', 3)).toMatchObject({ attempts: 2, flagged: false });
    expect(j.attemptFailed('run00000006', 'refund failed again', 3)).toMatchObject({ attempts: 3, flagged: true, retryable: true, detail: 'refund failed again' });
    expect(j.counts()).toEqual({ intended: 0, done: 0, flagged: 1 });
    expect(j.unfinished().map((e) => e.runId)).toEqual(['run00000006']);

    j.intend(run('run00000007', { msisdn: '13900000002' }));
    j.release('run00000007');
    j.flag('run00000007', 'compensate by hand');
    expect(j.get('run00000007')).toMatchObject({ flagged: true, retryable: false });
    expect(j.unfinished().map((e) => e.runId)).toEqual(['run00000006']);
    expect(j.counts()).toEqual({ intended: 0, done: 0, flagged: 2 });
    // Both are still listed for a human.
    expect(j.list({ limit: 10 }).map((e) => e.runId)).toEqual(['run00000006', 'run00000007']);

    expect(j.resolve('run00000007', 'refunded at the counter')).toMatchObject({ state: 'resolved', detail: 'resolved by hand: refunded at the counter' });
    // A retried run that finally compensates is no longer flagged.
    j.compensated('run00000006');
    expect(j.counts()).toEqual({ intended: 0, done: 0, flagged: 0 });
  });

  it('prunes finished entries after the retention, never unfinished ones', () => {
    const j = memory();
    j.intend(run('run00000008'));
    j.refused('run00000008', 'no');
    j.intend(run('run00000009', { msisdn: '13900000002' }));
    clock += FINISHED_RETENTION_MS + 1;
    expect(j.prune(clock - FINISHED_RETENTION_MS)).toBe(1);
    expect(j.get('run00000008')).toBeUndefined();
    expect(j.get('run00000009')?.state).toBe('intended');
  });
});

describe('journal file', () => {
  const file = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ch-journal-'));
    dirs.push(dir);
    return path.join(dir, 'state', 'journal.sqlite');
  };

  it('survives a reopen, uses WAL and full sync, and refuses a second process', () => {
    const f = file();
    const j = ProbeJournal.open(f, { now });
    j.intend(run('run00000010', { vars: { orderId: 'run00000010' } }));
    expect(code(() => ProbeJournal.open(f, { now }))).toBe('CH_JOURNAL_LOCKED');
    j.close();

    const raw = new Database(f);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();

    const again = ProbeJournal.open(f, { now });
    opened.push(again);
    expect(again.get('run00000010')).toMatchObject({ state: 'intended', vars: { orderId: 'run00000010' } });
    // Runs of an earlier process are never "in flight" here.
    expect(again.unfinished().map((e) => e.runId)).toEqual(['run00000010']);
  });

  it('names the file when it cannot be opened', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ch-journal-'));
    dirs.push(dir);
    // A folder where the file should be.
    expect(code(() => ProbeJournal.open(dir))).toBe('CH_JOURNAL_OPEN');
  });
});

describe('one unfinished run per account, and its baseline', () => {
  it('refuses a second run on an account whose run is unfinished, and records nothing', () => {
    const j = memory();
    j.intend(run('busy00000001', { vars: { previous: 'P38' } }));
    expect(code(() => j.intend(run('busy00000002', { vars: { previous: 'P18' } })))).toBe('CH_JOURNAL_ACCOUNT_BUSY');
    expect(j.get('busy00000002')).toBeUndefined();
    expect([...j.heldAccounts()]).toEqual(['13900000001']);
    // Another account is free to go.
    j.intend(run('busy00000003', { msisdn: '13900000002' }));
    expect([...j.heldAccounts()].sort()).toEqual(['13900000001', '13900000002']);
  });

  it('keeps the values read before the change as the baseline, whatever the answer adds', () => {
    const j = memory();
    j.intend(run('base00000001', { vars: { previous: 'P38', target: 'P18' } }));
    j.done('base00000001', { orderId: 'O-1' });
    expect(j.get('base00000001')).toMatchObject({ vars: { previous: 'P38', target: 'P18', orderId: 'O-1' }, baseline: { previous: 'P38', target: 'P18' } });
  });

  it('lets the account go when its run finishes, any way it finishes, and says so once', () => {
    const j = memory();
    const settled: string[] = [];
    j.onAccountSettled((m) => settled.push(m));
    j.intend(run('free00000001'));
    j.compensated('free00000001');
    j.intend(run('free00000002'));
    j.refused('free00000002', 'business code 5101');
    j.intend(run('free00000003'));
    j.flag('free00000003', 'compensate by hand');
    expect(j.heldAccounts().has('13900000001')).toBe(true);
    j.resolve('free00000003', 'done by hand');
    expect(settled).toEqual(['13900000001', '13900000001', '13900000001']);
    expect(j.heldAccounts().size).toBe(0);
  });

  it('flags at once when asked (the account read back away from its baseline), still retried', () => {
    const j = memory();
    j.intend(run('flag00000001'));
    j.release('flag00000001');
    expect(j.attemptFailed('flag00000001', 'not back at its baseline', 5, { flagNow: true })).toMatchObject({ attempts: 1, flagged: true, retryable: true, state: 'intended' });
    expect(j.unfinished().map((e) => e.runId)).toEqual(['flag00000001']);
  });

  it('stores details with subscriber numbers masked and control characters stripped', () => {
    const j = memory();
    j.intend(run('mask00000001'));
    j.unclear('mask00000001', 'got "13912345678"\u001b[31m\u0000 from\nthe channel');
    expect(j.get('mask00000001')?.detail).toBe('outcome unknown: got "139****5678"[31m from the channel');
    j.flag('mask00000001', 'call +86 139-1234-5678\u202e');
    expect(j.resolve('mask00000001', 'refunded 13900000001 at the counter\u0007').detail).toBe('resolved by hand: refunded 139****0001 at the counter');
  });
});

describe('a journal written before baselines were kept', () => {
  it('is migrated on open: unfinished runs of one account and transaction share the oldest one\'s values as their baseline, and the account stays held', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ch-journal-'));
    dirs.push(dir);
    const f = path.join(dir, 'old.sqlite');
    const plan = { checkId: 'web.plan_change', transaction: 'plan_change', step: 'change' };
    writeLegacyJournal(f, [
      { ...run('old00000001', { ...plan, vars: { previous: 'P38', target: 'P18' } }), state: 'compensated', createdAt: 1 },
      { ...run('old00000002', { ...plan, vars: { previous: 'P58', target: 'P18' } }), state: 'done', createdAt: 2 },
      { ...run('old00000003', { ...plan, vars: { previous: 'P18', target: 'P38' } }), state: 'intended', createdAt: 3 },
      { ...run('old00000004', { msisdn: '13900000002', vars: { orderId: 'old00000004' } }), state: 'done', createdAt: 4 },
    ]);
    const j = ProbeJournal.open(f, { now });
    opened.push(j);
    expect(j.get('old00000002')?.baseline).toEqual({ previous: 'P58', target: 'P18' });
    expect(j.get('old00000003')?.baseline).toEqual({ previous: 'P58', target: 'P18' });
    expect(j.get('old00000004')?.baseline).toEqual({ orderId: 'old00000004' });
    expect([...j.heldAccounts()].sort()).toEqual(['13900000001', '13900000002']);
    j.close();
    // Opening again changes nothing more.
    const again = ProbeJournal.open(f, { now });
    opened.push(again);
    expect(again.get('old00000003')?.baseline).toEqual({ previous: 'P58', target: 'P18' });
  });
});
