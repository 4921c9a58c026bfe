// Digest authentication for SIP (RFC 3261 §22 on RFC 2617, algorithms of RFC 7616 / RFC 8760):
// parse a WWW-/Proxy-Authenticate challenge and compute the matching credentials header.
import { createHash, timingSafeEqual } from 'node:crypto';

export interface DigestChallenge {
  realm: string;
  nonce: string;
  opaque?: string;
  algorithm: string;
  /** The qop options offered; empty for an RFC 2069-style challenge. */
  qop: string[];
}

const HASHES: Readonly<Record<string, string>> = { MD5: 'md5', 'MD5-SESS': 'md5', 'SHA-256': 'sha256', 'SHA-256-SESS': 'sha256' };

/** Parses a Digest challenge; null when it is not one or names an algorithm we do not compute. */
export function parseDigestChallenge(value: string): DigestChallenge | null {
  const match = /^\s*Digest\s+(.*)$/is.exec(value);
  if (!match) return null;
  const params: Record<string, string> = {};
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
  for (let m = re.exec(match[1]!); m; m = re.exec(match[1]!)) params[m[1]!.toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!;
  if (params.realm === undefined || params.nonce === undefined) return null;
  const algorithm = (params.algorithm ?? 'MD5').toUpperCase();
  if (!(algorithm in HASHES)) return null;
  const qop = (params.qop ?? '').split(',').map((q) => q.trim().toLowerCase()).filter((q) => q !== '');
  return { realm: params.realm, nonce: params.nonce, ...(params.opaque !== undefined ? { opaque: params.opaque } : {}), algorithm, qop };
}

export interface DigestInput {
  challenge: DigestChallenge;
  method: string;
  uri: string;
  username: string;
  password: string;
  cnonce: string;
  /** Nonce count, 1 for the first use of a nonce. */
  nc: number;
}

/** The response hash alone (for tests against the RFC vectors). */
export function digestResponse(input: DigestInput): string {
  const { challenge, method, uri, username, password, cnonce } = input;
  const h = (s: string) => createHash(HASHES[challenge.algorithm]!).update(s, 'utf8').digest('hex');
  const nc = input.nc.toString(16).padStart(8, '0');
  let ha1 = h(`${username}:${challenge.realm}:${password}`);
  if (challenge.algorithm.endsWith('-SESS')) ha1 = h(`${ha1}:${challenge.nonce}:${cnonce}`);
  const ha2 = h(`${method}:${uri}`);
  if (challenge.qop.includes('auth')) return h(`${ha1}:${challenge.nonce}:${nc}:${cnonce}:auth:${ha2}`);
  return h(`${ha1}:${challenge.nonce}:${ha2}`);
}

/** The Authorization / Proxy-Authorization header value answering the challenge. */
export function digestAuthorization(input: DigestInput): string {
  const { challenge } = input;
  const quote = (s: string) => `"${s.replace(/(["\\])/g, '\\$1')}"`;
  const parts = [
    `username=${quote(input.username)}`, `realm=${quote(challenge.realm)}`, `nonce=${quote(challenge.nonce)}`,
    `uri=${quote(input.uri)}`, `response=${quote(digestResponse(input))}`, `algorithm=${challenge.algorithm === 'MD5-SESS' ? 'MD5-sess' : challenge.algorithm === 'SHA-256-SESS' ? 'SHA-256-sess' : challenge.algorithm}`,
  ];
  if (challenge.opaque !== undefined) parts.push(`opaque=${quote(challenge.opaque)}`);
  if (challenge.qop.includes('auth')) parts.push('qop=auth', `nc=${input.nc.toString(16).padStart(8, '0')}`, `cnonce=${quote(input.cnonce)}`);
  return `Digest ${parts.join(', ')}`;
}

export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm: string;
  qop: string | null;
  nc: number;
  cnonce: string;
}

/** Parses an Authorization / Proxy-Authorization Digest header (the server's side); null when it is not one. */
export function parseDigestCredentials(value: string): DigestCredentials | null {
  const match = /^\s*Digest\s+(.*)$/is.exec(value);
  if (!match) return null;
  const params: Record<string, string> = {};
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
  for (let m = re.exec(match[1]!); m; m = re.exec(match[1]!)) params[m[1]!.toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!;
  const { username, realm, nonce, uri, response } = params;
  if (username === undefined || realm === undefined || nonce === undefined || uri === undefined || response === undefined) return null;
  return {
    username, realm, nonce, uri, response,
    algorithm: (params.algorithm ?? 'MD5').toUpperCase(),
    qop: params.qop?.toLowerCase() ?? null,
    nc: params.nc !== undefined ? parseInt(params.nc, 16) : 0,
    cnonce: params.cnonce ?? '',
  };
}

/** Does the caller's answer prove the password? Computes what it should be and compares in constant time. */
export function verifyDigest(credentials: DigestCredentials, challenge: DigestChallenge, method: string, password: string): boolean {
  if (credentials.realm !== challenge.realm || credentials.nonce !== challenge.nonce || credentials.algorithm !== challenge.algorithm) return false;
  const expected = digestResponse({
    challenge: { ...challenge, qop: credentials.qop === 'auth' ? ['auth'] : [] },
    method, uri: credentials.uri, username: credentials.username, password, cnonce: credentials.cnonce, nc: credentials.nc,
  });
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(credentials.response.toLowerCase(), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
