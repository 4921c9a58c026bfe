// The report's tables and summary as plain text cells, shared by the HTML and Markdown renderers
// so both say exactly the same thing.
import * as f from './format.js';
import type { Report, SuccessRow } from './model.js';

export interface Table {
  head: string[];
  rows: string[][];
  /** Row classes for the HTML (e.g. `missed`); Markdown ignores them. */
  classes?: string[];
}

const where = (r: { channel: string | null }) => r.channel ?? 'all channels';

const TEXT_COLUMNS = new Set(['transaction', 'channel', 'tier', 'basis', 'verdict', 'top reason', 'reason', 'alert', 'severity', 'labels', 'status', 'step', 'code', 'meaning', 'channels']);

/** Names and words read left-aligned; numbers right-aligned so their digits line up. */
export function isTextColumn(head: string): boolean {
  return TEXT_COLUMNS.has(head);
}

export function successTable(rows: readonly SuccessRow[], withChannel: boolean): Table {
  return {
    head: ['transaction', ...(withChannel ? ['channel'] : []), 'tier', 'basis', 'volume', 'failures', 'success', 'objective', 'verdict', 'margin', 'budget spent', 'top reason'],
    rows: rows.map((r) => [
      r.transaction,
      ...(withChannel ? [where(r)] : []),
      r.tier,
      f.basis(r.basis),
      f.count(r.total),
      f.count(r.failures),
      f.percent(r.successRatio),
      f.percent(r.objective, 2),
      f.verdict(r.verdict),
      f.points(r.marginPoints),
      f.budget(r.budgetSpent),
      r.topReason ?? f.MISSING,
    ]),
    classes: rows.map((r) => r.verdict),
  };
}

export function reasonTable(report: Report, basis: 'real' | 'probe'): Table {
  return {
    head: ['reason', 'failures', 'share', 'previous period'],
    rows: report.failures[basis].map((r) => [r.reason, f.count(r.failures), f.percent(r.share, 1), f.count(r.previousFailures)]),
  };
}

const byChannel = (counts: Record<string, number>) =>
  Object.entries(counts)
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))
    .map(([channel, n]) => `${channel} ${f.count(n)}`)
    .join(', ');

export function stepTable(report: Report): Table {
  return {
    head: ['transaction', 'step', 'reason', 'failures', 'channels', 'previous period'],
    rows: report.failures.steps.map((r) => [r.transaction, r.step, r.reason, f.count(r.failures), byChannel(r.byChannel), f.count(r.previousFailures)]),
  };
}

/** Business codes of probe steps (with the step) or of real transactions (no step). */
export function codeTable(report: Report, basis: 'probe' | 'real'): Table {
  if (basis === 'real') {
    return {
      head: ['code', 'meaning', 'transaction', 'failures', 'channels', 'previous period'],
      rows: report.failures.realCodes.map((r) => [r.code, r.meaning ?? f.MISSING, r.transaction, f.count(r.failures), byChannel(r.byChannel), f.count(r.previousFailures)]),
    };
  }
  return {
    head: ['code', 'meaning', 'transaction', 'step', 'failures', 'channels', 'previous period'],
    rows: report.failures.codes.map((r) => [r.code, r.meaning ?? f.MISSING, r.transaction, r.step ?? f.MISSING, f.count(r.failures), byChannel(r.byChannel), f.count(r.previousFailures)]),
  };
}

export function alertTable(report: Report): Table {
  const off = report.period.utcOffset;
  return {
    head: ['alert', 'severity', 'labels', 'episodes', 'firing for', 'first fired', 'last ended'],
    rows: report.alerts.rows.map((a) => [
      a.alertname,
      a.severity ?? f.MISSING,
      Object.entries(a.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ') || f.MISSING,
      String(a.episodes.length),
      f.duration(a.firingSeconds),
      `${f.localTime((a.episodes[0] as { start: string }).start, off)}${a.episodes[0]?.startedBefore ? ' (already firing)' : ''}`,
      `${f.localTime((a.episodes.at(-1) as { end: string }).end, off)}${a.episodes.at(-1)?.ongoingAtEnd ? ' (still firing)' : ''}`,
    ]),
  };
}

export function latencyTable(report: Report): Table {
  return {
    head: ['transaction', 'channel', 'p50', 'p95', 'p99', 'p95 threshold', 'p95 previous period'],
    rows: report.latency.rows.map((r) => [
      r.transaction,
      where(r),
      f.seconds(r.p50Seconds),
      f.seconds(r.p95Seconds),
      f.seconds(r.p99Seconds),
      r.thresholdSeconds === null ? f.MISSING : `${f.seconds(r.thresholdSeconds)}${r.overThreshold ? ' (over)' : ''}`,
      f.seconds(r.previousP95Seconds),
    ]),
    classes: report.latency.rows.map((r) => (r.overThreshold ? 'missed' : r.channel === null ? 'total' : '')),
  };
}

export function loadTable(report: Report): Table {
  const off = report.period.utcOffset;
  const unit = report.load.bucketSeconds === 3600 ? 'hour' : 'minute';
  return {
    head: ['channel', 'volume', 'previous', 'change', `peak ${unit} (${off})`, 'peak', 'previous peak', 'capacity', 'headroom', 'utilisation'],
    rows: report.load.channels.map((c) => [
      c.channel,
      f.count(c.total),
      f.count(c.previousTotal),
      f.change(c.totalChange),
      c.peak ? f.localTime(c.peak.start, off) : f.MISSING,
      f.perSecond(c.peak?.perSecond ?? null),
      f.perSecond(c.previousPeak?.perSecond ?? null),
      f.perSecond(c.capacityPerSecond),
      f.perSecond(c.headroomPerSecond),
      f.percent(c.utilisation, 1),
    ]),
    classes: report.load.channels.map((c) => (c.utilisation !== null && c.utilisation >= 0.8 ? 'missed' : '')),
  };
}

const TREND_TEXT = { rising: 'rising', flat_or_falling: 'flat or falling', at_or_over_capacity: 'AT OR OVER CAPACITY', not_enough_data: 'not enough days' } as const;

export function trendTable(report: Report): Table {
  return {
    head: ['channel', 'days fitted', 'slope per day', 'fitted peak now', 'projected in 4 weeks', 'capacity', 'weeks to capacity', 'status'],
    rows: report.load.channels.map((c) => [
      c.channel,
      String(c.trend.dailyPeaks.length),
      c.trend.slopePerDay === null ? f.MISSING : `${c.trend.slopePerDay < 0 ? '−' : '+'}${f.perSecond(Math.abs(c.trend.slopePerDay))}`,
      f.perSecond(c.trend.fittedNowPerSecond),
      f.perSecond(c.trend.projectedIn4WeeksPerSecond),
      f.perSecond(c.capacityPerSecond),
      c.trend.weeksToCapacity === null ? f.MISSING : c.trend.weeksToCapacity.toFixed(1),
      TREND_TEXT[c.trend.status],
    ]),
    classes: report.load.channels.map((c) => (c.trend.status === 'at_or_over_capacity' || (c.trend.weeksToCapacity !== null && c.trend.weeksToCapacity < 8) ? 'missed' : '')),
  };
}

export function weekOverWeekTable(report: Report): Table {
  const p95 = new Map(report.latency.rows.filter((r) => r.channel === null).map((r) => [r.transaction, r]));
  return {
    head: ['transaction', 'volume', 'previous', 'change', 'success', 'previous', 'change', 'p95', 'previous'],
    rows: report.success.transactions.map((t) => [
      t.transaction,
      f.count(t.total),
      f.count(t.previous?.total ?? null),
      f.change(t.previous ? relative(t.total, t.previous.total) : null),
      f.percent(t.successRatio),
      f.percent(t.previous?.successRatio ?? null),
      f.points(t.changePoints),
      f.seconds(p95.get(t.transaction)?.p95Seconds ?? null),
      f.seconds(p95.get(t.transaction)?.previousP95Seconds ?? null),
    ]),
  };
}

function relative(now: number, before: number): number | null {
  return before === 0 ? null : (now - before) / before;
}

/** The few lines a capacity review reads first. */
export function summaryLines(report: Report): string[] {
  const lines: string[] = [];
  const tx = report.success.transactions;
  const judged = tx.filter((t) => t.verdict === 'met' || t.verdict === 'missed');
  const missed = tx.filter((t) => t.verdict === 'missed');
  lines.push(
    `${judged.length - missed.length} of ${judged.length} transactions met their objective` +
      (missed.length ? `; missed: ${missed.map((t) => `${t.transaction} ${f.percent(t.successRatio)} vs ${f.percent(t.objective, 2)} (${f.budget(t.budgetSpent)} of budget)`).join(', ')}.` : '.'),
  );
  const worstRows = report.success.rows.filter((r) => r.verdict === 'missed').sort((a, b) => (b.budgetSpent ?? 0) - (a.budgetSpent ?? 0));
  if (worstRows.length) {
    lines.push(`Worst channel × transaction: ${worstRows.slice(0, 3).map((r) => `${r.channel}/${r.transaction} ${f.percent(r.successRatio)} (${f.budget(r.budgetSpent)} of budget, mostly ${r.topReason ?? 'unknown'})`).join('; ')}.`);
  }
  const reasons = report.failures[report.loadBasis];
  if (reasons.length) lines.push(`Top failure reason (${f.basis(report.loadBasis)}): ${reasons[0]?.reason} — ${f.count(reasons[0]?.failures ?? 0)} failures, ${f.percent(reasons[0]?.share ?? 0, 1)} of all.`);
  const topStep = report.failures.steps[0];
  if (topStep) lines.push(`Most failing probe step: ${topStep.transaction}/${topStep.step} (${topStep.reason}), ${f.count(topStep.failures)} failures on ${byChannel(topStep.byChannel)}.`);
  const topReal = report.failures.realCodes[0];
  if (topReal) lines.push(`Most frequent business code of real transactions: ${topReal.code}${topReal.meaning ? ` (${topReal.meaning})` : ''} on ${topReal.transaction}, ${f.count(topReal.failures)} times.`);
  const topCode = report.failures.codes[0];
  if (topCode) lines.push(`Most frequent business code of probes: ${topCode.code}${topCode.meaning ? ` (${topCode.meaning})` : ''} from ${topCode.transaction}/${topCode.step}, ${f.count(topCode.failures)} times.`);
  const firing = report.alerts.rows.reduce((s, a) => s + a.firingSeconds, 0);
  lines.push(report.alerts.rows.length ? `${report.alerts.rows.length} alert${report.alerts.rows.length === 1 ? '' : 's'} fired, ${f.duration(firing)} in all; longest: ${report.alerts.rows[0]?.alertname} (${f.duration(report.alerts.rows[0]?.firingSeconds ?? 0)}).` : 'No alerts fired.');
  const busiest = [...report.load.channels].filter((c) => c.utilisation !== null).sort((a, b) => (b.utilisation ?? 0) - (a.utilisation ?? 0))[0];
  if (busiest?.peak) {
    lines.push(`Busiest channel against capacity: ${busiest.channel}, peak ${f.perSecond(busiest.peak.perSecond)} at ${f.localTime(busiest.peak.start, report.period.utcOffset)}, ${f.percent(busiest.utilisation, 1)} of ${f.perSecond(busiest.capacityPerSecond)}.`);
  }
  const soonest = [...report.load.channels].filter((c) => c.trend.weeksToCapacity !== null).sort((a, b) => (a.trend.weeksToCapacity ?? 0) - (b.trend.weeksToCapacity ?? 0))[0];
  if (soonest) lines.push(`At the current trend, ${soonest.channel} reaches capacity in ${soonest.trend.weeksToCapacity?.toFixed(1)} weeks.`);
  return lines;
}
