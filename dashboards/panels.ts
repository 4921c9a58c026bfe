// Factories for the parts every dashboard repeats: a Prometheus target, traffic-light thresholds,
// and the handful of panel kinds (stat, grid, table, time series, bar gauge) with our defaults.
// Every panel and every target names the datasource through the `${datasource}` variable, so one
// JSON file works against any Prometheus the operator picks (docs/dashboards.md).
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';

/** Name of the datasource template variable every panel reads. */
export const DATASOURCE_VARIABLE = 'datasource';
export const DATASOURCE: common.DataSourceRef = Object.freeze({ type: 'prometheus', uid: `\${${DATASOURCE_VARIABLE}}` });

export interface Query {
  expr: string;
  /** Legend template, e.g. `{{channel}}`. */
  legend?: string;
  /** Evaluate once at the end of the range (stat, table, bar gauge) instead of over it. */
  instant?: boolean;
  /** `table` for instant queries whose labels become columns. */
  format?: 'time_series' | 'table';
  /** Minimum step (e.g. `1h`), for queries that only make sense at a coarse resolution. */
  interval?: string;
}

const REF_IDS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

function target(query: Query, index: number): prometheus.DataqueryBuilder {
  const refId = REF_IDS[index];
  if (refId === undefined) throw new Error(`a panel takes at most ${REF_IDS.length} queries`);
  const builder = new prometheus.DataqueryBuilder().datasource(DATASOURCE).refId(refId).expr(query.expr);
  if (query.legend !== undefined) builder.legendFormat(query.legend);
  if (query.instant) builder.instant();
  else builder.range();
  if (query.format === 'table') builder.format(prometheus.PromQueryFormat.Table);
  if (query.interval !== undefined) builder.interval(query.interval);
  return builder;
}

export const COLOR = Object.freeze({ green: 'green', amber: 'orange', red: 'red', blue: 'blue', text: 'text' });

/** Worse as the value grows: green below `amberFrom`, amber up to `redFrom`, red from there. */
export function risingThresholds(amberFrom: number, redFrom: number): dashboard.ThresholdsConfigBuilder {
  return steps([
    { value: null, color: COLOR.green },
    { value: amberFrom, color: COLOR.amber },
    { value: redFrom, color: COLOR.red },
  ]);
}

/** Better as the value grows: red below `amberFrom`, amber up to `greenFrom`, green from there. */
export function fallingThresholds(amberFrom: number, greenFrom: number): dashboard.ThresholdsConfigBuilder {
  return steps([
    { value: null, color: COLOR.red },
    { value: amberFrom, color: COLOR.amber },
    { value: greenFrom, color: COLOR.green },
  ]);
}

/** One neutral colour: for numbers that are read, not judged (an objective, a duration). */
export function neutralThresholds(): dashboard.ThresholdsConfigBuilder {
  return steps([{ value: null, color: COLOR.text }]);
}

export function steps(list: dashboard.Threshold[]): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps(list);
}

/** Value → word and colour, for state codes computed in PromQL. */
export function stateMappings(states: ReadonlyArray<{ value: number; text: string; color: string }>): dashboard.ValueMapping[] {
  const options: Record<string, dashboard.ValueMappingResult> = {};
  states.forEach((s, index) => (options[String(s.value)] = { text: s.text, color: s.color, index }));
  return [{ type: dashboard.MappingType.ValueToText, options }];
}

export interface Link {
  title: string;
  url: string;
}

function linkBuilders(links: readonly Link[]): dashboard.DashboardLinkBuilder[] {
  return links.map((l) => new dashboard.DashboardLinkBuilder(l.title).type(dashboard.DashboardLinkType.Link).url(l.url).targetBlank(false));
}

export interface PanelSpec {
  title: string;
  /** What the panel shows and how to read it; shown as the panel's (i) tooltip. */
  description: string;
  queries: readonly Query[];
  w: number;
  h: number;
  unit?: string;
  decimals?: number;
  min?: number;
  max?: number;
  thresholds?: dashboard.ThresholdsConfigBuilder;
  mappings?: dashboard.ValueMapping[];
  /** Text shown when the query returns nothing (for lists that are empty when all is well). */
  noValue?: string;
  /** Field data links (`${__data.fields.channel}` and friends). */
  links?: readonly Link[];
}

/** The options every panel kind shares; `B` is any of the SDK's panel builders. */
interface CommonPanelBuilder<B> extends cog.Builder<dashboard.Panel> {
  title(t: string): B;
  description(d: string): B;
  datasource(d: common.DataSourceRef): B;
  targets(t: cog.Builder<cog.Dataquery>[]): B;
  gridPos(g: dashboard.GridPos): B;
  unit(u: string): B;
  decimals(d: number): B;
  min(m: number): B;
  max(m: number): B;
  thresholds(t: cog.Builder<dashboard.ThresholdsConfig>): B;
  mappings(m: dashboard.ValueMapping[]): B;
  noValue(n: string): B;
  dataLinks(l: cog.Builder<dashboard.DashboardLink>[]): B;
}

function applyCommon<B extends CommonPanelBuilder<B>>(builder: B, spec: PanelSpec): B {
  builder
    .title(spec.title)
    .description(spec.description)
    .datasource(DATASOURCE)
    .targets(spec.queries.map(target))
    // x/y are left at 0 so DashboardBuilder flows the panels left to right, top to bottom.
    .gridPos({ x: 0, y: 0, w: spec.w, h: spec.h });
  if (spec.unit !== undefined) builder.unit(spec.unit);
  if (spec.decimals !== undefined) builder.decimals(spec.decimals);
  if (spec.min !== undefined) builder.min(spec.min);
  if (spec.max !== undefined) builder.max(spec.max);
  if (spec.thresholds !== undefined) builder.thresholds(spec.thresholds);
  if (spec.mappings !== undefined) builder.mappings(spec.mappings);
  if (spec.noValue !== undefined) builder.noValue(spec.noValue);
  if (spec.links !== undefined) builder.dataLinks(linkBuilders(spec.links));
  return builder;
}

export interface StatSpec extends PanelSpec {
  /** Colour the whole tile (wall displays) rather than the number only. */
  background?: boolean;
  /** Show each series' name under its value (one tile per series). */
  showNames?: boolean;
  /** Spark line behind the value. */
  sparkline?: boolean;
}

export function statPanel(spec: StatSpec): stat.PanelBuilder {
  return applyCommon(new stat.PanelBuilder(), spec)
    .colorMode(spec.background ? common.BigValueColorMode.Background : common.BigValueColorMode.Value)
    .graphMode(spec.sparkline ? common.BigValueGraphMode.Area : common.BigValueGraphMode.None)
    .textMode(spec.showNames ? common.BigValueTextMode.ValueAndName : common.BigValueTextMode.Value)
    .justifyMode(common.BigValueJustifyMode.Center)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false));
}

export interface GridSpec extends PanelSpec {
  rowLabel: string;
  columnLabel: string;
  /** Column order when it is not the alphabetical one (e.g. windows 5m, 30m, 1h…); others follow. */
  columnOrder?: readonly string[];
  /** Thresholds of single columns (by column name), e.g. a burn-rate window's own paging factor. */
  columnThresholds?: ReadonlyArray<{ name: string; thresholds: dashboard.ThresholdsConfig }>;
  /** Colour cells by the thresholds (and mappings); off for grids of plain numbers. */
  plain?: boolean;
  /** Colour cells on a green-to-red scale from the smallest to the largest value (a heat map). */
  heat?: boolean;
}

/**
 * A table with one row per `rowLabel` value and one column per `columnLabel` value, built from a
 * single instant query: new channels and transactions appear by themselves, nothing is listed here.
 */
export function gridPanel(spec: GridSpec): table.PanelBuilder {
  const builder = applyCommon(new table.PanelBuilder(), { ...spec, queries: spec.queries.map((q) => ({ ...q, instant: true, format: 'table' as const })) })
    .withTransformation({ id: 'groupingToMatrix', options: { rowField: spec.rowLabel, columnField: spec.columnLabel, valueField: 'Value', emptyValue: 'null' } })
    .cellHeight(common.TableCellHeight.Lg)
    .align(common.FieldTextAlignment.Center);
  if (spec.columnOrder !== undefined) {
    // groupingToMatrix names the row-header column `<row>\\<column>`; it stays first.
    const indexByName: Record<string, number> = { [`${spec.rowLabel}\\${spec.columnLabel}`]: 0 };
    spec.columnOrder.forEach((name, i) => (indexByName[name] = i + 1));
    builder.withTransformation({ id: 'organize', options: { indexByName, excludeByName: {}, renameByName: {}, includeByName: {} } });
  }
  if (spec.heat) builder.colorScheme(new dashboard.FieldColorBuilder().mode(dashboard.FieldColorModeId.ContinuousGrYlRd));
  if (!spec.plain) {
    builder
      .cellOptions({ type: common.TableCellDisplayMode.ColorBackground, mode: common.TableCellBackgroundDisplayMode.Basic })
      // The row-name column is text: keep it uncoloured.
      .overrideByFieldType('string', [{ id: 'custom.cellOptions', value: { type: common.TableCellDisplayMode.Auto } }]);
  }
  for (const c of spec.columnThresholds ?? []) builder.overrideByName(c.name, [{ id: 'thresholds', value: c.thresholds }]);
  return builder;
}

export interface TableSpec extends PanelSpec {
  /** Columns to keep, in order, with their header text; the query's `Value #A`… are renamed here. */
  columns: ReadonlyArray<{ field: string; title: string }>;
  /** Header of the column to sort by (descending unless `ascending`). */
  sortBy?: string;
  ascending?: boolean;
  /** Colour cells of these columns by the thresholds. */
  coloured?: readonly string[];
}

/** Instant queries in table format, merged on their common labels into one row per label set. */
export function tablePanel(spec: TableSpec): table.PanelBuilder {
  const include: Record<string, boolean> = {};
  const rename: Record<string, string> = {};
  const order: Record<string, number> = {};
  spec.columns.forEach((c, i) => {
    include[c.field] = true;
    rename[c.field] = c.title;
    order[c.field] = i;
  });
  const builder = applyCommon(new table.PanelBuilder(), { ...spec, queries: spec.queries.map((q) => ({ ...q, instant: true, format: 'table' as const })) })
    .withTransformation({ id: 'merge', options: {} })
    .withTransformation({ id: 'organize', options: { includeByName: include, renameByName: rename, indexByName: order, excludeByName: {} } })
    .cellHeight(common.TableCellHeight.Md);
  if (spec.sortBy !== undefined) builder.sortBy([new common.TableSortByFieldStateBuilder().displayName(spec.sortBy).desc(!spec.ascending)]);
  for (const title of spec.coloured ?? []) {
    builder.overrideByName(title, [{ id: 'custom.cellOptions', value: { type: common.TableCellDisplayMode.ColorBackground, mode: common.TableCellBackgroundDisplayMode.Basic } }]);
  }
  return builder;
}

export interface TimeSeriesSpec extends PanelSpec {
  /** Bars instead of lines (counts per interval). */
  bars?: boolean;
  stacked?: boolean;
  /** Draw the thresholds as dashed lines. */
  thresholdLines?: boolean;
  /** Per-series overrides by legend text pattern, e.g. the objective drawn dashed. */
  dashed?: string;
}

export function timeSeriesPanel(spec: TimeSeriesSpec): timeseries.PanelBuilder {
  const builder = applyCommon(new timeseries.PanelBuilder(), spec)
    .drawStyle(spec.bars ? common.GraphDrawStyle.Bars : common.GraphDrawStyle.Line)
    .lineWidth(2)
    .fillOpacity(spec.bars ? 80 : 10)
    .spanNulls(false)
    .legend(new common.VizLegendOptionsBuilder().displayMode(common.LegendDisplayMode.Table).placement(common.LegendPlacement.Right).showLegend(true).calcs(['lastNotNull', 'max']))
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending));
  if (spec.stacked) builder.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal));
  if (spec.thresholdLines) builder.thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed));
  if (spec.dashed !== undefined) {
    builder.overrideByRegexp(spec.dashed, [
      { id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } },
      { id: 'custom.fillOpacity', value: 0 },
      { id: 'color', value: { mode: 'fixed', fixedColor: COLOR.text } },
    ]);
  }
  return builder;
}

export function barGaugePanel(spec: PanelSpec & { horizontal?: boolean }): bargauge.PanelBuilder {
  return applyCommon(new bargauge.PanelBuilder(), { ...spec, queries: spec.queries.map((q) => ({ ...q, instant: true })) })
    .displayMode(common.BarGaugeDisplayMode.Basic)
    .valueMode(common.BarGaugeValueMode.Color)
    .orientation(spec.horizontal === false ? common.VizOrientation.Vertical : common.VizOrientation.Horizontal)
    .showUnfilled(true)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false));
}
