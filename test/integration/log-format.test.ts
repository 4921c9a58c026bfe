// The log format follows the terminal: `channel-health run` under a pseudo-terminal (util-linux
// `script`) writes coloured lines for people; with its output in a pipe it writes JSON lines for
// machines; --log-format overrides either way, and a bad value is refused before anything starts.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { CLI, REPO_ROOT, waitFor } from '../support/processes.js';

// An SGR escape (colour); built from a string because the lint forbids control characters in regex literals.
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`);

/** Runs `run` until it logs that it listens, then stops it (SIGTERM to its process group) and returns what it wrote. */
async function runUntilListening(configFile: string, options: { pty: boolean; flags?: string[] }): Promise<string> {
  const args = [CLI, 'run', '--config', configFile, '--listen', '127.0.0.1:0', ...(options.flags ?? [])];
  const quoted = [process.execPath, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const [cmd, cmdArgs] = options.pty ? ['script', ['-qfec', quoted, '/dev/null']] : [process.execPath, args];
  // NO_COLOR and CI settings of the machine running the suite must not decide the outcome.
  const env = { ...process.env, CH_LOG_LEVEL: 'info', NO_COLOR: '', FORCE_COLOR: '', TERM: 'xterm-256color' };
  const proc = spawn(cmd as string, cmdArgs as string[], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  try {
    // The service's own "listening" record (Fastify's "Server listening at" comes first).
    await waitFor(() => (/INFO: listening|"msg":"listening"/.test(out.replace(new RegExp(ANSI.source, 'g'), '')) ? true : undefined), 30_000, 'the "listening" record', 100);
  } finally {
    if (proc.exitCode === null) process.kill(-(proc.pid as number), 'SIGTERM');
    await exited;
  }
  return out;
}

describe('log format follows the terminal', () => {
  let dir: string;
  let configFile: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ch-log-format-'));
    const shipped = parse(await readFile(path.join(REPO_ROOT, 'channel-health.yaml'), 'utf8')) as Record<string, unknown>;
    const config = { ...shipped, service: { ...(shipped.service as object), journal: { path: path.join(dir, 'journal.sqlite') } } };
    configFile = path.join(dir, 'log.yaml');
    await writeFile(configFile, stringify(config, { aliasDuplicateObjects: false }));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes coloured lines for people under a pseudo-terminal', async () => {
    const out = await runUntilListening(configFile, { pty: true });
    const line = out.split(/\r?\n/).find((l) => l.replace(new RegExp(ANSI.source, 'g'), '').includes('INFO: listening')) as string;
    expect(line).toMatch(ANSI);
    const plain = line.replace(new RegExp(ANSI.source, 'g'), '');
    expect(plain).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: listening/);
    expect(out).not.toMatch(/^\{"level"/m);
  }, 60_000);

  it('writes JSON lines for machines when the output is a pipe', async () => {
    const out = await runUntilListening(configFile, { pty: false });
    const records = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string; level: number });
    expect(records.find((r) => r.msg === 'listening')).toMatchObject({ level: 30, service: 'channel-health' });
    expect(out).not.toMatch(ANSI);
  }, 60_000);

  it('takes --log-format json under a terminal and --log-format pretty in a pipe (without colours there)', async () => {
    const json = await runUntilListening(configFile, { pty: true, flags: ['--log-format', 'json'] });
    const listening = json.split(/\r?\n/).find((l) => l.includes('"msg":"listening"')) as string;
    expect(JSON.parse(listening)).toMatchObject({ msg: 'listening' });

    const pretty = await runUntilListening(configFile, { pty: false, flags: ['--log-format', 'pretty'] });
    expect(pretty).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: listening/m);
    expect(pretty).not.toMatch(ANSI);
  }, 90_000);

  it('refuses an unknown format with exit 2 before anything starts', async () => {
    const proc = spawn(process.execPath, [CLI, 'run', '--config', configFile, '--listen', '127.0.0.1:0', '--log-format', 'xml'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => proc.once('exit', resolve));
    expect(code).toBe(2);
    expect(err).toContain('--log-format: "xml" must be pretty or json');
  });
});
