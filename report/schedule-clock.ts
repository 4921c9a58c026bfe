// When the scheduled report is due: a cron expression read on the business clock (a fixed UTC
// offset), walked day by day. Pure functions of the fields, an instant and the offset.
import type { PlainCronFields } from '../config/index.js';
import { isoWeekOf, weekPeriod, type ReportPeriod } from './period.js';

const SECOND = 1000;
const DAY = 86_400_000;
/** A schedule that matches no day in this long (e.g. 31 February) never fires. */
const HORIZON_DAYS = 366 * 8;

function dayMatches(fields: PlainCronFields, localDayStartMs: number): boolean {
  const d = new Date(localDayStartMs);
  return fields.month.includes(d.getUTCMonth() + 1) && fields.dayOfMonth.includes(d.getUTCDate()) && fields.dayOfWeek.includes(d.getUTCDay());
}

/** Seconds into a local day at which the expression fires, ascending. */
function timesOfDay(fields: PlainCronFields): number[] {
  const out: number[] = [];
  for (const h of fields.hour) for (const m of fields.minute) for (const s of fields.second) out.push((h * 3600 + m * 60 + s) * SECOND);
  return out.sort((a, b) => a - b);
}

/** The first firing strictly after `afterMs` (UTC ms), or null when the expression never fires. */
export function nextFiring(fields: PlainCronFields, afterMs: number, utcOffsetMinutes: number): number | null {
  const shift = utcOffsetMinutes * 60_000;
  const local = afterMs + shift;
  const times = timesOfDay(fields);
  const firstDay = Math.floor(local / DAY) * DAY;
  for (let i = 0; i < HORIZON_DAYS; i++) {
    const day = firstDay + i * DAY;
    if (!dayMatches(fields, day)) continue;
    const t = times.find((ms) => day + ms > local);
    if (t !== undefined) return day + t - shift;
  }
  return null;
}

/** The last firing at or before `atMs`, or null when there is none within the horizon. */
export function previousFiring(fields: PlainCronFields, atMs: number, utcOffsetMinutes: number): number | null {
  const shift = utcOffsetMinutes * 60_000;
  const local = atMs + shift;
  const times = timesOfDay(fields).reverse();
  const lastDay = Math.floor(local / DAY) * DAY;
  for (let i = 0; i < HORIZON_DAYS; i++) {
    const day = lastDay - i * DAY;
    if (!dayMatches(fields, day)) continue;
    const t = times.find((ms) => day + ms <= local);
    if (t !== undefined) return day + t - shift;
  }
  return null;
}

/** The scheduled report covers the last complete ISO week on the business clock. */
export function lastCompleteWeek(nowMs: number, utcOffsetMinutes: number): ReportPeriod {
  return weekPeriod(isoWeekOf(nowMs - 7 * DAY, utcOffsetMinutes), utcOffsetMinutes);
}
