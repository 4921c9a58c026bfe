// The folder of scheduled reports: what is in it (only whole reports, never a temporary file), which
// old reports go when a new one is written, and the content type each file is served with.
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { REPORT_FORMATS, type ReportFormat } from './write.js';

/** `channel-health-report-2026-W47.html`: the only names listed or served; no `/`, so no way out of the folder. */
export const REPORT_FILE = /^channel-health-report-([A-Za-z0-9][A-Za-z0-9_-]*)\.(html|md|json)$/;

/** A temporary file of writeReport (`<name>.<pid>.tmp`), left behind only by a crash. */
const TEMP_FILE = /^channel-health-report-.*\.tmp$/;

export const CONTENT_TYPES: Record<ReportFormat, string> = {
  html: 'text/html; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  json: 'application/json; charset=utf-8',
};

export interface ReportFileInfo {
  name: string;
  format: ReportFormat;
  bytes: number;
  /** ISO 8601 UTC. */
  modified: string;
}

export interface FolderReport {
  /** The period's slug, e.g. `2026-W47`. */
  period: string;
  files: ReportFileInfo[];
  /** Newest file's time, unix ms. */
  modifiedMs: number;
}

/** Reports in the folder, newest period first (week slugs sort by time); an absent folder is empty. */
export async function listReports(folder: string): Promise<FolderReport[]> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const byPeriod = new Map<string, FolderReport>();
  for (const name of names.sort()) {
    const m = REPORT_FILE.exec(name);
    if (!m) continue;
    const info = await stat(path.join(folder, name)).catch(() => null);
    if (!info?.isFile()) continue;
    const period = m[1] as string;
    const report = byPeriod.get(period) ?? { period, files: [], modifiedMs: 0 };
    report.files.push({ name, format: m[2] as ReportFormat, bytes: info.size, modified: new Date(info.mtimeMs).toISOString() });
    report.modifiedMs = Math.max(report.modifiedMs, info.mtimeMs);
    byPeriod.set(period, report);
  }
  for (const r of byPeriod.values()) r.files.sort((a, b) => REPORT_FORMATS.indexOf(a.format) - REPORT_FORMATS.indexOf(b.format));
  return [...byPeriod.values()].sort((a, b) => (a.period < b.period ? 1 : a.period > b.period ? -1 : 0));
}

/** Deletes all but the newest `retain` reports; returns the periods deleted. */
export async function pruneReports(folder: string, retain: number): Promise<string[]> {
  const reports = await listReports(folder);
  const old = reports.slice(retain);
  for (const r of old) for (const f of r.files) await rm(path.join(folder, f.name), { force: true });
  return old.map((r) => r.period);
}

/** Removes temporary files a crash left behind; they are never listed or served either way. */
export async function removeStaleTemps(folder: string): Promise<number> {
  const names = await readdir(folder).catch(() => [] as string[]);
  const stale = names.filter((n) => TEMP_FILE.test(n));
  for (const n of stale) await rm(path.join(folder, n), { force: true });
  return stale.length;
}

/** The file to serve for a requested name, or null: the name must be a report's and be in the listing. */
export async function reportFile(folder: string, name: string): Promise<{ file: string; contentType: string } | null> {
  const m = REPORT_FILE.exec(name);
  if (!m) return null;
  const names = await readdir(folder).catch(() => [] as string[]);
  if (!names.includes(name)) return null;
  return { file: path.join(folder, name), contentType: CONTENT_TYPES[m[2] as ReportFormat] };
}
