// Rendering a Report: every section has a chart even when it has nothing to show, the Markdown
// has the same figures, and time axes follow the business clock.
import { describe, expect, it } from 'vitest';
import { timeTicks } from '../../report/html.js';
import { renderHtml, renderMarkdown, renderJson, type Report } from '../../report/index.js';
import { escapeXml, hbarChart, niceTicks } from '../../report/svg.js';

function emptyWeek(): Report {
  const outcome = { total: 0, failures: 0, byReason: {} };
  return {
    reportVersion: 2,
    generatedAt: '2026-11-23T14:00:00.000Z',
    prometheus: 'http://prom.example:9090',
    config: null,
    period: { label: '2026-W47', from: '2026-11-15T16:00:00.000Z', to: '2026-11-22T16:00:00.000Z', utcOffset: 'UTC+08:00' },
    previousPeriod: { label: '2026-W46', from: '2026-11-08T16:00:00.000Z', to: '2026-11-15T16:00:00.000Z', utcOffset: 'UTC+08:00' },
    loadBasis: 'probe',
    notes: ['No real customer transactions <here>.'],
    success: {
      summary: {
        probe: { transactions: { judged: 1, met: 0, missed: 1 }, rows: { judged: 0, met: 0, missed: 0 } },
        real: { transactions: { judged: 0, met: 0, missed: 0 }, rows: { judged: 0, met: 0, missed: 0 } },
        disagreements: { transactions: 0, rows: 0 },
      },
      disagreementMethod: 'Probes and real traffic disagree when <one> misses.',
      transactions: [
        {
          transaction: 'topup',
          channel: null,
          tier: 'core',
          objective: 0.9998,
          basis: 'probe',
          total: 100,
          failures: 1,
          successRatio: 0.99,
          verdict: 'missed',
          marginPoints: -0.98,
          allowedFailures: 0.02,
          budgetSpent: 50,
          topReason: 'timeout',
          real: outcome,
          probe: { total: 100, failures: 1, byReason: { timeout: 1 } },
          bases: {
            probe: { total: 100, failures: 1, successRatio: 0.99, verdict: 'missed', marginPoints: -0.98, allowedFailures: 0.02, budgetSpent: 50, topReason: 'timeout' },
            real: { total: 0, failures: 0, successRatio: null, verdict: 'no_data', marginPoints: null, allowedFailures: null, budgetSpent: null, topReason: null },
          },
          disagreement: null,
          planned: null,
          previous: null,
          changePoints: null,
        },
      ],
      rows: [],
    },
    planned: { method: 'windows <on>', windows: [] },
    failures: { real: [], probe: [{ reason: 'timeout', failures: 1, share: 1, previousFailures: 0 }], steps: [], codes: [], realCodes: [], stepsMethod: 'Counted <exactly>.' },
    alerts: { method: 'raw samples', rows: [] },
    latency: { source: 'probes', rows: [] },
    load: { basis: 'probe', bucketSeconds: 3600, channels: [], series: [] },
    trend: { method: 'least squares' },
  };
}

describe('report rendering', () => {
  it('gives every section a chart, with a message where there is no data', () => {
    const html = renderHtml(emptyWeek());
    const sections = [...html.matchAll(/<section id="([^"]+)">([\s\S]*?)<\/section>/g)];
    expect(sections.map((m) => m[1])).toEqual(['success', 'failures', 'steps', 'alerts', 'latency', 'load', 'trend', 'week-over-week']);
    for (const [, id, body] of sections) expect(body, id).toMatch(/<svg [^>]*role="img"/);
    expect(html).toContain('no alerts fired in the period');
    expect(html).toContain('no probe latency in the period');
    expect(html).toContain('no probe step failed in the period');
    expect(html).toContain('Counted &lt;exactly&gt;.');
    expect(html).toContain('No real customer transactions &lt;here&gt;.');
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(/);
  });

  it('ranks failing steps and codes with their channels, in HTML and Markdown alike', () => {
    const report = emptyWeek();
    report.failures.steps = [{ transaction: 'topup', step: 'verify', reason: 'business_error', failures: 1234, byChannel: { app: 34, web: 1200 }, previousFailures: 5 }];
    report.failures.codes = [{ code: '5101', meaning: 'billing <BOSS> down', transaction: 'topup', step: 'verify', failures: 1200, byChannel: { web: 1200 }, previousFailures: 0 }];
    report.failures.realCodes = [{ code: '5201', meaning: 'payment gateway unavailable', transaction: 'topup', step: null, failures: 87, byChannel: { app: 87 }, previousFailures: 3 }];
    const md = renderMarkdown(report);
    expect(md).toContain('| topup | verify | business_error | 1,234 | web 1,200, app 34 | 5 |');
    expect(md).toContain('### Business error codes of real transactions');
    expect(md).toContain('| 5201 | payment gateway unavailable | topup | 87 | app 87 | 3 |');
    expect(md).toContain('- Most frequent business code of real transactions: 5201 (payment gateway unavailable) on topup, 87 times.');
    expect(md).toContain('| 5101 | billing <BOSS> down | topup | verify | 1,200 | web 1,200 | 0 |');
    expect(md).toContain('- Most failing probe step: topup/verify (business_error), 1,234 failures on web 1,200, app 34.');
    const html = renderHtml(report);
    expect(html).toContain('billing &lt;BOSS&gt; down');
    expect(html).toContain('topup/verify (business_error)');
  });

  it('writes the same figures in Markdown and JSON', () => {
    const report = emptyWeek();
    const md = renderMarkdown(report);
    expect(md).toContain('| topup | core | 99.98% | 100 | 99.000% | MISSED | 5000% | timeout | 0 | — | no data | — | — | one basis only |');
    expect(md).toContain('- Real transactions: no transaction with data and an objective.');
    expect(md).toContain('- Probes: 0 of 1 transactions met their objective; missed: topup 99.000% vs 99.98% (5000% of budget); all 0 channel × transaction pairs met.');
    expect(md).toContain('_Nowhere: on every transaction and channel with both bases, probes and real traffic tell the same story._');
    expect(md).not.toContain('disagree on');
    expect(md).toContain('No alert was firing at any time in the period.');
    expect(JSON.parse(renderJson(report))).toEqual(report);
  });

  it('puts time ticks on local midnights and Mondays', () => {
    const from = Date.parse('2026-11-15T16:00:00Z') / 1000; // Monday 00:00 at +08:00
    const days = timeTicks(from, from + 7 * 86_400, 480);
    expect(days[0]).toEqual({ x: from, label: 'Mon 16' });
    expect(days.map((t) => t.label)).toEqual(['Mon 16', 'Tue 17', 'Wed 18', 'Thu 19', 'Fri 20', 'Sat 21', 'Sun 22', 'Mon 23']);
    const weeks = timeTicks(from - 3 * 86_400, from + 60 * 86_400, 480, 7 * 86_400);
    expect(weeks[0]).toEqual({ x: from, label: '16 Nov' });
    const minutes = timeTicks(from + 30, from + 600, 480);
    expect(minutes[0]?.label).toBe('00:01');
  });

  it('draws numbers with stable text and escapes labels', () => {
    expect(niceTicks(0.22)).toEqual([0, 0.1, 0.2, 0.3]);
    expect(niceTicks(0.18)).toEqual([0, 0.05, 0.1, 0.15, 0.2]);
    expect(niceTicks(792)).toEqual([0, 200, 400, 600, 800]);
    expect(escapeXml('a<b & "c"')).toBe('a&lt;b &amp; &quot;c&quot;');
    const svg = hbarChart({ title: 'x', series: ['s'], groups: [{ label: '<web>', values: [2] }], format: String });
    expect(svg).toContain('&lt;web&gt;');
    expect(svg).not.toContain('<web>');
    expect(hbarChart({ title: 'x', series: ['s'], groups: [], format: String, empty: 'nothing here' })).toContain('nothing here');
  });
});
