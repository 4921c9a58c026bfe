// Every file under test/fixtures/config-invalid/ names, in `# expect:` lines, the exact problems
// it must produce. In-process and through the CLI: exit 2, every problem printed, nothing started.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../config/index.js';
import { CLI, REPO_ROOT } from '../support/processes.js';

const DIR = path.join(REPO_ROOT, 'test/fixtures/config-invalid');
const fixtures = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((file) => {
    const text = readFileSync(path.join(DIR, file), 'utf8');
    const expected = [...text.matchAll(/^# expect: (.*)$/gm)].map((m) => m[1] as string);
    return { file, text, expected };
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
  it.each(fixtures)('check-config $file exits 2 naming the path', ({ file, expected }) => {
    const res = spawnSync(process.execPath, [CLI, 'check-config', path.join(DIR, file)], { encoding: 'utf8', timeout: 20_000 });
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

  it('check-config prints a summary of the shipped config', () => {
    const res = spawnSync(process.execPath, [CLI, 'check-config', path.join(REPO_ROOT, 'channel-health.yaml')], { encoding: 'utf8', timeout: 20_000 });
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toContain('checks:       35 (35 every 30s)');
    expect(res.stdout).toContain('core 0.9998');
  });

  it('a missing file is a clear error, exit 2', () => {
    const res = spawnSync(process.execPath, [CLI, 'check-config', '/nonexistent/ch.yaml'], { encoding: 'utf8', timeout: 20_000 });
    expect(res.status).toBe(2);
    expect(res.stderr).toContain('CH_CONFIG_READ: /nonexistent/ch.yaml');
  });
});
