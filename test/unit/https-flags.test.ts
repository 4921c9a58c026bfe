// --https-listen with its certificate and key: every way the flags can be wrong is a usage error
// naming the flag, before anything listens.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { httpsListen } from '../../cli/https-flags.js';
import { UsageError } from '../../cli/command.js';
import { makeTestCertificate } from '../support/tls-certs.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ch-https-flags-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cert = makeTestCertificate(dir, 'flags', { days: 5 });
const junk = path.join(dir, 'junk.pem');
writeFileSync(junk, 'hello\n');

describe('httpsListen', () => {
  it('is off without --https-listen, and reads both files with it', () => {
    expect(httpsListen({})).toBeNull();
    const on = httpsListen({ 'https-listen': '127.0.0.1:0', 'tls-cert': cert.certFile, 'tls-key': cert.keyFile });
    expect(on).toMatchObject({ host: '127.0.0.1', port: 0 });
    expect(on?.cert.toString()).toContain('BEGIN CERTIFICATE');
  });

  it.each([
    [{ 'tls-cert': 'x.pem' }, '--tls-cert and --tls-key go with --https-listen, which is not given'],
    [{ 'https-listen': 'localhost', 'tls-cert': 'x', 'tls-key': 'y' }, '--https-listen: "localhost" must be HOST:PORT with a port from 0 to 65535'],
    [{ 'https-listen': '127.0.0.1:0', 'tls-key': 'y' }, '--https-listen needs --tls-cert FILE (certificate, PEM)'],
    [{ 'https-listen': '127.0.0.1:0', 'tls-cert': path.join(dir, 'none.pem'), 'tls-key': 'y' }, `--tls-cert: cannot read ${path.join(dir, 'none.pem')}: ENOENT`],
    [{ 'https-listen': '127.0.0.1:0', 'tls-cert': junk, 'tls-key': 'y' }, `--tls-cert: ${junk} holds no PEM certificate`],
    [{ 'https-listen': '127.0.0.1:0', 'tls-cert': cert.certFile, 'tls-key': cert.certFile }, `--tls-key: ${cert.certFile} holds no PEM private key`],
  ])('refuses %j: %s', (values, message) => {
    expect(() => httpsListen(values)).toThrow(UsageError);
    expect(() => httpsListen(values)).toThrow(message);
  });
});
