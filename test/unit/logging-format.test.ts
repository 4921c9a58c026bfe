// Both log formats carry the same safe record: credentials redacted and phone numbers masked in
// the pretty lines exactly as in the JSON ones; the format follows the terminal unless told.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, logOutputFor, type LogFormat } from '../../logging/logger.js';

function capture(format: LogFormat, colorize = false): { log: ReturnType<typeof createLogger>; text: () => string } {
  let text = '';
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return { log: createLogger({ format, colorize, destination, level: 'info' }), text: () => text };
}

const ESC = String.fromCharCode(27);

describe('log formats', () => {
  for (const format of ['json', 'pretty'] as const) {
    it(`${format}: redacts credentials and masks phone numbers`, () => {
      const { log, text } = capture(format);
      log.child({ component: 'scheduler' }).info({ account: { msisdn: '13912345678', pin: '123456' }, headers: { authorization: 'Bearer s3cret' }, token: 'tok-1' }, 'probe for +8613987654321 failed');
      const out = text();
      expect(out).not.toContain('13912345678');
      expect(out).not.toContain('13987654321');
      expect(out).not.toContain('123456');
      expect(out).not.toContain('s3cret');
      expect(out).not.toContain('tok-1');
      expect(out).toContain('139****5678');
      expect(out).toContain('139****4321');
      expect(out).toContain('[redacted]');
      if (format === 'json') expect(JSON.parse(out)).toMatchObject({ component: 'scheduler', msg: 'probe for 139****4321 failed' });
      else expect(out).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: \[scheduler\] probe for 139\*\*\*\*4321 failed\n/);
    });
  }

  it('pretty lines are coloured only when asked', () => {
    const plain = capture('pretty');
    plain.log.warn('x');
    expect(plain.text()).not.toContain(`${ESC}[`);
    const coloured = capture('pretty', true);
    coloured.log.warn('x');
    expect(coloured.text()).toContain(`${ESC}[`);
  });

  it('follows the terminal unless the flag says, and NO_COLOR turns colours off', () => {
    expect(logOutputFor({ isTTY: true }, {})).toEqual({ format: 'pretty', colorize: true });
    expect(logOutputFor({}, {})).toEqual({ format: 'json', colorize: false });
    expect(logOutputFor({ isTTY: true }, {}, 'json')).toEqual({ format: 'json', colorize: true });
    expect(logOutputFor({}, {}, 'pretty')).toEqual({ format: 'pretty', colorize: false });
    expect(logOutputFor({ isTTY: true }, { NO_COLOR: '1' })).toEqual({ format: 'pretty', colorize: false });
  });
});
