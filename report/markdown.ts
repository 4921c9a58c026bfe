// The Markdown summary for the meeting notes: the same figures as the HTML, without the charts.
import * as f from './format.js';
import type { Report } from './model.js';
import { alertTable, codeTable, disagreementTable, plannedTable, windowTable, isTextColumn, latencyTable, loadTable, reasonTable, stepTable, successTable, summaryLines, trendTable, weekOverWeekTable, type Table } from './tables.js';

function table(t: Table): string {
  if (t.rows.length === 0) return '_none_';
  const cell = (c: string) => c.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const align = t.head.map((h) => (isTextColumn(h) ? ':--' : '--:'));
  return [`| ${t.head.map(cell).join(' | ')} |`, `| ${align.join(' | ')} |`, ...t.rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

export function renderMarkdown(report: Report): string {
  const off = report.period.utcOffset;
  const unit = report.load.bucketSeconds === 3600 ? 'hour' : 'minute';
  const out = [
    `# Channel health — capacity-tuning report ${report.period.label}`,
    '',
    `Period ${f.localTime(report.period.from, off)} to ${f.localTime(report.period.to, off)} (${off}), compared with ${report.previousPeriod.label}. ` +
      `Source: Prometheus ${report.prometheus}${report.config ? `, config ${report.config}` : ''}. Generated ${report.generatedAt}.`,
    '',
    '## Summary',
    '',
    ...summaryLines(report).map((l) => `- ${l}`),
    '',
  ];
  if (report.notes.length) out.push('## Notes', '', ...report.notes.map((n) => `- ${n}`), '');
  out.push(
    '## Success against objective',
    '',
    'Each basis is judged on its own: probe runs (synthetic checks) and real customer transactions.',
    '',
    table(successTable(report.success.transactions, false)),
    '',
    '### By transaction and channel',
    '',
    table(successTable(report.success.rows, true)),
    '',
    '### Where probes and real traffic disagree',
    '',
    disagreementTable(report).rows.length ? table(disagreementTable(report)) : '_Nowhere: on every transaction and channel with both bases, probes and real traffic tell the same story._',
    '',
    `_${report.success.disagreementMethod}_`,
    '',
    '### Planned time',
    '',
    report.planned.windows.length ? `${table(windowTable(report))}\n\n${table(plannedTable(report))}` : '_No maintenance window was on in the period._',
    '',
    `_${report.planned.method}_`,
    '',
    '## Failure reasons',
    '',
    `### ${report.loadBasis === 'real' ? 'Real transactions' : 'Probe runs'}`,
    '',
    table(reasonTable(report, report.loadBasis)),
    '',
  );
  const other = report.loadBasis === 'real' ? 'probe' : 'real';
  if (report.failures[other].length) out.push(`### ${other === 'real' ? 'Real transactions' : 'Probe runs'}`, '', table(reasonTable(report, other)), '');
  out.push('## Failing probe steps', '', report.failures.steps.length ? table(stepTable(report)) : '_No probe step failed in the period._', '');
  if (report.failures.realCodes.length) out.push('### Business error codes of real transactions', '', table(codeTable(report, 'real')), '');
  out.push('### Business error codes of probes', '', report.failures.codes.length ? table(codeTable(report, 'probe')) : '_No failing step answered a business failure code._', '');
  out.push(
    `_${report.failures.stepsMethod}_`,
    '',
    '## Alerts fired',
    '',
    report.alerts.rows.length ? table(alertTable(report)) : 'No alert was firing at any time in the period.',
    '',
    `_${report.alerts.method}_`,
    '',
    '## Latency (probes)',
    '',
    table(latencyTable(report)),
    '',
    `## Peak ${unit} and headroom`,
    '',
    table(loadTable(report)),
    '',
    '## Trend and time to capacity',
    '',
    table(trendTable(report)),
    '',
    `_${report.trend.method}_`,
    '',
    `## Compared with ${report.previousPeriod.label}`,
    '',
    table(weekOverWeekTable(report)),
    '',
  );
  return out.join('\n');
}
