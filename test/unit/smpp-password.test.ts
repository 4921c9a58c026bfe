// An SMPP bind password is at most 8 octets (SMPP 3.4): a longer one is refused when the process
// starts (and by check-config), naming where and never quoting it. A probing process reads the
// password only for an smpp channel some check probes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { prepareProbes } from '../../cli/probe-engine.js';
import { ConfigError, missingSecrets, parseConfig, secretReader, secretUses } from '../../config/index.js';
import { createLogger } from '../../logging/logger.js';
import { CLI, REPO_ROOT } from '../support/processes.js';

const MINIMAL = readFileSync(path.join(REPO_ROOT, 'test/fixtures/config-valid/minimal.yaml'), 'utf8');
const SMS_CHANNEL = '  sms: { transport: smpp, baseUrl: "smpp://127.0.0.1:2775", smpp: { systemId: chprobe, password: { env: CH_T_SMSC }, serviceNumber: "10086" } }\n';
const withSms = (probed: boolean) => {
  let text = MINIMAL.replace('channels:\n', `channels:\n${SMS_CHANNEL}`);
  if (probed) {
    text = text
      .replace('flows:\n', 'flows:\n  sms_balance:\n    steps:\n      - name: balance\n        sms: { text: CXYE, reply: "余额" }\n')
      .replace('checks: [{ channel: web, transaction: balance_query }]', 'checks: [{ channel: web, transaction: balance_query }, { channel: sms, transaction: balance_query, flow: sms_balance }]');
  }
  return text;
};
const dir = mkdtempSync(path.join(tmpdir(), 'ch-smpp-password-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const log = createLogger({ level: 'silent' });

describe('the SMPP bind password', () => {
  const probed = parseConfig(withSms(true), path.join(dir, 'probed.yaml'));
  const unprobed = parseConfig(withSms(false), path.join(dir, 'unprobed.yaml'));

  it('is read at start and refused when longer than 8 octets, naming where and not what', () => {
    const tooLong = 'abcdefghijk';
    let error: unknown;
    try {
      prepareProbes(probed, { CH_T_SMSC: tooLong }, log);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('CH_CONFIG_INVALID');
    expect((error as ConfigError).describe()).toContain('channels.sms.smpp.password: $CH_T_SMSC holds 11 octets; an SMPP 3.4 bind password is at most 8');
    expect((error as ConfigError).describe()).not.toContain(tooLong);
    // Octets, not characters: four Chinese characters are twelve.
    expect(() => prepareProbes(probed, { CH_T_SMSC: '密码密码' }, log)).toThrow(/holds 12 octets/);
    expect(prepareProbes(probed, { CH_T_SMSC: 'pw345678' }, log).smscAccounts).toEqual([{ channel: 'sms', systemId: 'chprobe', password: 'pw345678' }]);
  });

  it('is not read by a probing process when no check uses the smpp channel', () => {
    expect(prepareProbes(unprobed, {}, log).smscAccounts).toEqual([]);
    expect(() => prepareProbes(probed, {}, log)).toThrow(/channels\.sms\.smpp\.password: environment variable CH_T_SMSC is not set/);
  });

  it('is among the secrets check-config reads, read by the sandbox alone when nothing probes it', () => {
    expect(secretUses(probed).find((u) => u.path === 'channels.sms.smpp.password')?.readBy).toEqual(['run', 'agent', 'sandbox']);
    expect(secretUses(unprobed).find((u) => u.path === 'channels.sms.smpp.password')?.readBy).toEqual(['sandbox']);
    expect(missingSecrets(secretUses(probed), secretReader(dir, { CH_T_SMSC: '123456789' }))).toEqual([
      { path: 'channels.sms.smpp.password', message: '$CH_T_SMSC holds 9 octets; an SMPP 3.4 bind password is at most 8' },
    ]);
  });

  it('too long stops check-config with exit 2, naming where', () => {
    const file = path.join(dir, 'ch.yaml');
    writeFileSync(file, withSms(true));
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CH_T_')));
    const res = spawnSync(process.execPath, [CLI, 'check-config', file], { encoding: 'utf8', timeout: 20_000, env: { ...base, CH_T_SMSC: 'secret-too-long' } });
    expect(res.status, res.stderr).toBe(2);
    expect(res.stderr).toContain('channels.sms.smpp.password: $CH_T_SMSC holds 15 octets; an SMPP 3.4 bind password is at most 8');
    expect(res.stderr).not.toContain('secret-too-long');
  });
});
