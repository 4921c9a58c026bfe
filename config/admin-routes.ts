// Which HTTP routes are admin acts (they change faults, run a check, record a hand compensation)
// and so need service.adminToken when one is set. Each such route says so itself with
// `config: ADMIN_ONLY`; the process that holds the token checks the flag after routing
// (collector/app.ts), so no spelling of the URL (percent-encoding, case, slashes, dot segments)
// can reach a route without passing its check. Floor-level so the sandbox can mark its own routes
// without importing the collector.
import type {} from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route changes state; with service.adminToken set, it needs `Authorization: Bearer <token>`. */
    adminOnly?: boolean;
  }
}

/** Route config of an admin act: `app.post(url, { config: ADMIN_ONLY }, handler)`. */
export const ADMIN_ONLY = Object.freeze({ adminOnly: true as const });

/** Methods that never change anything; every other method is a change. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);
