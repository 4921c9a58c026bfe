// HTTP transport on undici. Each run gets its own connection pool, so the first step of every
// run pays a fresh connect (like a new customer session) and its connect time is measured.
import { performance } from 'node:perf_hooks';
import { Agent, buildConnector } from 'undici';
import type { ProbeSession, Prober, TransportRequest, TransportResponse } from './types.js';

/** Responses larger than this are cut off: a probe needs the envelope, not a statement dump. */
export const MAX_BODY_BYTES = 1024 * 1024;

const connector = buildConnector({});

export const httpProber: Prober = () => {
  let connectMs = 0;
  const agent = new Agent({
    connect(options, callback) {
      const started = performance.now();
      connector(options, (err, socket) => {
        connectMs += performance.now() - started;
        if (err) callback(err, null);
        else callback(null, socket);
      });
    },
    // The check's AbortSignal bounds the run; undici's own timers must not fire first.
    headersTimeout: 0,
    bodyTimeout: 0,
    keepAliveTimeout: 30_000,
    connections: 1,
  });
  const session: ProbeSession = {
    async exchange(request: TransportRequest, signal: AbortSignal): Promise<TransportResponse> {
      connectMs = 0;
      const started = performance.now();
      const response = await agent.request({
        origin: new URL(request.url).origin,
        path: pathOf(request.url),
        method: request.method as 'GET',
        headers: request.headers,
        body: request.body,
        signal,
      });
      const ttfbMs = performance.now() - started;
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of response.body) {
        size += (chunk as Buffer).length;
        if (size > MAX_BODY_BYTES) {
          response.body.destroy();
          break;
        }
        chunks.push(chunk as Buffer);
      }
      return { status: response.statusCode, body: Buffer.concat(chunks).toString('utf8'), connectMs, ttfbMs, totalMs: performance.now() - started };
    },
    async close() {
      await agent.destroy();
    },
  };
  return session;
};

function pathOf(url: string): string {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
}
