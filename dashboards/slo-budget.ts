// SLO and error budget: per transaction and tier, how much of the SLO window's budget is left, how
// fast it burns at each alert window, and how the budget went down over time. Real traffic and
// probes are shown apart: real traffic is what customers saw, probes are what can be measured when
// nobody is buying.
import { METRICS } from '../contract/metrics.js';
import { RECORD } from '../contract/recording-rules.js';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import type { Config } from '../config/index.js';
import { DASHBOARD_UID, finishDashboard, newDashboard, section } from './dashboard.js';
import { DATASOURCE, fallingThresholds, gridPanel, risingThresholds, tablePanel, timeSeriesPanel } from './panels.js';
import { burnFromSuccessRatio, objective, selector, union, withLabel, type Matchers } from './promql.js';
import { BURN_FACTOR, RATE_WINDOWS, dashboardSettings } from './settings.js';

/** Every panel filters by both variables; alert links fill `transaction` (`?var-transaction=topup`). */
const TIER: Matchers = [
  ['tier', '$tier'],
  ['transaction', '$transaction'],
];

/** Budget left turns amber below a quarter, red once spent (the objective missed over the window). */
const BUDGET_THRESHOLDS = () => fallingThresholds(0, 0.25);

function allOf(label: 'tier' | 'transaction'): dashboard.QueryVariableBuilder {
  const q = `label_values(${METRICS.objective.name}, ${label})`;
  return new dashboard.QueryVariableBuilder(label)
    .label(label)
    .datasource(DATASOURCE)
    .query(q)
    .definition(q)
    .refresh(dashboard.VariableRefresh.OnDashboardLoad)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*')
    .current({ selected: true, text: ['All'], value: ['$__all'] });
}

/** Success over the SLO window, recovered from the recorded budget: 1 − (1 − budget) × (1 − objective). */
function successFromBudget(budget: string): string {
  return `1 - (1 - ${selector(budget, TIER)}) * on (transaction) group_left () (1 - ${objective()})`;
}

/** Burn per transaction at every rate window, one series per (transaction, window). */
function burnByWindow(burnAt: (w: string) => string): string {
  return union(RATE_WINDOWS.map((w) => withLabel(`max by (transaction) (${burnAt(w)})`, 'window', w)));
}

function windowOverrides(): Array<{ name: string; thresholds: dashboard.ThresholdsConfig }> {
  return RATE_WINDOWS.map((w) => ({ name: w, thresholds: risingThresholds(1, BURN_FACTOR[w]).build() }));
}

export function sloBudget(config: Config): dashboard.Dashboard {
  const s = dashboardSettings(config);
  const S = s.sloWindow;
  const burnGrid = (title: string, description: string, burnAt: (w: string) => string) =>
    gridPanel({
      title,
      description,
      queries: [{ expr: burnByWindow(burnAt) }],
      rowLabel: 'transaction',
      columnLabel: 'window',
      columnOrder: RATE_WINDOWS,
      columnThresholds: windowOverrides(),
      unit: 'x',
      decimals: 2,
      thresholds: risingThresholds(1, BURN_FACTOR['1h']),
      w: 12,
      h: 9,
      noValue: 'no data',
    });

  const builder = newDashboard({
    uid: DASHBOARD_UID.sloBudget,
    title: 'Channel health — SLO and error budget',
    description: `Error budget per transaction and tier over the ${S} SLO window, burn rate at each alert window, and the budget over time. Generated from the config.`,
    refresh: '5m',
    from: 'now-7d',
    variables: [allOf('tier'), allOf('transaction')],
  })
    .withRow(section(`Budget left over ${S}`))
    .withPanel(
      tablePanel({
        title: `Objective, success and budget per transaction over ${S}`,
        description: `Budget left = 1 − (failure ratio over ${S} ÷ (1 − objective)): 100% nothing spent, 0 objective exactly met, below 0 missed. Real traffic is what customers saw; probes are the synthetic view.`,
        queries: [
          { expr: `max by (transaction, tier) (${selector(METRICS.objective.name, TIER)})` },
          { expr: successFromBudget(RECORD.eventBudgetRemaining(S)) },
          { expr: successFromBudget(RECORD.probeBudgetRemaining(S)) },
          { expr: selector(RECORD.eventBudgetRemaining(S), TIER) },
          { expr: selector(RECORD.probeBudgetRemaining(S), TIER) },
        ],
        columns: [
          { field: 'transaction', title: 'Transaction' },
          { field: 'tier', title: 'Tier' },
          { field: 'Value #A', title: 'Objective' },
          { field: 'Value #B', title: 'Success (real)' },
          { field: 'Value #C', title: 'Success (probes)' },
          { field: 'Value #D', title: 'Budget left (real)' },
          { field: 'Value #E', title: 'Budget left (probes)' },
        ],
        unit: 'percentunit',
        decimals: 3,
        thresholds: BUDGET_THRESHOLDS(),
        coloured: ['Budget left (real)', 'Budget left (probes)'],
        sortBy: 'Budget left (real)',
        ascending: true,
        w: 24,
        h: 9,
      }),
    )
    .withRow(section('Burn rate at each alert window'))
    .withPanel(
      burnGrid(
        'Burn rate — real traffic',
        'Failure ratio ÷ (1 − objective) at each window the burn-rate alerts use. 1 spends the budget exactly over the SLO window (amber from there); red from the window\'s paging factor (14.4 at 5m/1h, 6 at 30m/6h, 3 at 2h/1d, 1 at 3d).',
        (w) => selector(RECORD.eventBurnRateByTransaction(w), TIER),
      ),
    )
    .withPanel(
      burnGrid(
        'Burn rate — probes',
        'The same for probe runs. At one probe every 30 s a single failure is a large burn at short windows; the synthetic alerts use failure counts instead (docs/alerting.md), this is for comparison.',
        (w) => burnFromSuccessRatio(selector(RECORD.probeSuccessRatioByTransaction(w), TIER)),
      ),
    )
    .withRow(section('Budget burn'))
    .withPanel(
      timeSeriesPanel({
        title: `Budget left over time — real traffic (${S} window)`,
        description: 'How the budget went down: each point is the budget left over the SLO window ending there.',
        queries: [{ expr: `max by (transaction) (${selector(RECORD.eventBudgetRemaining(S), TIER)})`, legend: '{{transaction}}' }],
        unit: 'percentunit',
        max: 1,
        thresholds: BUDGET_THRESHOLDS(),
        thresholdLines: true,
        w: 12,
        h: 9,
      }),
    )
    .withPanel(
      timeSeriesPanel({
        title: `Budget left over time — probes (${S} window)`,
        description: 'The same from probe runs.',
        queries: [{ expr: `max by (transaction) (${selector(RECORD.probeBudgetRemaining(S), TIER)})`, legend: '{{transaction}}' }],
        unit: 'percentunit',
        max: 1,
        thresholds: BUDGET_THRESHOLDS(),
        thresholdLines: true,
        w: 12,
        h: 9,
      }),
    )
    .withPanel(
      timeSeriesPanel({
        title: 'Burn rate over time — real traffic, 1h and 6h',
        description: 'The fast pair of the burn-rate alerts: dashed lines at 1 (budget lasts the window) and 14.4 (a 30-day budget gone in about two days).',
        queries: [
          { expr: `max by (transaction) (${selector(RECORD.eventBurnRateByTransaction('1h'), TIER)})`, legend: '{{transaction}} · 1h' },
          { expr: `max by (transaction) (${selector(RECORD.eventBurnRateByTransaction('6h'), TIER)})`, legend: '{{transaction}} · 6h' },
        ],
        unit: 'x',
        min: 0,
        thresholds: risingThresholds(1, BURN_FACTOR['1h']),
        thresholdLines: true,
        w: 24,
        h: 9,
      }),
    );
  return finishDashboard(builder);
}
