// The statistics behind synthetic-probe alerts. A probe every 30 s cannot show 99.98% in an hour,
// so a ratio threshold would either never fire or fire on one unlucky probe. Instead we ask: if the
// channel were exactly at its objective, how likely is it to fail at least k of n runs? We alert
// only on counts that an at-objective channel produces with probability below a stated bound.

/**
 * P(X >= k) for X ~ Binomial(n, p), for every k in 0..n+1 (index n+1 is 0).
 * Summed in log space from the top so that neither (1-p)^n nor C(n,k) underflows for large n.
 */
export function binomialUpperTails(n: number, p: number): number[] {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be a whole number >= 0 (got ${n})`);
  if (!(p > 0 && p < 1)) throw new RangeError(`p must be in (0, 1) (got ${p})`);
  const logP = Math.log(p);
  const logQ = Math.log1p(-p);
  const logPmf: number[] = new Array<number>(n + 1);
  let logC = 0;
  for (let i = 0; i <= n; i++) {
    if (i > 0) logC += Math.log(n - i + 1) - Math.log(i);
    logPmf[i] = logC + i * logP + (n - i) * logQ;
  }
  const tails = new Array<number>(n + 2).fill(0);
  for (let i = n; i >= 0; i--) tails[i] = (tails[i + 1] as number) + Math.exp(logPmf[i] as number);
  // Rounding can push the sum a hair past 1 at k = 0.
  return tails.map((t) => Math.min(1, t));
}

export interface FailureThreshold {
  /** Probe runs that can finish in the window (the window over the period, plus one for jitter). */
  runs: number;
  /** Fewest failed runs in the window that alert; null when even all `runs` failing could not. */
  failures: number | null;
  /** P(at least `failures` of `runs` fail | failure probability = 1 - objective). */
  probabilityAtObjective: number | null;
}

/**
 * The smallest failure count k >= minimumFailures with P(X >= k) <= bound at the objective,
 * for the runs a check with period `periodMs` finishes in `windowMs`.
 */
export function failureThreshold(objective: number, periodMs: number, windowMs: number, bound: number, minimumFailures: number): FailureThreshold {
  const runs = Math.ceil(windowMs / periodMs) + 1;
  const tails = binomialUpperTails(runs, 1 - objective);
  for (let k = Math.max(1, minimumFailures); k <= runs; k++) {
    const tail = tails[k] as number;
    if (tail <= bound) return { runs, failures: k, probabilityAtObjective: tail };
  }
  return { runs, failures: null, probabilityAtObjective: null };
}

/** erfc(x) for x >= 0 (Numerical Recipes' erfcc, relative error below 1.2e-7). */
function erfc(x: number): number {
  const t = 1 / (1 + 0.5 * x);
  const poly = -x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return t * Math.exp(poly);
}

/**
 * z with P(Z > z) = alpha for a standard normal Z (alpha in (0, 0.5)), by bisection. Burn-rate
 * alerts on real events use it: many events make the Poisson tail close to normal.
 */
export function upperNormalQuantile(alpha: number): number {
  if (!(alpha > 0 && alpha < 0.5)) throw new RangeError(`alpha must be in (0, 0.5) (got ${alpha})`);
  let lo = 0;
  let hi = 40;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (erfc(mid / Math.SQRT2) / 2 > alpha) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
