// docs/cli.md is the reference of the command: every command `channel-health --help` lists has a
// section there, every flag its own `--help` prints is in that section, and the page documents
// no command that does not exist. (Needs the build: `npx tsc -p tsconfig.json`.)
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, REPO_ROOT } from '../support/processes.js';

const help = (...args: string[]) => execFileSync(process.execPath, [CLI, ...args, '--help'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 20_000 });
const page = readFileSync(path.join(REPO_ROOT, 'docs/cli.md'), 'utf8');
const sections = new Map(
  page
    .split(/^## /m)
    .slice(1)
    .map((s) => [s.slice(0, s.indexOf('\n')).trim(), s] as const),
);
const commands = [...(/Commands:\n([\s\S]*?)\n\n/.exec(help())?.[1] ?? '').matchAll(/^ {2}(\S+)/gm)].map((m) => m[1] as string);

describe('docs/cli.md', () => {
  it('has a section for every command and for nothing else', () => {
    expect(commands.length).toBeGreaterThanOrEqual(7);
    expect([...sections.keys()].filter((k) => k !== 'Exit codes').sort()).toEqual([...commands].sort());
  });

  it.each(commands)('documents every flag `%s --help` prints, and its exit codes', (command) => {
    const section = sections.get(command) as string;
    const flags = new Set([...help(command).matchAll(/--[a-z][a-z-]*/g)].map((m) => m[0]).filter((f) => f !== '--help'));
    for (const flag of flags) expect(section, `${command} ${flag}`).toContain(`\`${flag}`);
    expect(section).toMatch(/^Exit codes: 0 /m);
  });
});
