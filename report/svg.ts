// Inline SVG charts for the HTML report: plain markup, no script, no external fonts or images, so
// the file prints and opens anywhere. Numbers are written with fixed decimals to keep output stable.

const WIDTH = 720;
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="11"';
/** Okabe–Ito: tells series apart for colour-blind readers and in greyscale print. */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#999933', '#000000'] as const;

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const n = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(1));
const color = (i: number) => PALETTE[i % PALETTE.length] as string;

function frame(title: string, height: number, body: string, width = WIDTH): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 ${width} ${n(height)}" width="100%" ${FONT}><title>${escapeXml(title)}</title>${body}</svg>`;
}

function emptyChart(title: string, message: string, width = WIDTH): string {
  return frame(title, 60, `<rect x="0.5" y="0.5" width="${width - 1}" height="59" fill="none" stroke="#ccc"/><text x="${width / 2}" y="34" text-anchor="middle" fill="#666">${escapeXml(message)}</text>`, width);
}

/** Labels longer than the space they get are cut with an ellipsis (the full text stays in the table). */
export function clipLabel(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : `${text.slice(0, maxChars - 1)}…`;
}

/** An x-axis label that stays inside the chart at either end. */
function tickText(x: number, y: number, label: string, left: number, right: number): string {
  const anchor = x - left < 18 ? 'start' : right - x < 18 ? 'end' : 'middle';
  return `<text x="${n(x)}" y="${y}" text-anchor="${anchor}">${escapeXml(label)}</text>`;
}

/** 1, 2 or 5 × 10^k steps from 0 up to at least `max`. */
export function niceTicks(max: number, wanted = 4): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / wanted;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const ticks: number[] = [];
  for (let v = 0; v < max + step * 0.999; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function legend(names: readonly string[], y: number, colors: (i: number) => string = color): string {
  let x = 0;
  return names
    .map((name, i) => {
      const item = `<rect x="${x}" y="${y - 9}" width="10" height="10" fill="${colors(i)}"/><text x="${x + 14}" y="${y}">${escapeXml(name)}</text>`;
      x += 24 + name.length * 6.5;
      return item;
    })
    .join('');
}

export interface HBarGroup {
  label: string;
  /** One value per series; null draws nothing. */
  values: ReadonlyArray<number | null>;
  /** A tick drawn across the group, e.g. a latency threshold. */
  marker?: number | null;
}

export interface HBarOptions {
  title: string;
  series: readonly string[];
  groups: readonly HBarGroup[];
  format: (value: number) => string;
  /** A vertical line across the chart, e.g. 100 % of the budget. */
  reference?: { value: number; label: string };
  /** Bars beyond this are cut at it (their label still says the real value). */
  cap?: number;
  empty?: string;
}

export function hbarChart(o: HBarOptions): string {
  const groups = o.groups.filter((g) => g.values.some((v) => v !== null));
  if (groups.length === 0) return emptyChart(o.title, o.empty ?? 'no data');
  const labelWidth = 170;
  const valueWidth = 90;
  const plotWidth = WIDTH - labelWidth - valueWidth;
  const barHeight = 12;
  const groupHeight = o.series.length * barHeight + 10;
  const top = o.series.length > 1 ? 22 : 8;
  const clip = (v: number) => (o.cap === undefined ? v : Math.min(v, o.cap));
  const values = groups.flatMap((g) => [...g.values.filter((v): v is number => v !== null).map(clip), g.marker ?? 0]);
  if (o.reference) values.push(o.reference.value);
  const lo = Math.min(0, ...values);
  const hi = Math.max(...values, lo + 1e-9);
  const span = hi - lo || 1;
  const x = (v: number) => labelWidth + ((v - lo) / span) * plotWidth;
  const height = top + groups.length * groupHeight + 22;
  let body = o.series.length > 1 ? legend(o.series, 12) : '';
  groups.forEach((g, gi) => {
    const y0 = top + gi * groupHeight;
    body += `<text x="${labelWidth - 6}" y="${n(y0 + groupHeight / 2 + 3)}" text-anchor="end">${escapeXml(clipLabel(g.label, 27))}</text>`;
    g.values.forEach((v, si) => {
      if (v === null) return;
      const y = y0 + 4 + si * barHeight;
      const a = x(0);
      const b = x(clip(v));
      body += `<rect x="${n(Math.min(a, b))}" y="${n(y)}" width="${n(Math.max(Math.abs(b - a), 1))}" height="${barHeight - 2}" fill="${color(si)}"><title>${escapeXml(`${g.label} ${o.series[si] ?? ''}: ${o.format(v)}`)}</title></rect>`;
      // A negative bar's value goes right of the zero line: left of the bar is where the group label is.
      body += `<text x="${n(v < 0 ? a + 4 : b + 4)}" y="${n(y + barHeight - 3)}">${escapeXml(o.format(v))}</text>`;
    });
    if (g.marker !== undefined && g.marker !== null) {
      body += `<line x1="${n(x(g.marker))}" x2="${n(x(g.marker))}" y1="${n(y0 + 1)}" y2="${n(y0 + groupHeight - 3)}" stroke="#d00" stroke-width="2"/>`;
    }
  });
  const axisY = top + groups.length * groupHeight;
  body += `<line x1="${n(x(0))}" x2="${n(x(0))}" y1="${top}" y2="${axisY}" stroke="#333"/>`;
  if (o.reference) {
    const rx = x(o.reference.value);
    body += `<line x1="${n(rx)}" x2="${n(rx)}" y1="${top}" y2="${axisY}" stroke="#d00" stroke-dasharray="4 3"/><text x="${n(rx)}" y="${axisY + 14}" text-anchor="middle" fill="#d00">${escapeXml(o.reference.label)}</text>`;
  }
  return frame(o.title, height, body);
}

export interface LineSeries {
  name: string;
  /** [x, y] with x in unix seconds. */
  points: ReadonlyArray<readonly [number, number]>;
  dashed?: boolean;
  /** Dots only, no line (measured points under a fitted line). */
  dotsOnly?: boolean;
  color?: string;
}

export interface LineOptions {
  title: string;
  series: readonly LineSeries[];
  xMin: number;
  xMax: number;
  xTicks: ReadonlyArray<{ x: number; label: string }>;
  yFormat: (y: number) => string;
  /** Horizontal lines such as capacity. */
  hLines?: ReadonlyArray<{ y: number; label: string; color?: string }>;
  /** A shaded x range with a caption, e.g. the previous period. */
  band?: { x0: number; x1: number; label: string };
  empty?: string;
  /** viewBox width; narrower charts keep their text legible when shown side by side. */
  width?: number;
}

export function lineChart(o: LineOptions): string {
  const W = o.width ?? WIDTH;
  const withData = o.series.filter((s) => s.points.length > 0);
  if (withData.length === 0) return emptyChart(o.title, o.empty ?? 'no data', W);
  const left = 64;
  const right = 16;
  const top = 24;
  const plotHeight = 190;
  const height = top + plotHeight + 24;
  const ys = withData.flatMap((s) => s.points.map((p) => p[1]));
  const yMax = Math.max(...ys, ...(o.hLines ?? []).map((h) => h.y), 0) * 1.05 || 1;
  const ticks = niceTicks(yMax);
  const top1 = ticks.at(-1) as number;
  const x = (v: number) => left + ((v - o.xMin) / (o.xMax - o.xMin || 1)) * (W - left - right);
  const y = (v: number) => top + plotHeight - (v / top1) * plotHeight;
  let body = legend(
    o.series.map((s) => s.name),
    12,
    (i) => o.series[i]?.color ?? color(i),
  );
  if (o.band) {
    body += `<rect x="${n(x(o.band.x0))}" y="${top}" width="${n(x(o.band.x1) - x(o.band.x0))}" height="${plotHeight}" fill="#f1f1f1"/><text x="${n(x(o.band.x0) + 4)}" y="${top + 12}" fill="#777">${escapeXml(o.band.label)}</text>`;
  }
  for (const t of ticks) {
    body += `<line x1="${left}" x2="${W - right}" y1="${n(y(t))}" y2="${n(y(t))}" stroke="#e4e4e4"/><text x="${left - 6}" y="${n(y(t) + 3)}" text-anchor="end">${escapeXml(o.yFormat(t))}</text>`;
  }
  for (const t of o.xTicks) {
    body += `<line x1="${n(x(t.x))}" x2="${n(x(t.x))}" y1="${top + plotHeight}" y2="${top + plotHeight + 4}" stroke="#333"/>${tickText(x(t.x), top + plotHeight + 16, t.label, left, W - right)}`;
  }
  body += `<line x1="${left}" x2="${W - right}" y1="${top + plotHeight}" y2="${top + plotHeight}" stroke="#333"/>`;
  o.series.forEach((s, i) => {
    if (s.points.length === 0) return;
    const stroke = s.color ?? color(i);
    if (s.dotsOnly) {
      for (const [px, py] of s.points) body += `<circle cx="${n(x(px))}" cy="${n(y(py))}" r="3" fill="${stroke}"/>`;
      return;
    }
    body += `<path d="${pathFor(s.points, x, y)}" fill="none" stroke="${stroke}" stroke-width="1.5"${s.dashed ? ' stroke-dasharray="5 4"' : ''}/>`;
  });
  for (const h of o.hLines ?? []) {
    const c = h.color ?? '#d00';
    body += `<line x1="${left}" x2="${W - right}" y1="${n(y(h.y))}" y2="${n(y(h.y))}" stroke="${c}" stroke-dasharray="6 3"/><text x="${W - right - 2}" y="${n(y(h.y) - 4)}" text-anchor="end" fill="${c}">${escapeXml(h.label)}</text>`;
  }
  return frame(o.title, height, body, W);
}

/** A polyline that lifts the pen over gaps wider than 1.5 usual steps, so missing data is not drawn as a ramp. */
function pathFor(points: ReadonlyArray<readonly [number, number]>, x: (v: number) => number, y: (v: number) => number): string {
  const steps = points.slice(1).map((p, i) => p[0] - (points[i] as readonly [number, number])[0]).sort((a, b) => a - b);
  const usual = steps[Math.floor(steps.length / 2)] ?? Infinity;
  return points.map((p, i) => `${i === 0 || p[0] - (points[i - 1] as readonly [number, number])[0] > usual * 1.5 ? 'M' : 'L'}${n(x(p[0]))} ${n(y(p[1]))}`).join(' ');
}

export interface TimelineOptions {
  title: string;
  rows: ReadonlyArray<{ label: string; spans: ReadonlyArray<readonly [number, number]>; color?: string }>;
  xMin: number;
  xMax: number;
  xTicks: ReadonlyArray<{ x: number; label: string }>;
  empty?: string;
}

export function timelineChart(o: TimelineOptions): string {
  const labelWidth = 230;
  const right = 16;
  const rowHeight = 18;
  const top = 6;
  const rows = o.rows.length === 0 ? [{ label: o.empty ?? 'nothing', spans: [] }] : o.rows;
  const plotBottom = top + rows.length * rowHeight;
  const height = plotBottom + 24;
  const x = (v: number) => labelWidth + ((Math.min(Math.max(v, o.xMin), o.xMax) - o.xMin) / (o.xMax - o.xMin || 1)) * (WIDTH - labelWidth - right);
  let body = '';
  for (const t of o.xTicks) {
    body += `<line x1="${n(x(t.x))}" x2="${n(x(t.x))}" y1="${top}" y2="${plotBottom + 4}" stroke="#e4e4e4"/>${tickText(x(t.x), plotBottom + 16, t.label, labelWidth, WIDTH - right)}`;
  }
  rows.forEach((r, i) => {
    const y = top + i * rowHeight;
    body += `<text x="${labelWidth - 6}" y="${y + 12}" text-anchor="end">${escapeXml(clipLabel(r.label, 32))}</text>`;
    for (const [a, b] of r.spans) {
      body += `<rect x="${n(x(a))}" y="${y + 3}" width="${n(Math.max(x(b) - x(a), 2))}" height="${rowHeight - 6}" fill="${'color' in r && r.color ? r.color : '#D55E00'}"/>`;
    }
  });
  body += `<line x1="${labelWidth}" x2="${WIDTH - right}" y1="${plotBottom}" y2="${plotBottom}" stroke="#333"/>`;
  return frame(o.title, height, body);
}
