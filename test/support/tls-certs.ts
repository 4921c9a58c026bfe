// Certificates made at test time with openssl (never committed): a private CA and a server
// certificate it signed, for the given host names, expiring in `days` days (-1: expired yesterday).
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface TestCertificate {
  caFile: string;
  certFile: string;
  keyFile: string;
  /** The server certificate's notAfter, epoch ms. */
  notAfterMs: number;
}

const openssl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });

/** Writes `<name>-ca.pem`, `<name>.pem` and `<name>.key` into `dir`. */
export function makeTestCertificate(dir: string, name: string, options: { days: number; hosts?: string[] }): TestCertificate {
  const hosts = options.hosts ?? ['localhost'];
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  const caFile = path.join(dir, `${name}-ca.pem`);
  const caKey = path.join(dir, `${name}-ca.key`);
  const certFile = path.join(dir, `${name}.pem`);
  const keyFile = path.join(dir, `${name}.key`);
  const csr = path.join(dir, `${name}.csr`);
  const ext = path.join(dir, `${name}.ext`);
  // The CA outlives every server certificate, so the leaf is the chain's earliest notAfter.
  openssl(['req', '-x509', ...ec, '-keyout', caKey, '-out', caFile, '-days', '3650', '-subj', `/CN=channel-health test CA ${name}`], dir);
  openssl(['req', ...ec, '-keyout', keyFile, '-out', csr, '-subj', `/CN=${hosts[0]}`], dir);
  const san = hosts.map((h) => (/^[0-9.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
  writeFileSync(ext, `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
  openssl(['x509', '-req', '-in', csr, '-CA', caFile, '-CAkey', caKey, '-CAcreateserial', '-days', String(options.days), '-extfile', ext, '-out', certFile], dir);
  const notAfterMs = Date.parse(new X509Certificate(readFileSync(certFile)).validTo);
  return { caFile, certFile, keyFile, notAfterMs };
}
