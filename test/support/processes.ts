// Real Prometheus, Alertmanager and channel-health processes for integration tests: started on
// loopback ports in a temporary folder, stopped (and the folder removed) by the returned `stop`.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(REPO_ROOT, 'dist/cli/main.js');

/** A free TCP port on 127.0.0.1 (bound then released; good enough for one test process). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Thrown by a `waitFor` probe to stop waiting at once (the thing waited for can no longer happen). */
export class GiveUp extends Error {}

/** Polls `probe` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number, what: string, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      if (err instanceof GiveUp) throw err;
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface Managed {
  url: string;
  port: number;
  dir: string;
  proc: ChildProcess;
  /** Everything the process wrote, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

async function startManaged(command: string, args: string[], opts: { dir: string; port: number; readyPath: string; env?: NodeJS.ProcessEnv; cwd?: string; keepDir?: boolean }): Promise<Managed> {
  const proc = spawn(command, args, { cwd: opts.cwd ?? opts.dir, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${opts.port}`;
  let exited = false;
  proc.on('exit', () => (exited = true));
  const stop = async () => {
    if (!exited) {
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    }
    if (!opts.keepDir) await rm(opts.dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () => {
        if (exited) throw new GiveUp(`${command} exited early`);
        const res = await fetch(url + opts.readyPath).catch(() => undefined);
        return res?.ok ? true : undefined;
      },
      30_000,
      `${command} to become ready`,
      100,
    );
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n--- output ---\n${out}`);
  }
  return { url, port: opts.port, dir: opts.dir, proc, output: () => out, stop };
}

export interface PrometheusOptions {
  /** Static scrape targets as host:port, scraped every `scrapeInterval`. */
  targets?: string[];
  scrapeInterval?: string;
  evaluationInterval?: string;
  /** Rule files (absolute paths) to load. */
  ruleFiles?: string[];
  /** host:port of Alertmanagers to send alerts to. */
  alertmanagers?: string[];
  /** An existing TSDB folder (e.g. backfilled blocks) instead of an empty one. */
  storagePath?: string;
  extraArgs?: string[];
}

export async function startPrometheus(options: PrometheusOptions = {}): Promise<Managed> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ch-prom-'));
  const port = await freePort();
  const scrape = options.scrapeInterval ?? '1s';
  const config = [
    'global:',
    `  scrape_interval: ${scrape}`,
    `  evaluation_interval: ${options.evaluationInterval ?? scrape}`,
    ...(options.ruleFiles?.length ? ['rule_files:', ...options.ruleFiles.map((f) => `  - ${JSON.stringify(f)}`)] : []),
    ...(options.alertmanagers?.length
      ? ['alerting:', '  alertmanagers:', '    - static_configs:', `        - targets: [${options.alertmanagers.map((t) => JSON.stringify(t)).join(', ')}]`]
      : []),
    'scrape_configs:',
    '  - job_name: channel-health',
    '    static_configs:',
    `      - targets: [${(options.targets ?? []).map((t) => JSON.stringify(t)).join(', ')}]`,
    '',
  ].join('\n');
  await writeFile(path.join(dir, 'prometheus.yml'), config);
  return startManaged(
    'prometheus',
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${options.storagePath ?? path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--rules.alert.resend-delay=1s',
      '--web.enable-lifecycle',
      ...(options.extraArgs ?? []),
    ],
    { dir, port, readyPath: '/-/ready' },
  );
}

export async function startAlertmanager(configYaml: string): Promise<Managed> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ch-am-'));
  const port = await freePort();
  const clusterPort = await freePort();
  await writeFile(path.join(dir, 'alertmanager.yml'), configYaml);
  return startManaged(
    'prometheus-alertmanager',
    [
      `--config.file=${path.join(dir, 'alertmanager.yml')}`,
      `--storage.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--cluster.listen-address=127.0.0.1:${clusterPort}`,
    ],
    { dir, port, readyPath: '/-/ready' },
  );
}

/** Instant query through Prometheus's HTTP API; throws with Prometheus's own error text. */
export async function promQuery(prometheusUrl: string, query: string, time?: number): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const params = new URLSearchParams({ query });
  if (time !== undefined) params.set('time', String(time));
  const res = await fetch(`${prometheusUrl}/api/v1/query?${params}`);
  const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
  if (body.status !== 'success') throw new Error(`query failed: ${query}: ${body.error}`);
  return body.data?.resultType === 'vector' ? body.data.result : [];
}

/**
 * `channel-health run` as a child process on a free loopback port, ready when /readyz says so.
 * `configFile` may be any config; the shipped one is used when omitted.
 */
export async function startService(options: { configFile?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Managed> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ch-svc-'));
  const port = await freePort();
  return startManaged(
    process.execPath,
    [CLI, 'run', '--config', options.configFile ?? path.join(REPO_ROOT, 'channel-health.yaml'), '--listen', `127.0.0.1:${port}`],
    { dir, port, readyPath: '/readyz', env: { CH_LOG_LEVEL: 'warn', ...options.env }, cwd: REPO_ROOT },
  );
}

/** One sample's value from a Prometheus text exposition, matching the given labels. */
export function sampleValue(exposition: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of exposition.split('\n')) {
    if (!(line.startsWith(`${name}{`) || line.startsWith(`${name} `))) continue;
    if (want.every((w) => line.includes(w))) return Number(line.split(' ').at(-1));
  }
  return undefined;
}

/**
 * Any channel-health command (`sandbox`, `collector`, `agent`, …) as a child process listening on
 * 127.0.0.1:`port`, ready when `readyPath` answers 2xx. Give the same port to restart a process
 * where its clients expect it.
 */
export async function startCommand(command: string, args: string[], options: { port: number; readyPath: string; env?: NodeJS.ProcessEnv }): Promise<Managed> {
  const dir = await mkdtemp(path.join(tmpdir(), `ch-${command}-`));
  return startManaged(process.execPath, [CLI, command, ...args, '--listen', `127.0.0.1:${options.port}`], {
    dir,
    port: options.port,
    readyPath: options.readyPath,
    env: { CH_LOG_LEVEL: 'warn', ...options.env },
    cwd: REPO_ROOT,
  });
}

/** Any binary (prometheus, prometheus-alertmanager, …) with the caller's flags, ready when `readyPath` answers 2xx on `port`. */
export async function startBinary(command: string, args: string[], options: { port: number; readyPath: string; env?: NodeJS.ProcessEnv; cwd?: string }): Promise<Managed> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ch-bin-'));
  return startManaged(command, args.map((a) => a.replaceAll('{dir}', dir)), { dir, port: options.port, readyPath: options.readyPath, env: options.env, cwd: options.cwd ?? dir });
}
