// `--https-listen`, `--tls-cert`, `--tls-key`: the sandbox served over TLS too (run and sandbox),
// with a certificate the user (or a test) made. Read and checked before anything listens.
import { readFileSync } from 'node:fs';
import { parseListen } from '../config/index.js';
import { UsageError } from './command.js';

export const HTTPS_OPTIONS = {
  'https-listen': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
} as const;

export const HTTPS_HELP = `--https-listen HOST:PORT also serves the sandbox over TLS there (only /sandbox/), with the
certificate chain --tls-cert FILE and private key --tls-key FILE (PEM); channels reach it at
https://<a name in the certificate>:PORT/sandbox.`;

export interface HttpsListen {
  host: string;
  port: number;
  cert: Buffer;
  key: Buffer;
}

/** The flags' listener, files read; null without --https-listen. Throws UsageError naming the flag. */
export function httpsListen(values: { 'https-listen'?: string | undefined; 'tls-cert'?: string | undefined; 'tls-key'?: string | undefined }): HttpsListen | null {
  const text = values['https-listen'];
  if (text === undefined) {
    if (values['tls-cert'] !== undefined || values['tls-key'] !== undefined) throw new UsageError('--tls-cert and --tls-key go with --https-listen, which is not given');
    return null;
  }
  const listen = parseListen(text);
  if (!listen) throw new UsageError(`--https-listen: "${text}" must be HOST:PORT with a port from 0 to 65535`);
  const read = (flag: 'tls-cert' | 'tls-key', marker: RegExp, what: string): Buffer => {
    const file = values[flag];
    if (file === undefined) throw new UsageError(`--https-listen needs --${flag} FILE (${what}, PEM)`);
    let pem: Buffer;
    try {
      pem = readFileSync(file);
    } catch (err) {
      throw new UsageError(`--${flag}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    if (!marker.test(pem.toString('latin1'))) throw new UsageError(`--${flag}: ${file} holds no PEM ${what}`);
    return pem;
  };
  const cert = read('tls-cert', /-----BEGIN CERTIFICATE-----/, 'certificate');
  const key = read('tls-key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'private key');
  return { host: listen.host, port: listen.port, cert, key };
}
