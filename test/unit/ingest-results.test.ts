// POST /api/v1/results through app.inject(): the door (token, size, content type), the schema,
// the config's labels, the batch rule (all or nothing) and de-duplication by result id.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildCollector, type CollectorParts } from '../../cli/collector.js';
import { openDurableLedger, type IngestLedger } from '../../collector/ingest-ledger.js';
import { durationBuckets } from '../../collector/metrics.js';
import { createLogger } from '../../logging/logger.js';
import { ingestConfig, probeResult, seriesSet, TOKEN, valueOf } from '../support/ingest-fixtures.js';

const config = ingestConfig();
const auth = { authorization: `Bearer ${TOKEN}` };
const post = (c: CollectorParts, payload: unknown, headers: Record<string, string> = auth) =>
  c.app.inject({ method: 'POST', url: '/api/v1/results', headers: { 'content-type': 'application/json', ...headers }, payload: typeof payload === 'string' ? payload : JSON.stringify(payload) });

let dir: string;
let ledger: IngestLedger;
let collector: CollectorParts;
const logLines: string[] = [];
const log = createLogger({ destination: new Writable({ write: (c, _e, cb) => (logLines.push(String(c)), cb()) }) });

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ch-ingest-'));
  ledger = openDurableLedger(dir, { buckets: durationBuckets(config), dedupeWindowMs: config.ingest.dedupeWindowMs });
  collector = await buildCollector({ config, ledger, token: TOKEN, log });
});
afterEach(async () => {
  await collector.app.close();
  ledger.close();
  await rm(dir, { recursive: true, force: true });
});

describe('POST /api/v1/results', () => {
  it('records a batch once and acknowledges a resend as duplicates', async () => {
    const batch = [probeResult(), probeResult({ ok: false, reason: 'timeout', failedStep: 'login' }), probeResult({ checkId: 'app.balance_query', channel: 'app' })];
    const first = await post(collector, { results: batch });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toEqual({ accepted: 3, duplicates: 0, results: batch.map((r) => ({ id: r.id, outcome: 'accepted' })) });
    const again = await post(collector, { results: [...batch, batch[0]] });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ accepted: 0, duplicates: 4 });
    const text = await collector.registry.metrics();
    expect(valueOf(text, 'channel_health_probe_runs_total', { channel: 'web', transaction: 'balance_query', location: 'dc1' })).toBe(2);
    expect(valueOf(text, 'channel_health_probe_failures_total', { channel: 'web', transaction: 'balance_query', location: 'dc1', reason: 'timeout' })).toBe(1);
    expect(valueOf(text, 'channel_health_probe_runs_total', { channel: 'app', transaction: 'balance_query', location: 'dc1' })).toBe(1);
    expect(valueOf(text, 'channel_health_ingest_items_total', { endpoint: 'results', outcome: 'duplicate' })).toBe(4);
  });

  it('counts a pushed run that found no free test account as skipped, not as a run or a failure', async () => {
    const res = await post(collector, { results: [probeResult({ ok: false, reason: 'internal', failedStep: null, detail: 'no free test account in pool "sandbox"', steps: [], skipped: 'no_free_account' })] });
    expect(res.statusCode).toBe(200);
    const text = await collector.registry.metrics();
    const labels = { channel: 'web', transaction: 'balance_query', location: 'dc1' };
    expect(valueOf(text, 'channel_health_probe_skipped_total', { ...labels, reason: 'no_free_account' })).toBe(1);
    expect(valueOf(text, 'channel_health_probe_runs_total', labels)).toBe(0);
    // Failure counters are created on a failure: a skipped run creates none.
    expect(valueOf(text, 'channel_health_probe_failures_total', { ...labels, reason: 'internal' })).toBeUndefined();
  });

  it('counts an id repeated inside one batch once', async () => {
    const r = probeResult();
    const res = await post(collector, { results: [r, r] });
    expect(res.json()).toMatchObject({ accepted: 1, duplicates: 1, results: [{ id: r.id, outcome: 'accepted' }, { id: r.id, outcome: 'duplicate' }] });
  });

  it('refuses a batch whole with 422 when one item names an unknown label, listing each item', async () => {
    const before = await collector.registry.metrics();
    const good = probeResult();
    const bad = probeResult({ channel: 'fax', checkId: 'fax.balance_query' });
    const res = await post(collector, { results: [good, bad] });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toEqual({
      error: { code: 'CH_INGEST_UNKNOWN_LABEL', message: 'results[1].channel: unknown channel "fax"' },
      results: [
        { id: good.id, outcome: 'not_recorded' },
        { id: bad.id, outcome: 'rejected', error: { code: 'CH_INGEST_UNKNOWN_LABEL', message: 'results[1].channel: unknown channel "fax"' } },
      ],
    });
    const after = await collector.registry.metrics();
    expect(valueOf(after, 'channel_health_probe_runs_total', { channel: 'web', transaction: 'balance_query', location: 'dc1' })).toBe(0);
    expect(seriesSet(after)).toEqual(seriesSet(before));
    // The good item was not recorded, so sending it alone now counts it.
    expect((await post(collector, { results: [good] })).json()).toMatchObject({ accepted: 1 });
  });

  it.each([
    ['a location not allowed', { location: 'mars' }, 'results[0].location: "mars" is not in ingest.allowedLocations (dc1, store_net)'],
    ['a tier that is not the transaction\'s', { tier: 'noncore' }, 'results[0].tier: "noncore" is not the tier of balance_query (core)'],
    ['an unknown check', { checkId: 'web.other' }, 'results[0].checkId: no check "web.other" in this collector\'s config'],
    ['a check with other labels', { checkId: 'app.balance_query' }, 'results[0].checkId: check "app.balance_query" probes app.balance_query, not web.balance_query'],
  ])('refuses %s with 422 CH_INGEST_UNKNOWN_LABEL', async (_what, over, message) => {
    const res = await post(collector, { results: [probeResult(over)] });
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toEqual({ code: 'CH_INGEST_UNKNOWN_LABEL', message });
  });

  it('refuses a step name the check does not have: the step label is bounded by the config', async () => {
    const r = probeResult();
    r.steps[0] = { ...(r.steps[0] as (typeof r.steps)[number]), name: 'evil_step' };
    const res = await post(collector, { results: [r] });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.message).toBe('results[0].steps[0].name: check "web.balance_query" has no step "evil_step"');
  });

  it('refuses results older than the dedupe window or from a clock far ahead', async () => {
    const old = await post(collector, { results: [probeResult({ startedAt: Date.now() - 8 * 86_400_000 })] });
    expect(old.statusCode).toBe(422);
    expect(old.json().error).toEqual({ code: 'CH_INGEST_OUT_OF_WINDOW', message: 'results[0].startedAt: older than ingest.dedupeWindow (7d); it could no longer be told from a duplicate' });
    const ahead = await post(collector, { results: [probeResult({ startedAt: Date.now() + 3_600_000 })] });
    expect(ahead.statusCode).toBe(422);
    expect(ahead.json().error.message).toMatch(/^results\[0\]\.startedAt: .* is ahead of the collector's clock by more than 5m$/);
  });

  it.each([
    ['not an object', '[1,2]', 'body: must be object'],
    ['an unknown envelope field', { results: [], extra: 1 }, 'body.extra: unknown field'],
    ['a missing field', { results: [{ ...probeResult(), channel: undefined }] }, 'results[0].channel: is required'],
    ['an extra field in a step', { results: [{ ...probeResult(), steps: [{ ...probeResult().steps[0], sneaky: true }] }] }, 'results[0].steps[0].sneaky: unknown field'],
    ['a negative duration', { results: [probeResult({ durationMs: -1 })] }, 'results[0].durationMs: must be >= 0'],
    ['a reason outside the closed set', { results: [{ ...probeResult(), reason: 'gremlins' }] }, 'results[0].reason: must be one of timeout, connect, tls, http_status, assertion, business_error, internal'],
    ['a timestamp no clock has', { results: [probeResult({ startedAt: 5 })] }, 'results[0].startedAt: must be epoch milliseconds of a real clock'],
    ['a run longer than a day', { results: [probeResult({ durationMs: 1e300 })] }, 'results[0].durationMs: longer than a day'],
    ['invalid JSON', '{"results": [', null],
  ])('refuses %s with 400 CH_INGEST_MALFORMED naming where', async (_what, payload, message) => {
    const res = await post(collector, payload);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error.code).toBe('CH_INGEST_MALFORMED');
    if (message) expect(res.json().error.message).toBe(message);
    else expect(res.json().error.message).toMatch(/^body: not valid JSON/);
  });

  it('refuses a batch over ingest.maxBatch with 400 and a body over ingest.maxBodyBytes with 413, naming the limit', async () => {
    const many = Array.from({ length: config.ingest.maxBatch + 1 }, () => probeResult());
    const tooMany = await post(collector, { results: many });
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().error).toEqual({ code: 'CH_INGEST_BATCH_TOO_LARGE', message: `results: ${config.ingest.maxBatch + 1} items is more than ingest.maxBatch (${config.ingest.maxBatch})` });
    const huge = await post(collector, { results: [{ ...probeResult(), detail: 'x'.repeat(config.ingest.maxBodyBytes) }] });
    expect(huge.statusCode).toBe(413);
    expect(huge.json().error).toEqual({ code: 'CH_INGEST_TOO_LARGE', message: `body: larger than ${config.ingest.maxBodyBytes} bytes (ingest.maxBodyBytes)` });
  });

  it('answers 401 without the bearer token, before reading the body', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: TOKEN }] as Array<Record<string, string>>) {
      const res = await post(collector, { results: [{ ...probeResult(), detail: 'x'.repeat(config.ingest.maxBodyBytes) }] }, headers);
      expect(res.statusCode).toBe(401);
      expect(res.json().error).toEqual({ code: 'CH_UNAUTHORIZED', message: 'authorization: a valid bearer token is required' });
    }
    const text = await collector.registry.metrics();
    expect(valueOf(text, 'channel_health_ingest_refused_total', { endpoint: 'results', code: 'CH_UNAUTHORIZED' })).toBe(3);
  });

  it('refuses other content types with 415, NDJSON included', async () => {
    for (const type of ['text/plain', 'application/x-ndjson', 'application/xml']) {
      const res = await post(collector, JSON.stringify({ results: [] }), { ...auth, 'content-type': type });
      expect(res.statusCode, type).toBe(415);
      expect(res.json().error.code).toBe('CH_INGEST_MEDIA_TYPE');
    }
  });

  it('refuses a content-encoding it does not decode with 415, before reading the body', async () => {
    for (const encoding of ['gzip', 'br', 'x-made-up', 'identity, gzip']) {
      const res = await post(collector, { results: [probeResult()] }, { ...auth, 'content-encoding': encoding });
      expect(res.statusCode, encoding).toBe(415);
      expect(res.json().error).toEqual({ code: 'CH_INGEST_MEDIA_TYPE', message: `content-encoding: "${encoding}" is not taken here; send the body uncompressed (no content-encoding)` });
    }
    expect((await post(collector, { results: [probeResult()] }, { ...auth, 'content-encoding': 'identity' })).statusCode).toBe(200);
    const text = await collector.registry.metrics();
    expect(valueOf(text, 'channel_health_probe_runs_total', { channel: 'web', transaction: 'balance_query', location: 'dc1' })).toBe(1);
  });

  it.each([
    ['ok: true with a reason', { ok: true, reason: 'timeout' }, 'results[0].reason: only a failed result (ok: false) has a reason'],
    ['ok: true with a failed step', { ok: true, failedStep: 'login' }, 'results[0].failedStep: only a failed result (ok: false) has a failed step'],
    ['ok: false without a reason', { ok: false, reason: null, failedStep: 'login' }, 'results[0].reason: a failed result (ok: false) needs a reason'],
    ['skipped but ok', { ok: true, skipped: 'no_free_account' }, 'results[0].skipped: only a run that did not probe (ok: false, reason internal) is skipped'],
    ['skipped with a channel failure', { ok: false, reason: 'timeout', skipped: 'no_free_account' }, 'results[0].skipped: only a run that did not probe (ok: false, reason internal) is skipped'],
  ] as const)('refuses a result whose outcome contradicts itself (%s) with 400, as events ingest does', async (_name, over, message) => {
    const before = await collector.registry.metrics();
    const res = await post(collector, { results: [probeResult(), probeResult(over)] });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: { code: 'CH_INGEST_MALFORMED', message: message.replace('results[0]', 'results[1]') } });
    expect(seriesSet(await collector.registry.metrics())).toEqual(seriesSet(before));
  });

  it('is closed (401) when no ingest.token is configured', async () => {
    const closed = await buildCollector({ config, ledger, token: null, log });
    const res = await post(closed, { results: [] });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.message).toBe('authorization: ingest is closed on this process (no ingest.token is configured)');
    await closed.app.close();
  });

  it('answers 503 and records nothing when the state cannot be written', async () => {
    const r = probeResult();
    ledger.close();
    const res = await post(collector, { results: [r] });
    expect(res.statusCode).toBe(503);
    expect(res.json().error.code).toBe('CH_INGEST_UNAVAILABLE');
    expect(valueOf(await collector.registry.metrics(), 'channel_health_probe_runs_total', { channel: 'web', transaction: 'balance_query', location: 'dc1' })).toBe(0);
  });
});
