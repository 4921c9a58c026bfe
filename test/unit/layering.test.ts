// The import table of docs/design.md, enforced: each folder's TypeScript sources may import only
// the folders its row names. The table is read from the page itself, so the map and the code
// cannot drift apart silently.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** folder → the folders it may import ('*' for everything), from the design page's table. */
function allowedImports(): Map<string, Set<string> | '*'> {
  const page = readFileSync(path.join(ROOT, 'docs/design.md'), 'utf8');
  const out = new Map<string, Set<string> | '*'>();
  for (const line of page.split('\n')) {
    const row = /^\| `([a-z]+)\/` \|[^|]*\| ([^|]*) \|$/.exec(line);
    if (!row) continue;
    const cell = row[2]!.trim();
    if (cell === 'everything' || cell === 'everything above') out.set(row[1]!, '*');
    else out.set(row[1]!, new Set(cell === 'nothing' || cell === '' ? [] : cell.split(',').map((s) => s.trim().split(/\s/)[0]!)));
  }
  return out;
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === 'generated' || name === 'node_modules' ? [] : sources(full);
    return /\.ts$/.test(name) && !/\.test\.ts$/.test(name) ? [full] : [];
  });
}

describe('folder layering (docs/design.md)', () => {
  const table = allowedImports();

  it('the table names the floors and the folders that hold code', () => {
    expect(table.get('contract')).toEqual(new Set());
    expect(table.get('telephony')).toEqual(new Set());
    expect(table.get('sandbox')).toBeInstanceOf(Set);
    expect((table.get('sandbox') as Set<string>).has('synthetic')).toBe(false);
  });

  for (const [folder, allowed] of table) {
    if (allowed === '*') continue;
    it(`${folder}/ imports only ${allowed.size ? [...allowed].join(', ') : 'nothing of the project'}`, () => {
      let files: string[];
      try {
        files = sources(path.join(ROOT, folder));
      } catch {
        return; // deploy/ holds no code
      }
      const wrong: string[] = [];
      for (const file of files) {
        const text = readFileSync(file, 'utf8');
        for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)) {
          const target = path.relative(ROOT, path.resolve(path.dirname(file), m[1]!)).split(path.sep)[0]!;
          if (target !== folder && !allowed.has(target)) wrong.push(`${path.relative(ROOT, file)} imports ${m[1]}`);
        }
      }
      expect(wrong).toEqual([]);
    });
  }
});
