// The collector's counters survive a restart: what it accepted is in its ledger before the ack,
// and a fresh process puts it back. Property: for any sequence of batches (with resends), a
// collector restarted in the middle ends with exactly the series of one that never restarted.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCollector, type CollectorParts } from '../../cli/collector.js';
import { openDurableLedger, type IngestLedger } from '../../collector/ingest-ledger.js';
import { durationBuckets } from '../../collector/metrics.js';
import { createLogger } from '../../logging/logger.js';
import { FAILURE_REASONS, type ProbeResult } from '../../synthetic/result.js';
import { ingestConfig, probeResult, TOKEN } from '../support/ingest-fixtures.js';

const config = ingestConfig();
const log = createLogger({ destination: new Writable({ write: (_c, _e, cb) => cb() }) });
const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function open(dir: string): Promise<{ ledger: IngestLedger; collector: CollectorParts }> {
  const ledger = openDurableLedger(dir, { buckets: durationBuckets(config), dedupeWindowMs: config.ingest.dedupeWindowMs });
  return { ledger, collector: await buildCollector({ config, ledger, token: TOKEN, log }) };
}
async function close(c: { ledger: IngestLedger; collector: CollectorParts }) {
  await c.collector.app.close();
  c.ledger.close();
}

/** The series this property is about, value included; ingest traffic counters restart by design. */
function durableSeries(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#') || line.startsWith('channel_health_ingest_')) continue;
    const cut = line.lastIndexOf(' ');
    out.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return out;
}

function expectSameSeries(actual: string, expected: string) {
  const a = durableSeries(actual);
  const e = durableSeries(expected);
  expect([...a.keys()].sort()).toEqual([...e.keys()].sort());
  for (const [key, value] of e) {
    // Sums of float durations may differ in the last bits with the order of addition.
    if (key.includes('_sum')) expect(a.get(key), key).toBeCloseTo(value, 6);
    else expect(a.get(key), key).toBe(value);
  }
}

// A step that ran ok, was skipped, or failed: failed ones carry a known, an unlisted, a success or no business code.
const step = (name: string) =>
  fc
    .record({
      ms: fc.double({ min: 0, max: 40_000, noNaN: true }),
      state: fc.constantFrom('ok', 'skipped', 'failed'),
      reason: fc.constantFrom(...FAILURE_REASONS),
      code: fc.constantFrom('5101', '7777', '0000', null),
    })
    .map(({ ms, state, reason, code }) => ({
      name, ok: state === 'ok', skipped: state === 'skipped', always: false, durationMs: ms, connectMs: 0, ttfbMs: ms,
      status: state === 'skipped' ? null : 200, businessCode: state === 'failed' ? code : null, reason: state === 'failed' ? reason : null, detail: null,
    }));

const resultArb: fc.Arbitrary<ProbeResult> = fc
  .record({
    check: fc.constantFrom(...config.checks),
    location: fc.constantFrom(...config.ingest.allowedLocations),
    ok: fc.boolean(),
    reason: fc.constantFrom(...FAILURE_REASONS),
    // Up to 40 s, past the largest bucket: the +Inf-only observations must come back too.
    durationMs: fc.double({ min: 0, max: 40_000, noNaN: true }),
    ago: fc.integer({ min: 0, max: 3_600_000 }),
    steps: fc.boolean(),
  })
  .chain((r) => fc.tuple(fc.constant(r), fc.tuple(...r.check.steps.map((s) => step(s.name)))))
  .map(([r, steps]) =>
    probeResult({
      checkId: r.check.id,
      channel: r.check.channel,
      transaction: r.check.transaction,
      tier: r.check.tier,
      location: r.location,
      ok: r.ok,
      reason: r.ok ? null : r.reason,
      durationMs: r.durationMs,
      startedAt: Date.now() - r.ago,
      steps: r.steps ? steps : [],
    }),
  );

const eventArb = fc.record(
  {
    channel: fc.constantFrom(...config.channels.map((c) => c.id)),
    transaction: fc.constantFrom(...config.transactions.map((t) => t.id)),
    ok: fc.boolean(),
    latencyMs: fc.double({ min: 0, max: 60_000, noNaN: true }),
    id: fc.stringMatching(/^[a-z0-9]{6,12}$/),
    code: fc.constantFrom('5101', '7777', '0000'),
  },
  { requiredKeys: ['channel', 'transaction', 'ok'] },
).map((e) => (e.ok ? { ...e, code: undefined } : e));

/** Batches of results and events; some batches resend earlier items (a lost acknowledgement). */
const scriptArb = fc.array(
  fc.record({ results: fc.array(resultArb, { maxLength: 8 }), events: fc.array(eventArb, { maxLength: 8 }), resend: fc.boolean() }),
  { minLength: 2, maxLength: 8 },
);

describe('durable collector state', () => {
  it('a collector restarted mid-stream ends with exactly the series of one that never restarted', async () => {
    await fc.assert(
      fc.asyncProperty(scriptArb, fc.nat(), async (script, cut) => {
        const refDir = await mkdtemp(path.join(tmpdir(), 'ch-ref-'));
        const dir = await mkdtemp(path.join(tmpdir(), 'ch-dur-'));
        dirs.push(refDir, dir);
        const reference = await open(refDir);
        let subject = await open(dir);
        const restartAt = cut % script.length;
        const sent: ProbeResult[] = [];
        for (const [i, batch] of script.entries()) {
          if (i === restartAt) {
            const before = await subject.collector.registry.metrics();
            await close(subject);
            subject = await open(dir);
            // Right after the restart, before anything new: the same series and values.
            expectSameSeries(await subject.collector.registry.metrics(), before);
          }
          const results = batch.resend ? [...batch.results, ...sent.slice(-3)] : batch.results;
          sent.push(...batch.results);
          for (const c of [reference, subject]) {
            const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
            const r = await c.collector.app.inject({ method: 'POST', url: '/api/v1/results', headers, payload: JSON.stringify({ results }) });
            expect(r.statusCode, r.body).toBe(200);
            const e = await c.collector.app.inject({ method: 'POST', url: '/api/v1/events', headers, payload: JSON.stringify(batch.events) });
            expect(e.statusCode, e.body).toBe(200);
          }
        }
        expectSameSeries(await subject.collector.registry.metrics(), await reference.collector.registry.metrics());
        await close(reference);
        await close(subject);
      }),
      { numRuns: 12 },
    );
  }, 60_000);

  it('restores histograms with +Inf-only observations and gauges exactly, and skips series the config dropped', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ch-dur-'));
    dirs.push(dir);
    const first = await open(dir);
    const slow = probeResult({ durationMs: 45_000, ok: false, reason: 'timeout' });
    const res = await first.collector.app.inject({ method: 'POST', url: '/api/v1/results', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, payload: JSON.stringify({ results: [slow, probeResult({ checkId: 'app.other_query', channel: 'app', transaction: 'other_query', tier: 'noncore', steps: [] })] }) });
    expect(res.statusCode).toBe(200);
    const before = await first.collector.registry.metrics();
    await close(first);
    expect(before).toContain('channel_health_probe_duration_seconds_bucket{le="+Inf",channel="web",transaction="balance_query",location="dc1"} 1');
    expect(before).toContain('channel_health_probe_consecutive_failures{channel="web",transaction="balance_query",tier="core",location="dc1"} 1');

    const again = await open(dir);
    expectSameSeries(await again.collector.registry.metrics(), before);
    expect(again.collector.restored).toEqual({ restored: expect.any(Number), skipped: 0 });
    await close(again);

    // The app channel leaves the config: its series must not come back as labels nobody allows.
    const narrower = ingestConfig().channels.length;
    expect(narrower).toBe(2);
    const webOnly = (await import('../../config/index.js')).parseConfig(
      (await import('../support/ingest-fixtures.js')).INGEST_CONFIG_YAML.replace('  app: { transport: http, baseUrl: "http://127.0.0.1:9/app" }\n', '').replace('channels: [web, app]', 'channels: [web]'),
      '/tmp/web-only.yaml',
    );
    const ledger = openDurableLedger(dir, { buckets: durationBuckets(webOnly), dedupeWindowMs: webOnly.ingest.dedupeWindowMs });
    const pruned = await buildCollector({ config: webOnly, ledger, token: TOKEN, log });
    const text = await pruned.registry.metrics();
    expect(text).not.toContain('channel="app"');
    expect(text).toContain('channel_health_probe_runs_total{channel="web",transaction="balance_query",tier="core",location="dc1"} 1');
    expect(pruned.restored.skipped).toBeGreaterThan(0);
    await pruned.app.close();
    ledger.close();
  });
});
