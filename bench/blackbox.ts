// The baseline: Debian's prometheus-blackbox-exporter on a loopback port with one http_2xx
// module, driven through /probe the way Prometheus drives it (one GET per probe, kept-alive
// connection from the scraper). Only the exporter's own CPU is counted.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Pool } from 'undici';
import { BenchError } from './errors.js';
import { paced } from './pacing.js';

export const BLACKBOX_BINARY = process.env.BENCH_BLACKBOX_EXPORTER ?? '/usr/bin/prometheus-blackbox-exporter';

const MODULES = ['modules:', '  http_2xx:', '    prober: http', '    timeout: 5s', '    http:', '      preferred_ip_protocol: ip4', ''].join('\n');

export interface Blackbox {
  pid: number;
  url: string;
  version: string;
  stop(): Promise<void>;
}

async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function startBlackbox(): Promise<Blackbox> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ch-bench-bbe-'));
  const file = path.join(dir, 'blackbox.yml');
  await writeFile(file, MODULES);
  const port = await freeLoopbackPort();
  const proc: ChildProcess = spawn(BLACKBOX_BINARY, [`--config.file=${file}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    proc.once('exit', () => ((exited = true), resolve()));
    // A binary that cannot be started reports an error and never exits.
    proc.once('error', (err) => ((output += `\n${err.message}`), (exited = true), resolve()));
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (!exited) {
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 3000);
      await exit;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (exited) {
      await stop();
      throw new BenchError('CH_BENCH_BLACKBOX_UNAVAILABLE', `${BLACKBOX_BINARY} exited early (is the prometheus-blackbox-exporter package installed?):\n${output}`);
    }
    const res = await fetch(`${url}/-/healthy`).catch(() => undefined);
    if (res?.ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new BenchError('CH_BENCH_BLACKBOX_UNAVAILABLE', `${BLACKBOX_BINARY} did not become healthy within 15 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const version = await versionOf();
  return { pid: proc.pid as number, url, version, stop };
}

async function versionOf(): Promise<string> {
  return new Promise((resolve) => {
    const p = spawn(BLACKBOX_BINARY, ['--version'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    p.stdout?.on('data', (d: Buffer) => (text += d.toString()));
    p.stderr?.on('data', (d: Buffer) => (text += d.toString()));
    p.on('close', () => resolve(/version (\S+)/.exec(text)?.[1] ?? 'unknown'));
    p.on('error', () => resolve('unknown'));
  });
}

/** The scraper's side: `count` /probe requests at `rate` per second, each checked for probe_success 1. */
export async function driveBlackbox(bb: Blackbox, targetUrl: string, count: number, rate: number): Promise<{ ok: number; failed: number; firstFailure: string | null }> {
  const pool = new Pool(bb.url, { connections: 32, keepAliveTimeout: 30_000 });
  const pathWithQuery = `/probe?module=http_2xx&target=${encodeURIComponent(`${targetUrl}/blackbox/query`)}`;
  let ok = 0;
  let failed = 0;
  let firstFailure: string | null = null;
  try {
    await paced(count, rate, async () => {
      const res = await pool.request({ path: pathWithQuery, method: 'GET' });
      const text = await res.body.text();
      if (res.statusCode === 200 && /^probe_success 1$/m.test(text)) ok++;
      else {
        failed++;
        firstFailure ??= `HTTP ${res.statusCode}: ${text.slice(0, 200)}`;
      }
    });
  } finally {
    await pool.close();
  }
  return { ok, failed, firstFailure };
}

/** One /probe response: the series a Prometheus scrape of one blackbox target yields. */
export async function blackboxProbeExposition(bb: Blackbox, targetUrl: string): Promise<string> {
  const res = await fetch(`${bb.url}/probe?module=http_2xx&target=${encodeURIComponent(`${targetUrl}/blackbox/query`)}`);
  return res.text();
}

/** Sample lines in a text exposition (comments and blank lines excluded). */
export function countSeries(exposition: string): number {
  let n = 0;
  for (const line of exposition.split('\n')) if (line !== '' && !line.startsWith('#')) n++;
  return n;
}
