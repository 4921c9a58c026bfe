// The self-contained HTML report: inline CSS and SVG only, no script, no external assets, laid
// out to print on A4. Every section carries at least one chart and the table behind it.
import * as f from './format.js';
import type { Report } from './model.js';
import { escapeXml, hbarChart, lineChart, PALETTE, timelineChart } from './svg.js';
import { alertTable, codeTable, disagreementTable, plannedTable, windowTable, isTextColumn, latencyTable, loadTable, reasonTable, stepTable, successTable, summaryLines, trendTable, weekOverWeekTable, type Table } from './tables.js';

const CSS = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1a1a1a; margin: 24px auto; max-width: 1100px; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 0 0 8px; border-bottom: 2px solid #0072B2; padding-bottom: 2px; }
h3 { font-size: 14px; margin: 14px 0 4px; }
.meta { color: #555; margin: 0 0 16px; } .meta div { margin: 1px 0; }
.summary { background: #f5f8fb; border-left: 4px solid #0072B2; padding: 8px 14px; margin-bottom: 20px; }
.summary li { margin: 2px 0; }
.notes { background: #fff8e5; border-left: 4px solid #E69F00; padding: 6px 14px; }
section { margin: 26px 0; }
.chart { display: block; max-width: 760px; margin: 6px 0 10px; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(460px, 1fr)); gap: 8px; }
table { border-collapse: collapse; width: 100%; font-size: 12.5px; margin: 4px 0 10px; }
th, td { border-bottom: 1px solid #ddd; padding: 3px 6px; text-align: right; white-space: nowrap; }
th.text, td.text { text-align: left; }
th { white-space: normal; vertical-align: bottom; }
table.wide { font-size: 11.5px; } table.wide th, table.wide td { padding: 3px 4px; }
th { background: #f0f0f0; }
tr.missed td { background: #fdecea; } tr.missed td.verdict { color: #b00020; font-weight: 600; }
tr.met td.verdict { color: #007a4d; } tr.total td { font-weight: 600; }
tr td.verdict.v-missed { color: #b00020; font-weight: 600; } tr td.verdict.v-met { color: #007a4d; font-weight: 400; }
td.wrap { white-space: normal; min-width: 260px; }
.method { color: #555; font-size: 12.5px; }
@page { size: A4 landscape; margin: 12mm; }
@media print { body { margin: 0; max-width: none; } section { break-inside: avoid-page; } .summary, .notes { break-inside: avoid; } }
`;

export function renderHtml(report: Report): string {
  const off = report.period.utcOffset;
  const title = `Channel health — capacity-tuning report ${report.period.label}`;
  const meta = [
    `Period: ${f.localTime(report.period.from, off)} to ${f.localTime(report.period.to, off)} (${off}); compared with ${report.previousPeriod.label}`,
    `Source: Prometheus ${report.prometheus}${report.config ? `, config ${report.config}` : ''}; generated ${report.generatedAt}`,
    `Load and volumes count ${report.loadBasis === 'real' ? 'real customer transactions' : 'synthetic probe runs (no real transactions were reported)'}.`,
  ];
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeXml(title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    `<h1>${escapeXml(title)}</h1>`,
    `<div class="meta">${meta.map((m) => `<div>${escapeXml(m)}</div>`).join('')}</div>`,
    `<div class="summary"><strong>Summary</strong><ul>${summaryLines(report)
      .map((l) => `<li>${escapeXml(l)}</li>`)
      .join('')}</ul></div>`,
    report.notes.length ? `<div class="notes"><strong>Notes</strong><ul>${report.notes.map((n) => `<li>${escapeXml(n)}</li>`).join('')}</ul></div>` : '',
    successSection(report),
    failureSection(report),
    stepSection(report),
    alertSection(report),
    latencySection(report),
    loadSection(report),
    trendSection(report),
    weekOverWeekSection(report),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function section(id: string, heading: string, ...parts: string[]): string {
  return `<section id="${id}">\n<h2>${escapeXml(heading)}</h2>\n${parts.join('\n')}\n</section>`;
}

function table(t: Table): string {
  const cls = (h: string, cell: string) => {
    if (h === 'verdict' || h.endsWith(' verdict')) return ` class="text verdict${cell === 'MISSED' ? ' v-missed' : cell === 'met' ? ' v-met' : ''}"`;
    if (h === 'usually means') return ' class="text wrap"';
    return isTextColumn(h) ? ' class="text"' : '';
  };
  const head = t.head.map((h) => `<th${isTextColumn(h) ? ' class="text"' : ''}>${escapeXml(h)}</th>`).join('');
  const rows = t.rows
    .map((cells, ri) => {
      const rowClass = t.classes?.[ri];
      const tds = cells.map((c, i) => `<td${cls(t.head[i] ?? '', c)}>${escapeXml(c)}</td>`).join('');
      return `<tr${rowClass ? ` class="${escapeXml(rowClass)}"` : ''}>${tds}</tr>`;
    })
    .join('\n');
  // The side-by-side success tables have 15 columns: smaller type keeps them within the page.
  return `<table${t.head.length > 10 ? ' class="wide"' : ''}><thead><tr>${head}</tr></thead><tbody>\n${rows}\n</tbody></table>`;
}

const para = (text: string, cls = 'method') => `<p class="${cls}">${escapeXml(text)}</p>`;

function successSection(r: Report): string {
  const chart = hbarChart({
    title: 'Error budget spent per transaction, probes and real transactions',
    series: ['probes', 'real transactions'],
    groups: r.success.transactions.map((t) => ({ label: `${t.transaction} (${t.tier})`, values: [t.bases.probe.budgetSpent, t.bases.real.budgetSpent] })),
    format: (v) => f.budget(v),
    reference: { value: 1, label: 'whole budget' },
    cap: 3,
    empty: 'no transactions with an objective and volume',
  });
  const split = disagreementTable(r);
  return section(
    'success',
    'Success against objective',
    chart,
    para('Each basis is judged on its own: probe runs (synthetic checks) and real customer transactions. Budget spent = failures ÷ failures the objective allows for the volume (volume × (1 − objective)); over 100% means the objective was missed. Bars are cut at 300%.'),
    '<h3>By transaction, all channels</h3>',
    table(successTable(r.success.transactions, false)),
    '<h3>By transaction and channel</h3>',
    table(successTable(r.success.rows, true)),
    '<h3 id="disagreements">Where probes and real traffic disagree</h3>',
    split.rows.length ? table(split) : para('Nowhere: on every transaction and channel with both bases, probes and real traffic tell the same story.', ''),
    para(r.success.disagreementMethod),
    '<h3 id="planned">Planned time</h3>',
    r.planned.windows.length ? `${table(windowTable(r))}\n${table(plannedTable(r))}` : para('No maintenance window was on in the period.', ''),
    para(r.planned.method),
  );
}

function failureSection(r: Report): string {
  const primary = r.loadBasis;
  const reasons = r.failures[primary];
  const chart = hbarChart({
    title: `Failures by reason (${f.basis(primary)})`,
    series: ['this period', 'previous period'],
    groups: reasons.map((x) => ({ label: x.reason, values: [x.failures, x.previousFailures] })),
    format: (v) => f.count(v),
    empty: 'no failures in the period',
  });
  const other = primary === 'real' ? 'probe' : 'real';
  return section(
    'failures',
    'Failure reasons',
    chart,
    `<h3>${primary === 'real' ? 'Real transactions' : 'Probe runs'}</h3>`,
    table(reasonTable(r, primary)),
    r.failures[other].length ? `<h3>${other === 'real' ? 'Real transactions' : 'Probe runs'}</h3>\n${table(reasonTable(r, other))}` : '',
  );
}

function stepSection(r: Report): string {
  const chart = hbarChart({
    title: 'Failing probe steps',
    series: ['this period', 'previous period'],
    groups: r.failures.steps.map((x) => ({ label: `${x.transaction}/${x.step} (${x.reason})`, values: [x.failures, x.previousFailures] })),
    format: (v) => f.count(v),
    empty: 'no probe step failed in the period',
  });
  return section(
    'steps',
    'Failing steps and business codes',
    chart,
    r.failures.steps.length ? table(stepTable(r)) : '',
    r.failures.realCodes.length ? `<h3>Business error codes of real transactions</h3>\n${table(codeTable(r, 'real'))}` : '',
    '<h3>Business error codes of probes</h3>',
    r.failures.codes.length ? table(codeTable(r, 'probe')) : para('No failing step answered a business failure code.'),
    para(r.failures.stepsMethod),
  );
}

function alertSection(r: Report): string {
  const from = Date.parse(r.period.from) / 1000;
  const to = Date.parse(r.period.to) / 1000;
  const chart = timelineChart({
    title: 'When alerts were firing',
    rows: r.alerts.rows.map((a) => ({
      label: `${a.alertname}${a.labels.channel || a.labels.transaction ? ` ${[a.labels.channel, a.labels.transaction].filter(Boolean).join('/')}` : ''}`,
      spans: a.episodes.map((e) => [Date.parse(e.start) / 1000, Date.parse(e.end) / 1000] as const),
      color: a.severity === 'page' || a.severity === 'critical' ? '#D55E00' : '#E69F00',
    })),
    xMin: from,
    xMax: to,
    xTicks: timeTicks(from, to, f.offsetMinutes(r.period.utcOffset)),
    empty: 'no alerts fired in the period',
  });
  return section('alerts', 'Alerts fired', chart, r.alerts.rows.length ? table(alertTable(r)) : para('No alert was firing at any time in the period.', ''), para(r.alerts.method));
}

function latencySection(r: Report): string {
  const totals = r.latency.rows.filter((x) => x.channel === null);
  const chart = hbarChart({
    title: 'Probe latency per transaction (p50, p95, p99; red tick: p95 threshold)',
    series: ['p50', 'p95', 'p99'],
    groups: totals.map((x) => ({ label: x.transaction, values: [x.p50Seconds, x.p95Seconds, x.p99Seconds], marker: x.thresholdSeconds })),
    format: (v) => f.seconds(v),
    empty: 'no probe latency in the period',
  });
  return section('latency', 'Latency', chart, table(latencyTable(r)), para(r.latency.source));
}

function loadSection(r: Report): string {
  const off = f.offsetMinutes(r.period.utcOffset);
  const from = Date.parse(r.previousPeriod.from) / 1000;
  const mid = Date.parse(r.period.from) / 1000;
  const to = Date.parse(r.period.to) / 1000;
  const bucket = r.load.bucketSeconds;
  const unit = bucket === 3600 ? 'hour' : 'minute';
  const chart = lineChart({
    title: `Load per channel, per second averaged over each ${unit}`,
    series: r.load.series.map((s) => ({ name: s.channel, points: s.points.map(([t, v]) => [t, v / bucket] as const) })),
    xMin: from,
    xMax: to,
    xTicks: timeTicks(from, to, off),
    yFormat: (y) => f.perSecond(y),
    band: { x0: from, x1: mid, label: `previous: ${r.previousPeriod.label}` },
    empty: 'no load in either period',
  });
  const withCapacity = r.load.channels.filter((c) => c.utilisation !== null);
  const utilisation = hbarChart({
    title: `Peak ${unit} against capacity`,
    series: ['peak ÷ capacity'],
    groups: withCapacity.map((c) => ({ label: c.channel, values: [c.utilisation] })),
    format: (v) => f.percent(v, 1),
    reference: { value: 1, label: 'capacity' },
    empty: r.load.basis === 'real' ? 'no channel has capacityPerSecond in the config' : 'no headroom: probe runs are not customer load',
  });
  return section(
    'load',
    'Peak load and headroom',
    chart,
    utilisation,
    table(loadTable(r)),
    para(`Load counts ${r.load.basis === 'real' ? 'real customer transactions' : 'probe runs'} per ${unit}; headroom = capacity (channels.<id>.capacityPerSecond in the config) − the peak ${unit}'s average rate.`),
  );
}

function trendSection(r: Report): string {
  const off = f.offsetMinutes(r.period.utcOffset);
  const charts = r.load.channels.map((c, i) => {
    const peaks = c.trend.dailyPeaks.map((p) => [Date.parse(p.start) / 1000 + 43_200, p.perSecond] as const);
    const first = peaks[0]?.[0] ?? Date.parse(r.previousPeriod.from) / 1000;
    const last = peaks.at(-1)?.[0] ?? Date.parse(r.period.to) / 1000;
    const horizon = last + 28 * 86_400;
    const fitted =
      c.trend.slopePerDay !== null && c.trend.fittedNowPerSecond !== null
        ? [
            [first, c.trend.fittedNowPerSecond - c.trend.slopePerDay * ((last - first) / 86_400)] as const,
            [horizon, c.trend.fittedNowPerSecond + c.trend.slopePerDay * 28] as const,
          ]
        : [];
    return lineChart({
      title: `${c.channel}: daily peak and trend`,
      series: [
        { name: `${c.channel} daily peak`, points: peaks, dotsOnly: true, color: PALETTE[i % PALETTE.length] },
        { name: 'least-squares trend, 4 weeks ahead', points: fitted, dashed: true, color: '#555' },
      ],
      xMin: first - 43_200,
      xMax: horizon,
      xTicks: timeTicks(first - 43_200, horizon, off, 7 * 86_400),
      yFormat: (y) => f.perSecond(y),
      hLines: c.capacityPerSecond === null ? [] : [{ y: c.capacityPerSecond, label: `capacity ${f.perSecond(c.capacityPerSecond)}` }],
      empty: `${c.channel}: not enough days for a trend`,
      width: 480,
    });
  });
  return section(
    'trend',
    'Trend and time to capacity',
    charts.length ? `<div class="charts">${charts.join('\n')}</div>` : lineChart({ title: 'Trend', series: [], xMin: 0, xMax: 1, xTicks: [], yFormat: String, empty: 'no load to fit a trend to' }),
    table(trendTable(r)),
    para(r.trend.method),
  );
}

function weekOverWeekSection(r: Report): string {
  const chart = hbarChart({
    title: 'Change in success since the previous period (percentage points)',
    series: ['change'],
    groups: r.success.transactions.map((t) => ({ label: t.transaction, values: [t.changePoints] })),
    format: (v) => f.points(v),
    empty: 'nothing to compare: the previous period has no data',
  });
  const volume = hbarChart({
    title: 'Change in volume per channel',
    series: ['volume change'],
    groups: r.load.channels.map((c) => ({ label: c.channel, values: [c.totalChange] })),
    format: (v) => f.change(v),
    empty: 'nothing to compare: the previous period has no data',
  });
  return section('week-over-week', `Compared with ${r.previousPeriod.label}`, chart, volume, table(weekOverWeekTable(r)));
}

/**
 * Axis ticks on the business clock: the coarsest of minutes, hours, days or weeks that gives at most
 * about ten ticks; days read `Mon 16`, finer steps `14:00`.
 */
export function timeTicks(fromSeconds: number, toSeconds: number, offsetMinutes: number, minStep = 60): Array<{ x: number; label: string }> {
  const span = toSeconds - fromSeconds;
  const steps = [60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86_400, 2 * 86_400, 7 * 86_400, 14 * 86_400];
  const step = steps.find((s) => s >= minStep && span / s <= 10) ?? (steps.at(-1) as number);
  const offset = offsetMinutes * 60;
  // Weeks are aligned on local Mondays (1970-01-05 was one), everything else on local midnight multiples.
  const anchor = step >= 7 * 86_400 ? 4 * 86_400 : 0;
  const first = Math.ceil((fromSeconds + offset - anchor) / step) * step + anchor - offset;
  const ticks: Array<{ x: number; label: string }> = [];
  for (let t = first; t <= toSeconds; t += step) {
    const local = new Date((t + offset) * 1000);
    const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][local.getUTCMonth()];
    const weekday = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][local.getUTCDay()];
    const label = step >= 7 * 86_400 ? `${local.getUTCDate()} ${month}` : step >= 86_400 ? `${weekday} ${local.getUTCDate()}` : local.toISOString().slice(11, 16);
    ticks.push({ x: t, label });
  }
  return ticks;
}
