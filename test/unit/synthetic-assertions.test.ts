import { describe, expect, it } from 'vitest';
import type { BusinessCodeRule, HttpStep } from '../../config/index.js';
import { parseJsonBody } from '../../synthetic/assertions.js';
import { judgeHttpStep as judgeStep } from '../../synthetic/probers/http-judge.js';
import { classifyHttpError as classifyTransportError } from '../../synthetic/probers/http.js';

const step = (over: Partial<HttpStep['assert']> = {}, extract: Record<string, string> = {}): HttpStep => ({
  name: 'act',
  always: false,
  request: { method: 'GET', url: 'http://x/', headers: {} },
  extract,
  assert: { status: [200], businessCode: true, maxLatencyMs: null, json: [], ...over },
});
const rule: BusinessCodeRule = { path: '$.code', reply: null, success: ['0000'], errors: {} };
const resp = (status: number, body: unknown, durationMs = 5) => {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return { status, body: text, json: parseJsonBody(text), durationMs };
};

describe('judging a step', () => {
  it('passes and extracts scalar values', () => {
    const v = judgeStep(step({}, { token: '$.data.token', n: '$.data.n' }), resp(200, { code: '0000', data: { token: 'abc', n: 7 } }), rule);
    expect(v).toEqual({ ok: true, businessCode: '0000', extracted: { token: 'abc', n: '7' } });
  });
  it('classifies an unexpected status as http_status, before anything else', () => {
    const v = judgeStep(step(), resp(503, { code: '5101' }), rule);
    expect(v).toMatchObject({ ok: false, reason: 'http_status', detail: 'HTTP 503, expected 200' });
  });
  it('classifies a non-success business code as business_error with the message', () => {
    const v = judgeStep(step(), resp(200, { code: '5101', message: 'billing unavailable' }), rule);
    expect(v).toMatchObject({ ok: false, reason: 'business_error', businessCode: '5101', detail: 'business code 5101: billing unavailable' });
  });
  it('does not read the business code when the step opts out', () => {
    expect(judgeStep(step({ businessCode: false }), resp(200, { code: '9999' }), rule).ok).toBe(true);
  });
  it('fails a JSON assertion with the path and both values', () => {
    const v = judgeStep(step({ json: [{ path: '$.data.status', equals: 'DONE' }] }), resp(200, { code: '0000', data: { status: 'PENDING' } }), rule);
    expect(v).toMatchObject({ ok: false, reason: 'assertion', detail: '$.data.status: expected "DONE", got "PENDING"' });
  });
  it('supports exists, matches, lessThan, greaterThan, notEquals', () => {
    const body = { code: '0000', data: { balance: 12.5, id: 'ORD-1' } };
    const judge = (a: HttpStep['assert']['json'][number]) => judgeStep(step({ json: [a] }), resp(200, body), rule).ok;
    expect(judge({ path: '$.data.balance', exists: true })).toBe(true);
    expect(judge({ path: '$.data.nothing', exists: true })).toBe(false);
    expect(judge({ path: '$.data.id', matches: '^ORD-\\d+$' })).toBe(true);
    expect(judge({ path: '$.data.id', matches: '^X' })).toBe(false);
    expect(judge({ path: '$.data.balance', lessThan: 13 })).toBe(true);
    expect(judge({ path: '$.data.balance', greaterThan: 13 })).toBe(false);
    expect(judge({ path: '$.data.id', notEquals: 'ORD-1' })).toBe(false);
  });
  it('fails a slow step as an assertion', () => {
    const v = judgeStep(step({ maxLatencyMs: 100 }), resp(200, { code: '0000' }, 250), rule);
    expect(v).toMatchObject({ ok: false, reason: 'assertion', detail: 'took 250 ms, limit 100 ms' });
  });
  it('fails when an extraction finds nothing or a non-scalar', () => {
    expect(judgeStep(step({}, { t: '$.data.token' }), resp(200, { code: '0000', data: {} }), rule)).toMatchObject({ ok: false, reason: 'assertion', detail: 'extract t: no scalar value at $.data.token' });
    expect(judgeStep(step({}, { t: '$.data' }), resp(200, { code: '0000', data: {} }), rule).ok).toBe(false);
  });
  it('treats a non-JSON body as an assertion failure when a code is expected', () => {
    expect(judgeStep(step(), resp(200, '<html>maintenance</html>'), rule)).toMatchObject({ ok: false, reason: 'assertion' });
  });
});

describe('classifying transport errors', () => {
  it('maps connection errors, including wrapped causes, to connect', () => {
    expect(classifyTransportError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }), false).reason).toBe('connect');
    expect(classifyTransportError(new Error('fetch failed', { cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) }), false).reason).toBe('connect');
  });
  it('maps a passed deadline to timeout whatever the error says', () => {
    expect(classifyTransportError(Object.assign(new Error('x'), { code: 'ECONNRESET' }), true)).toEqual({ reason: 'timeout', detail: 'check timeout reached' });
  });
  it('maps undici timeouts to timeout and unknown errors to internal', () => {
    expect(classifyTransportError(Object.assign(new Error('h'), { code: 'UND_ERR_HEADERS_TIMEOUT' }), false).reason).toBe('timeout');
    expect(classifyTransportError(new TypeError('boom'), false)).toEqual({ reason: 'internal', detail: 'TypeError: boom' });
  });
});
