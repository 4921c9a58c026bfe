// The agent's spool: on disk before counted, kept per collector until settled, across reopen.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentError } from '../../agent/errors.js';
import { Spool } from '../../agent/spool.js';
import { probeResult } from '../support/ingest-fixtures.js';

const A = 'http://collector-a:9470';
const B = 'http://collector-b:9470';
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ch-spool-'));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

describe('Spool', () => {
  it('keeps a result for each collector until that collector settles it, then drops it', () => {
    const spool = Spool.open({ dir, collectors: [A, B] });
    const [r1, r2, r3] = [probeResult(), probeResult(), probeResult()];
    for (const r of [r1, r2, r3]) expect(spool.add(r)).toBe(true);
    expect(spool.produced).toBe(3);
    expect(spool.pending(A, 2).map((r) => r.id)).toEqual([r1.id, r2.id]);
    expect(spool.settle(A, [r1.id, r2.id, 'not-spooled-id'])).toBe(2);
    expect(spool.pendingCount(A)).toBe(1);
    expect(spool.pendingCount(B)).toBe(3);
    expect(spool.pending(A, 10).map((r) => r.id)).toEqual([r3.id]);
    // Settling twice changes nothing.
    expect(spool.settle(A, [r1.id])).toBe(0);
    expect(spool.settle(B, [r1.id])).toBe(1);
    expect(spool.pending(B, 10).map((r) => r.id)).toEqual([r2.id, r3.id]);
    spool.close();
  });

  it('returns what was spooled, byte for byte, and never spools one id twice', () => {
    const spool = Spool.open({ dir, collectors: [A] });
    const r = probeResult({ ok: false, reason: 'business_error', failedStep: 'balance', detail: 'code 5101 余额查询失败' });
    expect(spool.add(r)).toBe(true);
    expect(spool.add(r)).toBe(false);
    expect(spool.produced).toBe(1);
    expect(spool.pending(A, 10)).toEqual([r]);
    spool.close();
  });

  it('survives a reopen: produced count and undelivered results are still there', () => {
    const first = Spool.open({ dir, collectors: [A, B] });
    const results = Array.from({ length: 5 }, () => probeResult());
    for (const r of results) first.add(r);
    first.settle(A, results.slice(0, 4).map((r) => r.id));
    first.close();
    const again = Spool.open({ dir, collectors: [A, B] });
    expect(again.report).toEqual({ producedBefore: 5, droppedForRemovedCollectors: {} });
    expect(again.produced).toBe(5);
    expect(again.pendingCount(A)).toBe(1);
    expect(again.pendingCount(B)).toBe(5);
    again.add(probeResult());
    expect(again.produced).toBe(6);
    again.close();
  });

  it('drops deliveries to a collector no longer configured; a new collector gets results from now on', () => {
    const first = Spool.open({ dir, collectors: [A, B] });
    first.add(probeResult());
    first.add(probeResult());
    first.settle(A, first.pending(A, 10).map((r) => r.id));
    first.close();
    const C = 'http://collector-c:9470';
    const again = Spool.open({ dir, collectors: [A, C] });
    expect(again.report.droppedForRemovedCollectors).toEqual({ [B]: 2 });
    expect(again.pendingCount(C)).toBe(0);
    again.add(probeResult());
    expect(again.pendingCount(C)).toBe(1);
    expect(again.pendingCount(A)).toBe(1);
    again.close();
  });

  it('says how long the oldest result has waited, per collector', () => {
    let now = 1_000_000;
    const spool = Spool.open({ dir, collectors: [A, B], now: () => now });
    expect(spool.oldestPendingAgeSeconds(A)).toBeNull();
    const r = probeResult();
    spool.add(r);
    now += 2500;
    spool.add(probeResult());
    now += 500;
    expect(spool.oldestPendingAgeSeconds(A)).toBe(3);
    spool.settle(A, [r.id]);
    expect(spool.oldestPendingAgeSeconds(A)).toBe(0.5);
    expect(spool.oldestPendingAgeSeconds(B)).toBe(3);
    spool.close();
  });

  it('fails to open with CH_AGENT_SPOOL naming the folder when it cannot be a folder', async () => {
    const file = path.join(dir, 'not-a-dir');
    await writeFile(file, 'x');
    let error: unknown;
    try {
      Spool.open({ dir: file, collectors: [A] });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(AgentError);
    expect((error as AgentError).code).toBe('CH_AGENT_SPOOL');
    expect((error as AgentError).message).toContain(`spool in ${file}:`);
  });
});
