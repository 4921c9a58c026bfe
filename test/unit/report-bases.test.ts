// Probe and real success judged side by side: when the two bases are said to disagree, which one
// is worse, and how misses are counted per basis.
import { describe, expect, it } from 'vitest';
import { basisFigures, disagreement, DISAGREEMENT_MEANING, successSummary } from '../../report/bases.js';
import type { SuccessRow } from '../../report/model.js';

const core = 0.9998;
const judged = (total: number, failures: number, objective: number | null = core) => basisFigures({ total, failures, byReason: failures ? { timeout: failures } : {} }, objective);

describe('report bases', () => {
  it('judges each basis on its own, with its budget and top reason', () => {
    expect(judged(10_000, 3)).toEqual({ total: 10_000, failures: 3, successRatio: 0.9997, verdict: 'missed', marginPoints: expect.closeTo(-0.01, 9), allowedFailures: 2, budgetSpent: 1.5, topReason: 'timeout' });
    expect(judged(0, 0)).toMatchObject({ verdict: 'no_data', budgetSpent: null, topReason: null });
  });

  it('names a disagreement of verdicts by the basis that missed', () => {
    expect(disagreement(judged(2016, 40), judged(100_000, 10))).toEqual({ kind: 'verdicts', worse: 'probe', meaning: DISAGREEMENT_MEANING.probe });
    expect(disagreement(judged(2016, 0), judged(100_000, 200))).toEqual({ kind: 'verdicts', worse: 'real', meaning: DISAGREEMENT_MEANING.real });
    expect(DISAGREEMENT_MEANING.probe).toMatch(/test account/);
    expect(DISAGREEMENT_MEANING.real).toMatch(/load-dependent/);
  });

  it('calls the same verdict far apart only a whole budget and a factor of two apart', () => {
    // Both missed: 150 % against 500 % of the budget.
    expect(disagreement(judged(10_000, 3), judged(10_000, 10))).toEqual({ kind: 'far_apart', worse: 'real', meaning: DISAGREEMENT_MEANING.real });
    // Both missed, 150 % against 240 %: less than a whole budget apart.
    expect(disagreement(judged(10_000, 3), judged(50_000, 24))).toBeNull();
    // Both missed, 1000 % against 1500 %: a factor of 1.5 only.
    expect(disagreement(judged(10_000, 30), judged(10_000, 20))).toBeNull();
    // Both met: at most a whole budget apart, never far.
    expect(disagreement(judged(10_000, 0), judged(10_000, 2))).toBeNull();
  });

  it('says nothing when a basis has no data or no objective', () => {
    expect(disagreement(judged(0, 0), judged(10_000, 50))).toBeNull();
    expect(disagreement(judged(100, 50, null), judged(10_000, 0, null))).toBeNull();
  });

  it('counts misses and disagreements per basis', () => {
    const row = (probe: [number, number], real: [number, number]): SuccessRow => {
      const bases = { probe: judged(...probe), real: judged(...real) };
      return { bases, disagreement: disagreement(bases.probe, bases.real) } as SuccessRow;
    };
    const rows = [row([2016, 40], [100_000, 0]), row([2016, 0], [0, 0]), row([2016, 1], [100_000, 100])];
    expect(successSummary(rows.slice(0, 1), rows)).toEqual({
      probe: { transactions: { judged: 1, met: 0, missed: 1 }, rows: { judged: 3, met: 1, missed: 2 } },
      real: { transactions: { judged: 1, met: 1, missed: 0 }, rows: { judged: 2, met: 1, missed: 1 } },
      disagreements: { transactions: 1, rows: 2 },
    });
  });
});
