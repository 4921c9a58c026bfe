// HTTP transport on node:http. Each run gets its own keep-alive agents, so the first step of
// every run pays a fresh connect (like a new customer session) and its connect time is
// measured, while later steps of the run reuse the connection. node:http rather than undici:
// at one fresh connection per run, an undici Agent (its pool, its client, the error it builds
// for every destroyed connection) cost about a third more CPU per probe (docs/performance.md).
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { readFileSync } from 'node:fs';
import { Agent as HttpsAgent, request as httpsRequest, type AgentOptions as HttpsAgentOptions } from 'node:https';
import type { Socket } from 'node:net';
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';
import { performance } from 'node:perf_hooks';
import { isSipStep, isSmsStep, type HttpStep, type Step } from '../../config/index.js';
import { classifyNetworkError } from '../classify.js';
import type { FailureReason } from '../result.js';
import { judgeHttpStep } from './http-judge.js';
import type { PreparedStep, Prober, ProbeSession, ProbeTarget, StepOutcome, StepRenderer } from './types.js';

/** Responses larger than this are cut off: a probe needs the envelope, not a statement dump. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** One HTTP request as the prober sends it, every template rendered. */
export interface HttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
}

export interface HttpResponse {
  status: number;
  body: string;
  /** Time to a usable connection (name lookup, TCP, TLS); 0 when the step reused the session's connection. */
  connectMs: number;
  ttfbMs: number;
  totalMs: number;
  /** `new`: this request opened its connection, `reused`: it went over the session's open one. */
  connection: 'new' | 'reused';
  /**
   * blackbox_exporter's phases of `probe_http_duration_seconds`, in milliseconds. `dns`, `connect`
   * and `tls` appear only when they ran: a reused connection ran none, an IP literal needs no
   * lookup, plain HTTP has no handshake. `processing`: request sent → first byte; `transfer`:
   * first byte → last. The phases that ran add up to `totalMs`.
   */
  phases: Record<string, number>;
  /** The presented chain's earliest notAfter (epoch ms), when this request made a TLS connection. */
  certNotAfterMs: number | null;
}

/** What an HTTP prober is given by the process: where a TLS certificate it met is reported. */
export interface HttpProberDeps {
  /**
   * Called once per new TLS connection with the origin and the earliest notAfter (epoch ms) of the
   * chain the server presented, verified or not (an expired certificate's date is what matters most).
   */
  onCertificate?: (observation: CertificateObservation) => void;
  /** CA bundles by channel id, read at start (prepareProbes); a channel's caFile is read here otherwise. */
  caByChannel?: ReadonlyMap<string, Buffer>;
}

export interface CertificateObservation {
  channel: string;
  origin: string;
  notAfterMs: number;
}

/** An HTTP run's session: `exchange` is the bare request, `prepare` the judged step. */
export interface HttpSession extends ProbeSession {
  exchange(request: HttpRequest, signal: AbortSignal): Promise<HttpResponse>;
}

/** undici's codes, for a client built on it; the socket's and TLS's are classify.ts's own. */
const HTTP_ERROR_CODES = {
  connect: ['UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_CLOSED'],
  timeout: ['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'],
} as const;

export function classifyHttpError(err: unknown, deadlinePassed: boolean): { reason: FailureReason; detail: string } {
  return classifyNetworkError(err, deadlinePassed, HTTP_ERROR_CODES);
}

/** Renders an HTTP step's request; throws MissingValueError like any template. */
export function renderHttpRequest(step: HttpStep, render: StepRenderer): HttpRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(step.request.headers)) headers[k.toLowerCase()] = render.text(v);
  let body: string | undefined;
  if (step.request.json !== undefined) {
    body = JSON.stringify(render.json(step.request.json));
    headers['content-type'] ??= 'application/json';
  } else if (step.request.body !== undefined) {
    body = render.text(step.request.body);
  }
  return { method: step.request.method, url: render.text(step.request.url), headers, body };
}

/** The http transport with what the process gives it (certificate reports, CA bundles read at start). */
export function createHttpProber(deps: HttpProberDeps = {}): Prober {
  return (target) => httpProber(target, deps);
}

export function httpProber(target?: ProbeTarget, deps: HttpProberDeps = {}): HttpSession {
  // One connection per origin at most: the steps of a run are sequential, like one customer.
  let plain: HttpAgent | null = null;
  let tls: HttpsAgent | null = null;
  const channel = target?.channel;
  const tlsOptions = (): HttpsAgentOptions => {
    const settings = channel?.tls;
    if (!settings) return {};
    const ca = settings.caFile === null ? undefined : (deps.caByChannel?.get(channel.id) ?? readFileSync(settings.caFile));
    return { ...(ca ? { ca } : {}), rejectUnauthorized: !settings.insecureSkipVerify };
  };
  const session: HttpSession = {
    prepare(step: Step, render: StepRenderer): PreparedStep {
      // The config refuses a step of another transport on an http channel; this is a bug guard.
      if (isSmsStep(step) || isSipStep(step)) throw new Error(`step "${step.name}" is not an http step; the http prober cannot send it`);
      const request = renderHttpRequest(step, render);
      return {
        outbound: { url: request.url, body: request.body },
        send: async (signal: AbortSignal): Promise<StepOutcome> => {
          try {
            const response = await session.exchange(request, signal);
            const verdict = judgeHttpStep(step, response, target?.channel.businessCode ?? null);
            const base = {
              status: response.status,
              connectMs: response.connectMs,
              ttfbMs: response.ttfbMs,
              businessCode: verdict.businessCode,
              connection: response.connection,
              phases: response.phases,
            };
            if (verdict.ok) return { ...base, ok: true, reason: null, detail: null, extracted: verdict.extracted };
            return { ...base, ok: false, reason: verdict.reason, detail: verdict.detail, extracted: {} };
          } catch (err) {
            const { reason, detail } = classifyHttpError(err, signal.aborted);
            return { ok: false, reason, detail, businessCode: null, status: null, extracted: {}, connectMs: 0, ttfbMs: 0 };
          }
        },
      };
    },
    exchange(request: HttpRequest, signal: AbortSignal): Promise<HttpResponse> {
      const secure = request.url.startsWith('https:');
      const agent = secure ? (tls ??= new HttpsAgent({ keepAlive: true, maxSockets: 1, ...tlsOptions() })) : (plain ??= new HttpAgent({ keepAlive: true, maxSockets: 1 }));
      const send = secure ? httpsRequest : httpRequest;
      return new Promise<HttpResponse>((resolve, reject) => {
        const started = performance.now();
        // Moments on the performance clock; null for what did not happen on this request.
        let lookedUp: number | null = null;
        let connected: number | null = null;
        let secured: number | null = null;
        let fresh = false;
        let certNotAfterMs: number | null = null;
        let ttfbMs = 0;
        const req = send(request.url, { method: request.method, headers: request.headers, agent, signal }, (res: IncomingMessage) => {
          const firstByte = performance.now();
          ttfbMs = firstByte - started;
          const chunks: Buffer[] = [];
          let size = 0;
          const finish = () => {
            const ended = performance.now();
            const ready = secured ?? connected ?? started;
            const phases: Record<string, number> = {};
            if (fresh) {
              if (lookedUp !== null) phases.dns = lookedUp - started;
              if (connected !== null) phases.connect = connected - (lookedUp ?? started);
              if (secured !== null && connected !== null) phases.tls = secured - connected;
            }
            phases.processing = firstByte - ready;
            phases.transfer = ended - firstByte;
            resolve({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8'),
              connectMs: fresh ? ready - started : 0,
              ttfbMs,
              totalMs: ended - started,
              connection: fresh ? 'new' : 'reused',
              phases,
              certNotAfterMs,
            });
          };
          res.on('data', (chunk: Buffer) => {
            if (size < 0) return;
            size += chunk.length;
            if (size > MAX_BODY_BYTES) {
              // Keep what fits; the connection is spoiled for reuse, so it goes.
              size = -1;
              res.destroy();
              finish();
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () => {
            if (size >= 0) finish();
          });
          res.on('error', (err) => {
            if (size >= 0) reject(err);
          });
          // Settling twice is harmless; never settling (a close with neither end nor error) is not.
          res.on('close', () => {
            if (!res.complete && size >= 0) reject(signal.aborted ? signal.reason : Object.assign(new Error('connection closed before the response ended'), { code: 'ECONNRESET' }));
          });
        });
        req.on('socket', (socket: Socket) => {
          // A reused keep-alive socket is already connected: the step runs none of these phases.
          if (!socket.connecting) return;
          fresh = true;
          // Emitted only when a host name was looked up (not for an IP literal).
          socket.once('lookup', () => {
            lookedUp = performance.now();
          });
          socket.once('connect', () => {
            connected = performance.now();
          });
          if (secure) {
            socket.once('secureConnect', () => {
              secured = performance.now();
              // Reported only for a handshake that passed verification (or skipped it on purpose),
              // as blackbox's probe_ssl_earliest_cert_expiry: a refused one fails the probe as `tls`.
              const notAfter = earliestNotAfter((socket as TLSSocket).getPeerCertificate(true));
              if (notAfter !== null && channel) {
                certNotAfterMs = notAfter;
                deps.onCertificate?.({ channel: channel.id, origin: new URL(request.url).origin, notAfterMs: notAfter });
              }
            });
          }
        });
        req.on('error', reject);
        req.end(request.body);
      });
    },
    async close() {
      plain?.destroy();
      tls?.destroy();
    },
  };
  return session;
}

/**
 * The earliest notAfter (epoch ms) along the chain the server presented, leaf to root; null when
 * the connection carries no certificate to read (a resumed session).
 */
export function earliestNotAfter(leaf: DetailedPeerCertificate | null | undefined): number | null {
  let earliest: number | null = null;
  const seen = new Set<string>();
  let cert: DetailedPeerCertificate | undefined = leaf ?? undefined;
  // A self-signed root names itself as issuer; the fingerprint stops the walk there.
  while (cert && cert.valid_to && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    const at = Date.parse(cert.valid_to);
    if (Number.isFinite(at) && (earliest === null || at < earliest)) earliest = at;
    cert = cert.issuerCertificate;
  }
  return earliest;
}
