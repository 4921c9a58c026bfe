// `channel-health silence` against a stand-in for Alertmanager's API (the real one is in
// test/integration/alerts-maintenance-e2e.test.ts): what it sends, and how it refuses bad input.
import path from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { silence } from '../../cli/silence.js';
import { UsageError } from '../../cli/command.js';
import { REPO_ROOT } from '../support/processes.js';

const CONFIG = path.join(REPO_ROOT, 'channel-health.yaml');

function io() {
  let out = '';
  let err = '';
  const stream = (append: (s: string) => void) => new Writable({ write: (c: Buffer, _e, cb) => (append(c.toString()), cb()) });
  return { io: { stdout: stream((s) => (out += s)), stderr: stream((s) => (err += s)), env: { USER: 'tester' } }, out: () => out, err: () => err };
}

function fakeAlertmanager(answer: (url: string, init: RequestInit) => Response) {
  const calls: Array<{ url: string; method: string; body: unknown }> = [];
  const fetchStub = (async (url: string | URL, init: RequestInit = {}) => {
    calls.push({ url: String(url), method: init.method ?? 'GET', body: init.body ? JSON.parse(String(init.body)) : undefined });
    return answer(String(url), init);
  }) as typeof fetch;
  return { calls, deps: { fetch: fetchStub, now: () => Date.parse('2026-11-25T10:00:00Z') } };
}

describe('channel-health silence', () => {
  it('creates a silence for a channel and a backend\'s transactions, for the given time, with author and comment', async () => {
    const am = fakeAlertmanager(() => new Response(JSON.stringify({ silenceID: '0f8e7a52-1b1c-4d4e-9f3a-5d6c7b8a9e01' }), { status: 200 }));
    const t = io();
    const code = await silence(['--config', CONFIG, '--alertmanager', 'http://127.0.0.1:1/', '--channel', 'kiosk', '--backend', 'billing', '--for', '2h', '--comment', ' reboot '], t.io, am.deps);
    expect(code).toBe(0);
    expect(am.calls).toEqual([
      {
        url: 'http://127.0.0.1:1/api/v2/silences',
        method: 'POST',
        body: {
          matchers: [
            { name: 'channel', value: 'kiosk', isRegex: false, isEqual: true },
            { name: 'transaction', value: 'balance_query|bill_query|plan_change|topup', isRegex: true, isEqual: true },
          ],
          startsAt: '2026-11-25T10:00:00.000Z',
          endsAt: '2026-11-25T12:00:00.000Z',
          createdBy: 'tester',
          comment: 'reboot',
        },
      },
    ]);
    expect(t.out()).toBe('0f8e7a52-1b1c-4d4e-9f3a-5d6c7b8a9e01\nsilenced channel="kiosk", transaction=~"balance_query|bill_query|plan_change|topup" until 2026-11-25T12:00:00.000Z\n');
  });

  it('refuses unknown ids, a silence of everything, and missing --for or --comment, calling nothing', async () => {
    const am = fakeAlertmanager(() => new Response('{}'));
    const base = ['--config', CONFIG, '--alertmanager', 'http://127.0.0.1:1'];
    const refusals: Array<[string[], RegExp]> = [
      [['--channel', 'kisok', '--for', '1h', '--comment', 'x'], /--channel kisok: unknown channel \(known: web, app, sms, ivr, kiosk\)/],
      [['--for', '1h', '--comment', 'x'], /give at least one --channel, --backend or --transaction/],
      [['--channel', 'kiosk', '--comment', 'x'], /--for is required/],
      [['--channel', 'kiosk', '--for', '1h'], /--comment is required/],
      [['--channel', 'kiosk', '--for', 'soon', '--comment', 'x'], /--for soon: not a duration/],
      [['--list', '--expire', 'abc'], /choose one of/],
      [['--expire', 'abc'], /--expire abc: not a silence id/],
      [['--backend', 'crm', '--transaction', 'topup', '--for', '1h', '--comment', 'x'], /none of topup uses backend crm/],
    ];
    for (const [args, message] of refusals) await expect(silence([...base, ...args], io().io, am.deps), args.join(' ')).rejects.toThrow(message);
    await expect(silence([...base, '--list', '--expire', 'abc'], io().io, am.deps)).rejects.toBeInstanceOf(UsageError);
    // The shipped config names no Alertmanager (service.alertmanagerUrl): the flag is needed.
    await expect(silence(['--config', CONFIG, '--list'], io().io, am.deps)).rejects.toThrow(/give --alertmanager URL or set service.alertmanagerUrl/);
    expect(am.calls).toEqual([]);
  });

  it('lists live silences and expires one by id', async () => {
    const silences = [
      { id: 'a', status: { state: 'expired' }, matchers: [], startsAt: '', endsAt: '2026-11-25T09:00:00Z', createdBy: 'x', comment: 'old' },
      { id: 'b', status: { state: 'active' }, matchers: [{ name: 'channel', value: 'kiosk', isRegex: false, isEqual: true }], startsAt: '', endsAt: '2026-11-25T12:00:00Z', createdBy: 'ops', comment: 'reboot' },
    ];
    const am = fakeAlertmanager((url) => (url.endsWith('/silences') ? new Response(JSON.stringify(silences)) : new Response('')));
    const list = io();
    expect(await silence(['--config', CONFIG, '--alertmanager', 'http://127.0.0.1:9093', '--list'], list.io, am.deps)).toBe(0);
    expect(list.out()).toBe('b  active  until 2026-11-25T12:00:00Z  channel="kiosk"  by ops: reboot\n');
    expect(am.calls[0]?.url).toBe('http://127.0.0.1:9093/api/v2/silences');
    const id = '0f8e7a52-1b1c-4d4e-9f3a-5d6c7b8a9e01';
    expect(await silence(['--config', CONFIG, '--alertmanager', 'http://127.0.0.1:9093', '--expire', id], io().io, am.deps)).toBe(0);
    expect(am.calls[1]).toEqual({ url: `http://127.0.0.1:9093/api/v2/silence/${id}`, method: 'DELETE', body: undefined });
  });

  it('says which Alertmanager failed and how, with exit 1', async () => {
    const down = fakeAlertmanager(() => {
      throw new TypeError('fetch failed');
    });
    const t = io();
    expect(await silence(['--config', CONFIG, '--alertmanager', 'http://127.0.0.1:9093', '--list'], t.io, down.deps)).toBe(1);
    expect(t.err()).toBe('channel-health silence: CH_ALERTS_SILENCE_FAILED: http://127.0.0.1:9093/api/v2/silences: Alertmanager did not answer: fetch failed\n');
    const refusing = fakeAlertmanager(() => new Response('silence not found', { status: 404 }));
    const r = io();
    expect(await silence(['--config', CONFIG, '--alertmanager', 'http://127.0.0.1:9093', '--expire', '0f8e7a52-1b1c-4d4e-9f3a-5d6c7b8a9e01'], r.io, refusing.deps)).toBe(1);
    expect(r.err()).toContain('Alertmanager answered 404: silence not found');
  });
});
