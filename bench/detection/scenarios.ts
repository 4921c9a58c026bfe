// The scenarios of the detection bench (issues 4 and 16), as step-by-step probe outcomes and real
// events. Each has a healthy-but-noisy history (failures at half the error budget, latency with a
// rare slow tail; real traffic that follows the hour of the week) and, except the healthy month, a
// fault from `faultAt` on.
import type { Config } from '../../config/index.js';
import { binomialDraw, seededRandom, type Check, type ProbeStep } from './series.js';

export const STEP_SECONDS = 30;
const DAY = 86_400;
const HOUR = 3600;

export interface EventStream {
  check: Check;
  /** Real events per second (at the week's peak when `volume` is given) and the failure probability of each, at time t (seconds). */
  perSecond: number;
  failureRatio(t: number): number;
  /** Share of `eventsPerStep` at time t (the shape of the week, a drop); constant volume without it. */
  volume?(t: number): number;
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
  /** Seconds between probe runs, scrapes and evaluations; STEP_SECONDS unless the scenario has only real events to replay over days. */
  stepSeconds?: number;
  /** Business-clock dates (`YYYY-MM-DD`, promtool's clock starts at 1970-01-01T00:00Z) added to `alerting.holidays` for this scenario. */
  holidays?: string[];
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

/** The healthy traffic month's holiday: a Friday of its second week, so the days after it compare with a week that had one. */
const HOLIDAYS = ['1970-01-09'];

/** Share of the usual traffic left in the traffic-drop scenarios. */
export const TRAFFIC_DROP_TO = 0.2;

/**
 * Real traffic over the week, as a share of the week's peak, on the business clock: low at night
 * (15% around 03:00), highest in the afternoon, weekends at 75%, a holiday at 40% (people off work
 * use the channels less, and differently). The same hour a week apart is alike, which is what the
 * traffic-drop rules compare.
 */
export function weeklyVolume(t: number, utcOffsetMinutes: number, holidays: ReadonlyArray<[number, number]> = []): number {
  const local = t + utcOffsetMinutes * 60;
  const hour = (local % DAY) / HOUR;
  const weekday = (Math.floor(local / DAY) + 4) % 7; // 1970-01-01 was a Thursday (0 = Sunday)
  const daily = 0.575 - 0.425 * Math.cos((2 * Math.PI * (hour - 3)) / 24);
  const week = weekday === 0 || weekday === 6 ? 0.75 : 1;
  const holiday = holidays.some(([from, to]) => t >= from && t < to) ? 0.4 : 1;
  return daily * week * holiday;
}

/** [from, to) in seconds since 1970-01-01T00:00Z of business-clock dates. */
export function holidaySpans(dates: readonly string[], utcOffsetMinutes: number): Array<[number, number]> {
  return dates.map((d) => {
    const from = Date.parse(`${d}T00:00:00Z`) / 1000 - utcOffsetMinutes * 60;
    return [from, from + DAY];
  });
}

export function scenarios(config: Config, healthyDays = 30): Scenario[] {
  const channels = config.channels.map((c) => c.id);
  const budgetOf = (tx: string) => 1 - (config.transactions.find((t) => t.id === tx)?.objective ?? 0.9998);
  const billing = config.transactions.filter((t) => t.backends.includes('billing')).map((t) => t.id);
  const halfBudget = (tx: string) => () => budgetOf(tx) / 2;
  const after = (s: Scenario, t: number) => s.faultAt !== null && t >= s.faultAt;
  const noEvents: EventStream[] = [];
  const offset = config.service.utcOffsetMinutes;
  // Failures of one pair at a share of its runs, independently (never forced into a row): one bad
  // node behind a load balancer. Core pages through the failure-share rule; non-core warns.
  const interleaved = (transaction: string, share: number, hours: number): Scenario => ({
    id: `interleaved-${transaction}-${share * 100}pct`,
    title: `${share * 100}% of ${transaction} probes fail on app, interleaved (${config.transactions.find((t) => t.id === transaction)?.tier ?? '?'})`,
    seconds: HISTORY + hours * HOUR,
    faultAt: HISTORY,
    checks: pairs(channels, [transaction], config),
    probe(c, t, h, random) {
      return after(this, t) && c.channel === 'app' ? { ok: random() >= share, seconds: h.seconds } : h;
    },
    events: noEvents,
  });
  // Real topups on three channels with the week's shape; a week of history is the least the
  // expectation needs. The fault starts at 15:00 on the business clock of day 8 (a Thursday).
  const trafficChannels = channels.filter((c) => ['web', 'app', 'sms'].includes(c)).slice(0, 3);
  const trafficFault = 7 * DAY + 15 * HOUR - offset * 60;
  const drop = (id: string, title: string, dropping: (channel: string) => boolean): Scenario => ({
    id,
    title,
    seconds: trafficFault + 3 * HOUR,
    faultAt: trafficFault,
    // A week and more of real events only: promtool at 30 s steps would take many minutes for a
    // rule that reads hourly counts, so these replay at 5-minute steps (times to 5 minutes).
    stepSeconds: 300,
    checks: [],
    probe: (_c, _t, h) => h,
    events: trafficChannels.map((channel) => ({
      check: { channel, transaction: 'topup', tier: 'core' },
      perSecond: 5,
      failureRatio: halfBudget('topup'),
      volume: (t: number) => weeklyVolume(t, offset) * (t >= trafficFault && dropping(channel) ? TRAFFIC_DROP_TO : 1),
    })),
  });
  const spans = holidaySpans(HOLIDAYS, offset);
  const seasonal = (channel: string, transaction: string, perSecond: number): EventStream => {
    const tier = config.transactions.find((t) => t.id === transaction)?.tier ?? 'core';
    return { check: { channel, transaction, tier }, perSecond, failureRatio: halfBudget(transaction), volume: (t) => weeklyVolume(t, offset, spans) };
  };
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
          perSecond: 10,
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
    interleaved('bill_query', 0.5, 4),
    interleaved('bill_query', 0.2, 4),
    interleaved('bill_query', 0.05, 8),
    interleaved('data_addon', 0.5, 4),
    interleaved('data_addon', 0.2, 12),
    interleaved('data_addon', 0.05, 8),
    drop('traffic-drop-one', `real topups on web drop to ${TRAFFIC_DROP_TO * 100}% of the usual hour of the week (${trafficChannels.join(', ')} carry topup)`, (c) => c === 'web'),
    drop('traffic-drop-everywhere', `real topups drop to ${TRAFFIC_DROP_TO * 100}% of the usual on every channel (${trafficChannels.join(', ')})`, () => true),
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
        { check: { channel: 'web', transaction: 'topup', tier: 'core' }, perSecond: 10, failureRatio: halfBudget('topup') },
        { check: { channel: 'app', transaction: 'data_addon', tier: 'noncore' }, perSecond: 1, failureRatio: halfBudget('data_addon') },
      ],
    },
    {
      id: 'healthy-month-traffic',
      title: `30 days of real traffic following the week (nights at 15%, weekends at 75%), a configured holiday on ${HOLIDAYS.join(', ')} at 40% of the usual; no fault`,
      seconds: 30 * DAY,
      faultAt: null,
      // Real events only (the probes' month is the row above), so 5-minute steps replay it in minutes.
      stepSeconds: 300,
      checks: [],
      probe: (_c, _t, h) => h,
      // Topup on three channels (so a drop everywhere could be judged) and a non-core pair; the
      // holiday is configured, as an operator would.
      events: [seasonal('web', 'topup', 10), seasonal('app', 'topup', 5), seasonal('sms', 'topup', 2), seasonal('app', 'data_addon', 1)],
      holidays: HOLIDAYS,
    },
  ];
  return list;
}

/** Step-by-step outcomes of every check of a scenario, from a fixed seed. */
export const stepOf = (s: Scenario): number => s.stepSeconds ?? STEP_SECONDS;

export function materialize(config: Config, s: Scenario, seed: number): { probes: Map<Check, ProbeStep[]>; events: Map<EventStream, Array<{ events: number; failures: number }>> } {
  const random = seededRandom(seed);
  const step = stepOf(s);
  const steps = Math.floor(s.seconds / step) + 1;
  const probes = new Map<Check, ProbeStep[]>();
  for (const c of s.checks) {
    const out: ProbeStep[] = [];
    for (let i = 0; i < steps; i++) {
      const t = i * step;
      out.push(s.probe(c, t, healthyStep(config, c, random), random));
    }
    probes.set(c, out);
  }
  const events = new Map<EventStream, Array<{ events: number; failures: number }>>();
  for (const e of s.events) {
    const out: Array<{ events: number; failures: number }> = [];
    for (let i = 0; i < steps; i++) {
      const t = i * step;
      // With a shape, the count per step is Poisson-like around it (a binomial of twice the mean at one half).
      const n = e.volume ? binomialDraw(Math.round(2 * e.perSecond * step * e.volume(t)), 0.5, random) : e.perSecond * step;
      out.push({ events: n, failures: binomialDraw(n, e.failureRatio(t), random) });
    }
    events.set(e, out);
  }
  return { probes, events };
}
