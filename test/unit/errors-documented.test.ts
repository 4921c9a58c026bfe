// Fastify's lesson: every error code is documented, and the docs name no code the code lacks.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/processes.js';

function errorFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (['node_modules', 'dist', '.git', 'test'].includes(name)) continue;
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...errorFiles(full));
    else if (name === 'errors.ts') out.push(full);
  }
  return out;
}

const CODE = /\bCH_[A-Z][A-Z0-9_]*\b/g;

describe('error codes', () => {
  const files = errorFiles(REPO_ROOT);
  const codes = new Set(files.flatMap((f) => readFileSync(f, 'utf8').match(CODE) ?? []));
  const docs = readFileSync(path.join(REPO_ROOT, 'docs/errors.md'), 'utf8');

  it('are defined in errors.ts files', () => {
    expect(files.length).toBeGreaterThanOrEqual(3);
    expect(codes.size).toBeGreaterThanOrEqual(10);
  });

  it('are each documented in docs/errors.md', () => {
    const missing = [...codes].filter((c) => !docs.includes(`\`${c}\``)).sort();
    expect(missing).toEqual([]);
  });

  it('are not documented when no code defines them', () => {
    const documented = new Set(docs.match(CODE) ?? []);
    // Codes produced outside errors.ts on purpose (the catch-all 500) are listed here.
    const allowed = new Set(['CH_INTERNAL']);
    const stale = [...documented].filter((c) => !codes.has(c) && !allowed.has(c)).sort();
    expect(stale).toEqual([]);
  });
});
