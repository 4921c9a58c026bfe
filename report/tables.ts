// The report's tables and summary as plain text cells, shared by the HTML and Markdown renderers
// so both say exactly the same thing.
import * as f from './format.js';
import type { BasisFigures, Report, SuccessRow, VerdictCounts } from './model.js';

export interface Table {
  head: string[];
  rows: string[][];
  /** Row classes for the HTML (e.g. `missed`); Markdown ignores them. */
  classes?: string[];
}

const where = (r: { channel: string | null }) => r.channel ?? 'all channels';

const TEXT_COLUMNS = new Set(['window', 'scope', 'transaction', 'channel', 'tier', 'basis', 'bases', 'verdict', 'probe verdict', 'real verdict', 'top reason', 'probe top reason', 'real top reason', 'disagreement', 'usually means', 'reason', 'alert', 'severity', 'labels', 'status', 'step', 'code', 'meaning', 'channels']);

/** Names and words read left-aligned; numbers right-aligned so their digits line up. */
export function isTextColumn(head: string): boolean {
  return TEXT_COLUMNS.has(head);
}

/** Both bases side by side: probes, then real transactions, each judged on its own, then whether they agree. */
export function successTable(rows: readonly SuccessRow[], withChannel: boolean): Table {
  const side = (b: BasisFigures) => [f.count(b.total), f.percent(b.successRatio), f.verdict(b.verdict), f.budget(b.budgetSpent), b.topReason ?? f.MISSING];
  return {
    head: [
      'transaction',
      ...(withChannel ? ['channel'] : []),
      'tier',
      'objective',
      'probe runs',
      'probe success',
      'probe verdict',
      'probe budget',
      'probe top reason',
      'real volume',
      'real success',
      'real verdict',
      'real budget',
      'real top reason',
      'bases',
    ],
    rows: rows.map((r) => [r.transaction, ...(withChannel ? [where(r)] : []), r.tier, f.percent(r.objective, 2), ...side(r.bases.probe), ...side(r.bases.real), basesCell(r)]),
    classes: rows.map((r) => (r.bases.probe.verdict === 'missed' || r.bases.real.verdict === 'missed' ? 'missed' : r.bases.probe.verdict === 'met' || r.bases.real.verdict === 'met' ? 'met' : '')),
  };
}

const judged = (v: string) => v === 'met' || v === 'missed';

/** `agree` only when both bases were judged; one basis alone agrees with nothing. */
function basesCell(r: SuccessRow): string {
  if (r.disagreement) return f.agreement(r.disagreement);
  return judged(r.bases.probe.verdict) && judged(r.bases.real.verdict) ? 'agree' : 'one basis only';
}

/** Rows a maintenance window covered: each basis with and without the planned time. */
export function plannedTable(report: Report): Table {
  const rows = [...report.success.transactions, ...report.success.rows].filter((r) => r.planned);
  return {
    head: ['transaction', 'channel', 'planned time', 'probe success', 'without planned', 'probe verdict', 'real success', 'without planned', 'real verdict'],
    rows: rows.map((r) => {
      const p = r.planned as NonNullable<SuccessRow['planned']>;
      return [
        r.transaction,
        where(r),
        f.duration(p.seconds),
        f.percent(r.bases.probe.successRatio),
        f.percent(p.without.probe.successRatio),
        `${f.verdict(r.bases.probe.verdict)} → ${f.verdict(p.without.probe.verdict)}`,
        f.percent(r.bases.real.successRatio),
        f.percent(p.without.real.successRatio),
        `${f.verdict(r.bases.real.verdict)} → ${f.verdict(p.without.real.verdict)}`,
      ];
    }),
  };
}

/** The windows that were on in the period. */
export function windowTable(report: Report): Table {
  const off = report.period.utcOffset;
  return {
    head: ['window', 'scope', 'planned time', 'first on', 'last off'],
    rows: report.planned.windows.map((w) => [
      w.window,
      w.channel ? `channel ${w.channel}` : `backend ${w.backend ?? f.MISSING}`,
      f.duration(w.seconds),
      f.localTime((w.intervals[0] as { start: string }).start, off),
      f.localTime((w.intervals.at(-1) as { end: string }).end, off),
    ]),
  };
}

/** Every transaction and (transaction, channel) whose bases disagree, with what that usually means. */
export function disagreementTable(report: Report): Table {
  const rows = [...report.success.transactions, ...report.success.rows].filter((r) => r.disagreement);
  return {
    head: ['transaction', 'channel', 'probe success', 'probe verdict', 'real success', 'real verdict', 'disagreement', 'usually means'],
    rows: rows.map((r) => [
      r.transaction,
      where(r),
      f.percent(r.bases.probe.successRatio),
      f.verdict(r.bases.probe.verdict),
      f.percent(r.bases.real.successRatio),
      f.verdict(r.bases.real.verdict),
      f.agreement(r.disagreement),
      r.disagreement?.meaning ?? '',
    ]),
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

function pairs(c: VerdictCounts): string {
  return c.missed ? `${c.missed} of ${c.judged} channel × transaction pairs missed` : `all ${c.judged} channel × transaction pairs met`;
}

function relative(now: number, before: number): number | null {
  return before === 0 ? null : (now - before) / before;
}

/** The few lines a capacity review reads first. */
export function summaryLines(report: Report): string[] {
  const lines: string[] = [];
  const { summary } = report.success;
  const missedOn = (rows: readonly SuccessRow[], basis: 'probe' | 'real') =>
    rows
      .filter((r) => r.bases[basis].verdict === 'missed')
      .map((r) => `${r.channel ? `${r.channel}/` : ''}${r.transaction} ${f.percent(r.bases[basis].successRatio)} vs ${f.percent(r.objective, 2)} (${f.budget(r.bases[basis].budgetSpent)} of budget)`)
      .join(', ');
  for (const basis of ['real', 'probe'] as const) {
    const c = summary[basis].transactions;
    const label = basis === 'real' ? 'Real transactions' : 'Probes';
    if (c.judged === 0) {
      lines.push(`${label}: no transaction with data and an objective.`);
      continue;
    }
    lines.push(`${label}: ${c.met} of ${c.judged} transactions met their objective${c.missed ? `; missed: ${missedOn(report.success.transactions, basis)}` : ''}; ${pairs(summary[basis].rows)}.`);
  }
  const split = report.success.rows.filter((r) => r.disagreement);
  const splitTx = report.success.transactions.filter((t) => t.disagreement);
  if (split.length || splitTx.length) {
    const name = (r: SuccessRow) => `${r.channel ? `${r.channel}/` : ''}${r.transaction} (${f.agreement(r.disagreement)})`;
    lines.push(`Probes and real traffic disagree on ${splitTx.length} transaction${splitTx.length === 1 ? '' : 's'} and ${split.length} channel × transaction pair${split.length === 1 ? '' : 's'}: ${[...splitTx, ...split].map(name).join('; ')}. See "Where probes and real traffic disagree".`);
  } else if (summary.probe.rows.judged && summary.real.rows.judged) {
    lines.push('Probes and real traffic agree on every transaction and channel.');
  }
  const plannedRows = report.success.rows.filter((r) => r.planned);
  if (plannedRows.length) {
    const flips = plannedRows.filter((r) => (['probe', 'real'] as const).some((b) => r.bases[b].verdict !== r.planned?.without[b].verdict));
    lines.push(
      `Planned time (maintenance windows) covered ${plannedRows.length} channel × transaction pair${plannedRows.length === 1 ? '' : 's'}; ` +
        (flips.length ? `without it the verdict changes for ${flips.map((r) => `${r.channel}/${r.transaction}`).join(', ')}.` : 'without it no verdict changes.') +
        ' See "Planned time".',
    );
  }
  const worstRows = report.success.rows.filter((r) => r.verdict === 'missed').sort((a, b) => (b.budgetSpent ?? 0) - (a.budgetSpent ?? 0));
  if (worstRows.length) {
    lines.push(`Worst channel × transaction: ${worstRows.slice(0, 3).map((r) => `${r.channel}/${r.transaction} ${f.percent(r.successRatio)} on ${f.basis(r.basis)} (${f.budget(r.budgetSpent)} of budget, mostly ${r.topReason ?? 'unknown'})`).join('; ')}.`);
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
