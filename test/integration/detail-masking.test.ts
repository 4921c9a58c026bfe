// No subscriber number and no control character in what the API serves, after runs made to put
// them there: `channel-health run` (embedded sandbox) asserts a wrong value on the JSON path that
// holds the MSISDN, a hung add-on leaves a journal entry that a human resolves with a note full of
// numbers and escape codes; and a collector is pushed results whose details, failed step and
// business codes carry both. Every string of /api/v1/results, /api/v1/checks and /api/v1/journal
// is then read.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCollector } from '../../cli/collector.js';
import { memoryLedger } from '../../collector/ingest-ledger.js';
import { createLogger } from '../../logging/logger.js';
import { ingestConfig, probeResult, TOKEN } from '../support/ingest-fixtures.js';
import { REPO_ROOT, startService, waitFor, type Managed } from '../support/processes.js';

// A mainland mobile number, solid or grouped, with or without +86, not part of a longer digit run.
const UNMASKED = /(?<![0-9])(?:\+?86[ -]?)?1[3-9][0-9][ -]?[0-9]{4}[ -]?[0-9]{4}(?![0-9])/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** Every string (keys included) in a parsed JSON answer, with where it is. */
function strings(value: unknown, at = '$'): Array<{ at: string; text: string }> {
  if (typeof value === 'string') return [{ at, text: value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${at}[${i}]`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => [{ at: `${at} (key)`, text: k }, ...strings(v, `${at}.${k}`)]);
  return [];
}

/** A generated result or run id: 32 random hex digits, which now and then hold 11 digits that read like a number. */
const GENERATED_ID = /^[0-9a-f]{32}$/;

function offending(answer: unknown): Array<{ at: string; text: string }> {
  return strings(answer).filter((s) => (UNMASKED.test(s.text) && !GENERATED_ID.test(s.text)) || CONTROL.test(s.text));
}

describe('run: a detail that quotes the MSISDN, and a journal note', () => {
  let dir: string;
  let svc: Managed;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ch-mask-'));
    const shipped = await readFile(path.join(REPO_ROOT, 'channel-health.yaml'), 'utf8');
    const text = shipped
      // The balance answer carries the subscriber's number: assert something else is there.
      .replace('json: [{ path: $.data.balance, exists: true }]', 'json: [{ path: $.data.msisdn, equals: "x" }]')
      .replace('interval: 30s', 'interval: 1s')
      .replace('timeout: 10s', 'timeout: 900ms')
      .replace('    transactions: "*"', '    transactions: [balance_query, data_addon]')
      .replace('service:\n', 'service:\n  journal: { reconcileInterval: 1s }\n')
      // The hotline's calls take seconds each: not at a 1 s cadence (ivr-sip.test.ts has them).
      .replace(/^ {2}- \{ channel: ivr, .*\n/gm, '');
    expect(text).not.toContain('channel: ivr,');
    expect(text).toContain('equals: "x"');
    const file = path.join(dir, 'mask.yaml');
    await writeFile(file, text);
    svc = await startService({ configFile: file });
  });
  afterAll(async () => {
    await svc?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves results, checks and journal entries with numbers masked and no control character', async () => {
    // Add-on answers never come: the runs stay intended and are flagged for a human.
    const fault = await fetch(`${svc.url}/sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ scope: { channel: 'web', transaction: 'data_addon' }, mode: 'hang', durationSeconds: 120 }),
    });
    expect(fault.status).toBe(201);
    const failing = await waitFor(
      async () => {
        const body = (await (await fetch(`${svc.url}/api/v1/results?check=web.balance_query&limit=5`)).json()) as { results: Array<{ detail: string | null }> };
        return body.results.find((r) => r.detail?.includes('$.data.msisdn'));
      },
      30_000,
      'a balance query failing its assertion on the MSISDN',
    );
    // The number was there, masked; the rest of the detail is intact.
    expect(failing.detail).toMatch(/^\$\.data\.msisdn: expected "x", got "139\*{4}000[1-8]"$/);

    const flagged = await waitFor(
      async () => {
        const body = (await (await fetch(`${svc.url}/api/v1/journal`)).json()) as { entries: Array<{ runId: string; flagged: boolean }> };
        return body.entries.find((e) => e.flagged);
      },
      30_000,
      'a flagged add-on entry',
    );
    const note = 'removed by hand for 13900000001 (+86 139-0000-0002)\u0007\u001b[2J\u202eevil\r\nsecond line';
    const resolved = await fetch(`${svc.url}/api/v1/journal/${flagged.runId}/resolve`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ note }) });
    expect(resolved.status, await resolved.clone().text()).toBe(200);
    expect(((await resolved.json()) as { detail: string }).detail).toBe('resolved by hand: removed by hand for 139****0001 (139****0002)[2Jevil  second line');

    for (const url of ['/api/v1/results?limit=1000', '/api/v1/checks', '/api/v1/journal?finished=true&limit=1000']) {
      const answer: unknown = await (await fetch(`${svc.url}${url}`)).json();
      expect(offending(answer), url).toEqual([]);
    }
  }, 90_000);
});

describe('collector: pushed results with numbers and control characters', () => {
  it('stores and serves their text masked and stripped', async () => {
    const collector = await buildCollector({ config: ingestConfig(), ledger: memoryLedger(), token: TOKEN, log: createLogger({ level: 'silent' }) });
    try {
      const dirty = probeResult({
        ok: false,
        reason: 'assertion',
        failedStep: 'balance\u001b[31m',
        detail: '$.data.msisdn: expected "x", got "13912345678"\u0000\u0007\nnext',
        steps: [
          { name: 'login', ok: true, skipped: false, always: false, durationMs: 40, connectMs: 1, ttfbMs: 30, status: 200, businessCode: null, reason: null, detail: null },
          { name: 'balance', ok: false, skipped: false, always: false, durationMs: 70, connectMs: 0, ttfbMs: 60, status: 200, businessCode: '5101\u0085', reason: 'assertion', detail: 'for 8613912345678\u2028 and 139 1234 5678\u009b' },
        ],
      });
      const res = await collector.app.inject({ method: 'POST', url: '/api/v1/results', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, payload: { results: [dirty] } });
      expect(res.statusCode, res.body).toBe(200);

      const results = (await collector.app.inject({ method: 'GET', url: '/api/v1/results' })).json() as { results: Array<{ id: string; detail: string; failedStep: string; steps: Array<{ detail: string | null; businessCode: string | null }> }> };
      const stored = results.results.find((r) => r.id === dirty.id);
      expect(stored).toMatchObject({ failedStep: 'balance[31m', detail: '$.data.msisdn: expected "x", got "139****5678" next' });
      expect(stored?.steps[1]).toMatchObject({ businessCode: '5101', detail: 'for 139****5678  and 139****5678' });
      const checks = (await collector.app.inject({ method: 'GET', url: '/api/v1/checks' })).json() as unknown;
      expect(offending(results), '/api/v1/results').toEqual([]);
      expect(offending(checks), '/api/v1/checks').toEqual([]);
    } finally {
      await collector.app.close();
    }
  });
});
