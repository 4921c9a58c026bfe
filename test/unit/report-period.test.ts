import { describe, expect, it } from 'vitest';
import { ReportError } from '../../report/errors.js';
import { isoWeekOf, isoWeeksInYear, loadBucketMs, parseInstant, parseUtcOffset, previousPeriod, resolvePeriod, weekPeriod } from '../../report/period.js';

const NOW = Date.parse('2026-11-23T14:00:00Z');
const bad = (fn: () => unknown, code: string, message: RegExp) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ReportError);
    expect((err as ReportError).code).toBe(code);
    expect((err as ReportError).message).toMatch(message);
    return;
  }
  throw new Error('expected a ReportError');
};

describe('report periods', () => {
  it('reads an ISO week on the business clock', () => {
    const p = weekPeriod('2026-W47', 480);
    expect(new Date(p.fromMs).toISOString()).toBe('2026-11-15T16:00:00.000Z');
    expect(new Date(p.toMs).toISOString()).toBe('2026-11-22T16:00:00.000Z');
    expect(weekPeriod('2026-W01', 0).fromMs).toBe(Date.parse('2025-12-29T00:00:00Z'));
    expect(weekPeriod('2021-W01', 0).fromMs).toBe(Date.parse('2021-01-04T00:00:00Z'));
  });

  it('knows which years have 53 ISO weeks', () => {
    expect(isoWeeksInYear(2026)).toBe(53);
    expect(isoWeeksInYear(2020)).toBe(53);
    expect(isoWeeksInYear(2025)).toBe(52);
    expect(weekPeriod('2026-W53', 0).fromMs).toBe(Date.parse('2026-12-28T00:00:00Z'));
    bad(() => weekPeriod('2025-W53', 0), 'CH_REPORT_BAD_PERIOD', /2025 has ISO weeks W01 to W52, not W53/);
    bad(() => weekPeriod('2026-W00', 0), 'CH_REPORT_BAD_PERIOD', /not W00/);
  });

  it('names the week a moment falls in, and the week before', () => {
    expect(isoWeekOf(Date.parse('2026-11-22T16:30:00Z'), 480)).toBe('2026-W48');
    expect(isoWeekOf(Date.parse('2026-11-22T16:30:00Z'), 0)).toBe('2026-W47');
    expect(isoWeekOf(Date.parse('2027-01-01T00:00:00Z'), 0)).toBe('2026-W53');
    const prev = previousPeriod(weekPeriod('2026-W01', 0));
    expect(prev.label).toBe('2025-W52');
    expect(prev.toMs).toBe(weekPeriod('2026-W01', 0).fromMs);
  });

  it('reads --from/--to with or without a zone', () => {
    const p = resolvePeriod({ from: '2026-11-16', to: '2026-11-16T12:30', utcOffsetMinutes: 480 }, NOW);
    expect(new Date(p.fromMs).toISOString()).toBe('2026-11-15T16:00:00.000Z');
    expect(new Date(p.toMs).toISOString()).toBe('2026-11-16T04:30:00.000Z');
    expect(p.label).toBe('2026-11-16 00:00 → 2026-11-16 12:30');
    expect(p.slug).toBe('20261116T000000-20261116T123000');
    expect(parseInstant('2026-11-16T08:00:00Z', '--from', 480)).toBe(Date.parse('2026-11-16T08:00:00Z'));
    expect(parseInstant('2026-11-16T08:00-05:00', '--from', 480)).toBe(Date.parse('2026-11-16T13:00:00Z'));
    expect(previousPeriod(p).toMs).toBe(p.fromMs);
    expect(previousPeriod(p).fromMs).toBe(p.fromMs - (p.toMs - p.fromMs));
  });

  it('rejects bad periods with the flag and the reason', () => {
    bad(() => resolvePeriod({ week: '2026-47', utcOffsetMinutes: 0 }, NOW), 'CH_REPORT_BAD_PERIOD', /--week: "2026-47" is not an ISO week like 2026-W47/);
    bad(() => resolvePeriod({ from: '2026-11-17', to: '2026-11-16', utcOffsetMinutes: 0 }, NOW), 'CH_REPORT_BAD_PERIOD', /--from 2026-11-17 is not before --to 2026-11-16/);
    bad(() => resolvePeriod({ from: '2026-11-16', to: '2026-11-16', utcOffsetMinutes: 0 }, NOW), 'CH_REPORT_BAD_PERIOD', /is not before/);
    bad(() => resolvePeriod({ from: '2026-02-30', to: '2026-03-02', utcOffsetMinutes: 0 }, NOW), 'CH_REPORT_BAD_PERIOD', /--from: "2026-02-30" is not an ISO 8601 date/);
    bad(() => resolvePeriod({ from: 'yesterday', to: '2026-11-16', utcOffsetMinutes: 0 }, NOW), 'CH_REPORT_BAD_PERIOD', /--from: "yesterday"/);
    bad(() => resolvePeriod({ from: '2026-11-16', utcOffsetMinutes: 0 }, NOW), 'CH_REPORT_BAD_PERIOD', /--to is required with --from/);
    bad(() => resolvePeriod({ week: '2026-W47', from: '2026-11-16', utcOffsetMinutes: 0 }, NOW), 'CH_REPORT_BAD_PERIOD', /either --week or --from and --to/);
    bad(() => resolvePeriod({ utcOffsetMinutes: 0 }, NOW), 'CH_REPORT_BAD_PERIOD', /a period is required/);
    bad(() => resolvePeriod({ from: '2026-10-01', to: '2026-11-16', utcOffsetMinutes: 0 }, NOW), 'CH_REPORT_BAD_PERIOD', /longer than 31 days/);
    bad(() => resolvePeriod({ from: '2026-11-16T00:00:00Z', to: '2026-11-16T00:00:30Z', utcOffsetMinutes: 0 }, NOW), 'CH_REPORT_BAD_PERIOD', /shorter than a minute/);
    bad(() => resolvePeriod({ week: '2026-W48', utcOffsetMinutes: 0 }, NOW), 'CH_REPORT_BAD_PERIOD', /after now .*report on a period that is over/);
  });

  it('parses UTC offsets', () => {
    expect(parseUtcOffset('Z')).toBe(0);
    expect(parseUtcOffset('+08:00')).toBe(480);
    expect(parseUtcOffset('-05:30')).toBe(-330);
    bad(() => parseUtcOffset('+8'), 'CH_REPORT_BAD_OPTION', /--utc-offset: "\+8" is not an offset/);
    bad(() => parseUtcOffset('+15:00'), 'CH_REPORT_BAD_OPTION', /outside -14:00..\+14:00/);
    bad(() => parseUtcOffset('+05:75'), 'CH_REPORT_BAD_OPTION', /outside/);
  });

  it('buckets load by the hour, or by the minute for periods under two hours', () => {
    expect(loadBucketMs({ fromMs: 0, toMs: 7 * 86_400_000 })).toBe(3_600_000);
    expect(loadBucketMs({ fromMs: 0, toMs: 2 * 3_600_000 })).toBe(3_600_000);
    expect(loadBucketMs({ fromMs: 0, toMs: 5 * 60_000 })).toBe(60_000);
  });
});
