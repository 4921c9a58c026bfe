// Writing the report's files: the thin, impure step after the figures are collected.
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { ReportError } from './errors.js';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';
import type { Report } from './model.js';

export const REPORT_FORMATS = ['html', 'md', 'json'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export function renderJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

const RENDER: Record<ReportFormat, (r: Report) => string> = { html: renderHtml, md: renderMarkdown, json: renderJson };

/** `html,md` → ['html', 'md']; order follows REPORT_FORMATS, duplicates dropped. */
export function parseFormats(text: string): ReportFormat[] {
  const asked = text.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = asked.filter((s) => !(REPORT_FORMATS as readonly string[]).includes(s));
  if (asked.length === 0 || unknown.length > 0) {
    throw new ReportError('CH_REPORT_BAD_OPTION', `--format: ${unknown.length ? `unknown format ${unknown.map((u) => `"${u}"`).join(', ')}` : 'empty'}; choose from ${REPORT_FORMATS.join(', ')}`);
  }
  return REPORT_FORMATS.filter((f) => asked.includes(f));
}

/** File name without extension: `channel-health-report-2026-W47`. */
export function reportBaseName(slug: string): string {
  return `channel-health-report-${slug}`;
}

/**
 * Writes each format to DIR/<base>.<ext>, each through a temporary file, fsync and a rename so a
 * reader never sees half a report. Returns the paths written.
 */
export async function writeReport(report: Report, slug: string, formats: readonly ReportFormat[], outDir: string): Promise<string[]> {
  const written: string[] = [];
  let temp: string | null = null;
  try {
    await mkdir(outDir, { recursive: true });
    for (const format of formats) {
      const file = path.join(outDir, `${reportBaseName(slug)}.${format}`);
      temp = `${file}.${process.pid}.tmp`;
      // Flushed to disk before the rename, so a crash leaves the old file or the whole new one.
      const handle = await open(temp, 'w');
      try {
        await handle.writeFile(RENDER[format](report));
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, file);
      temp = null;
      written.push(file);
    }
  } catch (err) {
    if (temp !== null) await rm(temp, { force: true }).catch(() => undefined);
    throw new ReportError('CH_REPORT_WRITE', `cannot write the report to ${outDir}: ${(err as Error).message}`);
  }
  return written;
}
