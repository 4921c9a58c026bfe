// SIPp (sip-tester, written by nobody here) as a client of the sandbox IVR: its own INVITE, its
// own digest answer to the IVR's 401 ([authentication]), ACK, then a 2 yuan top-up keyed as
// RFC 2833/4733 telephone events by SIPp's play_dtmf (3 1 2 # 7 7 7 7 #), and BYE. The keys are
// proven heard by their effect on the sandbox state (order IVR7777, balance +2.00), the call by
// SIPp's exit status (0: every message of the scenario came as written).
//
// play_dtmf sends its packets from a raw socket, which needs root or CAP_NET_RAW on the sipp
// binary. Without either, the keyed part cannot run; the test then runs the same call without
// keys (uac-ivr-call.xml), says why on stderr, and asserts the call and that no money moved.
import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/index.js';
import { startSandboxIvr, type SandboxIvr } from '../../sandbox/ivr.js';
import { createSandboxState, type SandboxState } from '../../sandbox/state.js';
import { REPO_ROOT } from '../support/processes.js';
import { SHIPPED } from '../unit/journal-sandbox.js';

const MSISDN = '13900000002';
const PASSWORD = 'sipp-trunk-pw';
let state: SandboxState;
let ivr: SandboxIvr;
const dirs: string[] = [];

/** Can sipp open the raw socket play_dtmf sends from? Root can; otherwise only with the file capability. */
function sippHasRawSockets(): { ok: boolean; why: string } {
  if (process.getuid?.() === 0) return { ok: true, why: 'running as root' };
  const sipp = spawnSync('sh', ['-c', 'command -v sipp'], { encoding: 'utf8' }).stdout.trim();
  const caps = spawnSync('getcap', [sipp], { encoding: 'utf8' });
  if (/cap_net_raw/.test(caps.stdout ?? '')) return { ok: true, why: `${sipp} has cap_net_raw` };
  return { ok: false, why: `not root and ${sipp || 'sipp'} has no cap_net_raw (getcap: "${(caps.stdout ?? '').trim() || caps.error?.message || 'none'}"); grant it with: setcap cap_net_raw+ep ${sipp || '/usr/bin/sipp'}` };
}

beforeAll(async () => {
  let config = parseConfig(SHIPPED, 'channel-health.yaml');
  config = { ...config, channels: config.channels.map((c) => (c.id === 'ivr' ? { ...c, transport: 'sip' as const } : c)) };
  state = createSandboxState({ config, accounts: Object.values(config.accounts).flat().map((a) => ({ msisdn: a.msisdn, pin: 'x' })) });
  ivr = await startSandboxIvr({ state, lines: [{ channel: 'ivr', number: '10086', username: 'sipp', password: PASSWORD }] });
});
afterAll(async () => {
  await ivr?.close();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  s.bind(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function runSipp(scenario: string): Promise<{ code: number | null; output: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ch-sipp-uac-'));
  dirs.push(dir);
  const sipp = spawn(
    'sipp',
    [`127.0.0.1:${ivr.port}`, '-sf', path.join(REPO_ROOT, 'test/fixtures/sipp', scenario), '-s', '10086', '-au', 'sipp', '-ap', PASSWORD, '-i', '127.0.0.1', '-p', String(await freeUdpPort()), '-mi', '127.0.0.1', '-mp', String(await freeUdpPort()), '-m', '1', '-timeout', '30s', '-timeout_error', '-nostdin'],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  sipp.stdout.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  sipp.stderr.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  const killer = setTimeout(() => sipp.kill('SIGKILL'), 40_000);
  return new Promise((resolve) =>
    sipp.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, output });
    }),
  );
}

describe('SIPp calls the sandbox IVR', () => {
  it('completes the call with its own digest answer and keys a top-up as RFC 4733 events', async () => {
    const raw = sippHasRawSockets();
    const before = state.accounts.balanceFen(MSISDN);
    if (raw.ok) {
      const { code, output } = await runSipp('uac-ivr-dtmf.xml');
      expect(code, output).toBe(0);
      expect(state.accounts.order(MSISDN, 'IVR7777')).toMatchObject({ amountFen: 200, status: 'DONE' });
      expect(state.accounts.balanceFen(MSISDN)).toBe(before + 200);
      state.accounts.refund(MSISDN, 'IVR7777');
    } else {
      process.stderr.write(`sipp-ivr-referee: the RFC 4733 keys are not sent by SIPp here: ${raw.why}; the call alone is refereed\n`);
      const { code, output } = await runSipp('uac-ivr-call.xml');
      expect(code, output).toBe(0);
      expect(state.accounts.balanceFen(MSISDN)).toBe(before);
    }
    expect(ivr.activeCalls()).toBe(0);
  }, 60_000);
});
