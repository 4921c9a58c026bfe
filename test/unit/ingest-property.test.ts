// Property-based: malformed, oversized, unauthenticated and hostile bodies at both ingest
// endpoints always get a 4xx with a code and a reason, never crash the collector (no 5xx), and
// never change the series set or any probe or real-transaction value.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCollector, type CollectorParts } from '../../cli/collector.js';
import { openDurableLedger, type IngestLedger } from '../../collector/ingest-ledger.js';
import { durationBuckets } from '../../collector/metrics.js';
import { createLogger } from '../../logging/logger.js';
import { ProbeResultSchema } from '../../synthetic/result.js';
import { ingestConfig, probeResult, TOKEN } from '../support/ingest-fixtures.js';

const config = ingestConfig();
const logLines: string[] = [];
const log = createLogger({ destination: new Writable({ write: (c, _e, cb) => (logLines.push(String(c)), cb()) }) });
let dir: string;
let ledger: IngestLedger;
let collector: CollectorParts;
let baseline: { series: string[]; values: string[] };

/** Series names+labels, and the lines whose values must never move (everything but ingest traffic). */
async function snapshot() {
  const lines = (await collector.registry.metrics()).split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  return { series: lines.map((l) => l.slice(0, l.lastIndexOf(' '))).sort(), values: lines.filter((l) => !l.startsWith('channel_health_ingest_')).sort() };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ch-prop-'));
  ledger = openDurableLedger(dir, { buckets: durationBuckets(config), dedupeWindowMs: config.ingest.dedupeWindowMs });
  collector = await buildCollector({ config, ledger, token: TOKEN, log });
  baseline = await snapshot();
});
afterAll(async () => {
  await collector.app.close();
  ledger.close();
  await rm(dir, { recursive: true, force: true });
});

interface Attempt {
  url: '/api/v1/results' | '/api/v1/events';
  headers: Record<string, string>;
  payload: string;
}

const AUTH = { authorization: `Bearer ${TOKEN}` };
const JSON_TYPE = { 'content-type': 'application/json' };
const endpoint = fc.constantFrom<Attempt['url']>('/api/v1/results', '/api/v1/events');
const resultKeys = Object.keys(ProbeResultSchema.properties);
/** Only required fields are deleted: deleting an optional one (breaker) leaves a valid result. */
const requiredResultKeys: string[] = [...(ProbeResultSchema.required ?? [])];
const eventKeys = ['channel', 'transaction', 'ok', 'reason', 'latencyMs', 'at', 'id'];
const knownLabels = new Set([...config.channels.map((c) => c.id), ...config.transactions.map((t) => t.id), ...config.checks.map((c) => c.id), ...config.ingest.allowedLocations]);
const validEvent = () => ({ channel: 'web', transaction: 'balance_query', ok: false, reason: 'timeout', latencyMs: 12 });

/** Field names a hostile client tries: prototype keys, huge names, unicode, empty. */
const hostileKey = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', '', 'toString', 'hasOwnProperty'), fc.string({ maxLength: 40 }), fc.string({ minLength: 300, maxLength: 400 }));
/** A value no field of either schema accepts (no field takes an object, and only steps an array of objects). */
const wrongValue = fc.oneof(fc.constant({}), fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), { minKeys: 1, maxKeys: 3 }), fc.array(fc.integer(), { minLength: 1, maxLength: 3 }));
const unknownLabel = fc.oneof(fc.string({ maxLength: 70 }), fc.constantFrom('fax', 'WEB', 'web ', '../etc', 'a{b="c"}', '\u0000', 'x'.repeat(62))).filter((s) => !knownLabels.has(s));

/** One valid item made invalid in a way that cannot be valid by accident. */
function mutated(kind: 'result' | 'event') {
  const keys = kind === 'result' ? requiredResultKeys : eventKeys.slice(0, 3);
  const base = () => (kind === 'result' ? (probeResult() as unknown as Record<string, unknown>) : (validEvent() as Record<string, unknown>));
  return fc.oneof(
    fc.constantFrom(...keys).map((k) => {
      const item = base();
      delete item[k];
      return item;
    }),
    fc.tuple(fc.constantFrom(...keys), wrongValue).map(([k, v]) => ({ ...base(), [k]: v })),
    fc.tuple(hostileKey.filter((k) => !(kind === 'result' ? resultKeys : eventKeys).includes(k)), fc.jsonValue({ maxDepth: 2 })).map(([k, v]) => {
      const item = base();
      Object.defineProperty(item, k, { value: v, enumerable: true, configurable: true, writable: true });
      return item;
    }),
    fc.tuple(fc.constantFrom(...(kind === 'result' ? ['channel', 'transaction', 'location', 'checkId', 'tier'] : ['channel', 'transaction'])), unknownLabel).map(([k, v]) => ({ ...base(), [k]: v })),
    ...(kind === 'result'
      ? [
          unknownLabel.map((name) => {
            const item = probeResult();
            item.steps[1] = { ...(item.steps[1] as (typeof item.steps)[number]), name };
            return item as unknown as Record<string, unknown>;
          }),
          fc.integer({ min: 8 * 86_400_000, max: 1_000 * 86_400_000 }).map((ago) => ({ ...base(), startedAt: Date.now() - ago })),
          fc.string({ minLength: 1025, maxLength: 1100 }).map((detail) => ({ ...base(), detail })),
        ]
      : [fc.constantFrom('not a date', '2026-13-45T00:00:00Z', '1999-01-01T00:00:00Z').map((at) => ({ ...base(), at }))]),
  );
}

/** A whole batch with at least one bad item among good ones, as the endpoint expects it. */
const badBatch: fc.Arbitrary<Attempt> = endpoint.chain((url) => {
  const kind = url === '/api/v1/results' ? 'result' : 'event';
  const good = fc.array(fc.constant(null).map(() => (kind === 'result' ? probeResult() : validEvent())), { maxLength: 3 });
  return fc.tuple(good, mutated(kind), fc.nat()).map(([items, bad, at]) => {
    const all: unknown[] = [...items];
    all.splice(at % (items.length + 1), 0, bad);
    return { url, headers: { ...AUTH, ...JSON_TYPE }, payload: JSON.stringify(kind === 'result' ? { results: all } : all) };
  });
});

/** Bodies that are not JSON, or JSON of the wrong shape (an empty batch is valid and left out). */
const garbage: fc.Arbitrary<Attempt> = fc.tuple(endpoint, fc.oneof(fc.string({ maxLength: 200 }), fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)), fc.constantFrom('{"__proto__":{"polluted":true}}', '{"constructor":{"prototype":{"polluted":true}}}', '[{"__proto__":{"polluted":true}}]', '{"results":[{"__proto__":{"x":1}}]}', '\u0000\u0001', '{"results": NaN}', '[1e999]', `${'['.repeat(5000)}${']'.repeat(5000)}`, `{"results":${'['.repeat(3000)}${']'.repeat(3000)}}`)))
  .filter(([url, body]) => !(url === '/api/v1/events' && /^\s*\[\s*\]\s*$/.test(body)) && !(url === '/api/v1/results' && /^\s*\{\s*"results"\s*:\s*\[\s*\]\s*\}\s*$/.test(body)))
  .map(([url, payload]) => ({ url, headers: { ...AUTH, ...JSON_TYPE }, payload }));

const ndjsonGarbage: fc.Arbitrary<Attempt> = fc
  .array(fc.oneof(fc.string({ maxLength: 80 }), mutated('event').map((e) => JSON.stringify(e))), { minLength: 1, maxLength: 6 })
  .filter((lines) => lines.some((l) => l.trim() !== ''))
  .map((lines) => ({ url: '/api/v1/events' as const, headers: { ...AUTH, 'content-type': 'application/x-ndjson' }, payload: [JSON.stringify(validEvent()), ...lines].join('\n') }))
  // A line of random text can be valid JSON that is a valid event only by astronomic chance; drop those.
  .filter((a) => a.payload.split('\n').some((l) => l.trim() !== '' && !isValidEventLine(l)));

function isValidEventLine(line: string): boolean {
  try {
    const v = JSON.parse(line) as Record<string, unknown>;
    return typeof v === 'object' && v !== null && v.channel === 'web' && v.transaction === 'balance_query' && Object.keys(v).every((k) => eventKeys.includes(k)) && (v.ok === true || (v.ok === false && (v.reason === 'timeout' || v.reason === undefined)));
  } catch {
    return false;
  }
}

const oversized: fc.Arbitrary<Attempt> = fc.tuple(endpoint, fc.integer({ min: 1, max: 4096 })).map(([url, extra]) => {
  const filler = 'x'.repeat(config.ingest.maxBodyBytes + extra);
  return { url, headers: { ...AUTH, ...JSON_TYPE }, payload: url === '/api/v1/results' ? JSON.stringify({ results: [{ ...probeResult(), detail: filler }] }) : JSON.stringify([{ ...validEvent(), id: filler }]) };
});

const tooMany: fc.Arbitrary<Attempt> = fc.tuple(endpoint, fc.integer({ min: 1, max: 30 })).map(([url, extra]) => {
  const n = config.ingest.maxBatch + extra;
  return { url, headers: { ...AUTH, ...JSON_TYPE }, payload: url === '/api/v1/results' ? JSON.stringify({ results: Array.from({ length: n }, () => probeResult()) }) : JSON.stringify(Array.from({ length: n }, validEvent)) };
});

const unauthenticated: fc.Arbitrary<Attempt> = fc
  .tuple(endpoint, fc.oneof(fc.constant(undefined), fc.constantFrom('Bearer', 'Bearer ', `bearer ${TOKEN}`, `Basic ${TOKEN}`, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`, TOKEN), fc.string({ maxLength: 60 }).map((s) => `Bearer ${s}`)), fc.oneof(badBatch, garbage, oversized))
  .filter(([, header]) => header !== `Bearer ${TOKEN}`)
  .map(([url, header, body]) => ({ url, headers: { ...JSON_TYPE, ...(header === undefined ? {} : { authorization: header }) }, payload: body.payload }));

const wrongType: fc.Arbitrary<Attempt> = fc
  .tuple(endpoint, fc.oneof(fc.constantFrom('text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', 'application/jsonx', ''), fc.stringMatching(/^[a-z]{1,10}\/[a-z0-9.+-]{1,20}$/)))
  .filter(([url, type]) => type !== 'application/json' && !(url === '/api/v1/events' && type === 'application/x-ndjson'))
  .map(([url, type]) => ({ url, headers: { ...AUTH, ...(type === '' ? {} : { 'content-type': type }) }, payload: url === '/api/v1/results' ? JSON.stringify({ results: [probeResult()] }) : JSON.stringify([validEvent()]) }));

async function attempt(a: Attempt) {
  const res = await collector.app.inject({ method: 'POST', url: a.url, headers: a.headers, payload: a.payload });
  let body: { error?: { code?: unknown; message?: unknown } } = {};
  try {
    body = res.json();
  } catch {
    // asserted below
  }
  return { status: res.statusCode, body, raw: res.body };
}

async function expectRefusedAndNothingChanged(a: Attempt, status?: number) {
  const { status: got, body, raw } = await attempt(a);
  expect(got, `${a.url} ${raw.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
  expect(got, raw.slice(0, 300)).toBeLessThan(500);
  if (status !== undefined) expect(got, raw.slice(0, 300)).toBe(status);
  expect(body.error?.code, raw.slice(0, 300)).toMatch(/^CH_[A-Z_]+$/);
  expect(typeof body.error?.message === 'string' && body.error.message.length > 0, raw.slice(0, 300)).toBe(true);
  const now = await snapshot();
  expect(now.series).toEqual(baseline.series);
  expect(now.values).toEqual(baseline.values);
}

describe('ingest under hostile input', () => {
  it('refuses batches with a malformed, unknown-label or out-of-window item whole (400 or 422)', async () => {
    await fc.assert(fc.asyncProperty(badBatch, (a) => expectRefusedAndNothingChanged(a)), { numRuns: 300 });
  });

  it('refuses bodies that are not JSON or not the right shape with 400, prototype keys included', async () => {
    await fc.assert(fc.asyncProperty(garbage, (a) => expectRefusedAndNothingChanged(a)), { numRuns: 300 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses NDJSON with a bad line, naming the line', async () => {
    await fc.assert(
      fc.asyncProperty(ndjsonGarbage, async (a) => {
        await expectRefusedAndNothingChanged(a);
        const { body } = await attempt(a);
        expect(String(body.error?.message)).toMatch(/^(line \d+|body)[.:]/);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses oversized bodies with 413 and oversized batches with 400', async () => {
    await fc.assert(fc.asyncProperty(oversized, (a) => expectRefusedAndNothingChanged(a, 413)), { numRuns: 20 });
    await fc.assert(fc.asyncProperty(tooMany, (a) => expectRefusedAndNothingChanged(a, 400)), { numRuns: 20 });
  });

  it('refuses anything without the exact bearer token with 401, whatever the body', async () => {
    await fc.assert(fc.asyncProperty(unauthenticated, (a) => expectRefusedAndNothingChanged(a, 401)), { numRuns: 200 });
  });

  it('refuses content types it does not take with 415', async () => {
    await fc.assert(fc.asyncProperty(wrongType, (a) => expectRefusedAndNothingChanged(a, 415)), { numRuns: 100 });
  });

  it('logged no internal error through all of it and still takes a valid batch', async () => {
    expect(logLines.filter((l) => l.includes('"level":50'))).toEqual([]);
    const ok = await collector.app.inject({ method: 'POST', url: '/api/v1/results', headers: { ...AUTH, ...JSON_TYPE }, payload: JSON.stringify({ results: [probeResult()] }) });
    expect(ok.statusCode).toBe(200);
  });
});
