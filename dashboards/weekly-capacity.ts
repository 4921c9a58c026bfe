// Weekly capacity review: the operator's weekly tuning meeting reads load per channel by hour of
// day and its peak hour against the channel's provisioned capacity, latency and failures this week
// against the week before, and which transactions are furthest from their objective.
import { METRICS } from '../contract/metrics.js';
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { formatUtcOffset, type Config } from '../config/index.js';
import { DASHBOARD_UID, finishDashboard, newDashboard, section } from './dashboard.js';
import { barGaugePanel, fallingThresholds, gridPanel, neutralThresholds, risingThresholds, tablePanel, timeSeriesPanel, type Query } from './panels.js';
import { burnFromFailureRatio, failureRatio, quantile, successRatio, sumIncrease, sumRate, union, withLabel } from './promql.js';
import { dashboardSettings } from './settings.js';

const WEEK = '7d';
const HOURS = Array.from({ length: 24 }, (_, h) => h);
const HOUR_LABELS = HOURS.map((h) => String(h).padStart(2, '0'));

/** Headroom (spare share of capacity or of the latency threshold) turns amber below 30%, red below 10%. */
const HEADROOM_THRESHOLDS = () => fallingThresholds(0.1, 0.3);
/** Week-over-week change turns amber from +10%, red from +25%. */
const CHANGE_THRESHOLDS = () => risingThresholds(0.1, 0.25);

/**
 * Average real transactions in each hour of the day on the business clock (service.utcOffset)
 * over the range, one series per (channel, hour). PromQL cannot make a label from a value, so the
 * 24 hours are a union: the subquery samples the hourly volume once an hour and keeps the samples
 * whose hour ends at H + 1. The subquery steps on whole UTC hours, so an offset with minutes
 * (+05:30) reads hours that straddle the local ones.
 */
export function volumeByHourOfDay(offsetMinutes: number): string {
  const hourly = sumIncrease(METRICS.events.name, [], '1h', ['channel']);
  const clock = offsetMinutes === 0 ? 'hour()' : `hour(vector(time() ${offsetMinutes > 0 ? '+' : '-'} ${Math.abs(offsetMinutes) * 60}))`;
  return union(HOURS.map((h) => withLabel(`avg_over_time((${hourly} and on () (${clock} == ${(h + 1) % 24}))[$__range:1h])`, 'hour', HOUR_LABELS[h] as string)));
}


/** Provisioned transactions per second of each channel that declares it, as a series per channel. */
export function capacityExpr(config: Config): string | null {
  const terms = config.channels.filter((c) => c.capacityPerSecond !== null).map((c) => withLabel(`vector(${c.capacityPerSecond as number})`, 'channel', c.id));
  return terms.length === 0 ? null : union(terms);
}

/** Each transaction's p95 threshold (seconds) from the config, as a series per transaction. */
export function latencyThresholds(config: Config): string | null {
  const terms = config.transactions.filter((t) => t.latencyThresholdMs !== null).map((t) => withLabel(`vector(${(t.latencyThresholdMs as number) / 1000})`, 'transaction', t.id));
  return terms.length === 0 ? null : union(terms);
}

export function weeklyCapacity(config: Config): dashboard.Dashboard {
  const s = dashboardSettings(config);
  const offset = config.service.utcOffsetMinutes;
  const clock = offset === 0 ? 'UTC' : formatUtcOffset(offset);
  const capacity = capacityExpr(config);
  const thresholds = latencyThresholds(config);
  const peak = `max_over_time((${sumRate(METRICS.events.name, [], '1h', ['channel'])})[$__range:1h])`;
  const p95Week = quantile(0.95, METRICS.probeDuration.name, [], WEEK, ['transaction']);
  const p95WeekBefore = quantile(0.95, METRICS.probeDuration.name, [], WEEK, ['transaction'], WEEK);
  // A week whose burn reaches (SLO window ÷ 7 days) spent the whole window's budget by itself.
  const weekSpendsWindow = Math.round((config.alerting.sloWindowMs / (7 * 86_400_000)) * 100) / 100;

  const headroomQueries: Query[] = [{ expr: peak }];
  if (capacity) headroomQueries.push({ expr: capacity }, { expr: `1 - (${peak}) / on (channel) (${capacity})` });
  const latencyQueries: Query[] = [{ expr: p95Week }, { expr: p95WeekBefore }, { expr: `(${p95Week}) / (${p95WeekBefore}) - 1` }];
  if (thresholds) latencyQueries.push({ expr: thresholds }, { expr: `1 - (${p95Week}) / on (transaction) (${thresholds})` });

  const builder = newDashboard({
    uid: DASHBOARD_UID.weeklyCapacity,
    title: 'Channel health — weekly capacity review',
    description: 'For the weekly tuning and expansion review: load by hour and its peak against capacity, latency and failures week over week, transactions furthest from target. Generated from the config.',
    from: 'now-7d',
  })
    .withRow(section('Load'))
    .withPanel(
      timeSeriesPanel({
        title: 'Real transactions per hour by channel',
        description: 'Customer transactions reported by the channel systems, per hour.',
        queries: [{ expr: sumIncrease(METRICS.events.name, [], '1h', ['channel']), legend: '{{channel}}', interval: '1h' }],
        bars: true,
        stacked: true,
        decimals: 0,
        min: 0,
        w: 24,
        h: 8,
      }),
    )
    .withPanel(
      gridPanel({
        title: `Average transactions by channel and hour of day (${clock})`,
        description: `Real transactions in each hour of the day (column 09 = 09:00–10:00 ${clock}, service.utcOffset), averaged over the days of the range; the hottest cells are the peak hours to provision for.`,
        queries: [{ expr: volumeByHourOfDay(offset) }],
        rowLabel: 'channel',
        columnLabel: 'hour',
        columnOrder: HOUR_LABELS,
        heat: true,
        decimals: 0,
        w: 24,
        h: 8,
      }),
    )
    .withPanel(
      tablePanel({
        title: 'Peak hour per channel',
        description: `The hour of day (${clock}) with the most real transactions on average, and how many.`,
        queries: [{ expr: `topk by (channel) (1, ${volumeByHourOfDay(offset)})` }],
        columns: [
          { field: 'channel', title: 'Channel' },
          { field: 'hour', title: `Peak hour (${clock})` },
          { field: 'Value', title: 'Transactions in the hour' },
        ],
        decimals: 0,
        thresholds: neutralThresholds(),
        w: 12,
        h: 8,
      }),
    )
    .withPanel(
      tablePanel({
        title: 'Peak load against capacity (headroom)',
        description: `Busiest hour's average transactions per second in the range, the channel's provisioned capacity (channels.<id>.capacityPerSecond) and the spare share left at the peak: amber below 30%, red below 10%.${capacity ? '' : ' No channel declares capacityPerSecond, so only the peak is shown.'}`,
        queries: headroomQueries,
        columns: [
          { field: 'channel', title: 'Channel' },
          { field: 'Value #A', title: 'Peak tx/s' },
          { field: 'Value #B', title: 'Capacity tx/s' },
          { field: 'Value #C', title: 'Headroom' },
        ],
        decimals: 2,
        thresholds: HEADROOM_THRESHOLDS(),
        coloured: ['Headroom'],
        sortBy: 'Headroom',
        ascending: true,
        w: 12,
        h: 8,
      }).overrideByName('Headroom', [{ id: 'unit', value: 'percentunit' }]),
    )
    .withRow(section('Latency, week over week'))
    .withPanel(
      timeSeriesPanel({
        title: 'p95 probe duration — this week and the week before',
        description: 'p95 of whole probe runs per transaction, hourly; dashed: the same hour one week earlier.',
        queries: [
          { expr: quantile(0.95, METRICS.probeDuration.name, [], '1h', ['transaction']), legend: '{{transaction}}', interval: '1h' },
          { expr: quantile(0.95, METRICS.probeDuration.name, [], '1h', ['transaction'], '1w'), legend: '{{transaction}} · week before', interval: '1h' },
        ],
        unit: 's',
        min: 0,
        dashed: ' · week before$',
        w: 12,
        h: 9,
      }),
    )
    .withPanel(
      tablePanel({
        title: 'p95 this week against the week before and the threshold',
        description: 'Change = this week ÷ the week before − 1 (amber from +10%, red from +25%). Headroom = 1 − p95 ÷ the transaction\'s latency threshold from the config (red below 10%).',
        queries: latencyQueries,
        columns: [
          { field: 'transaction', title: 'Transaction' },
          { field: 'Value #A', title: 'p95 this week' },
          { field: 'Value #B', title: 'p95 week before' },
          { field: 'Value #C', title: 'Change' },
          { field: 'Value #D', title: 'Threshold' },
          { field: 'Value #E', title: 'Headroom' },
        ],
        unit: 's',
        decimals: 3,
        thresholds: CHANGE_THRESHOLDS(),
        coloured: ['Change'],
        sortBy: 'Change',
        w: 12,
        h: 9,
      })
        .overrideByName('Change', [{ id: 'unit', value: 'percentunit' }])
        .overrideByName('Headroom', [
          { id: 'unit', value: 'percentunit' },
          { id: 'thresholds', value: HEADROOM_THRESHOLDS().build() },
          { id: 'custom.cellOptions', value: { type: 'color-background', mode: 'basic' } },
        ]),
    )
    .withRow(section('Failures, week over week'))
    .withPanel(
      timeSeriesPanel({
        title: 'Failures per day by transaction',
        description: 'Failed real transactions and failed probe runs per day.',
        queries: [
          { expr: sumIncrease(METRICS.eventFailures.name, [], '1d', ['transaction']), legend: '{{transaction}} · real', interval: '1d' },
          { expr: sumIncrease(METRICS.probeFailures.name, [], '1d', ['transaction']), legend: '{{transaction}} · probes', interval: '1d' },
        ],
        bars: true,
        decimals: 0,
        min: 0,
        w: 12,
        h: 9,
      }),
    )
    .withPanel(
      barGaugePanel({
        title: 'Top failure causes in the range',
        description: 'Transactions and reasons with the most failures, real and probes, over the range: where to look first in the failure analysis.',
        queries: [
          {
            expr: `topk(10, ((${withLabel(sumIncrease(METRICS.eventFailures.name, [], '$__range', ['transaction', 'reason']), 'source', 'real')}) or (${withLabel(sumIncrease(METRICS.probeFailures.name, [], '$__range', ['transaction', 'reason']), 'source', 'probes')})) > 0)`,
            legend: '{{transaction}} · {{reason}} · {{source}}',
          },
        ],
        decimals: 0,
        min: 0,
        thresholds: neutralThresholds(),
        noValue: 'no failures',
        w: 12,
        h: 9,
      }),
    )
    .withPanel(
      tablePanel({
        title: 'Failure ratio this week against the week before',
        description: 'Failed / all over the last 7 days and the 7 days before, real traffic and probes.',
        queries: [
          { expr: failureRatio('event', [], WEEK, ['transaction']) },
          { expr: failureRatio('event', [], WEEK, ['transaction'], WEEK) },
          { expr: failureRatio('probe', [], WEEK, ['transaction']) },
          { expr: failureRatio('probe', [], WEEK, ['transaction'], WEEK) },
        ],
        columns: [
          { field: 'transaction', title: 'Transaction' },
          { field: 'Value #A', title: 'Real, this week' },
          { field: 'Value #B', title: 'Real, week before' },
          { field: 'Value #C', title: 'Probes, this week' },
          { field: 'Value #D', title: 'Probes, week before' },
        ],
        unit: 'percentunit',
        decimals: 3,
        thresholds: neutralThresholds(),
        w: 24,
        h: 9,
      }),
    )
    .withRow(section('Furthest from target'))
    .withPanel(
      tablePanel({
        title: 'Transactions furthest from their objective (last 7 days)',
        description: `Failure ratio ÷ (1 − objective) over the week, worst first: below 1 met the objective (green); from 1 it missed (amber); from ${weekSpendsWindow} the week alone spent the whole ${s.sloWindow} budget (red).`,
        queries: [
          { expr: `max by (transaction, tier) (${METRICS.objective.name})` },
          { expr: successRatio('event', [], WEEK, ['transaction', 'tier']) },
          { expr: successRatio('probe', [], WEEK, ['transaction', 'tier']) },
          { expr: burnFromFailureRatio(failureRatio('event', [], WEEK, ['transaction', 'tier'])) },
          { expr: burnFromFailureRatio(failureRatio('probe', [], WEEK, ['transaction', 'tier'])) },
        ],
        columns: [
          { field: 'transaction', title: 'Transaction' },
          { field: 'tier', title: 'Tier' },
          { field: 'Value #A', title: 'Objective' },
          { field: 'Value #B', title: 'Success (real)' },
          { field: 'Value #C', title: 'Success (probes)' },
          { field: 'Value #D', title: 'Failure rate ÷ allowed (real)' },
          { field: 'Value #E', title: 'Failure rate ÷ allowed (probes)' },
        ],
        decimals: 3,
        thresholds: risingThresholds(1, weekSpendsWindow),
        coloured: ['Failure rate ÷ allowed (real)', 'Failure rate ÷ allowed (probes)'],
        sortBy: 'Failure rate ÷ allowed (real)',
        w: 24,
        h: 9,
      })
        .overrideByName('Objective', [{ id: 'unit', value: 'percentunit' }])
        .overrideByName('Success (real)', [{ id: 'unit', value: 'percentunit' }])
        .overrideByName('Success (probes)', [{ id: 'unit', value: 'percentunit' }]),
    );
  return finishDashboard(builder);
}

