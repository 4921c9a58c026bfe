// Prompt recognition over the real receive path: the sandbox's synthesised prompts are sent as
// G.711 RTP packets with loss, jitter (reordering) and level changes, laid out by the RTP
// receiver, and identified. Counts over many seeded runs are in the assertions: a healthy prompt
// is always recognised, a wrong one never passes for the expected one, silence is silence, and a
// value read digit by digit comes back as the value.
import { describe, expect, it } from 'vitest';
import { synthesisePrompt } from '../../telephony/prompt-voice.js';
import { encodeG711 } from '../../telephony/g711.js';
import { PromptMatcher, valueOf, type PromptHearing } from '../../synthetic/probers/sip/prompt-match.js';
import { encodeRtp, RtpAudioReceiver } from '../../telephony/rtp.js';

const TEXTS: Record<string, string> = {
  menu: '欢迎致电中国移动，查询话费请按1，账单查询请按2，充值请按3，套餐变更请按4，人工服务请按0',
  balance: '您的话费余额为',
  bill: '您本月账单金额为',
  topup: '请输入充值金额，以井号键结束',
  plan: '套餐变更请按1，返回上级菜单请按星号键',
  agent: '正在为您转接人工服务，请稍候',
  busy: '系统繁忙，请稍后再拨',
  yuan: '元',
  point: '.',
  ...Object.fromEntries([...'0123456789'].map((d) => [`d${d}`, d])),
};
const PROMPTS = Object.fromEntries(Object.entries(TEXTS).map(([id, text]) => [id, synthesisePrompt(text)]));
const matcher = new PromptMatcher(Object.entries(PROMPTS).map(([id, samples]) => ({ id, samples })));
const SYMBOLS: Record<string, string> = { point: '.', ...Object.fromEntries([...'0123456789'].map((d) => [`d${d}`, d])) };
const NUMBER_PROMPTS = new Set(Object.keys(SYMBOLS));

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

interface Impairment {
  loss: number;
  jitterMs: number;
  gain: number;
  seed: number;
}

/** What the far end plays, in order, with silence before, between and after. */
function playout(ids: string[], gapMs = 150): Int16Array {
  const parts: Int16Array[] = [new Int16Array(2400)];
  for (const id of ids) parts.push(PROMPTS[id]!, new Int16Array((gapMs * 8000) / 1000));
  parts.push(new Int16Array(4000));
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Sends the audio as 20 ms PCMU packets through loss, jitter and a gain; returns what the receiver lays out. */
function overTheLine(audio: Int16Array, imp: Impairment): { samples: Int16Array; lost: number; reordered: number } {
  const random = prng(imp.seed);
  const packets: Array<{ at: number; datagram: Buffer }> = [];
  let lost = 0;
  for (let i = 0; i * 160 < audio.length; i++) {
    const frame = Array.from(audio.subarray(i * 160, i * 160 + 160), (v) => v * imp.gain);
    // The first packet always arrives: a receiver learns the stream from it (as with a real call).
    if (i > 0 && random() < imp.loss) {
      lost++;
      continue;
    }
    packets.push({ at: i * 20 + random() * imp.jitterMs, datagram: encodeRtp({ payloadType: 0, marker: i === 0, sequence: (40000 + i) & 0xffff, timestamp: (2 ** 32 - 8000 + i * 160) >>> 0, ssrc: 77, payload: encodeG711(frame, 'pcmu') }) });
  }
  const sent = packets.map((p) => p.datagram);
  packets.sort((a, b) => a.at - b.at);
  const reordered = packets.filter((p, i) => p.datagram !== sent[i]).length;
  const rx = new RtpAudioReceiver({ telephoneEvent: 101, maxSeconds: 60 });
  for (const p of packets) rx.push(p.datagram, p.at);
  return { samples: rx.samples(), lost, reordered };
}

const healthyLine = (seed: number, gain: number): Impairment => ({ loss: 0.03, jitterMs: 40, gain, seed });
const heardIds = (hs: PromptHearing[]) => hs.map((h) => (h.kind === 'prompt' ? h.id : h.kind));

describe('prompt recognition', () => {
  it('the synthesised prompts are deterministic and differ from each other', () => {
    expect(synthesisePrompt(TEXTS.menu!)).toEqual(PROMPTS.menu);
    expect(Buffer.from(synthesisePrompt('您的话费余额为').buffer).equals(Buffer.from(synthesisePrompt('您本月账单金额为').buffer))).toBe(false);
  });

  it('identifies every prompt over a line with 3 % loss, 40 ms jitter and level changes (all runs)', () => {
    const ids = Object.keys(PROMPTS);
    let runs = 0;
    let correct = 0;
    let lostPackets = 0;
    let reorderedPackets = 0;
    const misses: string[] = [];
    for (const [k, gain] of [0.25, 0.6, 1.6].entries()) {
      ids.forEach((id, i) => {
        const line = overTheLine(playout([id]), healthyLine(1000 * k + i, gain));
        lostPackets += line.lost;
        reorderedPackets += line.reordered;
        const heard = matcher.identify(line.samples, 0);
        runs++;
        if (heard.kind === 'prompt' && heard.id === id) correct++;
        else misses.push(`${id}@${gain}: ${JSON.stringify(heard)}`);
      });
    }
    expect(misses).toEqual([]);
    expect({ runs, correct }).toEqual({ runs: ids.length * 3, correct: ids.length * 3 });
    // The line really was impaired: loss near 3 % of the packets, and many arrived out of order.
    expect(lostPackets).toBeGreaterThan(10);
    expect(reorderedPackets).toBeGreaterThan(100);
  });

  it('a wrong prompt never passes for the expected one, and names what was heard (counts over 60 runs)', () => {
    const expected = 'balance';
    const wrong = ['bill', 'menu', 'busy', 'topup', 'plan', 'agent'];
    let passedAsExpected = 0;
    let namedCorrectly = 0;
    let runs = 0;
    for (let seed = 0; seed < 10; seed++) {
      for (const played of wrong) {
        const heard = matcher.identify(overTheLine(playout([played]), healthyLine(5000 + seed * 10 + wrong.indexOf(played), [0.3, 1, 1.5][seed % 3]!)).samples, 0);
        runs++;
        if (heard.kind === 'prompt' && heard.id === expected) passedAsExpected++;
        if (heard.kind === 'prompt' && heard.id === played) namedCorrectly++;
      }
    }
    expect({ runs, passedAsExpected, namedCorrectly }).toEqual({ runs: 60, passedAsExpected: 0, namedCorrectly: 60 });
  });

  it('a prompt nobody configured is unknown, with the nearest reference named, not a match', () => {
    const refs = ['menu', 'balance', 'bill', 'busy'].map((id) => ({ id, samples: PROMPTS[id]! }));
    const narrow = new PromptMatcher(refs);
    let unknown = 0;
    for (let seed = 0; seed < 10; seed++) {
      const heard = narrow.identify(overTheLine(playout(['topup']), healthyLine(9000 + seed, 1)).samples, 0);
      if (heard.kind === 'unknown' && refs.some((r) => r.id === heard.nearest)) unknown++;
    }
    expect(unknown).toBe(10);
  });

  it('silence is silence: digital zero, a low noise floor, and either with loss', () => {
    const random = prng(3);
    const noise = Int16Array.from({ length: 16000 }, () => Math.round((random() - 0.5) * 60));
    expect(matcher.identify(new Int16Array(16000), 0)).toEqual({ kind: 'silence', fromSample: 0 });
    expect(matcher.identify(noise, 0).kind).toBe('silence');
    expect(matcher.identify(overTheLine(noise, healthyLine(4, 1)).samples, 0).kind).toBe('silence');
    expect(matcher.identify(new Int16Array(100), 0).kind).toBe('silence');
  });

  it('reads a value spoken digit by digit ("your balance is" 1 2 point 3 4 "yuan"), over 30 impaired runs', () => {
    const random = prng(11);
    let runs = 0;
    let read = 0;
    const wrongValues: string[] = [];
    for (let seed = 0; seed < 30; seed++) {
      const whole = Math.floor(random() * 1000);
      const value = seed === 0 ? '12.34' : `${whole}.${String(Math.floor(random() * 100)).padStart(2, '0')}`;
      const ids = ['balance', ...[...value].map((c) => (c === '.' ? 'point' : `d${c}`)), 'yuan'];
      const line = overTheLine(playout(ids, seed % 2 === 0 ? 60 : 200), healthyLine(7000 + seed, [0.3, 1, 1.4][seed % 3]!));
      const intro = matcher.identify(line.samples, 0);
      runs++;
      if (intro.kind !== 'prompt' || intro.id !== 'balance') {
        wrongValues.push(`${value}: intro ${JSON.stringify(intro)}`);
        continue;
      }
      const digits = matcher.sequence(line.samples, intro.endSample, 12, NUMBER_PROMPTS);
      // After the digits, the currency is heard (sequence stops at the first non-number prompt).
      const got = valueOf(digits.filter((h) => h.kind === 'prompt'), SYMBOLS);
      if (got === value) read++;
      else wrongValues.push(`${value}: ${heardIds(digits).join(' ')}`);
    }
    expect(wrongValues).toEqual([]);
    expect({ runs, read }).toEqual({ runs: 30, read: 30 });
  });

  it('valueOf refuses a sequence with anything but number prompts', () => {
    const p = (id: string): PromptHearing => ({ kind: 'prompt', id, cost: 0, startSample: 0, endSample: 0 });
    expect(valueOf([p('d1'), p('point'), p('d5')], SYMBOLS)).toBe('1.5');
    expect(valueOf([p('d1'), p('yuan')], SYMBOLS)).toBeNull();
    expect(valueOf([p('d1'), { kind: 'silence', fromSample: 0 }], SYMBOLS)).toBeNull();
    expect(valueOf([], SYMBOLS)).toBeNull();
  });
});
