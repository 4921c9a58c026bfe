// HTTP transport on node:http. Each run gets its own keep-alive agents, so the first step of
// every run pays a fresh connect (like a new customer session) and its connect time is
// measured, while later steps of the run reuse the connection. node:http rather than undici:
// at one fresh connection per run, an undici Agent (its pool, its client, the error it builds
// for every destroyed connection) cost about a third more CPU per probe (docs/performance.md).
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { isSipStep, isSmsStep, type HttpStep, type Step } from '../../config/index.js';
import { classifyNetworkError } from '../classify.js';
import type { FailureReason } from '../result.js';
import { judgeHttpStep } from './http-judge.js';
import type { PreparedStep, ProbeSession, ProbeTarget, StepOutcome, StepRenderer } from './types.js';

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
  /** 0 when the step reused the session's connection. */
  connectMs: number;
  ttfbMs: number;
  totalMs: number;
}

/** An HTTP run's session: `exchange` is the bare request, `prepare` the judged step. */
export interface HttpSession extends ProbeSession {
  exchange(request: HttpRequest, signal: AbortSignal): Promise<HttpResponse>;
}

/**
 * HTTP's own failure codes on top of the socket's: a TLS handshake that cannot be trusted means
 * the channel cannot be reached safely (connect); undici's codes, for a client built on it.
 */
const HTTP_ERROR_CODES = {
  connect: ['ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_CLOSED'],
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

export function httpProber(target?: ProbeTarget): HttpSession {
  // One connection per origin at most: the steps of a run are sequential, like one customer.
  let plain: HttpAgent | null = null;
  let tls: HttpsAgent | null = null;
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
            const base = { status: response.status, connectMs: response.connectMs, ttfbMs: response.ttfbMs, businessCode: verdict.businessCode };
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
      const agent = secure ? (tls ??= new HttpsAgent({ keepAlive: true, maxSockets: 1 })) : (plain ??= new HttpAgent({ keepAlive: true, maxSockets: 1 }));
      const send = secure ? httpsRequest : httpRequest;
      return new Promise<HttpResponse>((resolve, reject) => {
        const started = performance.now();
        let connectMs = 0;
        let ttfbMs = 0;
        const req = send(request.url, { method: request.method, headers: request.headers, agent, signal }, (res: IncomingMessage) => {
          ttfbMs = performance.now() - started;
          const chunks: Buffer[] = [];
          let size = 0;
          const finish = () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), connectMs, ttfbMs, totalMs: performance.now() - started });
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
          // A reused keep-alive socket is already connected: the step pays no connect.
          if (!socket.connecting) return;
          const connecting = performance.now();
          socket.once(secure ? 'secureConnect' : 'connect', () => {
            connectMs = performance.now() - connecting;
          });
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
};
