// Probe success and real success side by side: each judged on its own against the objective, and
// where they tell different stories, what that usually means. Pure functions, unit-tested.
import { successFigures, topReason } from './figures.js';
import type { Basis, BasisFigures, Disagreement, Outcomes, SuccessRow, SuccessSummary, VerdictCounts } from './model.js';

export function basisFigures(outcomes: Outcomes, objective: number | null): BasisFigures {
  return { total: outcomes.total, failures: outcomes.failures, ...successFigures(outcomes.total, outcomes.failures, objective), topReason: topReason(outcomes.byReason) };
}

/** Same verdict, but more than this many whole budgets apart (and at least FAR_APART_FACTOR times) reads as a disagreement. */
export const FAR_APART_BUDGETS = 1;
export const FAR_APART_FACTOR = 2;

/** What each direction of disagreement usually means; the review starts its search here. */
export const DISAGREEMENT_MEANING: Record<Basis, string> = {
  probe:
    'Probes fail while real traffic is clean: usually the probe path or its coverage (the test account, its routing, the probe location), ' +
    'or a failure real customers do not exercise (a step or path they rarely use).',
  real:
    'Real traffic fails while probes pass: usually a customer path the probes do not cover, a load-dependent failure (peak hours, capacity), ' +
    'or specific customers (account states, regions, handsets).',
};

export const DISAGREEMENT_METHOD =
  'Probes and real traffic disagree when one met the objective and the other missed it, or when both have the same verdict but one spent ' +
  `more than ${FAR_APART_BUDGETS * 100}% of the budget more than the other and at least ${FAR_APART_FACTOR} times as much ("far apart"; two met verdicts never are).`;

export function disagreement(probe: BasisFigures, real: BasisFigures): Disagreement | null {
  const judged = (b: BasisFigures) => b.verdict === 'met' || b.verdict === 'missed';
  if (!judged(probe) || !judged(real)) return null;
  if (probe.verdict !== real.verdict) {
    const worse: Basis = probe.verdict === 'missed' ? 'probe' : 'real';
    return { kind: 'verdicts', worse, meaning: DISAGREEMENT_MEANING[worse] };
  }
  const p = probe.budgetSpent ?? 0;
  const r = real.budgetSpent ?? 0;
  const [high, low, worse]: [number, number, Basis] = p >= r ? [p, r, 'probe'] : [r, p, 'real'];
  if (high - low > FAR_APART_BUDGETS && high >= FAR_APART_FACTOR * low) return { kind: 'far_apart', worse, meaning: DISAGREEMENT_MEANING[worse] };
  return null;
}

function counts(rows: readonly SuccessRow[], basis: Basis): VerdictCounts {
  const verdicts = rows.map((r) => r.bases[basis].verdict);
  const met = verdicts.filter((v) => v === 'met').length;
  const missed = verdicts.filter((v) => v === 'missed').length;
  return { judged: met + missed, met, missed };
}

export function successSummary(transactions: readonly SuccessRow[], rows: readonly SuccessRow[]): SuccessSummary {
  return {
    probe: { transactions: counts(transactions, 'probe'), rows: counts(rows, 'probe') },
    real: { transactions: counts(transactions, 'real'), rows: counts(rows, 'real') },
    disagreements: { transactions: transactions.filter((t) => t.disagreement).length, rows: rows.filter((r) => r.disagreement).length },
  };
}
