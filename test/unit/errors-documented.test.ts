// Fastify's lesson (test/internals/errors.test.js): every error code is declared once, documented,
// and the docs name no code the program lacks. Here docs/errors.md is generated from the
// declarations, so the test checks the generation is current, that every errors.ts declares through
// the factory and is listed in the catalog, and that no source file raises an undeclared code.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_DOCS_PATH, ERROR_SECTIONS, errorDocs } from '../../cli/error-catalog.js';
import { allCodes, ChannelHealthError, declareErrors } from '../../contract/error-codes.js';
import { REPO_ROOT } from '../support/processes.js';

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (['node_modules', 'dist', '.git', 'test'].includes(name) || name.startsWith('.')) continue;
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...sourceFiles(full));
    else if (name.endsWith('.ts')) out.push(full);
  }
  return out;
}

const rel = (f: string) => path.relative(REPO_ROOT, f).split(path.sep).join('/');
/** A code, not a prefix such as `CH_INGEST_` in `CH_INGEST_*`. */
const CODE = /\bCH_[A-Z][A-Z0-9_]*[A-Z0-9]\b(?!_)/g;
const QUOTED_CODE = /['"`](CH_[A-Z][A-Z0-9_]*[A-Z0-9])['"`]/g;

describe('error codes', () => {
  const declared = allCodes(ERROR_SECTIONS);
  const files = sourceFiles(REPO_ROOT);
  const docs = readFileSync(path.join(REPO_ROOT, ERROR_DOCS_PATH), 'utf8');

  it('are declared once each, through the factory, in every errors.ts, and the catalog lists every errors.ts', () => {
    const errorFiles = files.filter((f) => path.basename(f) === 'errors.ts').map(rel).sort();
    expect(errorFiles.length).toBeGreaterThanOrEqual(10);
    expect(ERROR_SECTIONS.map((s) => s.file).sort()).toEqual(errorFiles);
    for (const file of errorFiles) {
      const text = readFileSync(path.join(REPO_ROOT, file), 'utf8');
      expect(text, file).toContain('declareErrors(');
      const section = ERROR_SECTIONS.find((s) => s.file === file);
      const keys = [...text.matchAll(/^\s*(CH_[A-Z0-9_]+): \{/gm)].map((m) => m[1]);
      expect(keys.length, file).toBeGreaterThan(0);
      expect(keys, file).toEqual(Object.keys(section?.codes ?? {}));
    }
    expect(() => allCodes([...ERROR_SECTIONS, declareErrors({ title: 'x', file: 'x/errors.ts' }, { CH_CHECK_BUSY: { description: 'again' } })])).toThrow(
      'CH_CHECK_BUSY is declared twice: in synthetic/errors.ts and x/errors.ts',
    );
  });

  it('each have a row in docs/errors.md with their status and exit code, and the file is the generated one', () => {
    for (const [code, d] of declared) expect(docs, code).toContain(`| \`${code}\` | ${d.status ?? '—'} | ${d.exit ?? '—'} |`);
    expect(docs).toBe(errorDocs()[0]?.content);
  });

  it('are not documented when nothing declares them', () => {
    const stale = [...new Set(docs.match(CODE) ?? [])].filter((c) => !declared.has(c)).sort();
    expect(stale).toEqual([]);
  });

  it('are never raised or answered in source without a declaration', () => {
    const undeclared: string[] = [];
    for (const f of files) {
      for (const m of readFileSync(f, 'utf8').matchAll(QUOTED_CODE)) if (!declared.has(m[1] as string)) undeclared.push(`${rel(f)}: ${m[1]}`);
    }
    expect(undeclared).toEqual([]);
  });

  it('carry the declared status and exit code on the error object', () => {
    const section = declareErrors({ title: 't', file: 't/errors.ts' }, { CH_T_BAD: { status: 422, exit: 2, description: 'd' }, CH_T_QUIET: { description: 'd' } });
    const bad = new ChannelHealthError(section, 'CH_T_BAD', 'why');
    expect([bad.code, bad.statusCode, bad.exitCode, bad.message]).toEqual(['CH_T_BAD', 422, 2, 'why']);
    const quiet = new ChannelHealthError(section, 'CH_T_QUIET', 'why');
    expect([quiet.statusCode, quiet.exitCode]).toEqual([500, 1]);
    expect(() => new ChannelHealthError(section, 'CH_T_OTHER', 'why')).toThrow('t/errors.ts declares no CH_T_OTHER');
    expect(() => declareErrors({ title: 't', file: 't/errors.ts' }, { NOT_A_CODE: { description: 'd' } })).toThrow('NOT_A_CODE is not a CH_ error code');
  });
});
