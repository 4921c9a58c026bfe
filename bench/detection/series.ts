// Synthetic probe and real-event histories, written as promtool input series. A scenario says,
// step by step, whether each probe succeeded and how long it took; this module turns that into the
// counters and gauges the collector would export (contract/metrics.ts), compactly encoded.
import { METRICS, bucketSeries, countSeries } from '../../contract/metrics.js';

/** A small seeded PRNG (mulberry32): the same seed gives the same scenario on every machine. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface InputSeries {
  series: string;
  values: string;
}

/** Round to 6 decimals so float noise does not break runs of equal steps. */
const tidy = (v: number) => Math.round(v * 1e6) / 1e6;

/**
 * promtool's expanding notation for a list of values: runs of equal steps become `a+bxn`
 * (n + 1 values), so a counter that rises by one every step is a single token. `null` is a scrape
 * with no sample of the series (it did not exist yet): `_`, and `_xn` for n of them.
 */
export function encodeValues(values: ReadonlyArray<number | null>): string {
  const out: string[] = [];
  let i = 0;
  while (i < values.length && values[i] === null) i++;
  if (i > 0) out.push(i === 1 ? '_' : `_x${i}`);
  const rest = values.slice(i) as number[];
  if (rest.some((v) => v === null)) throw new Error('encodeValues: a series, once born, has a sample at every scrape');
  return [...out, encodeNumbers(rest)].filter((t) => t !== '').join(' ');
}

function encodeNumbers(values: readonly number[]): string {
  const out: string[] = [];
  let i = 0;
  while (i < values.length) {
    const start = tidy(values[i] as number);
    if (i + 1 >= values.length) {
      out.push(String(start));
      break;
    }
    const step = tidy((values[i + 1] as number) - (values[i] as number));
    let j = i + 1;
    while (j + 1 < values.length && tidy((values[j + 1] as number) - (values[j] as number)) === step) j++;
    const n = j - i;
    if (n === 1 && step !== 0) {
      // Two values with an odd step: cheaper as a single value; the next token starts at j.
      out.push(String(start));
      i = j;
      continue;
    }
    out.push(step === 0 ? `${start}x${n}` : `${start}${step > 0 ? '+' : '-'}${Math.abs(step)}x${n}`);
    i = j + 1;
  }
  return out.join(' ');
}

export interface Check {
  channel: string;
  transaction: string;
  tier: string;
  location?: string;
}

const labelText = (labels: Record<string, string>) =>
  `{${Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}}`;

export const TARGET = { instance: 'ch:9470', job: 'channel-health' } as const;
export const LATENCY_BUCKETS = [0.25, 0.5, 1, 1.5, 2, 3, 5, 10] as const;

export interface ProbeStep {
  ok: boolean;
  seconds: number;
}

/**
 * The series the collector exports for one check probed once per step (runs, failures, the
 * consecutive-failure and last-run gauges, the duration histogram). As in the collector, the
 * failure counter is born at the first failure (its first sample already counts it), unless the
 * check has `metricsDetail: full`, which creates it at zero with the runs counter.
 */
export function probeSeries(check: Check, steps: readonly ProbeStep[], stepSeconds: number, detail: 'standard' | 'full' = 'standard'): InputSeries[] {
  const location = check.location ?? 'local';
  const base = { channel: check.channel, transaction: check.transaction, tier: check.tier, location, ...TARGET };
  const histogramBase = { channel: check.channel, transaction: check.transaction, location, ...TARGET };
  const runs: number[] = [];
  const failures: Array<number | null> = [];
  const consecutive: number[] = [];
  const lastRun: number[] = [];
  const buckets = LATENCY_BUCKETS.map(() => [] as number[]);
  const count: number[] = [];
  let r = 0;
  let f = 0;
  let c = 0;
  const b = LATENCY_BUCKETS.map(() => 0);
  steps.forEach((s, i) => {
    // Step 0 is the scrape before the first run: the runs counter and histogram start at zero.
    if (i > 0) {
      r++;
      if (!s.ok) {
        f++;
        c++;
      } else c = 0;
      LATENCY_BUCKETS.forEach((le, k) => {
        if (s.seconds <= le) b[k] = (b[k] as number) + 1;
      });
    }
    runs.push(r);
    failures.push(f === 0 && detail === 'standard' ? null : f);
    consecutive.push(c);
    lastRun.push(i * stepSeconds);
    b.forEach((v, k) => (buckets[k] as number[]).push(v));
    count.push(r);
  });
  return [
    { series: `${METRICS.probeRuns.name}${labelText(base)}`, values: encodeValues(runs) },
    { series: `${METRICS.probeFailures.name}${labelText({ ...base, reason: 'business_error' })}`, values: encodeValues(failures) },
    { series: `${METRICS.consecutiveFailures.name}${labelText(base)}`, values: encodeValues(consecutive) },
    { series: `${METRICS.lastRun.name}${labelText(histogramBase)}`, values: encodeValues(lastRun) },
    ...LATENCY_BUCKETS.map((le, k) => ({
      series: `${bucketSeries(METRICS.probeDuration)}${labelText({ ...histogramBase, le: String(le) })}`,
      values: encodeValues(buckets[k] as number[]),
    })),
    { series: `${bucketSeries(METRICS.probeDuration)}${labelText({ ...histogramBase, le: '+Inf' })}`, values: encodeValues(count) },
    { series: `${countSeries(METRICS.probeDuration)}${labelText(histogramBase)}`, values: encodeValues(count) },
  ];
}

/**
 * Real-event counters for one channel and transaction: events and failures per step. The events
 * total exists at zero from the start; the failure counter is born at the first failure.
 */
export function eventSeries(check: Check, perStep: ReadonlyArray<{ events: number; failures: number }>): InputSeries[] {
  const base = { channel: check.channel, transaction: check.transaction, tier: check.tier, ...TARGET };
  let e = 0;
  let f = 0;
  const total: number[] = [];
  const failed: Array<number | null> = [];
  perStep.forEach((s, i) => {
    if (i > 0) {
      e += s.events;
      f += s.failures;
    }
    total.push(e);
    failed.push(f === 0 ? null : f);
  });
  return [
    { series: `${METRICS.events.name}${labelText(base)}`, values: encodeValues(total) },
    { series: `${METRICS.eventFailures.name}${labelText({ ...base, reason: 'business_error' })}`, values: encodeValues(failed) },
  ];
}

/** The collector target, up throughout. */
export function upSeries(steps: number): InputSeries {
  return { series: `up${labelText(TARGET)}`, values: `1x${steps - 1}` };
}

/** Binomial draw by inversion for small means, normal approximation for large ones. */
export function binomialDraw(n: number, p: number, random: () => number): number {
  if (n <= 0 || p <= 0) return 0;
  const mean = n * p;
  if (mean > 30) {
    const u = Math.max(1e-12, random());
    const v = random();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    return Math.max(0, Math.min(n, Math.round(mean + z * Math.sqrt(mean * (1 - p)))));
  }
  let k = 0;
  let prob = (1 - p) ** n;
  let cumulative = prob;
  const u = random();
  while (u > cumulative && k < n) {
    prob *= ((n - k) / (k + 1)) * (p / (1 - p));
    k++;
    cumulative += prob;
  }
  return k;
}
