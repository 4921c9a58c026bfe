// The HTTP prober against a real server on 127.0.0.1: one connection per run shared by its steps,
// the request as given, bodies capped, and every way a response can fail to arrive ends the step.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Channel, HttpStep } from '../../config/index.js';
import { httpProber, MAX_BODY_BYTES, type CertificateObservation } from '../../synthetic/probers/http.js';
import { makeTestCertificate, type TestCertificate } from '../support/tls-certs.js';

let server: Server;
let base: string;
const connections: Socket[] = [];
const requests: Array<{ method: string; url: string; headers: Record<string, string | string[] | undefined>; body: string; connection: number }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, connection: connections.indexOf(req.socket) });
      if (req.url === '/big') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        const chunk = Buffer.alloc(64 * 1024, 'x');
        for (let i = 0; i < (MAX_BODY_BYTES / chunk.length) * 2; i++) res.write(chunk);
        return res.end();
      }
      if (req.url === '/hang') return; // never answers
      if (req.url === '/half') {
        res.writeHead(200, { 'content-length': '1000' });
        res.write('only part of it');
        return setTimeout(() => req.socket.destroy(), 20);
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: '0000', echo: body }));
    });
  });
  server.on('connection', (s) => connections.push(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const signal = () => AbortSignal.timeout(5000);

describe('httpProber', () => {
  it('shares one connection between the steps of a run, and opens a fresh one for the next run', async () => {
    const first = httpProber();
    const a = await first.exchange({ method: 'GET', url: `${base}/one`, headers: {}, body: undefined }, signal());
    const b = await first.exchange({ method: 'GET', url: `${base}/two`, headers: {}, body: undefined }, signal());
    await first.close();
    const second = httpProber();
    const c = await second.exchange({ method: 'GET', url: `${base}/three`, headers: {}, body: undefined }, signal());
    await second.close();
    expect([a.status, b.status, c.status]).toEqual([200, 200, 200]);
    expect(a.connectMs).toBeGreaterThan(0);
    expect(b.connectMs).toBe(0);
    expect(c.connectMs).toBeGreaterThan(0);
    const [ra, rb, rc] = requests.slice(-3);
    expect(ra?.connection).toBe(rb?.connection);
    expect(rc?.connection).not.toBe(ra?.connection);
    expect(a.ttfbMs).toBeGreaterThan(0);
    expect(a.totalMs).toBeGreaterThanOrEqual(a.ttfbMs);
  });

  it('sends the method, headers and body as given, with a content length', async () => {
    const s = httpProber();
    const body = JSON.stringify({ amount: 1, note: '充值' });
    const r = await s.exchange({ method: 'POST', url: `${base}/topup?x=1`, headers: { 'content-type': 'application/json', authorization: 'Bearer T-1' }, body }, signal());
    await s.close();
    expect(JSON.parse(r.body)).toEqual({ code: '0000', echo: body });
    const seen = requests.at(-1);
    expect(seen).toMatchObject({ method: 'POST', url: '/topup?x=1', body });
    expect(seen?.headers.authorization).toBe('Bearer T-1');
    expect(seen?.headers['content-length']).toBe(String(Buffer.byteLength(body)));
  });

  it('cuts a response off at MAX_BODY_BYTES instead of reading it all', async () => {
    const s = httpProber();
    const r = await s.exchange({ method: 'GET', url: `${base}/big`, headers: {}, body: undefined }, signal());
    await s.close();
    expect(r.status).toBe(200);
    expect(r.body.length).toBeGreaterThan(0);
    expect(r.body.length).toBeLessThanOrEqual(MAX_BODY_BYTES);
  });

  it('ends a step whose response never comes when the run deadline passes', async () => {
    const s = httpProber();
    const started = Date.now();
    const deadline = AbortSignal.timeout(200);
    await expect(s.exchange({ method: 'GET', url: `${base}/hang`, headers: {}, body: undefined }, deadline)).rejects.toThrow();
    await s.close();
    expect(deadline.aborted).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('fails a step whose connection closes part-way through the body', async () => {
    const s = httpProber();
    await expect(s.exchange({ method: 'GET', url: `${base}/half`, headers: {}, body: undefined }, signal())).rejects.toMatchObject({ code: 'ECONNRESET' });
    await s.close();
  });

  it('fails with the connect error when nothing listens', async () => {
    const s = httpProber();
    await expect(s.exchange({ method: 'GET', url: 'http://127.0.0.1:9/', headers: {}, body: undefined }, signal())).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await s.close();
  });

  it('closes its connection when the run ends', async () => {
    const s = httpProber();
    await s.exchange({ method: 'GET', url: `${base}/one`, headers: {}, body: undefined }, signal());
    const socket = connections[requests.at(-1)?.connection ?? -1] as Socket;
    const closed = new Promise((r) => socket.once('close', r));
    await s.close();
    await closed;
    expect(socket.destroyed).toBe(true);
  });
});

/** A channel as the prober reads it: only `id`, `tls` and `businessCode` matter here. */
function channel(tls: Channel['tls']): Channel {
  return { id: 'web', description: 'web', transport: 'http', baseUrl: 'https://localhost', smpp: null, sip: null, tls, rateLimitPerSecond: null, capacityPerSecond: null, businessCode: null, escalation: null };
}

const getStep = (url: string): HttpStep => ({
  name: 'fetch',
  always: false,
  request: { method: 'GET', url, headers: {} },
  extract: {},
  assert: { status: [200], json: [], businessCode: false, maxLatencyMs: null },
});

describe('httpProber over TLS', () => {
  let dir: string;
  let good: TestCertificate;
  let expired: TestCertificate;
  let otherHost: TestCertificate;
  const servers: HttpsServer[] = [];
  const listen = async (cert: TestCertificate): Promise<number> => {
    const server = createHttpsServer({ cert: readFileSync(cert.certFile), key: readFileSync(cert.keyFile) }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"code":"0000"}');
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return (server.address() as AddressInfo).port;
  };
  let goodPort: number;
  let expiredPort: number;
  let otherPort: number;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'ch-tls-'));
    good = makeTestCertificate(dir, 'good', { days: 40 });
    expired = makeTestCertificate(dir, 'expired', { days: -1 });
    otherHost = makeTestCertificate(dir, 'other', { days: 40, hosts: ['other.example.invalid'] });
    goodPort = await listen(good);
    expiredPort = await listen(expired);
    otherPort = await listen(otherHost);
  }, 60_000);
  afterAll(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('times dns, connect and tls on a new connection, none of them on a reused one, and reports the certificate once', async () => {
    const seen: CertificateObservation[] = [];
    const target = { channel: channel({ caFile: good.caFile, insecureSkipVerify: false }), baseUrl: '', location: 'local' };
    const s = httpProber(target, { onCertificate: (o) => seen.push(o) });
    const url = `https://localhost:${goodPort}/one`;
    const first = await s.exchange({ method: 'GET', url, headers: {}, body: undefined }, signal());
    const second = await s.exchange({ method: 'GET', url, headers: {}, body: undefined }, signal());
    await s.close();
    expect(first.status).toBe(200);
    expect(first.connection).toBe('new');
    expect(Object.keys(first.phases).sort()).toEqual(['connect', 'dns', 'processing', 'tls', 'transfer']);
    for (const phase of ['dns', 'connect', 'tls'] as const) expect(first.phases[phase]).toBeGreaterThan(0);
    const sum = Object.values(first.phases).reduce((a, b) => a + b, 0);
    expect(Math.abs(sum - first.totalMs)).toBeLessThan(0.01);
    expect(first.connectMs).toBeCloseTo((first.phases.dns ?? 0) + (first.phases.connect ?? 0) + (first.phases.tls ?? 0), 6);
    expect(second.connection).toBe('reused');
    expect(Object.keys(second.phases).sort()).toEqual(['processing', 'transfer']);
    expect(second.connectMs).toBe(0);
    expect(seen).toEqual([{ channel: 'web', origin: `https://localhost:${goodPort}`, notAfterMs: good.notAfterMs }]);
    expect(first.certNotAfterMs).toBe(good.notAfterMs);
  });

  it('runs no dns phase for an IP literal and no tls phase over plain HTTP', async () => {
    const s = httpProber();
    const r = await s.exchange({ method: 'GET', url: `${base}/one`, headers: {}, body: undefined }, signal());
    await s.close();
    expect(r.connection).toBe('new');
    expect(Object.keys(r.phases).sort()).toEqual(['connect', 'processing', 'transfer']);
  });

  it.each([
    ['an untrusted certificate (no caFile)', () => ({ port: goodPort, tls: null }), 'TLS UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
    ['an expired certificate', () => ({ port: expiredPort, tls: { caFile: expired.caFile, insecureSkipVerify: false } }), 'TLS CERT_HAS_EXPIRED'],
    ['another host\'s certificate', () => ({ port: otherPort, tls: { caFile: otherHost.caFile, insecureSkipVerify: false } }), 'TLS ERR_TLS_CERT_ALTNAME_INVALID'],
  ])('fails the step with reason tls on %s, and reports no certificate', async (_what, setup, detail) => {
    const { port, tls } = setup();
    const seen: CertificateObservation[] = [];
    const s = httpProber({ channel: channel(tls), baseUrl: '', location: 'local' }, { onCertificate: (o) => seen.push(o) });
    const url = `https://localhost:${port}/one`;
    const outcome = await s.prepare(getStep(url), { text: (t) => t, json: (v) => v }).send(signal());
    await s.close();
    expect(outcome).toMatchObject({ ok: false, reason: 'tls', status: null });
    expect(outcome.detail).toContain(detail);
    expect(seen).toEqual([]);
  });

  it('accepts any certificate with insecureSkipVerify, and still reports its expiry', async () => {
    const seen: CertificateObservation[] = [];
    const s = httpProber({ channel: channel({ caFile: null, insecureSkipVerify: true }), baseUrl: '', location: 'local' }, { onCertificate: (o) => seen.push(o) });
    const outcome = await s.prepare(getStep(`https://localhost:${expiredPort}/one`), { text: (t) => t, json: (v) => v }).send(signal());
    await s.close();
    expect(outcome).toMatchObject({ ok: true, connection: 'new' });
    expect(seen.map((o) => o.notAfterMs)).toEqual([expired.notAfterMs]);
    expect(expired.notAfterMs).toBeLessThan(Date.now());
  });
});
