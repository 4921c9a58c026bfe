// The sandbox over TLS: a second listener, in front of the same Fastify app, that answers only
// under /sandbox/. It lets a test (or a user) probe an https channel end to end with a
// certificate of their making: phases with a handshake, the expiry gauge, the tls failures.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { SANDBOX_PREFIX } from './app.js';
import { failure } from './envelope.js';

export interface SandboxHttps {
  /** `https://HOST:PORT/sandbox` as listened on (an IP literal, unless the caller names a host). */
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface SandboxHttpsOptions {
  host: string;
  port: number;
  /** PEM certificate (chain) and private key, read by the caller; never logged. */
  cert: Buffer;
  key: Buffer;
  /** Where the sandbox is mounted on `app` (`/sandbox`); everything else answers 404 here. */
  prefix?: string;
}

/** Starts the listener once `app` is ready; throws the listen error (EADDRINUSE, …) as is. */
export async function startSandboxHttps(app: FastifyInstance, options: SandboxHttpsOptions): Promise<SandboxHttps> {
  const prefix = options.prefix ?? SANDBOX_PREFIX;
  await app.ready();
  const server: Server = createServer({ cert: options.cert, key: options.key }, (req, res) => {
    // The collector's own routes (metrics, admin API) stay on the plain service port.
    const url = req.url ?? '/';
    if (url !== prefix && !url.startsWith(`${prefix}/`)) {
      res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(failure('4040', `only ${prefix}/ is served over https`)));
      return;
    }
    app.routing(req, res);
  });
  // A handshake a client refused (an untrusted certificate, the point of some tests) is not an error of the sandbox.
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `https://${host}:${port}${prefix}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
