// The scenarios of issue 4's detection bench, as step-by-step probe outcomes and real events.
// Each has a healthy-but-noisy history (failures at half the error budget, latency with a rare slow
// tail) and, except the healthy month, a fault from `faultAt` on.
import type { Config } from '../../config/index.js';
import { binomialDraw, seededRandom, type Check, type ProbeStep } from './series.js';

export const STEP_SECONDS = 30;
const DAY = 86_400;
const HOUR = 3600;

export interface EventStream {
  check: Check;
  /** Real events per step and the failure probability of each, at time t (seconds). */
  eventsPerStep: number;
  failureRatio(t: number): number;
}

export interface Scenario {
  id: string;
  title: string;
  seconds: number;
  /** Seconds from the start; null for the healthy month. */
  faultAt: number | null;
  checks: Check[];
  /** Probe outcome of `check` at time t, given the healthy outcome it would have had. */
  probe(check: Check, t: number, healthy: ProbeStep, random: () => number): ProbeStep;
  events: EventStream[];
}

/** Healthy but noisy: failures at half the error budget, latency around a typical value with a slow tail. */
export function healthyStep(config: Config, check: Check, random: () => number): ProbeStep {
  const objective = config.tiers.find((t) => t.id === check.tier)?.objective ?? 0.99;
  const threshold = (config.transactions.find((t) => t.id === check.transaction)?.latencyThresholdMs ?? 2000) / 1000;
  const ok = random() >= (1 - objective) / 2;
  // Mostly 20-40% of the threshold; 0.5% of runs take 1.2x the threshold (a slow backend moment).
  const seconds = random() < 0.005 ? threshold * 1.2 : threshold * (0.2 + 0.2 * random());
  return { ok, seconds };
}

const pairs = (channels: string[], transactions: string[], config: Config): Check[] =>
  channels.flatMap((channel) =>
    transactions.map((transaction) => ({ channel, transaction, tier: config.transactions.find((t) => t.id === transaction)?.tier ?? 'core' })),
  );

/** Healthy history before a fault: long enough for the 1h and 6h windows (and their short pairs) to be full. */
const HISTORY = 7 * HOUR;

export function scenarios(config: Config, healthyDays = 30): Scenario[] {
  const channels = config.channels.map((c) => c.id);
  const budgetOf = (tx: string) => 1 - (config.transactions.find((t) => t.id === tx)?.objective ?? 0.9998);
  const billing = config.transactions.filter((t) => t.backends.includes('billing')).map((t) => t.id);
  const halfBudget = (tx: string) => () => budgetOf(tx) / 2;
  const after = (s: Scenario, t: number) => s.faultAt !== null && t >= s.faultAt;
  const noEvents: EventStream[] = [];
  const list: Scenario[] = [
    {
      id: 'hard-down',
      title: 'hard down: topup fails every probe on web',
      seconds: 8 * HOUR,
      faultAt: HISTORY,
      checks: pairs(channels, ['topup'], config),
      probe(c, t, h) {
        return after(this, t) && c.channel === 'web' ? { ok: false, seconds: h.seconds } : h;
      },
      events: noEvents,
    },
    {
      id: 'one-channel-10pct',
      title: '10% of bill_query probes fail on app',
      seconds: HISTORY + 12 * HOUR,
      faultAt: HISTORY,
      checks: pairs(channels, ['bill_query'], config),
      probe(c, t, h, random) {
        return after(this, t) && c.channel === 'app' ? { ok: random() >= 0.1, seconds: h.seconds } : h;
      },
      events: noEvents,
    },
    {
      id: 'one-channel-1pct',
      title: '1% of bill_query probes fail on app',
      seconds: 2 * DAY,
      faultAt: DAY,
      checks: pairs(channels, ['bill_query'], config),
      probe(c, t, h, random) {
        return after(this, t) && c.channel === 'app' ? { ok: random() >= 0.01, seconds: h.seconds } : h;
      },
      events: noEvents,
    },
    {
      id: 'events-0.1pct',
      title: '0.1% of real topups fail on web (10/s); probes healthy',
      // Three days of history fill the 3d window, so the slow pairs see a steady state.
      seconds: 4 * DAY,
      faultAt: 3 * DAY,
      checks: pairs(['web'], ['topup'], config),
      probe: (_c, _t, h) => h,
      events: [
        {
          check: { channel: 'web', transaction: 'topup', tier: 'core' },
          eventsPerStep: 10 * STEP_SECONDS,
          failureRatio: (t) => (t >= 3 * DAY ? 0.001 : budgetOf('topup') / 2),
        },
      ],
    },
    {
      id: 'backend-outage',
      title: 'billing outage on all channels for 30 minutes',
      seconds: HISTORY + 2 * HOUR,
      faultAt: HISTORY,
      checks: pairs(channels, [...billing, 'other_query'], config),
      probe(c, t, h) {
        return after(this, t) && t < HISTORY + 30 * 60 && billing.includes(c.transaction) ? { ok: false, seconds: h.seconds } : h;
      },
      events: noEvents,
    },
    {
      id: 'latency-creep',
      title: 'topup latency on web creeps from 0.5s to 3s over 3 hours (threshold 2s)',
      seconds: HISTORY + 4 * HOUR,
      faultAt: HISTORY,
      checks: pairs(channels, ['topup'], config),
      probe(c, t, h) {
        if (!after(this, t) || c.channel !== 'web') return h;
        return { ok: h.ok, seconds: Math.min(3, 0.5 + (2.5 * (t - HISTORY)) / (3 * HOUR)) };
      },
      events: noEvents,
    },
    {
      id: 'healthy-month',
      title: `${healthyDays} days healthy but noisy at half the error budget`,
      seconds: healthyDays * DAY,
      faultAt: null,
      // One core and one non-core transaction on every channel (payment+billing and crm behind
      // them): enough for spreading to have a chance, small enough for promtool to replay a month.
      checks: pairs(channels, ['topup', 'data_addon'], config),
      probe: (_c, _t, h) => h,
      events: [
        { check: { channel: 'web', transaction: 'topup', tier: 'core' }, eventsPerStep: 10 * STEP_SECONDS, failureRatio: halfBudget('topup') },
        { check: { channel: 'app', transaction: 'data_addon', tier: 'noncore' }, eventsPerStep: 1 * STEP_SECONDS, failureRatio: halfBudget('data_addon') },
      ],
    },
  ];
  return list;
}

/** Step-by-step outcomes of every check of a scenario, from a fixed seed. */
export function materialize(config: Config, s: Scenario, seed: number): { probes: Map<Check, ProbeStep[]>; events: Map<EventStream, Array<{ events: number; failures: number }>> } {
  const random = seededRandom(seed);
  const steps = Math.floor(s.seconds / STEP_SECONDS) + 1;
  const probes = new Map<Check, ProbeStep[]>();
  for (const c of s.checks) {
    const out: ProbeStep[] = [];
    for (let i = 0; i < steps; i++) {
      const t = i * STEP_SECONDS;
      out.push(s.probe(c, t, healthyStep(config, c, random), random));
    }
    probes.set(c, out);
  }
  const events = new Map<EventStream, Array<{ events: number; failures: number }>>();
  for (const e of s.events) {
    const out: Array<{ events: number; failures: number }> = [];
    for (let i = 0; i < steps; i++) out.push({ events: e.eventsPerStep, failures: binomialDraw(e.eventsPerStep, e.failureRatio(i * STEP_SECONDS), random) });
    events.set(e, out);
  }
  return { probes, events };
}
