// channels.<id>.tls: the CA file is resolved against the config's folder and read at start, and
// every way it can be wrong names the field; tls belongs to http channels only.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, readChannelCas } from '../../config/index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ch-config-tls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const configWith = (web: string) => `version: 1
service: { listen: "127.0.0.1:0", location: local }
tiers: { core: { objective: 0.9998 } }
backends: { billing: {} }
channels:
  web: ${web}
transactions:
  balance_query: { tier: core, backends: [billing] }
flows:
  balance_query:
    steps:
      - name: balance
        request: { url: "{{channel.baseUrl}}/balance" }
checks: [{ channel: web, transaction: balance_query }]
`;
const source = () => path.join(dir, 'channel-health.yaml');

describe('channels.<id>.tls', () => {
  it('resolves caFile against the config file\'s folder, and verifies by default', () => {
    const config = parseConfig(configWith('{ transport: http, baseUrl: "https://localhost:1/web", tls: { caFile: certs/ca.pem } }'), source());
    expect(config.channels[0]?.tls).toEqual({ caFile: path.join(dir, 'certs/ca.pem'), insecureSkipVerify: false });
    expect(parseConfig(configWith('{ transport: http, baseUrl: "https://localhost:1/web" }'), source()).channels[0]?.tls).toBeNull();
  });

  it('reads the CA file at start, and names the field when it is missing or holds no certificate', () => {
    const missing = parseConfig(configWith('{ transport: http, baseUrl: "https://localhost:1/web", tls: { caFile: nowhere.pem } }'), source());
    expect(() => readChannelCas(missing)).toThrow(ConfigError);
    expect(() => readChannelCas(missing)).toThrow(/channels\.web\.tls\.caFile: cannot read .*nowhere\.pem: ENOENT/);
    writeFileSync(path.join(dir, 'junk.pem'), 'not a certificate\n');
    const junk = parseConfig(configWith('{ transport: http, baseUrl: "https://localhost:1/web", tls: { caFile: junk.pem } }'), source());
    expect(() => readChannelCas(junk)).toThrow(/channels\.web\.tls\.caFile: .*junk\.pem holds no PEM certificate/);
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    writeFileSync(path.join(dir, 'ca.pem'), pem);
    const good = parseConfig(configWith('{ transport: http, baseUrl: "https://localhost:1/web", tls: { caFile: ca.pem } }'), source());
    expect(readChannelCas(good).get('web')?.toString()).toBe(pem);
  });

  it('is refused on an smpp channel', () => {
    const text = configWith(
      '{ transport: smpp, baseUrl: "smpp://127.0.0.1:2775", smpp: { systemId: probe, password: { env: P }, serviceNumber: "10086" }, tls: { insecureSkipVerify: true } }',
    ).replace('request: { url: "{{channel.baseUrl}}/balance" }', 'sms: { text: CXYE, reply: "余额" }');
    expect(() => parseConfig(text, source())).toThrow(/channels\.web\.tls: only applies to transport http \(transport is smpp\)/);
  });
});
