// The sandbox as a Fastify plugin (mounted by `run` under /sandbox) and as a standalone app
// (`channel-health sandbox`). Building is separate from listening: tests use app.inject().
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { Config } from '../config/index.js';
import { adminApi } from './admin-api.js';
import { channelApi } from './channel-api.js';
import { failure } from './envelope.js';
import { RequestInvalid, typeboxValidatorCompiler } from './request-validation.js';
import { createSandboxState, type SandboxState } from './state.js';

export interface SandboxOptions {
  /** Channels, transactions (with their backends) and backends; nothing else is read. */
  config: Config;
  /** Resolved test accounts: PINs already read from their secrets. */
  accounts: ReadonlyArray<{ msisdn: string; pin: string }>;
  /** Decides whether a fault with rate < 1 hits a request; default Math.random. */
  random?: () => number;
  /** Clock for fault and token expiry and bill months; default Date.now. */
  now?: () => number;
  /** State shared with the sandbox SMSC (smsc.ts); made here when not given. */
  state?: SandboxState;
}

export const SANDBOX_PREFIX = '/sandbox';

export const sandboxPlugin: FastifyPluginAsync<SandboxOptions> = async (app, opts) => {
  const state = opts.state ?? createSandboxState({ config: opts.config, accounts: opts.accounts, random: opts.random, now: opts.now });

  app.setValidatorCompiler(typeboxValidatorCompiler);
  // Probes and scripts often send a JSON content type with no body on POST/DELETE; that is "no body", not an error.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, text, done) => {
    if (text === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text as string));
    } catch {
      done(new RequestInvalid([{ path: '(body)', message: 'is not valid JSON' }]), undefined);
    }
  });
  // Hung and delayed requests would otherwise keep server.close() waiting for their clients.
  app.addHook('preClose', async () => state.held.releaseAll());
  app.setNotFoundHandler(async (request, reply) => reply.code(404).send(failure('4040', `no sandbox endpoint ${request.method} ${request.url.split('?')[0]}`)));

  await app.register(channelApi, { prefix: '/channels/:channel', state });
  await app.register(adminApi, { state });
};

/** A server with only the sandbox, under /sandbox; the caller listens (or injects). */
export function buildSandboxApp(opts: SandboxOptions & { logger?: FastifyBaseLogger }): FastifyInstance {
  const { logger, ...sandbox } = opts;
  // A closing sandbox drops every connection, including ones a client opened but never used
  // (undici keeps a spare after an aborted request); otherwise close() waits for the client.
  const app = Fastify({ forceCloseConnections: true, ...(logger ? { loggerInstance: logger } : {}) }) as unknown as FastifyInstance;
  void app.register(sandboxPlugin, { ...sandbox, prefix: SANDBOX_PREFIX });
  return app;
}
