// Made-up history for integration tests whose panels look back further than a Prometheus started
// a minute ago: a live exposition is stretched back over days (counters ramp with a daily shape up
// to a few minutes ago, gauges hold), written as OpenMetrics per UTC day and turned into TSDB
// blocks by promtool.
//
// Two things keep every range query over the history well defined, whatever the test's clock:
// - samples every HISTORY_STEP seconds, so a window of 2 × HISTORY_STEP or more always holds at
//   least two of them (a dashboard test checks every query that reads history this way);
// - counters are not rounded: a series whose live value is small (a histogram bucket after four
//   probe runs) would otherwise keep the same whole number for several steps, and a window over
//   two equal samples has rate 0 (a p95 of NaN), more often at night when the daily shape is low.
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const DAY = 86_400;
export const HISTORY_DAYS = 15;
/** Seconds between two history samples. */
export const HISTORY_STEP = 1800;
/** The history ends this long before `now`, so the live scrape that follows does not overlap it. */
export const HISTORY_GAP = 180;
/** Counters end the history at this multiple of their live value (and restart low with the live process). */
export const HISTORY_SCALE = 50;

/** Daily load shape for the history: busiest around 14:00 UTC, quietest around 02:00. */
export const dailyWeight = (t: number): number => 1 + 0.8 * Math.sin((2 * Math.PI * ((t % DAY) / 3600 - 8)) / 24);

export interface Exposition {
  /** host:port the exposition was scraped from: the history's `instance` label. */
  target: string;
  /** Prometheus text exposition. */
  text: string;
}

/** The sample times of the history: every HISTORY_STEP up to HISTORY_GAP (or a little more) before `now`. */
export function historyTimes(now: number): number[] {
  const end = Math.floor((now - HISTORY_GAP) / HISTORY_STEP) * HISTORY_STEP;
  const times: number[] = [];
  for (let t = end - HISTORY_DAYS * DAY; t <= end; t += HISTORY_STEP) times.push(t);
  return times;
}

/**
 * The history of every channel_health_ series in `expositions` as OpenMetrics text, one document
 * per UTC day (promtool re-reads its whole input once per block), keyed by day number.
 */
export function historyOpenMetrics(expositions: readonly Exposition[], now: number): Map<number, string> {
  const times = historyTimes(now);
  const cumulative: number[] = [];
  times.forEach((t, i) => cumulative.push((cumulative[i - 1] ?? 0) + (i === 0 ? 0 : dailyWeight(t))));
  const total = cumulative.at(-1) as number;

  // Families keep their samples together as OpenMetrics requires.
  const families = new Map<string, { type: string; series: Array<{ name: string; labels: string; value: number }> }>();
  for (const { target, text } of expositions) {
    for (const line of text.split('\n')) {
      const m = /^(channel_health_[a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!m) continue;
      const [, name, labels = '', value] = m as unknown as [string, string, string | undefined, string];
      const suffix = /_(total|bucket|count|sum)$/.exec(name)?.[1];
      const family = suffix === 'total' ? name.slice(0, -6) : suffix ? name.slice(0, -(suffix.length + 1)) : name;
      const type = suffix === 'total' ? 'counter' : suffix ? 'histogram' : 'gauge';
      if (!families.has(family)) families.set(family, { type, series: [] });
      const all = `job="channel-health",instance="${target}"${labels ? `,${labels}` : ''}`;
      families.get(family)?.series.push({ name, labels: all, value: Number(value) });
    }
  }
  const byDay = new Map<number, number[]>();
  times.forEach((t, i) => {
    const day = Math.floor(t / DAY);
    if (!byDay.has(day)) byDay.set(day, []);
    byDay.get(day)?.push(i);
  });
  const documents = new Map<number, string>();
  for (const [day, indexes] of byDay) {
    let text = '';
    for (const [family, { type, series }] of families) {
      text += `# TYPE ${family} ${type}\n`;
      for (const s of series) {
        // One factor per sample time for every series, so histogram buckets stay cumulative and
        // _count stays equal to the +Inf bucket.
        for (const i of indexes) {
          const value = type === 'gauge' ? s.value : s.value * HISTORY_SCALE * ((cumulative[i] as number) / total);
          text += `${s.name}{${s.labels}} ${value} ${times[i]}\n`;
        }
      }
    }
    documents.set(day, `${text}# EOF\n`);
  }
  return documents;
}

/** Writes the history of `expositions` as TSDB blocks under `dir`/tsdb; returns that folder. */
export async function backfillHistory(expositions: readonly Exposition[], dir: string, now: number): Promise<string> {
  const files: string[] = [];
  for (const [day, text] of historyOpenMetrics(expositions, now)) {
    const file = path.join(dir, `day-${day}.om`);
    await writeFile(file, text);
    files.push(file);
  }
  const storage = path.join(dir, 'tsdb');
  await mkdir(storage, { recursive: true });
  // Two at a time: the machine has two cores.
  for (let i = 0; i < files.length; i += 2) {
    await Promise.all(files.slice(i, i + 2).map((f) => run('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', '--max-block-duration=24h', f, storage], { timeout: 60_000 })));
  }
  return storage;
}
