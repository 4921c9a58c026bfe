// The period a report covers: an ISO week or an explicit from/to, read at a fixed UTC offset (the
// operator's business day, e.g. +08:00), and the equally long period just before it for comparison.
import { formatUtcOffset, parseUtcOffset as parseOffset } from '../config/index.js';
import { ReportError } from './errors.js';

export interface ReportPeriod {
  /** How the period is named in the report: `2026-W47`, or `2026-11-16 00:00 → 2026-11-17 00:00`. */
  label: string;
  /** File-name form of the label. */
  slug: string;
  fromMs: number;
  toMs: number;
  /** Offset of the local business clock from UTC, in minutes; hours and days are read on it. */
  utcOffsetMinutes: number;
}

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** Longest period: a month of hourly load for two periods stays far below Prometheus's 11,000 points per series. */
export const MAX_PERIOD_MS = 31 * DAY;
export const MIN_PERIOD_MS = MINUTE;

/** `Z`, `UTC`, `+08:00`, `-05:30` → minutes east of UTC. */
export function parseUtcOffset(text: string): number {
  const parsed = parseOffset(text);
  if ('problem' in parsed) throw new ReportError('CH_REPORT_BAD_OPTION', `--utc-offset: ${parsed.problem}`);
  return parsed.minutes;
}


/** `2026-11-16 14:00` on the local business clock; seconds only when there are any. */
export function formatLocal(ms: number, utcOffsetMinutes: number): string {
  return new Date(ms + utcOffsetMinutes * MINUTE)
    .toISOString()
    .slice(0, ms % MINUTE === 0 ? 16 : 19)
    .replace('T', ' ');
}

/** Monday 00:00 (UTC) of ISO week 1 of `year`: the week holding 4 January. */
function isoWeekOneMonday(year: number): number {
  const jan4 = Date.UTC(year, 0, 4);
  const weekday = (new Date(jan4).getUTCDay() + 6) % 7;
  return jan4 - weekday * DAY;
}

export function isoWeeksInYear(year: number): 52 | 53 {
  return (isoWeekOneMonday(year + 1) - isoWeekOneMonday(year)) / DAY === 371 ? 53 : 52;
}

/** The ISO week label (`2026-W47`) of the local day holding `ms`. */
export function isoWeekOf(ms: number, utcOffsetMinutes: number): string {
  const local = ms + utcOffsetMinutes * MINUTE;
  const dayStart = Math.floor(local / DAY) * DAY;
  const thursday = dayStart + (3 - ((new Date(dayStart).getUTCDay() + 6) % 7)) * DAY;
  const year = new Date(thursday).getUTCFullYear();
  const week = 1 + Math.floor((thursday - isoWeekOneMonday(year)) / (7 * DAY));
  return `${year}-W${String(week).padStart(2, '0')}`;
}

export function weekPeriod(text: string, utcOffsetMinutes: number): ReportPeriod {
  const m = /^(\d{4})-W(\d{2})$/.exec(text);
  if (!m) throw new ReportError('CH_REPORT_BAD_PERIOD', `--week: "${text}" is not an ISO week like 2026-W47`);
  const year = Number(m[1]);
  const week = Number(m[2]);
  const weeks = isoWeeksInYear(year);
  if (week < 1 || week > weeks) throw new ReportError('CH_REPORT_BAD_PERIOD', `--week: ${year} has ISO weeks W01 to W${weeks}, not W${m[2]}`);
  const fromMs = isoWeekOneMonday(year) + (week - 1) * 7 * DAY - utcOffsetMinutes * MINUTE;
  return { label: text, slug: text, fromMs, toMs: fromMs + 7 * DAY, utcOffsetMinutes };
}

/**
 * An ISO 8601 date or date-time. Without a zone it is read on the business clock
 * (`--utc-offset`), so `--from 2026-11-16` means local midnight.
 */
export function parseInstant(text: string, flag: string, utcOffsetMinutes: number): number {
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?))?(Z|[+-]\d{2}:\d{2})?$/.exec(text);
  const bad = () => new ReportError('CH_REPORT_BAD_PERIOD', `${flag}: "${text}" is not an ISO 8601 date or time like 2026-11-16 or 2026-11-16T08:00+08:00`);
  if (!m) throw bad();
  const zone = m[3] ?? (utcOffsetMinutes === 0 ? 'Z' : formatUtcOffset(utcOffsetMinutes).slice(3));
  const ms = Date.parse(`${m[1]}T${m[2] ?? '00:00'}${zone}`);
  // Date.parse rolls 2026-02-30 over to March; a calendar mistake should be an error instead.
  if (Number.isNaN(ms) || new Date(ms + (zone === 'Z' ? 0 : zoneMinutes(zone)) * MINUTE).toISOString().slice(0, 10) !== m[1]) throw bad();
  return ms;
}

function zoneMinutes(zone: string): number {
  const sign = zone.startsWith('-') ? -1 : 1;
  return sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
}

export function rangePeriod(fromText: string, toText: string, utcOffsetMinutes: number): ReportPeriod {
  const fromMs = parseInstant(fromText, '--from', utcOffsetMinutes);
  const toMs = parseInstant(toText, '--to', utcOffsetMinutes);
  if (fromMs >= toMs) throw new ReportError('CH_REPORT_BAD_PERIOD', `--from ${fromText} is not before --to ${toText}`);
  const label = `${formatLocal(fromMs, utcOffsetMinutes)} → ${formatLocal(toMs, utcOffsetMinutes)}`;
  const slug = `${compact(fromMs, utcOffsetMinutes)}-${compact(toMs, utcOffsetMinutes)}`;
  return { label, slug, fromMs, toMs, utcOffsetMinutes };
}

function compact(ms: number, utcOffsetMinutes: number): string {
  return new Date(ms + utcOffsetMinutes * MINUTE).toISOString().slice(0, 19).replace(/[-:]/g, '');
}

export interface PeriodOptions {
  week?: string;
  from?: string;
  to?: string;
  utcOffsetMinutes: number;
}

/** Turns the flags into a period and checks it can be reported on at `nowMs`. */
export function resolvePeriod(options: PeriodOptions, nowMs: number): ReportPeriod {
  const { week, from, to, utcOffsetMinutes } = options;
  let period: ReportPeriod;
  if (week !== undefined) {
    if (from !== undefined || to !== undefined) throw new ReportError('CH_REPORT_BAD_PERIOD', 'give either --week or --from and --to, not both');
    period = weekPeriod(week, utcOffsetMinutes);
  } else if (from !== undefined && to !== undefined) {
    period = rangePeriod(from, to, utcOffsetMinutes);
  } else if (from !== undefined || to !== undefined) {
    throw new ReportError('CH_REPORT_BAD_PERIOD', `${from === undefined ? '--from' : '--to'} is required with ${from === undefined ? '--to' : '--from'}`);
  } else {
    throw new ReportError('CH_REPORT_BAD_PERIOD', 'a period is required: --week 2026-W47, or --from and --to');
  }
  const length = period.toMs - period.fromMs;
  if (length < MIN_PERIOD_MS) throw new ReportError('CH_REPORT_BAD_PERIOD', `the period ${period.label} is shorter than a minute`);
  if (length > MAX_PERIOD_MS) throw new ReportError('CH_REPORT_BAD_PERIOD', `the period ${period.label} is longer than 31 days; report on weeks or months one at a time`);
  if (length % 1000 !== 0) throw new ReportError('CH_REPORT_BAD_PERIOD', `the period ${period.label} must span whole seconds`);
  // A period still running would be reported as if complete, with its volumes short.
  if (period.toMs > nowMs) throw new ReportError('CH_REPORT_BAD_PERIOD', `the period ${period.label} ends ${new Date(period.toMs).toISOString()}, after now (${new Date(nowMs).toISOString()}); report on a period that is over`);
  return period;
}

/** The equally long period ending where `period` starts: last week, for a week. */
export function previousPeriod(period: ReportPeriod): ReportPeriod {
  const length = period.toMs - period.fromMs;
  const fromMs = period.fromMs - length;
  const isWeek = /^\d{4}-W\d{2}$/.test(period.label) && length === 7 * DAY;
  if (isWeek) {
    const label = isoWeekOf(fromMs, period.utcOffsetMinutes);
    return { label, slug: label, fromMs, toMs: period.fromMs, utcOffsetMinutes: period.utcOffsetMinutes };
  }
  return {
    label: `${formatLocal(fromMs, period.utcOffsetMinutes)} → ${formatLocal(period.fromMs, period.utcOffsetMinutes)}`,
    slug: `${compact(fromMs, period.utcOffsetMinutes)}-${compact(period.fromMs, period.utcOffsetMinutes)}`,
    fromMs,
    toMs: period.fromMs,
    utcOffsetMinutes: period.utcOffsetMinutes,
  };
}

/** Width of a load bucket: the peak *hour* for anything of two hours or more, the peak minute below. */
export function loadBucketMs(period: Pick<ReportPeriod, 'fromMs' | 'toMs'>): number {
  return period.toMs - period.fromMs >= 2 * HOUR ? HOUR : MINUTE;
}
