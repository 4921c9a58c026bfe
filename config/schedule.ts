// When a check runs: interval or cron, validated so the scheduler never meets a schedule it
// cannot start, and the arithmetic the alert thresholds need (the mean period of a cron).
import cron from 'node-cron';
import { CONFIG_DEFAULTS } from './defaults.js';
import { parseDuration } from './duration.js';
import type { ConfigProblem } from './errors.js';
import type { RawCheck, RawConfig } from './schema.js';
import type { Schedule } from './types.js';

export function validateScheduleFields(c: Pick<RawCheck, 'interval' | 'cron'>, where: string, problems: ConfigProblem[]): boolean {
  let ok = true;
  if (c.interval !== undefined && c.cron !== undefined) {
    problems.push({ path: `${where}.cron`, message: 'give either interval or cron, not both' });
    ok = false;
  }
  if (c.interval !== undefined) {
    const ms = parseDuration(c.interval);
    if (!intervalFitsClock(ms)) {
      problems.push({ path: `${where}.interval`, message: `${c.interval} must be whole seconds and divide a minute, an hour or a day (e.g. 10s, 30s, 5m, 1h); use cron for other schedules` });
      ok = false;
    }
  }
  if (c.cron !== undefined) {
    const fields = c.cron.trim().split(/\s+/);
    const detail = cron.validateDetailed(c.cron);
    if (fields.length !== 6) {
      problems.push({ path: `${where}.cron`, message: `"${c.cron}" must have six fields (second minute hour day month weekday)` });
      ok = false;
    } else if (!detail.valid) {
      problems.push({ path: `${where}.cron`, message: `"${c.cron}" is not a valid cron expression: ${detail.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}` });
      ok = false;
    } else {
      // The scheduler builds the task with createTask, which parses on its own: whatever it
      // refuses is a config problem here, never an exception at start.
      try {
        cronPeriodMs(c.cron);
      } catch (err) {
        problems.push({ path: `${where}.cron`, message: `"${c.cron}" is not a valid cron expression: ${(err as Error).message}` });
        ok = false;
      }
    }
  }
  return ok;
}

/** Wall-clock aligned intervals only: so that a check's runs land on the same seconds every period. */
export function intervalFitsClock(ms: number): boolean {
  if (ms < 1000 || ms % 1000 !== 0) return false;
  const s = ms / 1000;
  if (s <= 60) return 60 % s === 0;
  if (s <= 3600) return s % 60 === 0 && 3600 % s === 0;
  return s % 3600 === 0 && 86400 % s === 0;
}

export function resolveSchedule(c: RawCheck, defaults: NonNullable<RawConfig['checkDefaults']>): Schedule {
  if (c.cron !== undefined) return { kind: 'cron', expression: c.cron };
  if (c.interval !== undefined) return { kind: 'interval', intervalMs: parseDuration(c.interval) };
  if (defaults.cron !== undefined) return { kind: 'cron', expression: defaults.cron };
  return { kind: 'interval', intervalMs: parseDuration(defaults.interval ?? CONFIG_DEFAULTS.interval) };
}

/** The mean gap between a cron's next runs: the probe rate the alert thresholds are computed from. */
export function cronPeriodMs(expression: string): number {
  const task = cron.createTask(expression, () => undefined);
  try {
    const runs = task.getNextRuns(25);
    if (runs.length < 2) return 86_400_000;
    return Math.max(1000, Math.round(((runs.at(-1) as Date).getTime() - (runs[0] as Date).getTime()) / (runs.length - 1)));
  } finally {
    void task.destroy();
  }
}

/**
 * A cron expression read on a fixed business clock (the report's schedule): 5 or 6 fields of plain
 * numbers, ranges, lists and steps. node-cron's own timezone needs an IANA zone, and the business
 * clock is an offset (+05:30 has no Etc/ zone), so the report's scheduler walks these fields itself.
 */
export interface PlainCronFields {
  second: readonly number[];
  minute: readonly number[];
  hour: readonly number[];
  dayOfMonth: readonly number[];
  month: readonly number[];
  /** 0 is Sunday (7 is read as 0). */
  dayOfWeek: readonly number[];
}

export function parsePlainCron(expression: string): PlainCronFields | { problem: string } {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) return { problem: `"${expression}" must have 5 fields (minute hour day month weekday) or 6 (second first)` };
  if (!fields.every((f) => /^[0-9*,/-]+$/.test(f))) return { problem: `"${expression}" may use only numbers, *, ranges (1-5), lists (1,3) and steps (*/5)` };
  const detail = cron.validateDetailed(expression);
  if (!detail.valid || !detail.fields) return { problem: `"${expression}" is not a valid cron expression: ${detail.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}` };
  const f = detail.fields;
  const numbers = (values: ReadonlyArray<number | string>) => values.filter((v): v is number => typeof v === 'number');
  return {
    second: [...f.second].sort((a, b) => a - b),
    minute: [...f.minute].sort((a, b) => a - b),
    hour: [...f.hour].sort((a, b) => a - b),
    dayOfMonth: numbers(f.dayOfMonth),
    month: [...f.month],
    dayOfWeek: [...new Set(numbers(f.dayOfWeek).map((d) => d % 7))],
  };
}
