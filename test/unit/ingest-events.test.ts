// POST /api/v1/events: JSON arrays and NDJSON from channel systems, counted as real transactions;
// refused whole with a reason naming the event (or NDJSON line) when anything is wrong.
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventIngestForRun } from '../../cli/collector.js';
import { buildCollectorApp } from '../../collector/app.js';
import { ingestPlugin } from '../../collector/ingest.js';
import { createMetrics } from '../../collector/metrics.js';
import { ResultStore } from '../../collector/result-store.js';
import { createResultSink } from '../../collector/result-sink.js';
import { createLogger } from '../../logging/logger.js';
import { ingestConfig, seriesSet, TOKEN, valueOf } from '../support/ingest-fixtures.js';

const config = ingestConfig();
const log = createLogger({ destination: new Writable({ write: (_c, _e, cb) => cb() }) });

/** The events endpoint as `run` serves it: in-memory ids, next to the probe collector. */
async function runLikeApp() {
  const registry = new Registry();
  const metrics = createMetrics(registry, config, { version: 't' });
  const store = new ResultStore(10);
  const sink = createResultSink(config, metrics, store);
  const app = buildCollectorApp({ config, metrics, store, log, adminToken: null, notReadyReasons: () => [] });
  await app.register(ingestPlugin, eventIngestForRun({ config, registry, metrics, sink, log, readSecret: () => TOKEN }));
  return { app, registry };
}

let app: Awaited<ReturnType<typeof runLikeApp>>['app'];
let registry: Registry;
beforeAll(async () => ({ app, registry } = await runLikeApp()));
afterAll(async () => app.close());

const send = (payload: string, type = 'application/json', token: string | null = TOKEN) =>
  app.inject({ method: 'POST', url: '/api/v1/events', headers: { 'content-type': type, ...(token ? { authorization: `Bearer ${token}` } : {}) }, payload });
const labels = (channel: string, transaction: string) => ({ channel, transaction, tier: config.transactions.find((t) => t.id === transaction)?.tier as string });

describe('POST /api/v1/events', () => {
  it('counts a JSON array of events in the real-transaction counters, failures by reason', async () => {
    const before = await registry.metrics();
    const res = await send(
      JSON.stringify([
        { channel: 'web', transaction: 'balance_query', ok: true, latencyMs: 320 },
        { channel: 'web', transaction: 'balance_query', ok: false, reason: 'timeout', latencyMs: 5000 },
        { channel: 'app', transaction: 'other_query', ok: false },
      ]),
    );
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ accepted: 3, duplicates: 0 });
    const text = await registry.metrics();
    expect(valueOf(text, 'channel_health_transactions_total', labels('web', 'balance_query'))).toBe((valueOf(before, 'channel_health_transactions_total', labels('web', 'balance_query')) ?? 0) + 2);
    expect(valueOf(text, 'channel_health_transaction_failures_total', { ...labels('web', 'balance_query'), reason: 'timeout' })).toBe(1);
    // No reason given for a failure: counted as internal.
    expect(valueOf(text, 'channel_health_transaction_failures_total', { ...labels('app', 'other_query'), reason: 'internal' })).toBe(1);
    expect(valueOf(text, 'channel_health_transaction_duration_seconds_count', { channel: 'web', transaction: 'balance_query' })).toBe(2);
    expect(valueOf(text, 'channel_health_transaction_duration_seconds_bucket', { channel: 'web', transaction: 'balance_query', le: '1' })).toBe(1);
  });

  it('counts business codes of failed events by the config\'s known codes, others as other, and refuses a code on a success', async () => {
    const before = await registry.metrics();
    expect(before).not.toContain('channel_health_transaction_business_errors_total{');
    const res = await send(
      JSON.stringify([
        { channel: 'web', transaction: 'balance_query', ok: false, reason: 'business_error', code: '5101' },
        { channel: 'web', transaction: 'balance_query', ok: false, reason: 'business_error', code: '5101' },
        { channel: 'web', transaction: 'balance_query', ok: false, reason: 'business_error', code: 'NEW-42' },
        // app lists no codes at all: any code is other.
        { channel: 'app', transaction: 'other_query', ok: false, reason: 'business_error', code: '5101' },
        // A success code on a failed event is not a business error.
        { channel: 'web', transaction: 'balance_query', ok: false, reason: 'timeout', code: '0000' },
      ]),
    );
    expect(res.statusCode, res.body).toBe(200);
    const text = await registry.metrics();
    expect(valueOf(text, 'channel_health_transaction_business_errors_total', { channel: 'web', transaction: 'balance_query', code: '5101' })).toBe(2);
    expect(valueOf(text, 'channel_health_transaction_business_errors_total', { channel: 'web', transaction: 'balance_query', code: 'other' })).toBe(1);
    expect(valueOf(text, 'channel_health_transaction_business_errors_total', { channel: 'app', transaction: 'other_query', code: 'other' })).toBe(1);
    expect(text).not.toContain('NEW-42');
    expect(text).not.toContain('code="0000"');

    const refused = await send(JSON.stringify([{ channel: 'web', transaction: 'balance_query', ok: false, code: '5101' }, { channel: 'web', transaction: 'balance_query', ok: true, code: '5101' }]));
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.message).toBe('events[1].code: only a failed event (ok: false) has a business code');
    expect(seriesSet(await registry.metrics())).toEqual(seriesSet(text));
  });

  it('takes NDJSON, skipping blank lines, and counts an event id once', async () => {
    const line = JSON.stringify({ channel: 'app', transaction: 'balance_query', ok: true, id: 'boss-20260101-000042', at: new Date().toISOString() });
    const first = await send(`${line}\n\n${JSON.stringify({ channel: 'app', transaction: 'balance_query', ok: true })}\n`, 'application/x-ndjson');
    expect(first.json()).toEqual({ accepted: 2, duplicates: 0 });
    const again = await send(`${line}\n${line}\n`, 'application/x-ndjson');
    expect(again.json()).toEqual({ accepted: 0, duplicates: 2 });
    expect(valueOf(await registry.metrics(), 'channel_health_transactions_total', labels('app', 'balance_query'))).toBe(2);
  });

  it.each([
    ['an unknown channel', '[{"channel":"fax","transaction":"topup","ok":true}]', 'application/json', 422, 'CH_INGEST_UNKNOWN_LABEL', 'events[0].channel: unknown channel "fax"'],
    ['an unknown transaction', '[{"channel":"web","transaction":"lottery","ok":true}]', 'application/json', 422, 'CH_INGEST_UNKNOWN_LABEL', 'events[0].transaction: unknown transaction "lottery"'],
    ['an event from long ago', '[{"channel":"web","transaction":"balance_query","ok":true,"at":"2001-01-01T00:00:00Z"}]', 'application/json', 422, 'CH_INGEST_OUT_OF_WINDOW', 'events[0].at: older than ingest.dedupeWindow (7d)'],
    ['a reason on a success', '[{"channel":"web","transaction":"balance_query","ok":true,"reason":"timeout"}]', 'application/json', 400, 'CH_INGEST_MALFORMED', 'events[0].reason: only a failed event (ok: false) has a reason'],
    ['a reason outside the set', '[{"channel":"web","transaction":"balance_query","ok":false,"reason":"cosmic_rays"}]', 'application/json', 400, 'CH_INGEST_MALFORMED', 'events[0].reason: must be one of timeout, connect, tls, http_status, assertion, business_error, internal'],
    ['an unknown field', '[{"channel":"web","transaction":"balance_query","ok":true,"msisdn":"13900000001"}]', 'application/json', 400, 'CH_INGEST_MALFORMED', 'events[0].msisdn: unknown field'],
    ['a missing ok', '[{"channel":"web","transaction":"balance_query"}]', 'application/json', 400, 'CH_INGEST_MALFORMED', 'events[0].ok: is required'],
    ['a bad date', '[{"channel":"web","transaction":"balance_query","ok":true,"at":"yesterday"}]', 'application/json', 400, 'CH_INGEST_MALFORMED', null],
    ['an object instead of an array', '{"channel":"web","transaction":"balance_query","ok":true}', 'application/json', 400, 'CH_INGEST_MALFORMED', 'body: must be a JSON array of events (or NDJSON with content-type application/x-ndjson)'],
    ['a broken NDJSON line', '{"channel":"web","transaction":"balance_query","ok":true}\n{"channel":', 'application/x-ndjson', 400, 'CH_INGEST_MALFORMED', null],
    ['a bad NDJSON event', '\n{"channel":"web","transaction":"balance_query","ok":"yes"}', 'application/x-ndjson', 400, 'CH_INGEST_MALFORMED', 'line 2.ok: must be boolean'],
    ['CSV', 'web,balance_query,true', 'text/csv', 415, 'CH_INGEST_MEDIA_TYPE', 'content-type: "text/csv" is not taken here; send application/json or application/x-ndjson'],
  ])('refuses %s, recording nothing', async (_what, payload, type, status, code, message) => {
    const before = await registry.metrics();
    const res = await send(payload, type);
    expect(res.statusCode, res.body).toBe(status);
    expect(res.json().error.code).toBe(code);
    if (message) expect(res.json().error.message).toBe(message);
    else expect(res.json().error.message).toMatch(/^(events\[0\]\.at|line 2): /);
    const after = await registry.metrics();
    expect(seriesSet(after)).toEqual(seriesSet(before));
    for (const name of ['channel_health_transactions_total', 'channel_health_transaction_failures_total']) {
      expect(after.split('\n').filter((l) => l.startsWith(name))).toEqual(before.split('\n').filter((l) => l.startsWith(name)));
    }
  });

  it('lists every refused event of a 422 and counts none of the batch', async () => {
    const res = await send(JSON.stringify([{ channel: 'web', transaction: 'balance_query', ok: true }, { channel: 'fax', transaction: 'topup', ok: true }, { channel: 'web', transaction: 'x', ok: true }]));
    expect(res.statusCode).toBe(422);
    expect(res.json().rejected).toEqual([
      { item: 'events[1]', code: 'CH_INGEST_UNKNOWN_LABEL', message: 'events[1].channel: unknown channel "fax"' },
      { item: 'events[2]', code: 'CH_INGEST_UNKNOWN_LABEL', message: 'events[2].transaction: unknown transaction "x"' },
    ]);
  });

  it('refuses more events than ingest.maxBatch, in JSON and in NDJSON, naming the limit', async () => {
    const event = { channel: 'web', transaction: 'balance_query', ok: true };
    const json = await send(JSON.stringify(Array.from({ length: 51 }, () => event)));
    expect(json.statusCode).toBe(400);
    expect(json.json().error).toEqual({ code: 'CH_INGEST_BATCH_TOO_LARGE', message: 'body: 51 events is more than ingest.maxBatch (50)' });
    const nd = await send(Array.from({ length: 51 }, () => JSON.stringify(event)).join('\n'), 'application/x-ndjson');
    expect(nd.statusCode).toBe(400);
    expect(nd.json().error).toEqual({ code: 'CH_INGEST_BATCH_TOO_LARGE', message: 'body: more than 50 events (ingest.maxBatch)' });
  });

  it('answers 401 without the token and 413 over ingest.maxBodyBytes', async () => {
    const unauthorized = await send('[]', 'application/json', null);
    expect(unauthorized.statusCode).toBe(401);
    const big = await send(`[${JSON.stringify({ channel: 'web', transaction: 'balance_query', ok: true, id: 'x'.repeat(70_000) })}]`);
    expect(big.statusCode).toBe(413);
    expect(big.json().error.message).toBe('body: larger than 65536 bytes (ingest.maxBodyBytes)');
  });

  it('refuses a content-encoding it does not decode with 415 and counts nothing', async () => {
    const before = await registry.metrics();
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/events',
      headers: { 'content-type': 'application/json', 'content-encoding': 'x-custom', authorization: `Bearer ${TOKEN}` },
      payload: JSON.stringify([{ channel: 'web', transaction: 'balance_query', ok: true }]),
    });
    expect(res.statusCode).toBe(415);
    expect(res.json()).toEqual({ error: { code: 'CH_INGEST_MEDIA_TYPE', message: 'content-encoding: "x-custom" is not taken here; send the body uncompressed (no content-encoding)' } });
    expect(valueOf(await registry.metrics(), 'channel_health_transactions_total', labels('web', 'balance_query'))).toBe(valueOf(before, 'channel_health_transactions_total', labels('web', 'balance_query')));
  });

  it('does not take agent results in run: they need the collector command\'s durable counters', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/results', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, payload: '{"results":[]}' });
    expect(res.statusCode).toBe(404);
  });
});
