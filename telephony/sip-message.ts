// SIP messages on the wire (RFC 3261 §7): parse what a datagram holds, serialise what we send.
// Headers keep their order and repetitions; names are compared case-insensitively and the compact
// forms (§7.3.3) are expanded, since SIPp and real trunks use both.

export interface SipRequest {
  kind: 'request';
  method: string;
  uri: string;
  headers: Array<[string, string]>;
  body: string;
}

export interface SipResponse {
  kind: 'response';
  status: number;
  reason: string;
  headers: Array<[string, string]>;
  body: string;
}

export type SipMessage = SipRequest | SipResponse;

const COMPACT: Readonly<Record<string, string>> = {
  v: 'via', f: 'from', t: 'to', i: 'call-id', m: 'contact', l: 'content-length', c: 'content-type', k: 'supported', e: 'content-encoding',
};

function canonical(name: string): string {
  const lower = name.trim().toLowerCase();
  return COMPACT[lower] ?? lower;
}

/** Parses one datagram; null when it is not a SIP message (a stray packet is dropped, not fatal). */
export function parseSipMessage(datagram: Buffer | string): SipMessage | null {
  const text = typeof datagram === 'string' ? datagram : datagram.toString('utf8');
  const split = text.indexOf('\r\n\r\n');
  const head = split === -1 ? text : text.slice(0, split);
  let body = split === -1 ? '' : text.slice(split + 4);
  const lines = head.split('\r\n');
  const start = lines.shift() ?? '';
  const headers: Array<[string, string]> = [];
  for (const line of lines) {
    if (/^[ \t]/.test(line) && headers.length > 0) {
      const last = headers[headers.length - 1]!;
      last[1] = `${last[1]} ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) return null;
    headers.push([canonical(line.slice(0, colon)), line.slice(colon + 1).trim()]);
  }
  const length = headers.find(([n]) => n === 'content-length');
  if (length) {
    const n = Number(length[1]);
    if (!Number.isInteger(n) || n < 0) return null;
    body = Buffer.from(body, 'utf8').subarray(0, n).toString('utf8');
  }
  const response = /^SIP\/2\.0 (\d{3}) ?(.*)$/.exec(start);
  if (response) return { kind: 'response', status: Number(response[1]), reason: response[2] ?? '', headers, body };
  const request = /^([A-Z]+) (\S+) SIP\/2\.0$/.exec(start);
  if (request) return { kind: 'request', method: request[1]!, uri: request[2]!, headers, body };
  return null;
}

const DISPLAY: Readonly<Record<string, string>> = {
  via: 'Via', from: 'From', to: 'To', 'call-id': 'Call-ID', cseq: 'CSeq', contact: 'Contact', 'content-length': 'Content-Length',
  'content-type': 'Content-Type', 'max-forwards': 'Max-Forwards', 'www-authenticate': 'WWW-Authenticate',
  'proxy-authenticate': 'Proxy-Authenticate', authorization: 'Authorization', 'proxy-authorization': 'Proxy-Authorization',
  'user-agent': 'User-Agent', allow: 'Allow', 'record-route': 'Record-Route', route: 'Route',
};

function display(name: string): string {
  return DISPLAY[name] ?? name.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase());
}

/** Serialises a message; Content-Length is always computed here, never taken from the caller. */
export function serializeSipMessage(message: SipMessage): string {
  const start = message.kind === 'request' ? `${message.method} ${message.uri} SIP/2.0` : `SIP/2.0 ${message.status} ${message.reason}`;
  const lines = [start];
  for (const [name, value] of message.headers) if (name !== 'content-length') lines.push(`${display(name)}: ${value}`);
  lines.push(`Content-Length: ${Buffer.byteLength(message.body, 'utf8')}`);
  return `${lines.join('\r\n')}\r\n\r\n${message.body}`;
}

export function header(message: SipMessage, name: string): string | undefined {
  const key = canonical(name);
  return message.headers.find(([n]) => n === key)?.[1];
}

export function headerValues(message: SipMessage, name: string): string[] {
  const key = canonical(name);
  return message.headers.filter(([n]) => n === key).map(([, v]) => v);
}

/** A `;name=value` parameter of a header value (tag, branch), outside any <uri>. */
export function headerParam(value: string | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  const outside = value.replace(/<[^>]*>/g, '');
  const match = new RegExp(`;\\s*${name}=([^;\\s,]+)`, 'i').exec(outside);
  return match?.[1];
}

/** The URI of a name-addr (`"x" <sip:a@b>;tag=1`) or addr-spec header value. */
export function headerUri(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const angled = /<([^>]+)>/.exec(value);
  if (angled) return angled[1];
  return value.split(';')[0]?.trim();
}

export function parseCSeq(value: string | undefined): { seq: number; method: string } | null {
  const match = /^(\d+)\s+([A-Z]+)$/.exec(value?.trim() ?? '');
  return match ? { seq: Number(match[1]), method: match[2]! } : null;
}

/** Host and port of a sip: URI (port 5060 when absent). */
export function uriHostPort(uri: string): { host: string; port: number } | null {
  const match = /^sips?:(?:[^@]*@)?(\[[^\]]+\]|[^:;>?]+)(?::(\d+))?/i.exec(uri);
  if (!match) return null;
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port: match[2] ? Number(match[2]) : 5060 };
}
