// Silent failures: when customers cannot reach a channel there is nothing to count as failed, only
// fewer transactions. Real volume per pair in the last hour is compared with the same hour of the
// week over previous weeks (as many as exist, up to alerting.trafficDrop.weeks), holidays left out
// on both sides. docs/alerting.md, "ChannelHealthTrafficDrop", has the reasoning.
import type { Config } from '../config/index.js';
import { promNumber } from './promql-text.js';
import type { RecordingRule } from './rule-types.js';
import { record } from './recording-rules.js';

const HOUR_MS = 3_600_000;
const WEEK_SECONDS = 7 * 86_400;

/** [start, end) in UTC epoch seconds of the configured holidays (business-clock days), consecutive days merged. */
export function holidayRanges(config: Config): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (const date of config.alerting.holidays) {
    const [y, m, d] = date.split('-').map(Number) as [number, number, number];
    const start = Date.UTC(y, m - 1, d) / 1000 - config.service.utcOffsetMinutes * 60;
    const last = ranges[ranges.length - 1];
    if (last && last[1] === start) last[1] = start + 86_400;
    else ranges.push([start, start + 86_400]);
  }
  return ranges;
}

/**
 * A one-sample vector while the hour ending at `time() - shiftSeconds` touches a holiday, empty
 * otherwise; null without holidays. The hour's count is what is judged: for an hour after a holiday
 * it still holds holiday traffic (40% of the usual at 01:00 is a holiday's, not a drop), so the
 * holiday's effect lasts an hour past its end. The detection bench's traffic month found the false
 * pages when it did not.
 */
export function holidayAt(config: Config, shiftSeconds: number): string | null {
  const ranges = holidayRanges(config);
  if (ranges.length === 0) return null;
  const now = shiftSeconds === 0 ? 'vector(time())' : `vector(time() - ${shiftSeconds})`;
  return ranges.map(([s, e]) => `(${now} >= ${s} < ${e + HOUR_MS / 1000})`).join(' or ');
}

export function trafficRecordingRules(config: Config): RecordingRule[] {
  const hour = record.events(HOUR_MS);
  const weeks = Array.from({ length: config.alerting.trafficDrop.weeks }, (_, i) => i + 1);
  const parts = weeks.map((k) => {
    const past = `label_replace(${hour} offset ${k * 7}d, "week", "${k}", "", "")`;
    const wasHoliday = holidayAt(config, k * WEEK_SECONDS);
    return wasHoliday === null ? past : `(${past} unless on () (${wasHoliday}))`;
  });
  const rules: RecordingRule[] = [{ record: record.eventsExpected, expr: `avg without (week) (\n  ${parts.join('\n  or\n  ')}\n)` }];
  const today = holidayAt(config, 0);
  if (today !== null) rules.push({ record: record.holiday, expr: `count(${today})` });
  return rules;
}

/** The per-pair drop condition, valued at the hour's actual count; `tierMatcher` narrows it. */
export function dropCondition(config: Config, tierMatcher = ''): string {
  const { share, minimumExpected } = config.alerting.trafficDrop;
  const sel = tierMatcher ? `{${tierMatcher}}` : '';
  const expected = `${record.eventsExpected}${sel}`;
  return [
    `${record.events(HOUR_MS)}${sel} < ${promNumber(share)} * ${expected}`,
    `and ${expected} >= ${minimumExpected}`,
    `unless on () ${record.holiday}`,
  ].join('\n');
}
