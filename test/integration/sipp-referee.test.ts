// SIPp (sip-tester, written by nobody here) as the referee of the SIP user agent and the prompt
// matcher: a SIPp server answers our call, plays a prompt from a pcap made at test time ("your
// balance is" 1 2 point 3 4 "yuan"), and our side must hear the prompt and read the value, then
// end the call with a BYE that SIPp accepts (its exit status says the scenario completed).
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { synthesisePrompt } from '../../telephony/prompt-voice.js';
import { PromptMatcher, valueOf } from '../../synthetic/probers/sip/prompt-match.js';
import { SipCall, type CallSetup, type SipCallOptions } from '../../synthetic/probers/sip/user-agent.js';
import { REPO_ROOT, waitFor } from '../support/processes.js';
import { rtpPcap } from '../support/rtp-pcap.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  s.bind(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function startSipp(scenario: string, sipPort: number, mediaPort: number, cwd: string) {
  const sipp = spawn('sipp', ['-sf', path.join(REPO_ROOT, 'test/fixtures/sipp', scenario), '-i', '127.0.0.1', '-p', String(sipPort), '-mi', '127.0.0.1', '-mp', String(mediaPort), '-m', '1', '-timeout', '30s', '-timeout_error'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  sipp.stdout.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  sipp.stderr.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => sipp.on('exit', (code) => resolve(code)));
  return {
    output: () => output,
    /** SIPp's exit status: 0 when its one call completed the scenario without an unexpected message. */
    exitCode: () => Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('still running'), 10_000))]),
    stop: () => {
      if (sipp.exitCode === null) sipp.kill('SIGTERM');
    },
  };
}

/** Dials until SIPp listens (before that our INVITE meets an ICMP refusal). */
async function dialSipp(sipPort: number, extra: Partial<SipCallOptions>, output: () => string): Promise<{ call: SipCall; setup: CallSetup }> {
  return waitFor(async () => {
    const call = new SipCall({ server: { host: '127.0.0.1', port: sipPort }, requestUri: `sip:10086@127.0.0.1:${sipPort}`, from: 'sip:probe@channel-health.invalid', localAddress: '127.0.0.1', ...extra });
    const setup = await call.dial(AbortSignal.timeout(5000));
    if (!setup.ok && setup.kind === 'unreachable') {
      await call.hangup();
      return undefined;
    }
    if (!setup.ok && setup.kind !== 'rejected') throw new Error(`call failed: ${JSON.stringify(setup)}\n${output()}`);
    return { call, setup };
  }, 10_000, 'SIPp to answer', 100);
}

const TEXTS: Record<string, string> = { balance: '您的话费余额为', bill: '您本月账单金额为', yuan: '元', point: '.', ...Object.fromEntries([...'0123456789'].map((d) => [`d${d}`, d])) };
const SYMBOLS: Record<string, string> = { point: '.', ...Object.fromEntries([...'0123456789'].map((d) => [`d${d}`, d])) };

describe('SIPp as referee', () => {
  it('a SIPp server answers, plays a prompt from a pcap, and the user agent hears it and reads the value', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ch-sipp-'));
    dirs.push(dir);
    const prompts = Object.fromEntries(Object.entries(TEXTS).map(([id, t]) => [id, synthesisePrompt(t)]));
    const order = ['balance', 'd1', 'd2', 'point', 'd3', 'd4', 'yuan'];
    const gap = new Int16Array(1200);
    const parts = [new Int16Array(2400), ...order.flatMap((id) => [prompts[id]!, gap])];
    const audio = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => (audio.set(p, at), at + p.length), 0);
    const packets = Math.ceil(audio.length / 160);
    writeFileSync(path.join(dir, 'prompt.pcap'), rtpPcap(audio, { srcPort: 6000, dstPort: 6002 }));

    const sipPort = await freeUdpPort();
    const mediaPort = await freeUdpPort();
    const sipp = startSipp('uas-play-prompt.xml', sipPort, mediaPort, dir);
    try {
      const { call, setup } = await dialSipp(sipPort, {}, sipp.output);
      expect(setup).toMatchObject({ ok: true, media: { codec: 0, telephoneEvent: 101 } });
      expect(setup.timings.provisional).toEqual([180]);
      await waitFor(() => (call.audio.received >= packets * 0.97 ? true : undefined), 15_000, `the prompt's ${packets} packets (got ${call.audio.received})`, 100);
      const heard = call.audio.samples();
      const matcher = new PromptMatcher(Object.entries(prompts).map(([id, samples]) => ({ id, samples })));
      const intro = matcher.identify(heard, 0);
      expect(intro).toMatchObject({ kind: 'prompt', id: 'balance' });
      if (intro.kind !== 'prompt') return;
      const digits = matcher.sequence(heard, intro.endSample, 12, new Set(Object.keys(SYMBOLS)));
      expect(valueOf(digits.filter((h) => h.kind === 'prompt'), SYMBOLS)).toBe('12.34');
      const { byeStatus } = await call.hangup();
      expect(byeStatus).toBe(200);
      expect(await sipp.exitCode()).toBe(0);
    } finally {
      sipp.stop();
    }
  });

  for (const [password, outcome] of [['trunk-secret', 'answered'], ['not-the-secret', 'refused 403']] as const) {
    it(`SIPp's verifyauth checks our digest answer to its 401: the right password is ${outcome}`, async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'ch-sipp-'));
      dirs.push(dir);
      const sipPort = await freeUdpPort();
      const sipp = startSipp('uas-digest.xml', sipPort, await freeUdpPort(), dir);
      try {
        const reads: string[] = [];
        const readSecret = (ref: { env: string } | { file: string }) => (reads.push('env' in ref ? ref.env : ref.file), password);
        const { call, setup } = await dialSipp(sipPort, { credentials: { username: 'probe7', password: { env: 'IVR_TRUNK_PASSWORD' } }, readSecret }, sipp.output);
        expect(reads).toEqual(['IVR_TRUNK_PASSWORD']);
        if (password === 'trunk-secret') {
          expect(setup).toMatchObject({ ok: true, media: { codec: 8 } });
          expect((await call.hangup()).byeStatus).toBe(200);
        } else {
          expect(setup).toMatchObject({ ok: false, kind: 'rejected', status: 403 });
          await call.hangup();
        }
        expect(await sipp.exitCode()).toBe(0);
      } finally {
        sipp.stop();
      }
    });
  }
});
