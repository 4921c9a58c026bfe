// A run's deadline measures the channel: time the event loop was held past it is given back, so
// an answer that arrived while the process was busy is read, not judged a timeout.
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, type Check } from '../../config/index.js';
import { runDeadline } from '../../synthetic/deadline.js';
import { PROBERS } from '../../synthetic/probers/index.js';
import { createRunner } from '../../synthetic/runner.js';

const aborted = (signal: AbortSignal, withinMs: number) =>
  new Promise<boolean>((resolve) => {
    if (signal.aborted) return resolve(true);
    const t = setTimeout(() => resolve(false), withinMs);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve(true)), { once: true });
  });

describe('runDeadline', () => {
  it('aborts at the timeout when its timer fires on time', async () => {
    let now = 0;
    const d = runDeadline(30, () => now);
    now = 30;
    expect(await aborted(d.signal, 5000)).toBe(true);
    expect(d.givenBackMs).toBe(0);
    expect((d.signal.reason as DOMException).name).toBe('TimeoutError');
  });

  it('gives back the time its timer fired late, then aborts', async () => {
    let now = 0;
    const d = runDeadline(30, () => now);
    // The loop was held: the timer runs when the clock already reads 50 (20 ms late).
    now = 50;
    const first = await aborted(d.signal, 5000);
    expect(first).toBe(true);
    expect(d.givenBackMs).toBe(20);
  });

  it('never gives back more than the timeout in total', async () => {
    let now = 0;
    const d = runDeadline(30, () => now);
    now = 1000;
    expect(await aborted(d.signal, 5000)).toBe(true);
    expect(d.givenBackMs).toBe(30);
  });

  it('does not abort once cleared', async () => {
    const d = runDeadline(10);
    d.clear();
    expect(await aborted(d.signal, 100)).toBe(false);
  });
});

// The channel runs in a worker thread, so it answers while the test's event loop is held.
const CHANNEL = `
const { createServer } = require('node:http');
const { parentPort } = require('node:worker_threads');
const server = createServer((req, res) => {
  parentPort.postMessage({ type: 'received', url: req.url });
  const delay = req.url === '/web/a' ? 100 : 20;
  setTimeout(() => { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"code":"0000"}'); }, delay);
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ type: 'listening', port: server.address().port }));
parentPort.on('message', (m) => { if (m === 'stop') { server.closeAllConnections(); server.close(() => process.exit(0)); } });
`;

describe('a run whose answers arrive while the event loop is held', () => {
  let worker: Worker;
  let base: string;
  const received: string[] = [];
  let onReceived: ((url: string) => void) | null = null;

  beforeAll(async () => {
    worker = new Worker(CHANNEL, { eval: true });
    base = await new Promise<string>((resolve, reject) => {
      worker.once('error', reject);
      worker.on('message', (m: { type: string; port?: number; url?: string }) => {
        if (m.type === 'listening') resolve(`http://127.0.0.1:${m.port}`);
        if (m.type === 'received') {
          received.push(m.url as string);
          onReceived?.(m.url as string);
        }
      });
    });
  });
  afterAll(async () => {
    worker.postMessage('stop');
    await new Promise((r) => worker.once('exit', r));
  });

  it('is judged on the channel: both steps succeed although the loop was held past the timeout', async () => {
    const config = parseConfig(
      `version: 1
service: { listen: "127.0.0.1:0", location: dc1 }
tiers: { core: { objective: 0.9998 } }
backends: { billing: {} }
channels:
  web: { transport: http, baseUrl: "${base}/web", businessCode: { path: $.code, success: ["0000"] } }
transactions:
  balance_query: { tier: core, backends: [billing] }
flows:
  balance_query:
    steps:
      - { name: a, request: { url: "{{channel.baseUrl}}/a" } }
      - { name: b, request: { url: "{{channel.baseUrl}}/b" } }
checks: [{ channel: web, transaction: balance_query, interval: 10s, timeout: 500ms }]
`,
      'deadline-test.yaml',
    );
    const runner = createRunner({ config, probers: PROBERS, accountPools: new Map(), rateLimiters: new Map(), sandboxUrl: null, location: 'dc1' });
    // Once the channel has the first request (it answers 100 ms later), the process is busy for
    // 1.5 s: the answer waits in the socket past the 500 ms deadline. The second step then still
    // has its time (its answer takes 20 ms).
    let held = false;
    onReceived = () => {
      if (held) return;
      held = true;
      const until = performance.now() + 1500;
      while (performance.now() < until) {
        // holding the event loop, as a long synchronous task would
      }
    };
    const r = await runner.run(config.checks[0] as Check, { trigger: 'manual', scheduledAt: null });
    onReceived = null;
    expect(held).toBe(true);
    expect(received).toEqual(['/web/a', '/web/b']);
    expect({ ok: r.ok, reason: r.reason, detail: r.detail }).toEqual({ ok: true, reason: null, detail: null });
    // The held time is in the measured duration: only the kernel knew when the bytes arrived.
    expect(r.durationMs).toBeGreaterThan(1500);
  });
});
