// `channel-health sandbox`: flags, config and secret errors, the random-PIN file, serving on a
// loopback port and stopping. In-process through runSandbox, plus the built CLI under SIGTERM.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, test } from 'vitest';
import { UsageError, type CliIO } from '../../cli/command.js';
import { runSandbox } from '../../cli/sandbox.js';
import { CLI, freePort, REPO_ROOT, waitFor } from '../support/processes.js';

const SHIPPED = path.join(REPO_ROOT, 'channel-health.yaml');

function captureIO(env: NodeJS.ProcessEnv = {}): CliIO & { out(): string; err(): string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  return { stdout, stderr, env, out: () => out, err: () => err };
}

interface Started {
  url: string;
  io: ReturnType<typeof captureIO>;
  stop(): Promise<number>;
}

async function startInProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Started> {
  const io = captureIO(env);
  const controller = new AbortController();
  let resolveUrl: (url: string) => void = () => undefined;
  const listening = new Promise<string>((resolve) => (resolveUrl = resolve));
  const done = runSandbox(args, io, controller.signal, resolveUrl);
  const url = await Promise.race([listening, done.then((code) => Promise.reject(new Error(`exited ${code}: ${io.err()}`)))]);
  return {
    url,
    io,
    stop: async () => {
      controller.abort();
      return done;
    },
  };
}

async function login(url: string, channel: string, msisdn: string, pin: string): Promise<string> {
  const res = await fetch(`${url}/channels/${channel}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ msisdn, pin }) });
  return ((await res.json()) as { code: string }).code;
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('channel-health sandbox (in process)', () => {
  test('with the PIN variable unset: a random PIN in a private file, printed by path only, removed on stop', async () => {
    const s = await startInProcess(['--config', SHIPPED, '--listen', '127.0.0.1:0']);
    cleanups.push(() => s.stop());
    const notice = /CH_SANDBOX_PIN is not set; using a random PIN for this process, readable in (\S+) \(mode 0600/.exec(s.io.err());
    expect(notice, s.io.err()).not.toBeNull();
    const file = notice?.[1] as string;
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const pin = readFileSync(file, 'utf8').trim();
    expect(pin.length).toBeGreaterThanOrEqual(12);
    expect(s.io.err()).not.toContain(pin);
    expect(s.io.out()).not.toContain(pin);
    expect(s.io.err()).toContain(`serving ${s.url}`);
    expect(await login(s.url, 'web', '13900000001', pin)).toBe('0000');
    expect(await login(s.url, 'web', '13900000001', 'guess')).toBe('4011');
    expect(await s.stop()).toBe(0);
    expect(existsSync(file)).toBe(false);
    expect(s.io.out()).not.toContain(pin);
  });

  test('with the PIN variable set, every configured account logs in with it and no file is made', async () => {
    const s = await startInProcess(['--config', SHIPPED, '--listen', '127.0.0.1:0'], { CH_SANDBOX_PIN: 'env-pin-123' });
    cleanups.push(() => s.stop());
    expect(s.io.err()).not.toContain('random PIN');
    expect(s.io.err()).toContain('8 test accounts');
    expect(await login(s.url, 'kiosk', '13900000008', 'env-pin-123')).toBe('0000');
    const accounts = (await (await fetch(`${s.url}/accounts`)).json()) as unknown[];
    expect(accounts).toHaveLength(8);
    expect(await s.stop()).toBe(0);
  });

  test('a bad --listen is a usage error (exit 2 through the dispatcher); an unknown flag too', async () => {
    const io = captureIO();
    await expect(runSandbox(['--listen', 'localhost'], io, new AbortController().signal)).rejects.toThrow(UsageError);
    await expect(runSandbox(['--listen', 'localhost'], io, new AbortController().signal)).rejects.toThrow('--listen: "localhost" must be HOST:PORT');
    await expect(runSandbox(['--bogus'], io, new AbortController().signal)).rejects.toMatchObject({ code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' });
  });

  test('a bad config exits 2 listing its problems; a missing secret file exits 2 naming the account', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ch-sandbox-cli-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const broken = path.join(dir, 'broken.yaml');
    await writeFile(broken, readFileSync(SHIPPED, 'utf8').replace('backends: [payment, billing]', 'backends: [payment, biling]'));
    let io = captureIO();
    expect(await runSandbox(['--config', broken, '--listen', '127.0.0.1:0'], io, new AbortController().signal)).toBe(2);
    expect(io.err()).toContain('CH_CONFIG_INVALID');
    expect(io.err()).toContain('transactions.topup.backends[1]: unknown backend "biling"');

    const secretFile = path.join(dir, 'secret-file.yaml');
    await writeFile(secretFile, readFileSync(SHIPPED, 'utf8').replace('- { msisdn: "13900000003", pin: { env: CH_SANDBOX_PIN } }', '- { msisdn: "13900000003", pin: { file: no-such-pin.txt } }'));
    io = captureIO();
    expect(await runSandbox(['--config', secretFile, '--listen', '127.0.0.1:0'], io, new AbortController().signal)).toBe(2);
    expect(io.err()).toContain('CH_SECRET_MISSING');
    expect(io.err()).toContain('accounts.sandbox[2].pin');

    io = captureIO();
    expect(await runSandbox(['--config', path.join(dir, 'absent.yaml')], io, new AbortController().signal)).toBe(2);
    expect(io.err()).toContain('CH_CONFIG_READ');
  });

  test('one number in two pools with different PINs exits 2 with CH_SANDBOX_ACCOUNTS_INVALID, leaving no PIN file behind', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ch-sandbox-cli-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'two-pools.yaml');
    await writeFile(file, readFileSync(SHIPPED, 'utf8').replace(/\naccounts:\n/, '\naccounts:\n  other:\n    - { msisdn: "13900000001", pin: { env: CH_OTHER_PIN } }\n'));
    const io = captureIO({ CH_OTHER_PIN: 'other-pin' });
    expect(await runSandbox(['--config', file, '--listen', '127.0.0.1:0'], io, new AbortController().signal)).toBe(2);
    expect(io.err()).toContain('CH_SANDBOX_ACCOUNTS_INVALID');
    expect(io.err()).toContain('the same number appears earlier with a different PIN');
    const pinFile = /readable in (\S+) /.exec(io.err())?.[1] as string;
    expect(pinFile).toBeTruthy();
    expect(existsSync(pinFile)).toBe(false);
    expect(io.err()).not.toContain('other-pin');
  });

  test('a port already in use exits 1 with the address named', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => blocker.close(resolve)));
    const port = (blocker.address() as { port: number }).port;
    const io = captureIO({ CH_SANDBOX_PIN: 'x' });
    expect(await runSandbox(['--config', SHIPPED, '--listen', `127.0.0.1:${port}`], io, new AbortController().signal)).toBe(1);
    expect(io.err()).toContain(`cannot listen on 127.0.0.1:${port}`);
  });

  test('an SMSC or IVR port already in use exits 1 naming that address, not the HTTP one', async () => {
    const tcp = createServer();
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => tcp.close(resolve)));
    const smppPort = (tcp.address() as { port: number }).port;
    const udp = createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => udp.close(() => resolve(undefined))));
    const sipPort = udp.address().port;
    const smpp = captureIO({ CH_SANDBOX_PIN: 'x' });
    expect(await runSandbox(['--config', SHIPPED, '--listen', '127.0.0.1:0', '--smpp-listen', `127.0.0.1:${smppPort}`], smpp, new AbortController().signal)).toBe(1);
    expect(smpp.err()).toContain(`cannot listen on 127.0.0.1:${smppPort}`);
    const sip = captureIO({ CH_SANDBOX_PIN: 'x' });
    expect(await runSandbox(['--config', SHIPPED, '--listen', '127.0.0.1:0', '--sip-listen', `127.0.0.1:${sipPort}`], sip, new AbortController().signal)).toBe(1);
    expect(sip.err()).toContain(`cannot listen on 127.0.0.1:${sipPort}`);
  });
});

describe('channel-health sandbox (built CLI)', () => {
  test('serves on the given port and exits 0 promptly on SIGTERM', async () => {
    expect(existsSync(CLI), `${CLI} is missing: run npm run build first`).toBe(true);
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, CH_LOG_LEVEL: 'warn' };
    delete env.CH_SANDBOX_PIN;
    const proc = spawn(process.execPath, [CLI, 'sandbox', '--config', SHIPPED, '--listen', `127.0.0.1:${port}`], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    cleanups.push(async () => {
      if (proc.exitCode === null) proc.kill('SIGKILL');
    });
    const url = `http://127.0.0.1:${port}/sandbox`;
    await waitFor(() => (err.includes(`serving ${url}`) ? true : undefined), 15_000, `sandbox to serve (stderr: ${err})`, 100);
    const pin = readFileSync(/readable in (\S+) /.exec(err)?.[1] as string, 'utf8').trim();
    expect(await login(url, 'ivr', '13900000004', pin)).toBe('0000');
    const started = performance.now();
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(performance.now() - started).toBeLessThan(3000);
    expect(err).toContain('SIGTERM received, stopping');
  });
});
