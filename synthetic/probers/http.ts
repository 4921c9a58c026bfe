// HTTP transport on node:http. Each run gets its own keep-alive agents, so the first step of
// every run pays a fresh connect (like a new customer session) and its connect time is
// measured, while later steps of the run reuse the connection. node:http rather than undici:
// at one fresh connection per run, an undici Agent (its pool, its client, the error it builds
// for every destroyed connection) cost about a third more CPU per probe (docs/performance.md).
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { ProbeSession, Prober, TransportRequest, TransportResponse } from './types.js';

/** Responses larger than this are cut off: a probe needs the envelope, not a statement dump. */
export const MAX_BODY_BYTES = 1024 * 1024;

export const httpProber: Prober = () => {
  // One connection per origin at most: the steps of a run are sequential, like one customer.
  let plain: HttpAgent | null = null;
  let tls: HttpsAgent | null = null;
  const session: ProbeSession = {
    exchange(request: TransportRequest, signal: AbortSignal): Promise<TransportResponse> {
      const secure = request.url.startsWith('https:');
      const agent = secure ? (tls ??= new HttpsAgent({ keepAlive: true, maxSockets: 1 })) : (plain ??= new HttpAgent({ keepAlive: true, maxSockets: 1 }));
      const send = secure ? httpsRequest : httpRequest;
      return new Promise<TransportResponse>((resolve, reject) => {
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
