// Maintenance windows in Alertmanager 0.25 terms: each window becomes a named time interval (in
// UTC, so any business-clock offset, +05:30 included, is exact), and the alerts a window covers
// are routed through a copy of the normal routes carrying `mute_time_intervals`. Alerts covered
// by several windows get all of them: pairs are grouped by the set of windows that cover them.
import type { Config, MaintenanceWindow } from '../config/index.js';
import { matcher } from './promql-text.js';

export interface AlertmanagerTimeRange {
  start_time: string;
  end_time: string;
}

export interface AlertmanagerTimeInterval {
  weekdays?: string[];
  days_of_month?: string[];
  months?: string[];
  years?: string[];
  times: AlertmanagerTimeRange[];
}

export interface AlertmanagerNamedInterval {
  name: string;
  time_intervals: AlertmanagerTimeInterval[];
}

const DAY = 1440;
const AM_WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

const hhmm = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/** The name a window's time interval has in the generated alertmanager.yml. */
export const intervalName = (w: MaintenanceWindow) => `maintenance-${w.id}`;

/** Splits [start, start + minutes) of a week (minutes from Sunday 00:00 UTC) at UTC midnights. */
function weeklyPieces(start: number, minutes: number): Array<{ day: number; from: number; to: number }> {
  const out: Array<{ day: number; from: number; to: number }> = [];
  let at = start;
  let left = minutes;
  while (left > 0) {
    const day = Math.floor(at / DAY) % 7;
    const from = at % DAY;
    const to = Math.min(DAY, from + left);
    out.push({ day, from, to });
    left -= to - from;
    at = (Math.floor(at / DAY) + 1) * DAY;
  }
  return out;
}

export function timeInterval(w: MaintenanceWindow, utcOffsetMinutes: number): AlertmanagerNamedInterval {
  const s = w.schedule;
  const intervals: AlertmanagerTimeInterval[] = [];
  if (s.kind === 'recurring') {
    // Same time of day on several weekdays becomes one entry listing the weekdays.
    const byTimes = new Map<string, { days: Set<number>; from: number; to: number }>();
    for (const d of s.weekdays) {
      const utcStart = (((d * DAY + s.startMinute - utcOffsetMinutes) % (7 * DAY)) + 7 * DAY) % (7 * DAY);
      for (const p of weeklyPieces(utcStart, s.minutes)) {
        const key = `${p.from}-${p.to}`;
        const e = byTimes.get(key) ?? { days: new Set<number>(), from: p.from, to: p.to };
        e.days.add(p.day);
        byTimes.set(key, e);
      }
    }
    for (const e of [...byTimes.values()].sort((a, b) => a.from - b.from || a.to - b.to)) {
      intervals.push({ weekdays: [...e.days].sort((a, b) => a - b).map((d) => AM_WEEKDAYS[d] as string), times: [{ start_time: hhmm(e.from), end_time: hhmm(e.to) }] });
    }
  } else {
    // A one-off window: one entry per UTC date it touches.
    let at = s.startMs;
    while (at < s.endMs) {
      const date = new Date(at);
      const midnight = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
      const to = Math.min(s.endMs, midnight + DAY * 60_000);
      intervals.push({
        years: [String(date.getUTCFullYear())],
        months: [String(date.getUTCMonth() + 1)],
        days_of_month: [String(date.getUTCDate())],
        times: [{ start_time: hhmm((at - midnight) / 60_000), end_time: hhmm((to - midnight) / 60_000) }],
      });
      at = to;
    }
  }
  return { name: intervalName(w), time_intervals: intervals };
}

/** Every (channel, transaction) a window covers: its channels whole, and its backends' transactions on every channel. */
export function coveredPairs(w: MaintenanceWindow, config: Config): Array<{ channel: string; transaction: string }> {
  const out: Array<{ channel: string; transaction: string }> = [];
  for (const c of config.channels) {
    for (const t of config.transactions) {
      if (w.channels.includes(c.id) || t.backends.some((b) => w.backends.includes(b))) out.push({ channel: c.id, transaction: t.id });
    }
  }
  return out;
}

export interface MaintenanceScope {
  /** Interval names that mute alerts matching `matchers`. */
  intervals: string[];
  /** Alertmanager matcher lists; an alert matching any one list is covered. */
  matchers: string[][];
}

/**
 * Pairs grouped by the set of windows covering them, each group as the fewest matcher lists:
 * a channel with every transaction covered is matched by channel alone.
 */
export function maintenanceScopes(config: Config): MaintenanceScope[] {
  const windowsOf = new Map<string, string[]>();
  for (const w of config.maintenance) {
    for (const p of coveredPairs(w, config)) {
      const key = `${p.channel}\u0000${p.transaction}`;
      windowsOf.set(key, [...(windowsOf.get(key) ?? []), intervalName(w)]);
    }
  }
  const bySet = new Map<string, Map<string, string[]>>();
  for (const [key, names] of windowsOf) {
    const [channel, transaction] = key.split('\u0000') as [string, string];
    const set = [...names].sort().join(',');
    const channels = bySet.get(set) ?? new Map<string, string[]>();
    channels.set(channel, [...(channels.get(channel) ?? []), transaction]);
    bySet.set(set, channels);
  }
  const all = config.transactions.map((t) => t.id);
  return [...bySet.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([set, channels]) => {
      const byTransactions = new Map<string, string[]>();
      for (const [channel, txs] of channels) {
        const k = all.every((t) => txs.includes(t)) ? '*' : [...txs].sort().join('|');
        byTransactions.set(k, [...(byTransactions.get(k) ?? []), channel]);
      }
      const matchers = [...byTransactions.entries()]
        .map(([k, chans]) => (k === '*' ? [matcher('channel', chans)] : [matcher('channel', chans), matcher('transaction', k.split('|'))]))
        .sort((a, b) => a.join().localeCompare(b.join()));
      return { intervals: set.split(','), matchers };
    });
}
