// Every file under test/fixtures/config-invalid/ names, in `# expect:` lines, the exact problems
// it must produce. In-process and through the CLI: exit 2, every problem printed, nothing started.
// A `# grow: KEY N` line appends a list of N items under KEY when the test runs, so a fixture of
// several megabytes need not be committed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../config/index.js';
import { CLI, REPO_ROOT } from '../support/processes.js';

const DIR = path.join(REPO_ROOT, 'test/fixtures/config-invalid');
const GROWN = mkdtempSync(path.join(tmpdir(), 'ch-config-invalid-'));
afterAll(() => rmSync(GROWN, { recursive: true, force: true }));

const fixtures = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((file) => {
    let text = readFileSync(path.join(DIR, file), 'utf8');
    const expected = [...text.matchAll(/^# expect: (.*)$/gm)].map((m) => m[1] as string);
    const grow = /^# grow: (\S+) (\d+)$/m.exec(text);
    let filePath = path.join(DIR, file);
    if (grow) {
      text += `${grow[1]}: [${new Array(Number(grow[2])).fill('0').join(',')}]\n`;
      filePath = path.join(GROWN, file);
      writeFileSync(filePath, text);
    }
    return { file, filePath, text, expected };
  });

describe('invalid configs', () => {
  it('has at least ten kinds of mistake on file', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(10);
    for (const f of fixtures) expect(f.expected.length, f.file).toBeGreaterThan(0);
  });

  it('accepts the valid twin the fixtures are made from', () => {
    const text = readFileSync(path.join(REPO_ROOT, 'test/fixtures/config-valid/minimal.yaml'), 'utf8');
    expect(parseConfig(text, 'minimal.yaml').checks.map((c) => c.id)).toEqual(['web.balance_query']);
  });

  it.each(fixtures)('$file is rejected with every expected problem', ({ file, text, expected }) => {
    let error: unknown;
    try {
      parseConfig(text, file);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const described = (error as ConfigError).describe();
    for (const line of expected) expect(described).toContain(line);
  });
});

describe('check-config and run on invalid configs', () => {
  it.each(fixtures)('check-config $file exits 2 naming the path', ({ filePath, expected }) => {
    const res = spawnSync(process.execPath, [CLI, 'check-config', filePath], { encoding: 'utf8', timeout: 20_000 });
    expect(res.status, res.stderr).toBe(2);
    for (const line of expected) expect(res.stderr).toContain(line);
    expect(res.stdout).toBe('');
  });

  it('run refuses an invalid config with exit 2 and never listens', () => {
    const res = spawnSync(process.execPath, [CLI, 'run', '--config', path.join(DIR, 'unknown-channel.yaml'), '--listen', '127.0.0.1:0'], { encoding: 'utf8', timeout: 20_000 });
    expect(res.status).toBe(2);
    expect(res.stderr).toContain('checks[0].channel: unknown channel "wap"');
    expect(res.stdout).not.toContain('"listening"');
  });

  // The defects of issue 13 (a bad checkDefaults.cron, an alias bomb, a 4 MB file) once exited 1
  // with a stack trace, or took seconds and gigabytes; run must refuse them like any bad config.
  it.each(['check-defaults-invalid-cron.yaml', 'check-defaults-cron-not-six-fields.yaml', 'yaml-alias-bomb.yaml', 'oversized-list.yaml'])(
    'run refuses %s with exit 2, its expected text and no stack trace, and never listens',
    (name) => {
      const fixture = fixtures.find((f) => f.file === name);
      if (!fixture) throw new Error(`no fixture ${name}`);
      const res = spawnSync(process.execPath, [CLI, 'run', '--config', fixture.filePath, '--listen', '127.0.0.1:0'], { encoding: 'utf8', timeout: 20_000 });
      expect(res.status, res.stderr).toBe(2);
      for (const line of fixture.expected) expect(res.stderr).toContain(line);
      expect(res.stderr).not.toMatch(/^\s+at /m);
      expect(res.stdout).not.toContain('"listening"');
    },
  );

  it('check-config prints a summary of the shipped config', () => {
    const res = spawnSync(process.execPath, [CLI, 'check-config', path.join(REPO_ROOT, 'channel-health.yaml')], { encoding: 'utf8', timeout: 20_000 });
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toContain('checks:       32 (32 every 30s)');
    expect(res.stdout).toContain('core 0.9998');
  });

  it('a missing file is a clear error, exit 2', () => {
    const res = spawnSync(process.execPath, [CLI, 'check-config', '/nonexistent/ch.yaml'], { encoding: 'utf8', timeout: 20_000 });
    expect(res.status).toBe(2);
    expect(res.stderr).toContain('CH_CONFIG_READ: /nonexistent/ch.yaml');
  });
});
