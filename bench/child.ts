// Bench workers run as child processes (compiled, under dist/bench/) that talk over IPC: the
// parent measures them from outside and always ends them, even when a step throws.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchError } from './errors.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** Repository root, whether this module runs compiled (dist/bench) or as source under vitest (bench). */
export const REPO_ROOT = path.basename(path.dirname(here)) === 'dist' ? path.resolve(here, '../..') : path.resolve(here, '..');

export function workerScript(name: string): string {
  const file = path.join(REPO_ROOT, 'dist', 'bench', `${name}.js`);
  if (!existsSync(file)) throw new BenchError('CH_BENCH_NOT_BUILT', `${file} is missing: build first (npx tsc -p tsconfig.json)`);
  return file;
}

export interface Worker {
  pid: number;
  proc: ChildProcess;
  /** Sends a message and resolves with the first reply of type `replyType`. */
  ask<T>(message: Record<string, unknown>, replyType: string, timeoutMs: number): Promise<T>;
  stop(): Promise<void>;
}

export interface StartOptions {
  args?: string[];
  execArgv?: string[];
  /** How long the worker may take to say it is ready. */
  readyTimeoutMs?: number;
}

/** Forks `dist/bench/<name>.js` and resolves with it once it sends `{ type: 'ready', ... }`. */
export async function startWorker<R extends Record<string, unknown>>(name: string, options: StartOptions = {}): Promise<Worker & { ready: R }> {
  const proc = fork(workerScript(name), options.args ?? [], {
    execArgv: options.execArgv ?? [],
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    env: { ...process.env, CH_LOG_LEVEL: 'warn' },
  });
  // Kept for the error message when the worker dies (a throw at start-up shows up only here).
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
    process.stderr.write(d);
  });
  let exited = false;
  const exit = new Promise<void>((resolve) => proc.once('exit', () => ((exited = true), resolve())));
  const ask = <T>(message: Record<string, unknown>, replyType: string, timeoutMs: number): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => done(new BenchError('CH_BENCH_WORKER_FAILED', `${name}: no "${replyType}" reply within ${timeoutMs} ms`)), timeoutMs);
      const onMessage = (m: { type?: string; error?: string }) => {
        if (m?.type === 'error') done(new BenchError('CH_BENCH_WORKER_FAILED', `${name}: ${m.error}`));
        else if (m?.type === replyType) done(null, m as T);
      };
      const onExit = (code: number | null) => done(new BenchError('CH_BENCH_WORKER_FAILED', `${name} exited (code ${code}) before replying "${replyType}"${stderr ? `:\n${stderr.trim()}` : ''}`));
      const done = (err: Error | null, value?: T) => {
        clearTimeout(timer);
        proc.off('message', onMessage);
        proc.off('exit', onExit);
        if (err) reject(err);
        else resolve(value as T);
      };
      proc.on('message', onMessage);
      proc.once('exit', onExit);
      if (Object.keys(message).length > 0) proc.send(message);
    });
  const stop = async () => {
    if (exited) return;
    if (proc.connected) proc.disconnect();
    const timer = setTimeout(() => proc.kill('SIGKILL'), 3000);
    await exit;
    clearTimeout(timer);
  };
  try {
    const ready = await ask<R>({}, 'ready', options.readyTimeoutMs ?? 30_000);
    return { pid: proc.pid as number, proc, ask, stop, ready };
  } catch (err) {
    await stop();
    throw err;
  }
}
