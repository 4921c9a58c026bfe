// The agent's own small HTTP surface: /metrics (delivery state, not probe outcomes: those are
// the collectors' to export), /healthz and /readyz. Built here, listened on by the command.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Logger } from '../logging/logger.js';

export interface AgentAppDeps {
  registry: Registry;
  log: Logger;
  /** Why the agent is not ready yet (empty when ready). */
  notReadyReasons: () => string[];
}

export function buildAgentApp(deps: AgentAppDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.log.child({ component: 'agent-http' }) as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: true,
  });
  app.get('/metrics', async (_req, reply) => reply.header('content-type', deps.registry.contentType).send(await deps.registry.metrics()));
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const reasons = deps.notReadyReasons();
    return reply.code(reasons.length === 0 ? 200 : 503).send({ ready: reasons.length === 0, reasons });
  });
  return app;
}
