// Asks Prometheus for the period and the one before it, and turns the answers into a Report.
// All I/O goes through the injected client; the figures themselves come from figures.ts.
import { formatUtcOffset, type Config } from '../config/index.js';
import { basisFigures, disagreement, DISAGREEMENT_METHOD, successSummary } from './bases.js';
import { ReportError } from './errors.js';
import {
  addOutcomes,
  ALERT_METHOD,
  alertEpisodes,
  dailyPeaks,
  emptyOutcomes,
  median,
  medianGap,
  peakBucket,
  projectTrend,
  rankReasons,
  relativeChange,
  round,
  sortKeys,
  successFigures,
  topReason,
  TREND_METHOD,
} from './figures.js';
import type { AlertRow, Basis, ChannelLoad, LatencyRow, Outcomes, PeriodInfo, ReasonRow, Report, SuccessRow } from './model.js';
import { REPORT_VERSION } from './model.js';
import { loadBucketMs, previousPeriod, type ReportPeriod } from './period.js';
import type { InstantSample, PrometheusClient, RangeSeries } from './prometheus.js';
import { mergeIntervals, PLANNED_METHOD, plannedFor, windowEpisodes, type Interval, type WindowEpisodes } from './planned.js';
import { alertsQuery, countedQuery, latencyQuery, loadQuery, maintenanceQuery, objectiveQuery, SERIES, totalsQuery } from './queries.js';
import { stepRows, STEPS_METHOD } from './steps.js';

export interface CollectInputs {
  client: PrometheusClient;
  period: ReportPeriod;
  /** Capacities, latency thresholds, objectives when Prometheus has none, and the display order. */
  config: Config | null;
  /** When the report is made (injected so tests control it). */
  now: () => number;
  /** One line per step, for stderr. */
  progress: (message: string) => void;
}

const QUANTILES = [0.5, 0.95, 0.99] as const;

/** Outcomes of one period, keyed by `transaction|channel`. */
interface PeriodOutcomes {
  real: Map<string, Outcomes>;
  probe: Map<string, Outcomes>;
  tiers: Map<string, string>;
}

const key = (transaction: string, channel: string) => `${transaction}|${channel}`;
const TOTAL_SERIES: Record<Basis, string> = { real: SERIES.realTotal, probe: SERIES.probeRuns };
const FAILURE_SERIES: Record<Basis, string> = { real: SERIES.realFailures, probe: SERIES.probeFailures };

export async function collectReport(inputs: CollectInputs): Promise<Report> {
  const { client, period, config } = inputs;
  const previous = previousPeriod(period);
  const rangeSeconds = (period.toMs - period.fromMs) / 1000;
  const endSeconds = period.toMs / 1000;
  const previousEndSeconds = previous.toMs / 1000;
  const steps = 8;
  let step = 0;
  const progress = (what: string) => inputs.progress(`[${++step}/${steps}] ${what}`);

  progress(`success and failure totals for ${period.label} from ${client.url}`);
  const current = await outcomes(client, rangeSeconds, endSeconds);
  if (current.real.size === 0 && current.probe.size === 0) {
    throw new ReportError(
      'CH_REPORT_NO_DATA',
      `Prometheus at ${client.url} has no samples of ${SERIES.probeRuns} or ${SERIES.realTotal} between ${new Date(period.fromMs).toISOString()} and ${new Date(period.toMs).toISOString()}; ` +
        'check that it scrapes channel-health and that the period is right',
    );
  }
  progress(`totals for the previous period ${previous.label}`);
  const before = await outcomes(client, rangeSeconds, previousEndSeconds);

  progress('objectives');
  const notes: string[] = [];
  const objectives = await objectivesFor(client, rangeSeconds, endSeconds, config, notes);

  const order = displayOrder(config, [current, before]);
  const realVolume = [...current.real.values()].reduce((s, o) => s + o.total, 0);
  const loadBasis: Basis = realVolume > 0 ? 'real' : 'probe';
  if (loadBasis === 'probe') {
    notes.push(`No real customer transactions (${SERIES.realTotal}) were reported in the period: success and load are measured on synthetic probe runs (${SERIES.probeRuns}), which show availability, not customer volume.`);
  }

  const { rows, transactions } = successRows(order, current, before, objectives);
  // Planned time: asked alongside the objectives; a channel-health without maintenance windows has no such series.
  const episodes = windowEpisodes(await client.samples(maintenanceQuery(rangeSeconds), endSeconds), period.fromMs / 1000, endSeconds);
  await markPlanned(client, episodes, rows, transactions, config, objectives);
  if (rows.some((r) => r.basis === 'real') && rows.some((r) => r.basis === 'probe')) {
    notes.push('Both bases are shown side by side; the week-over-week comparison and the headline basis are real transactions where a channel reported them, probe runs elsewhere.');
  }

  progress('probe latency quantiles');
  const latency = await latencyRows(client, rangeSeconds, endSeconds, previousEndSeconds, order, config);
  if (latency.length === 0) notes.push(`No probe latency (${SERIES.probeDuration}) in the period.`);

  progress(`load per channel (${loadBasis === 'real' ? 'real transactions' : 'probe runs'}) over both periods`);
  const bucketMs = loadBucketMs(period);
  const bucketSeconds = bucketMs / 1000;
  // Buckets are counted from the period's start both ways, so none straddles the boundary between
  // the periods; a period that is not a whole number of buckets leaves its last part out of peaks.
  const whole = Math.floor((period.toMs - period.fromMs) / bucketMs);
  const series = await client.range(
    loadQuery(loadBasis, bucketSeconds),
    (period.fromMs - (whole - 1) * bucketMs) / 1000,
    (period.fromMs + whole * bucketMs) / 1000,
    bucketSeconds,
  );
  const channelLoads = loadByChannel(order.channels, series, current, before, loadBasis, period, bucketSeconds, config);
  if (loadBasis === 'probe' && channelLoads.some((c) => c.capacityPerSecond !== null)) {
    notes.push('Headroom and time to capacity are not computed: capacity is customer transactions per second, and probe runs are not customer load.');
  }

  progress('failing steps and business codes');
  const failing = await stepRows(client, rangeSeconds, endSeconds, previousEndSeconds, config);
  // A run that could not start (reason internal: no free account, a template error) has no failing step.
  const probeFailed = [...current.probe.values()].reduce((n, o) => n + o.failures - (o.byReason.internal ?? 0), 0);
  if (probeFailed > 0 && failing.steps.length === 0) {
    notes.push(`Probe runs failed but Prometheus has no ${SERIES.stepFailures} in the period (a channel-health older than this report?): failing steps and codes are not ranked.`);
  }

  progress('alerts that fired');
  const alertSeries = await client.samples(alertsQuery(rangeSeconds), endSeconds);
  const alerts = alertRows(alertSeries, period);

  progress('done querying');
  return {
    reportVersion: REPORT_VERSION,
    generatedAt: new Date(inputs.now()).toISOString(),
    prometheus: client.url,
    config: config?.source ?? null,
    period: periodInfo(period),
    previousPeriod: periodInfo(previous),
    loadBasis,
    notes,
    success: { summary: successSummary(transactions, rows), disagreementMethod: DISAGREEMENT_METHOD, transactions, rows },
    planned: {
      method: PLANNED_METHOD,
      windows: episodes.map((e) => ({
        window: e.window,
        channel: e.channel,
        backend: e.backend,
        seconds: e.intervals.reduce((n, [a, b]) => n + b - a, 0),
        intervals: e.intervals.map(([a, b]) => ({ start: new Date(a * 1000).toISOString(), end: new Date(b * 1000).toISOString() })),
      })),
    },
    failures: {
      real: reasonRows(current.real, before.real),
      probe: reasonRows(current.probe, before.probe),
      steps: failing.steps,
      codes: failing.codes,
      realCodes: failing.realCodes,
      stepsMethod: STEPS_METHOD,
    },
    alerts: { method: ALERT_METHOD, rows: alerts },
    latency: { source: `Synthetic probes (${SERIES.probeDuration}), histogram_quantile over the whole period.`, rows: latency },
    load: {
      basis: loadBasis,
      bucketSeconds,
      channels: channelLoads,
      series: order.channels
        .map((channel) => ({ channel, points: (series.find((s) => s.labels.channel === channel)?.points ?? []).map(([t, v]) => [t - bucketSeconds, round(v, 3)] as [number, number]) }))
        .filter((s) => s.points.length > 0),
    },
    trend: { method: TREND_METHOD },
  };
}

function periodInfo(p: ReportPeriod): PeriodInfo {
  return { label: p.label, from: new Date(p.fromMs).toISOString(), to: new Date(p.toMs).toISOString(), utcOffset: formatUtcOffset(p.utcOffsetMinutes) };
}

/**
 * Totals and failures per pair over the range ending at `atSeconds`. Failures: the last value minus
 * the value at the start, always. Totals: increase() for a period, or, `exact`, last minus start too
 * (short planned intervals, where increase()'s extrapolation would miscount a burst at the edge).
 */
async function outcomes(client: PrometheusClient, rangeSeconds: number, atSeconds: number, exact = false): Promise<PeriodOutcomes> {
  const totals = (basis: Basis) => (exact ? countedQuery(TOTAL_SERIES[basis], ['channel', 'transaction', 'tier'], rangeSeconds) : totalsQuery(basis, rangeSeconds));
  // Failure counters are created on their first failure (docs/metrics.md): always counted as last −
  // start, which counts the failure a series was born with; increase() would miss it.
  const failures = (basis: Basis) => countedQuery(FAILURE_SERIES[basis], ['channel', 'transaction', 'tier', 'reason'], rangeSeconds);
  const [realTotals, realFailures, probeTotals, probeFailures] = await Promise.all([
    client.instant(totals('real'), atSeconds),
    client.instant(failures('real'), atSeconds),
    client.instant(totals('probe'), atSeconds),
    client.instant(failures('probe'), atSeconds),
  ]);
  const tiers = new Map<string, string>();
  const build = (totals: InstantSample[], failures: InstantSample[]) => {
    const out = new Map<string, Outcomes>();
    for (const s of totals) {
      const { transaction, channel, tier } = s.labels;
      if (!transaction || !channel || Number.isNaN(s.value)) continue;
      if (tier) tiers.set(transaction, tier);
      out.set(key(transaction, channel), { total: round(s.value), failures: 0, byReason: {} });
    }
    for (const s of failures) {
      const { transaction, channel, reason } = s.labels;
      if (!transaction || !channel || !reason || Number.isNaN(s.value) || s.value <= 0) continue;
      const k = key(transaction, channel);
      const o = out.get(k) ?? emptyOutcomes();
      o.byReason[reason] = round((o.byReason[reason] ?? 0) + s.value);
      o.failures = round(o.failures + s.value);
      o.byReason = sortKeys(o.byReason);
      out.set(k, o);
    }
    return out;
  };
  return { real: build(realTotals, realFailures), probe: build(probeTotals, probeFailures), tiers };
}

async function objectivesFor(client: PrometheusClient, rangeSeconds: number, atSeconds: number, config: Config | null, notes: string[]): Promise<Map<string, number>> {
  const fromPrometheus = new Map<string, number>();
  for (const s of await client.instant(objectiveQuery(rangeSeconds), atSeconds)) {
    if (s.labels.transaction && Number.isFinite(s.value)) fromPrometheus.set(s.labels.transaction, s.value);
  }
  const out = new Map(fromPrometheus);
  const fromConfig: string[] = [];
  for (const t of config?.transactions ?? []) {
    const seen = fromPrometheus.get(t.id);
    if (seen === undefined) {
      out.set(t.id, t.objective);
      fromConfig.push(t.id);
    } else if (seen !== t.objective) {
      notes.push(`The objective of ${t.id} in Prometheus (${seen}) differs from the config (${t.objective}); the report uses Prometheus's, the one in force during the period.`);
    }
  }
  if (fromConfig.length > 0 && fromPrometheus.size > 0) notes.push(`Objectives of ${fromConfig.join(', ')} come from the config; Prometheus had none (${SERIES.objective}).`);
  if (fromPrometheus.size === 0) notes.push(`Prometheus has no ${SERIES.objective} in the period; objectives ${config ? 'come from the config' : 'are unknown (give --config)'}.`);
  return out;
}

interface DisplayOrder {
  transactions: string[];
  channels: string[];
}

/** Config order first (the order the operator wrote), then anything else Prometheus knows, sorted. */
function displayOrder(config: Config | null, periods: PeriodOutcomes[]): DisplayOrder {
  const transactions = new Set(config?.transactions.map((t) => t.id) ?? []);
  const channels = new Set(config?.channels.map((c) => c.id) ?? []);
  const extraT = new Set<string>();
  const extraC = new Set<string>();
  for (const p of periods) {
    for (const k of [...p.real.keys(), ...p.probe.keys()]) {
      const [t, c] = k.split('|') as [string, string];
      if (!transactions.has(t)) extraT.add(t);
      if (!channels.has(c)) extraC.add(c);
    }
  }
  return { transactions: [...transactions, ...[...extraT].sort()], channels: [...channels, ...[...extraC].sort()] };
}

function successRows(order: DisplayOrder, current: PeriodOutcomes, before: PeriodOutcomes, objectives: Map<string, number>): { rows: SuccessRow[]; transactions: SuccessRow[] } {
  const rows: SuccessRow[] = [];
  const transactions: SuccessRow[] = [];
  // Real-event series exist at zero for every configured channel × transaction; a pair is reported
  // when a probe checks it or real customers used it, not merely because the config allows it.
  const has = (k: string) => current.probe.has(k) || before.probe.has(k) || (current.real.get(k)?.total ?? 0) > 0 || (before.real.get(k)?.total ?? 0) > 0;
  for (const transaction of order.transactions) {
    const tier = current.tiers.get(transaction) ?? before.tiers.get(transaction) ?? '';
    const objective = objectives.get(transaction) ?? null;
    const mine: SuccessRow[] = [];
    for (const channel of order.channels) {
      const k = key(transaction, channel);
      if (!has(k)) continue;
      mine.push(
        successRow(transaction, channel, tier, objective, current.real.get(k) ?? emptyOutcomes(), current.probe.get(k) ?? emptyOutcomes(), before.real.get(k) ?? emptyOutcomes(), before.probe.get(k) ?? emptyOutcomes()),
      );
    }
    if (mine.length === 0) continue;
    rows.push(...mine);
    const sum = (pick: (r: SuccessRow) => Outcomes) => mine.map(pick).reduce(addOutcomes, emptyOutcomes());
    transactions.push(
      successRow(
        transaction,
        null,
        tier,
        objective,
        sum((r) => r.real),
        sum((r) => r.probe),
        sumPrevious(before.real, transaction, order.channels),
        sumPrevious(before.probe, transaction, order.channels),
      ),
    );
  }
  return { rows, transactions };
}

function sumPrevious(map: Map<string, Outcomes>, transaction: string, channels: string[]): Outcomes {
  return channels.map((c) => map.get(key(transaction, c)) ?? emptyOutcomes()).reduce(addOutcomes, emptyOutcomes());
}

function successRow(transaction: string, channel: string | null, tier: string, objective: number | null, real: Outcomes, probe: Outcomes, prevReal: Outcomes, prevProbe: Outcomes): SuccessRow {
  const basis: Basis = real.total > 0 ? 'real' : 'probe';
  const chosen = basis === 'real' ? real : probe;
  const figures = successFigures(chosen.total, chosen.failures, objective);
  const prevBasis: Basis = prevReal.total > 0 ? 'real' : 'probe';
  const prevChosen = prevBasis === 'real' ? prevReal : prevProbe;
  const prevRatio = successFigures(prevChosen.total, prevChosen.failures, null).successRatio;
  const bases = { probe: basisFigures(probe, objective), real: basisFigures(real, objective) };
  return {
    transaction,
    channel,
    tier,
    objective,
    basis,
    total: chosen.total,
    failures: chosen.failures,
    ...figures,
    topReason: topReason(chosen.byReason),
    real,
    probe,
    bases,
    disagreement: disagreement(bases.probe, bases.real),
    planned: null,
    previous: prevChosen.total > 0 ? { basis: prevBasis, total: prevChosen.total, failures: prevChosen.failures, successRatio: prevRatio } : null,
    changePoints: figures.successRatio !== null && prevRatio !== null ? round((figures.successRatio - prevRatio) * 100, 6) : null,
  };
}

function reasonRows(current: Map<string, Outcomes>, before: Map<string, Outcomes>): ReasonRow[] {
  const total = (m: Map<string, Outcomes>) => [...m.values()].reduce(addOutcomes, emptyOutcomes());
  const now = total(current);
  const prev = total(before);
  return rankReasons(now.byReason).map(([reason, failures]) => ({
    reason,
    failures,
    share: round(failures / now.failures),
    previousFailures: prev.byReason[reason] ?? 0,
  }));
}

async function latencyRows(client: PrometheusClient, rangeSeconds: number, endSeconds: number, previousEndSeconds: number, order: DisplayOrder, config: Config | null): Promise<LatencyRow[]> {
  const byTx = await Promise.all(QUANTILES.map((q) => client.instant(latencyQuery(q, ['transaction'], rangeSeconds), endSeconds)));
  const byTxChannel = await Promise.all(QUANTILES.map((q) => client.instant(latencyQuery(q, ['transaction', 'channel'], rangeSeconds), endSeconds)));
  const previousP95 = await client.instant(latencyQuery(0.95, ['transaction'], rangeSeconds), previousEndSeconds);
  const pick = (samples: InstantSample[] | undefined, transaction: string, channel: string | null) => {
    const s = samples?.find((x) => x.labels.transaction === transaction && (channel === null || x.labels.channel === channel));
    return s && Number.isFinite(s.value) ? round(s.value) : null;
  };
  const rows: LatencyRow[] = [];
  for (const transaction of order.transactions) {
    const thresholdMs = config?.transactions.find((t) => t.id === transaction)?.latencyThresholdMs ?? null;
    const thresholdSeconds = thresholdMs === null ? null : thresholdMs / 1000;
    const row = (channel: string | null, sets: InstantSample[][]): LatencyRow | null => {
      const [p50, p95, p99] = [pick(sets[0], transaction, channel), pick(sets[1], transaction, channel), pick(sets[2], transaction, channel)];
      if (p50 === null && p95 === null && p99 === null) return null;
      return {
        transaction,
        channel,
        p50Seconds: p50,
        p95Seconds: p95,
        p99Seconds: p99,
        thresholdSeconds,
        overThreshold: thresholdSeconds === null || p95 === null ? null : p95 > thresholdSeconds,
        previousP95Seconds: channel === null ? pick(previousP95, transaction, null) : null,
      };
    };
    const all = row(null, byTx);
    if (all === null) continue;
    rows.push(all);
    for (const channel of order.channels) {
      const r = row(channel, byTxChannel);
      if (r) rows.push(r);
    }
  }
  return rows;
}

function loadByChannel(
  channels: string[],
  series: RangeSeries[],
  current: PeriodOutcomes,
  before: PeriodOutcomes,
  basis: Basis,
  period: ReportPeriod,
  bucketSeconds: number,
  config: Config | null,
): ChannelLoad[] {
  const fromSeconds = period.fromMs / 1000;
  const volume = (m: Map<string, Outcomes>, channel: string) => round([...m.entries()].filter(([k]) => k.endsWith(`|${channel}`)).reduce((s, [, o]) => s + o.total, 0));
  const out: ChannelLoad[] = [];
  for (const channel of channels) {
    const points = series.find((s) => s.labels.channel === channel)?.points.filter(([, v]) => Number.isFinite(v)) ?? [];
    const total = volume(current[basis], channel);
    const previousTotal = volume(before[basis], channel);
    if (points.length === 0 && total === 0 && previousTotal === 0) continue;
    const peak = peakBucket(points.filter(([t]) => t > fromSeconds), bucketSeconds);
    const previousPeak = peakBucket(points.filter(([t]) => t <= fromSeconds), bucketSeconds);
    const capacity = config?.channels.find((c) => c.id === channel)?.capacityPerSecond ?? null;
    // Capacity is sized for customers; comparing it with the probe schedule would flatter every channel.
    const against = basis === 'real' ? capacity : null;
    out.push({
      channel,
      total,
      previousTotal,
      totalChange: relativeChange(total, previousTotal),
      peak,
      previousPeak,
      peakChange: relativeChange(peak?.perSecond ?? null, previousPeak?.perSecond ?? null),
      capacityPerSecond: capacity,
      headroomPerSecond: against === null ? null : round(against - (peak?.perSecond ?? 0)),
      utilisation: against === null ? null : round((peak?.perSecond ?? 0) / against),
      // Trends are fitted on daily peaks, which an hour-bucketed series is needed for.
      trend: projectTrend(bucketSeconds === 3600 ? dailyPeaks(points, period.fromMs / 1000, bucketSeconds) : [], against),
    });
  }
  return out;
}

function alertRows(series: RangeSeries[], period: ReportPeriod): AlertRow[] {
  const fromSeconds = period.fromMs / 1000;
  const toSeconds = period.toMs / 1000;
  const gaps = series.map((s) => medianGap(s.points.map(([t]) => t))).filter((g): g is number => g !== null);
  // An alert seen in one evaluation only has no gap of its own; the other alerts' interval stands in.
  const fallbackGap = median(gaps);
  const rows = series.map((s) => {
    const { alertname = '', alertstate: _state, severity, __name__: _name, ...labels } = s.labels;
    const episodes = alertEpisodes(
      s.points.filter(([, v]) => v > 0).map(([t]) => t),
      fromSeconds,
      toSeconds,
      fallbackGap,
    );
    return {
      alertname,
      severity: severity ?? null,
      labels: sortKeys(labels),
      firingSeconds: round(episodes.reduce((sum, e) => sum + e.durationSeconds, 0), 3),
      episodes,
    };
  });
  return rows
    .filter((r) => r.episodes.length > 0)
    .sort((a, b) => b.firingSeconds - a.firingSeconds || (a.alertname < b.alertname ? -1 : a.alertname > b.alertname ? 1 : JSON.stringify(a.labels) < JSON.stringify(b.labels) ? -1 : 1));
}

/**
 * Counts what happened inside each row's planned intervals (one set of totals per distinct
 * interval, all pairs at once) and judges each row again without it.
 */
async function markPlanned(client: PrometheusClient, episodes: WindowEpisodes[], rows: SuccessRow[], transactions: SuccessRow[], config: Config | null, objectives: Map<string, number>): Promise<void> {
  if (episodes.length === 0) return;
  const backendsOf = new Map((config?.transactions ?? []).map((t) => [t.id, t.backends]));
  const intervalsOf = new Map<SuccessRow, Interval[]>();
  for (const r of rows) {
    const iv = plannedFor(episodes, r.channel as string, backendsOf.get(r.transaction) ?? []);
    if (iv.length > 0) intervalsOf.set(r, iv);
  }
  const distinct = new Map<string, Interval>();
  for (const iv of intervalsOf.values()) for (const i of iv) distinct.set(`${i[0]}-${i[1]}`, i);
  const counted = new Map<string, PeriodOutcomes>();
  for (const [k, [a, b]] of distinct) counted.set(k, await outcomes(client, b - a, b, true));
  const inside = (r: SuccessRow, basis: Basis) =>
    (intervalsOf.get(r) ?? []).map((i) => counted.get(`${i[0]}-${i[1]}`)?.[basis].get(key(r.transaction, r.channel as string)) ?? emptyOutcomes()).reduce(addOutcomes, emptyOutcomes());
  const without = (all: Outcomes, planned: Outcomes): Outcomes => ({ total: round(all.total - planned.total), failures: round(all.failures - planned.failures), byReason: subtractReasons(all.byReason, planned.byReason) });
  const figures = (r: SuccessRow, probe: Outcomes, real: Outcomes, seconds: number) => {
    const objective = objectives.get(r.transaction) ?? null;
    r.planned = { seconds, probe, real, without: { probe: basisFigures(without(r.probe, probe), objective), real: basisFigures(without(r.real, real), objective) } };
  };
  for (const [r, iv] of intervalsOf) figures(r, inside(r, 'probe'), inside(r, 'real'), iv.reduce((n, [a, b]) => n + b - a, 0));
  for (const t of transactions) {
    const mine = rows.filter((r) => r.transaction === t.transaction && r.planned);
    if (mine.length === 0) continue;
    const sum = (basis: Basis) => mine.map((r) => (r.planned as NonNullable<SuccessRow['planned']>)[basis]).reduce(addOutcomes, emptyOutcomes());
    figures(t, sum('probe'), sum('real'), mergeIntervals(mine.flatMap((r) => intervalsOf.get(r) ?? [])).reduce((n, [a, b]) => n + b - a, 0));
  }
}

function subtractReasons(all: Record<string, number>, planned: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [reason, n] of Object.entries(all)) {
    const left = round(n - (planned[reason] ?? 0));
    if (left > 0) out[reason] = left;
  }
  return out;
}
