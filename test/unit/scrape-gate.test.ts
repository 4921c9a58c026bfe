// The /metrics gate: a bounded number of scrapes answered at once, a bounded queue with a bounded
// wait, refusals at once beyond it, and places given back by every way a response can end.
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildCollectorApp } from '../../collector/app.js';
import { createMetrics } from '../../collector/metrics.js';
import { ResultStore } from '../../collector/result-store.js';
import { createScrapeGate } from '../../collector/scrape-gate.js';
import { METRICS } from '../../contract/metrics.js';
import { parseConfig } from '../../config/index.js';
import { createLogger } from '../../logging/logger.js';
import { REPO_ROOT } from '../support/processes.js';

/** A response as the gate sees it: it ends by emitting 'close'. */
class FakeResponse extends EventEmitter {
  destroyed = false;
  writableEnded = false;
  end() {
    this.writableEnded = true;
    this.emit('close');
  }
}
const res = () => new FakeResponse() as FakeResponse & ServerResponse;

describe('scrape gate', () => {
  afterEach(() => vi.useRealTimers());

  it('answers up to `concurrent` at once, queues up to `queued`, refuses the rest at once', async () => {
    const gate = createScrapeGate({ concurrent: 2, queued: 1, queueTimeoutMs: 10_000, retryAfterSeconds: 1 });
    const [a, b, c, d] = [res(), res(), res(), res()];
    expect(await gate.admit(a)).toBe(true);
    expect(await gate.admit(b)).toBe(true);
    const queued = gate.admit(c);
    expect(await gate.admit(d)).toBe(false);
    expect([gate.active, gate.waiting]).toEqual([2, 1]);
    a.end();
    expect(await queued).toBe(true);
    expect([gate.active, gate.waiting]).toEqual([2, 0]);
    b.end();
    c.end();
    expect([gate.active, gate.waiting]).toEqual([0, 0]);
  });

  it('refuses a queued scrape after queueTimeoutMs, and one whose scraper hung up', async () => {
    vi.useFakeTimers();
    const gate = createScrapeGate({ concurrent: 1, queued: 2, queueTimeoutMs: 500, retryAfterSeconds: 1 });
    const holder = res();
    expect(await gate.admit(holder)).toBe(true);
    const [late, gone] = [res(), res()];
    const lateAnswer = gate.admit(late);
    const goneAnswer = gate.admit(gone);
    gone.destroyed = true;
    gone.emit('close');
    expect(await goneAnswer).toBe(false);
    expect(gate.waiting).toBe(1);
    vi.advanceTimersByTime(500);
    expect(await lateAnswer).toBe(false);
    expect([gate.active, gate.waiting]).toEqual([1, 0]);
    // A place is given back once, however many times its response says it closed.
    holder.end();
    holder.emit('close');
    expect(gate.active).toBe(0);
  });

  it('does not admit a response that already ended', async () => {
    const gate = createScrapeGate({ concurrent: 1, queued: 1, queueTimeoutMs: 500, retryAfterSeconds: 1 });
    const r = res();
    r.destroyed = true;
    expect(await gate.admit(r)).toBe(false);
    expect(gate.active).toBe(0);
  });
});

describe('GET /metrics behind the gate', () => {
  const config = parseConfig(readFileSync(path.join(REPO_ROOT, 'channel-health.yaml'), 'utf8'), 'channel-health.yaml');
  // The queue's wait is not what these cases test: long enough for a loaded machine.
  const build = (concurrent: number, queued: number, fromConfig = false) => {
    const registry = new Registry();
    const served = fromConfig ? { ...config, service: { ...config.service, scrape: { concurrent, queued, queueTimeoutMs: 60_000 } } } : config;
    const metrics = createMetrics(registry, served, { version: '1.0.0' });
    const log = createLogger({ destination: new Writable({ write: (_c, _e, cb) => cb() }) });
    const scrapeLimits = fromConfig ? {} : { scrapeLimits: { concurrent, queued, queueTimeoutMs: 60_000, retryAfterSeconds: 3 } };
    return { registry, app: buildCollectorApp({ config: served, metrics, store: new ResultStore(5), log, adminToken: null, notReadyReasons: () => [], ...scrapeLimits }) };
  };
  const refused = async (registry: Registry) => (await registry.getSingleMetric(METRICS.scrapeRefused.name)?.get())?.values.map((v) => v.value);

  it('answers 503 CH_SCRAPE_BUSY with Retry-After when every place is taken', async () => {
    const { app, registry } = build(0, 0);
    const r = await app.inject('/metrics');
    expect(r.statusCode).toBe(503);
    expect(r.headers['retry-after']).toBe('3');
    expect(r.json()).toEqual({ error: { code: 'CH_SCRAPE_BUSY', message: expect.stringContaining('/metrics: 0 scrapes are being answered') } });
    await app.inject('/metrics');
    expect(await refused(registry)).toEqual([2]);
    await app.close();
  });

  it('takes its limits from service.scrape, and retries after a second', async () => {
    const { app, registry } = build(0, 0, true);
    const r = await app.inject('/metrics');
    expect(r.statusCode).toBe(503);
    expect(r.headers['retry-after']).toBe('1');
    expect(r.json().error.message).toBe('/metrics: 0 scrapes are being answered and 0 are waiting; retry after 1 s');
    expect(await refused(registry)).toEqual([1]);
    await app.close();
  });

  it('answers prom-client’s exposition, and gives every place back', async () => {
    const { app, registry } = build(1, 50);
    const answers = await Promise.all(Array.from({ length: 30 }, () => app.inject('/metrics')));
    const expected = await registry.metrics();
    for (const a of answers) {
      expect(a.statusCode).toBe(200);
      expect(a.headers['content-type']).toBe(registry.contentType);
      expect(a.body).toBe(expected);
    }
    // All places free again: one more scrape with room for none waiting is admitted.
    expect((await app.inject('/metrics')).statusCode).toBe(200);
    expect(await refused(registry)).toEqual([0]);
    await app.close();
  });
});
