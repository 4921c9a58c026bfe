// The scheduled report: its cron read on the business clock (fixed offsets, half hours too), the
// week it covers, and the folder it keeps (whole reports only, retention, no way out of the folder).
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parsePlainCron, type PlainCronFields } from '../../config/index.js';
import { listReports, pruneReports, removeStaleTemps, reportFile } from '../../report/folder.js';
import { lastCompleteWeek, nextFiring, previousFiring } from '../../report/schedule-clock.js';

const fields = (expression: string): PlainCronFields => {
  const parsed = parsePlainCron(expression);
  if ('problem' in parsed) throw new Error(parsed.problem);
  return parsed;
};
const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

describe('report schedule on the business clock', () => {
  const monday9 = fields('0 9 * * 1');

  it('fires Monday 09:00 at +08:00, which is Monday 01:00 UTC', () => {
    // Wednesday 2026-11-25 12:00 UTC → next Monday 2026-11-30 09:00 +08:00.
    expect(iso(nextFiring(monday9, at('2026-11-25T12:00:00Z'), 480))).toBe('2026-11-30T01:00:00.000Z');
    expect(iso(previousFiring(monday9, at('2026-11-25T12:00:00Z'), 480))).toBe('2026-11-23T01:00:00.000Z');
    // Sunday 2026-11-29 18:00 UTC is already Monday 02:00 local: today's 09:00 is still ahead.
    expect(iso(nextFiring(monday9, at('2026-11-29T18:00:00Z'), 480))).toBe('2026-11-30T01:00:00.000Z');
  });

  it('is strictly after, and at-or-before, the given instant', () => {
    const due = at('2026-11-30T01:00:00Z');
    expect(iso(nextFiring(monday9, due, 480))).toBe('2026-12-07T01:00:00.000Z');
    expect(iso(previousFiring(monday9, due, 480))).toBe('2026-11-30T01:00:00.000Z');
  });

  it('reads half-hour offsets and UTC, and seconds when given', () => {
    expect(iso(nextFiring(monday9, at('2026-11-25T12:00:00Z'), 330))).toBe('2026-11-30T03:30:00.000Z');
    expect(iso(nextFiring(monday9, at('2026-11-25T12:00:00Z'), -300))).toBe('2026-11-30T14:00:00.000Z');
    expect(iso(nextFiring(fields('*/5 * * * * *'), at('2026-11-25T12:00:03.500Z'), 480))).toBe('2026-11-25T12:00:05.000Z');
    expect(iso(nextFiring(fields('0 9 * * 7'), at('2026-11-25T12:00:00Z'), 0))).toBe('2026-11-29T09:00:00.000Z');
  });

  it('finds a firing a leap year away', () => {
    expect(iso(nextFiring(fields('0 9 29 2 *'), at('2026-11-25T12:00:00Z'), 0))).toBe('2028-02-29T09:00:00.000Z');
  });

  it('covers the last complete ISO week on the business clock', () => {
    // Monday 2026-11-30 09:00 +08:00: the week just ended is 2026-W48 (23–29 November local).
    const week = lastCompleteWeek(at('2026-11-30T01:00:00Z'), 480);
    expect(week).toMatchObject({ label: '2026-W48', slug: '2026-W48' });
    expect(iso(week.fromMs)).toBe('2026-11-22T16:00:00.000Z');
    expect(iso(week.toMs)).toBe('2026-11-29T16:00:00.000Z');
  });

  it('refuses cron words and nicknames the walker cannot read', () => {
    expect(parsePlainCron('0 9 * * MON')).toEqual({ problem: expect.stringContaining('only numbers') });
    expect(parsePlainCron('0 25 * * *')).toEqual({ problem: expect.stringContaining('not a valid cron expression') });
    expect(parsePlainCron('9 * *')).toEqual({ problem: expect.stringContaining('5 fields') });
    expect(parsePlainCron('0 9 31 2 *')).toEqual({ problem: expect.stringContaining('impossible day of month') });
  });
});

describe('report folder', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ch-report-folder-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const put = async (name: string, text = 'x', mtimeSeconds?: number) => {
    await writeFile(path.join(dir, name), text);
    if (mtimeSeconds !== undefined) await utimes(path.join(dir, name), mtimeSeconds, mtimeSeconds);
  };

  it('lists whole reports newest first, never temporary or foreign files', async () => {
    for (const week of ['2026-W46', '2026-W47']) for (const ext of ['json', 'html', 'md']) await put(`channel-health-report-${week}.${ext}`, '{}', 1_700_000_000);
    await put('channel-health-report-2026-W48.html.1234.tmp');
    await put('notes.txt');
    await mkdir(path.join(dir, 'channel-health-report-2026-W49.html'));
    const reports = await listReports(dir);
    expect(reports.map((r) => [r.period, r.files.map((f) => f.format)])).toEqual([
      ['2026-W47', ['html', 'md', 'json']],
      ['2026-W46', ['html', 'md', 'json']],
    ]);
    expect(reports[0]?.files[0]).toEqual({ name: 'channel-health-report-2026-W47.html', format: 'html', bytes: 2, modified: '2023-11-14T22:13:20.000Z' });
    expect(await listReports(path.join(dir, 'absent'))).toEqual([]);
  });

  it('keeps the newest reports and removes stale temporary files', async () => {
    for (const week of ['2026-W45', '2026-W46', '2026-W47']) await put(`channel-health-report-${week}.json`);
    await put('channel-health-report-2026-W47.json.99.tmp');
    expect(await pruneReports(dir, 2)).toEqual(['2026-W45']);
    expect(await removeStaleTemps(dir)).toBe(1);
    expect((await readdir(dir)).sort()).toEqual(['channel-health-report-2026-W46.json', 'channel-health-report-2026-W47.json']);
  });

  it('serves only listed report names, with their content type', async () => {
    await put('channel-health-report-2026-W47.md');
    await put('channel-health-report-2026-W47.json.7.tmp');
    expect(await reportFile(dir, 'channel-health-report-2026-W47.md')).toEqual({ file: path.join(dir, 'channel-health-report-2026-W47.md'), contentType: 'text/markdown; charset=utf-8' });
    for (const name of ['channel-health-report-2026-W47.json.7.tmp', '../channel-health-report-2026-W47.md', 'channel-health-report-../../etc/passwd.md', 'channel-health-report-2026-W46.md', '/etc/passwd']) {
      expect(await reportFile(dir, name), name).toBeNull();
    }
  });
});
