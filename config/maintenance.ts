// Planned work (`maintenance:`): recurring windows on the business clock (service.utcOffset) and
// one-off windows, each scoped to channels and/or backends. Alertmanager mutes the alerts they
// cover (alerts/maintenance.ts), the collector exports which are active now, and the weekly
// report marks that time as planned. Minutes, not seconds: Alertmanager's time intervals are
// written in hours and minutes, and a window that could not be written exactly is refused.

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export type MaintenanceSchedule =
  /** Every listed weekday (0 = Sunday, on the business clock) from `startMinute` for `minutes`. */
  | { kind: 'recurring'; weekdays: readonly number[]; startMinute: number; minutes: number }
  /** From `startMs` (inclusive) to `endMs` (exclusive), UTC epoch milliseconds. */
  | { kind: 'once'; startMs: number; endMs: number };

export interface MaintenanceWindow {
  id: string;
  description: string;
  /** Channels the window covers (every transaction on them); ascending. */
  channels: readonly string[];
  /** Backends the window covers (every transaction that uses them, on every channel); ascending. */
  backends: readonly string[];
  schedule: MaintenanceSchedule;
}

export interface RawMaintenanceWindow {
  description?: string;
  channels?: string[];
  backends?: string[];
  weekdays?: string[];
  start?: string;
  end?: string;
  from?: string;
  to?: string;
}

const DAY_MINUTES = 1440;
const WEEK_MINUTES = 7 * DAY_MINUTES;

/** `HH:MM` (00:00..23:59) as minutes of the day, or null. */
function clockMinutes(text: string): number | null {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}

/**
 * `YYYY-MM-DDTHH:MM` on the business clock, or with an explicit offset (`+08:00`, `Z`), as UTC
 * epoch milliseconds; null when it is not such a time or names no real date.
 */
export function parseWindowTime(text: string, utcOffsetMinutes: number): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(Z|[+-]\d{2}:\d{2})?$/.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute] = [1, 2, 3, 4, 5].map((i) => Number(m[i]));
  if (hour === undefined || minute === undefined || hour > 23 || minute > 59) return null;
  const local = Date.UTC(year as number, (month as number) - 1, day as number, hour, minute);
  const check = new Date(local);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== (month as number) - 1 || check.getUTCDate() !== day) return null;
  let offset = utcOffsetMinutes;
  if (m[6] !== undefined && m[6] !== 'Z') {
    const sign = m[6].startsWith('-') ? -1 : 1;
    offset = sign * (Number(m[6].slice(1, 3)) * 60 + Number(m[6].slice(4, 6)));
  } else if (m[6] === 'Z') offset = 0;
  return local - offset * 60_000;
}

/**
 * Validates and normalizes `maintenance:`; problems are pushed with their path, and a window with
 * a problem is left out (nothing half-valid reaches the generators).
 */
export function normalizeMaintenance(
  raw: Readonly<Record<string, RawMaintenanceWindow>> | undefined,
  known: { channels: readonly string[]; backends: readonly string[] },
  utcOffsetMinutes: number,
  problems: Array<{ path: string; message: string }>,
): MaintenanceWindow[] {
  const windows: MaintenanceWindow[] = [];
  for (const [id, w] of Object.entries(raw ?? {})) {
    const at = `maintenance.${id}`;
    const before = problems.length;
    const problem = (where: string, message: string) => problems.push({ path: `${at}${where}`, message });
    const channels = [...new Set(w.channels ?? [])].sort();
    const backends = [...new Set(w.backends ?? [])].sort();
    if (channels.length === 0 && backends.length === 0) problem('', 'names no channels and no backends: say what the planned work takes down');
    channels.forEach((c) => {
      if (!known.channels.includes(c)) problem(`.channels`, `unknown channel "${c}" (known: ${known.channels.join(', ')})`);
    });
    backends.forEach((b) => {
      if (!known.backends.includes(b)) problem(`.backends`, `unknown backend "${b}" (known: ${known.backends.join(', ')})`);
    });
    const recurring = w.start !== undefined || w.end !== undefined || w.weekdays !== undefined;
    const once = w.from !== undefined || w.to !== undefined;
    let schedule: MaintenanceSchedule | null = null;
    if (recurring && once) problem('', 'is either recurring (start, end, weekdays) or one-off (from, to), not both');
    else if (recurring) {
      const start = w.start === undefined ? null : clockMinutes(w.start);
      const end = w.end === undefined ? null : clockMinutes(w.end);
      if (start === null) problem('.start', w.start === undefined ? 'is required for a recurring window' : `"${w.start}" is not a time like 02:00`);
      if (end === null) problem('.end', w.end === undefined ? 'is required for a recurring window' : `"${w.end}" is not a time like 03:30`);
      const weekdays: number[] = [];
      (w.weekdays ?? WEEKDAYS).forEach((d, i) => {
        const n = WEEKDAYS.indexOf(d as Weekday);
        if (n < 0) problem(`.weekdays[${i}]`, `"${d}" is not one of ${WEEKDAYS.join(', ')}`);
        else if (!weekdays.includes(n)) weekdays.push(n);
      });
      if (start !== null && end !== null) {
        if (start === end) problem('.end', 'equals start: a window must last at least a minute (an end before the start crosses midnight)');
        else schedule = { kind: 'recurring', weekdays: weekdays.sort((a, b) => a - b), startMinute: start, minutes: (end - start + DAY_MINUTES) % DAY_MINUTES };
      }
    } else if (once) {
      const from = w.from === undefined ? null : parseWindowTime(w.from, utcOffsetMinutes);
      const to = w.to === undefined ? null : parseWindowTime(w.to, utcOffsetMinutes);
      if (from === null) problem('.from', w.from === undefined ? 'is required for a one-off window' : `"${w.from}" is not a time like 2026-12-01T01:00 or 2026-12-01T01:00+08:00`);
      if (to === null) problem('.to', w.to === undefined ? 'is required for a one-off window' : `"${w.to}" is not a time like 2026-12-01T03:00 or 2026-12-01T03:00+08:00`);
      if (from !== null && to !== null) {
        if (to <= from) problem('.to', 'must be after from');
        else schedule = { kind: 'once', startMs: from, endMs: to };
      }
    } else problem('', 'has no schedule: give start and end (recurring, on the business clock) or from and to (one-off)');
    if (problems.length === before && schedule) windows.push({ id, description: w.description ?? id, channels, backends, schedule });
  }
  return windows;
}

/** Whether the window covers the instant `nowMs` (UTC epoch milliseconds). */
export function maintenanceActive(window: MaintenanceWindow, nowMs: number, utcOffsetMinutes: number): boolean {
  const s = window.schedule;
  if (s.kind === 'once') return nowMs >= s.startMs && nowMs < s.endMs;
  const localMinutes = Math.floor(nowMs / 60_000) + utcOffsetMinutes;
  // 1970-01-01 was a Thursday (weekday 4).
  const minuteOfWeek = (((localMinutes + 4 * DAY_MINUTES) % WEEK_MINUTES) + WEEK_MINUTES) % WEEK_MINUTES;
  return s.weekdays.some((d) => {
    const since = (minuteOfWeek - (d * DAY_MINUTES + s.startMinute) + WEEK_MINUTES) % WEEK_MINUTES;
    return since < s.minutes;
  });
}
