// NOC overview: the wall. Big tiles that count what needs a person now (hard down, spreading,
// evidence of failure, pages), the channel × transaction grid against the objective, the firing
// alerts, and the error budget of the transactions that page. Read from across a room; refreshes itself.
import { METRICS } from '../contract/metrics.js';
import { RECORD } from '../contract/recording-rules.js';
import type { Config } from '../config/index.js';
import { DASHBOARD_UID, dashboardPath, finishDashboard, newDashboard, section } from './dashboard.js';
import { COLOR, barGaugePanel, fallingThresholds, gridPanel, risingThresholds, stateMappings, statPanel, steps, tablePanel } from './panels.js';
import { belowObjective, selector } from './promql.js';
import { allMaintenanceExpr, maintenanceAnnotation } from './maintenance.js';
import { SPREADING_CHANNELS, dashboardSettings, type DashboardSettings } from './settings.js';
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';

/** Severities the NOC acts on (issue 4: page for on-call, warning for the NOC, ticket for the review). */
export const NOC_SEVERITIES = 'page|warning';

/** The always-firing dead man's switch of the alerting pipeline (alerts/): proof of life, not news. */
export const WATCHDOG_ALERT = 'Watchdog';
const FIRING = `ALERTS{alertstate="firing", severity=~"${NOC_SEVERITIES}", alertname!="${WATCHDOG_ALERT}"}`;

/** Grid states, from worst down; the PromQL below computes them, the mappings name and colour them. */
export const GRID_STATE = Object.freeze([
  { value: 2, text: 'FAILING', color: COLOR.red },
  { value: 1, text: 'BELOW', color: COLOR.amber },
  { value: 0, text: 'OK', color: COLOR.green },
]);

/** Window of the grid's amber test: below the objective over the last hour. */
const GRID_WINDOW = '1h';

/** Budget bars turn amber when a quarter of the SLO window's budget is left, red when none is. */
const BUDGET_AMBER_BELOW = 0.25;

const RED_FROM_ONE = () => steps([{ value: null, color: COLOR.green }, { value: 1, color: COLOR.red }]);

function detailLink(): { title: string; url: string } {
  return {
    title: 'Transaction detail',
    url: dashboardPath(DASHBOARD_UID.transactionDetail, { transaction: '${__data.fields.transaction}', channel: '${__data.fields.channel}' }, ['${__url_time_range}']),
  };
}

/** Split a full-width band into `n` panels whose widths add up to exactly 24 (the grid's width). */
export function bandWidths(n: number): number[] {
  const base = Math.floor(24 / n);
  return Array.from({ length: n }, (_, i) => base + (i < 24 - base * n ? 1 : 0));
}

export function nocOverview(config: Config): dashboard.Dashboard {
  const s = dashboardSettings(config);
  const consecutive = `max by (channel, transaction) (${METRICS.consecutiveFailures.name})`;

  /*
   * Red: the alerting rules see evidence (hard down, or more failures than an objective-meeting
   * channel would show). Amber: below the objective over the last hour without such evidence yet.
   * Green: at or above it. Both tests are against the objective gauge (METRICS.objective), never a number here.
   */
  const gridState = `(2 * max by (channel, transaction) (${RECORD.evidence})) or max by (channel, transaction) (${belowObjective(RECORD.probeSuccessRatio(GRID_WINDOW))})`;

  const builder = newDashboard({
    uid: DASHBOARD_UID.nocOverview,
    title: 'Channel health — NOC overview',
    description: 'Which channel, which transaction, how far from target, now. Generated from the config; do not edit in Grafana.',
    refresh: '30s',
    from: 'now-1h',
    annotations: [maintenanceAnnotation(allMaintenanceExpr())],
  })
    .withRow(section('Needs a person now'))
    .withPanel(
      statPanel({
        title: 'Hard down',
        description: `Channel × transaction pairs whose last ${hardDownText(s)} probe runs all failed (alerting.hardDownConsecutive, tiers.<id>.hardDownConsecutive).`,
        queries: [{ expr: `count(${hardDownExpr(s)}) or vector(0)`, instant: true }],
        w: 6,
        h: 5,
        thresholds: RED_FROM_ONE(),
        background: true,
      }),
    )
    .withPanel(
      statPanel({
        title: 'Spreading backends',
        description: `Backends with failure evidence on ${SPREADING_CHANNELS} or more channels at once: one shared system failing everywhere.`,
        queries: [{ expr: `count(${RECORD.backendFailingChannels} >= ${SPREADING_CHANNELS}) or vector(0)`, instant: true }],
        w: 6,
        h: 5,
        thresholds: RED_FROM_ONE(),
        background: true,
      }),
    )
    .withPanel(
      statPanel({
        title: 'Pairs failing',
        description: 'Channel × transaction pairs with evidence of failure: hard down, or more failed probes than a pair meeting its objective would show (docs/alerting.md).',
        queries: [{ expr: `count(${RECORD.evidence}) or vector(0)`, instant: true }],
        w: 6,
        h: 5,
        thresholds: RED_FROM_ONE(),
        background: true,
      }),
    )
    .withPanel(
      statPanel({
        title: 'Alerts firing',
        description: 'Firing alerts by severity: page (on-call) and warning (NOC).',
        queries: [{ expr: `count by (severity) (${FIRING}) ${NOC_SEVERITIES.split('|').map((sev) => `or label_replace(vector(0), "severity", "${sev}", "", "")`).join(' ')}`, instant: true, legend: '{{severity}}' }],
        w: 6,
        h: 5,
        thresholds: RED_FROM_ONE(),
        background: true,
        showNames: true,
      }),
    )
    .withRow(section('Every channel × transaction against its objective'))
    .withPanel(
      gridPanel({
        title: 'Status vs objective (probes)',
        description:
          'FAILING (red): the alerting rules see evidence of failure (hard down, or too many failed probes for a pair at its objective). BELOW (amber): success over the last hour under the objective. OK (green): at or above it. Click a cell for the transaction detail.',
        queries: [{ expr: gridState }],
        rowLabel: 'channel',
        columnLabel: 'transaction',
        w: 14,
        h: 12,
        mappings: stateMappings(GRID_STATE),
        thresholds: risingThresholds(1, 2),
        noValue: 'no probe data',
        links: [
          {
            title: 'Transaction detail',
            url: dashboardPath(DASHBOARD_UID.transactionDetail, { transaction: '${__field.name}', channel: '${__data.fields[0]}' }, ['${__url_time_range}']),
          },
        ],
      }),
    )
    .withPanel(
      tablePanel({
        title: 'Firing alerts',
        description: 'Alerts firing now (ALERTS series), page first. Runbook and dashboard links are in each alert\'s annotations.',
        queries: [{ expr: `sort_desc(${FIRING})` }],
        columns: [
          { field: 'severity', title: 'Severity' },
          { field: 'alertname', title: 'Alert' },
          { field: 'backend', title: 'Backend' },
          { field: 'channel', title: 'Channel' },
          { field: 'transaction', title: 'Transaction' },
          { field: 'tier', title: 'Tier' },
        ],
        sortBy: 'Severity',
        ascending: true,
        w: 10,
        h: 12,
        noValue: 'no alerts firing',
        links: [detailLink()],
      }),
    )
    .withPanel(
      gridPanel({
        title: `Probe success ratio, last ${GRID_WINDOW}`,
        description: 'The numbers behind the grid above: successful / all probe runs per pair over the last hour.',
        queries: [{ expr: `max by (channel, transaction) (${RECORD.probeSuccessRatio(GRID_WINDOW)})` }],
        rowLabel: 'channel',
        columnLabel: 'transaction',
        w: 14,
        h: 10,
        unit: 'percentunit',
        decimals: 2,
        plain: true,
        noValue: 'no probe data',
      }),
    )
    .withPanel(
      tablePanel({
        title: 'Failing in a row',
        description: `Pairs whose last probe run failed, with how many runs in a row; red from ${s.hardDownRuns} (hard down). Empty when every last run passed.`,
        queries: [{ expr: `sort_desc(max by (channel, transaction, location) (${METRICS.consecutiveFailures.name}) > 0)` }],
        columns: [
          { field: 'channel', title: 'Channel' },
          { field: 'transaction', title: 'Transaction' },
          { field: 'location', title: 'Location' },
          { field: 'Value', title: 'Failed runs in a row' },
        ],
        sortBy: 'Failed runs in a row',
        coloured: ['Failed runs in a row'],
        thresholds: risingThresholds(1, s.hardDownRuns),
        w: 10,
        h: 10,
        noValue: 'every last run passed',
        links: [detailLink()],
      }),
    )
    .withRow(section('Spreading'))
    .withPanel(
      barGaugePanel({
        title: 'Channels failing per backend',
        description: `Channels with failure evidence on a transaction that depends on the backend; ${SPREADING_CHANNELS} or more is spreading (red).`,
        queries: [{ expr: `sort_desc(${RECORD.backendFailingChannels})`, legend: '{{backend}}' }],
        thresholds: risingThresholds(1, SPREADING_CHANNELS),
        min: 0,
        max: config.channels.length,
        decimals: 0,
        w: 12,
        h: 8,
        noValue: 'no backend failing',
      }),
    )
    .withPanel(
      barGaugePanel({
        title: 'Channels failing per transaction',
        description: `Channels whose last probe run of the transaction failed; ${SPREADING_CHANNELS} or more means the failure is not local to one channel.`,
        queries: [{ expr: `sort_desc(count by (transaction) (${consecutive} > 0))`, legend: '{{transaction}}' }],
        thresholds: risingThresholds(1, SPREADING_CHANNELS),
        min: 0,
        max: config.channels.length,
        decimals: 0,
        w: 12,
        h: 8,
        noValue: 'no channel failing',
      }),
    )
    .withRow(section(`Error budget left over ${s.sloWindow}`));

  // One bar gauge per paging tier (the core transactions); a tier added to pageTiers gets its own.
  const widths = bandWidths(s.pageTiers.length);
  s.pageTiers.forEach((tierId, i) => {
    const tier = config.tiers.find((t) => t.id === tierId);
    const tierSel: [string, string][] = [['tier', tierId]];
    builder.withPanel(
      barGaugePanel({
        title: `Error budget left — ${tierId}${tier?.label ? ` (${tier.label})` : ''}`,
        description: `Share of the ${s.sloWindow} error budget left per transaction of the tier, from real traffic and from probes. Below 0: the objective is already missed over the window.`,
        queries: [
          { expr: selector(RECORD.eventBudgetRemaining(s.sloWindow), tierSel), legend: '{{transaction}} · real' },
          { expr: selector(RECORD.probeBudgetRemaining(s.sloWindow), tierSel), legend: '{{transaction}} · probes' },
        ],
        unit: 'percentunit',
        decimals: 1,
        min: 0,
        max: 1,
        thresholds: fallingThresholds(0, BUDGET_AMBER_BELOW),
        w: widths[i] as number,
        h: 8,
        noValue: 'no data',
      }),
    );
  });
  return finishDashboard(builder);
}

/** Pairs hard down by their tier's run count. */
function hardDownExpr(s: DashboardSettings): string {
  const terms = s.hardDownByTier.map(({ tiers, n }) => `(max by (channel, transaction) (${selector(METRICS.consecutiveFailures.name, tiers === null ? [] : [['tier', tiers.join('|')]])}) >= ${n})`);
  return terms.join(' or ');
}

function hardDownText(s: DashboardSettings): string {
  const [only] = s.hardDownByTier;
  if (s.hardDownByTier.length === 1 && only) return `${only.n} or more`;
  return s.hardDownByTier.map(({ tiers, n }) => `${n} or more (${(tiers ?? []).join(', ')})`).join(', ');
}
