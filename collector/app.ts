// The collector's HTTP surface: /metrics, health, and the JSON API. `buildCollectorApp` builds;
// the caller listens. Everything it needs comes in as parameters, so tests use app.inject().
import { timingSafeEqual } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import Type from 'typebox';
import { ADMIN_ONLY, SAFE_METHODS } from '../config/admin-routes.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import type { ProbeResult } from '../synthetic/result.js';
import { answerClientError, MAX_URL_BYTES } from './client-errors.js';
import { ChannelHealthError } from '../contract/error-codes.js';
import { SyntheticError } from '../synthetic/errors.js';
import { CollectorError, CollectorErrorCodes, type CollectorErrorCode } from './errors.js';
import { journalApi, type JournalSource } from './journal-api.js';
import { describeApi } from './openapi.js';
import type { ChannelHealthMetrics } from './metrics.js';
import type { ResultStore } from './result-store.js';
import { createExposition, type Exposition } from './exposition.js';
import { createScrapeGate, SCRAPE_RETRY_AFTER_SECONDS, type ScrapeLimits } from './scrape-gate.js';

export interface CheckRunControl {
  runNow(checkId: string): Promise<ProbeResult>;
  runState(checkId: string): { running: boolean; overlapsSkipped: number; nextRunAt: number | null } | undefined;
}

export interface CollectorDeps {
  config: Config;
  metrics: ChannelHealthMetrics;
  store: ResultStore;
  log: Logger;
  /** Bearer token every admin route (`config: ADMIN_ONLY`, here and in plugins registered later) needs; null leaves them open. */
  adminToken: string | null;
  /** Absent in collector-only mode (no probes in this process). */
  runs?: CheckRunControl;
  /** Why the process is not ready yet (empty when ready). */
  notReadyReasons: () => string[];
  /** The package version, shown in the OpenAPI document. */
  version?: string;
  /** The probe journal of a process that runs money-moving checks: GET /api/v1/journal. */
  journal?: JournalSource;
  /** The /metrics renderer (by default a cached one over `metrics.registry`). */
  exposition?: Exposition;
  /** How many scrapes are served at once and how many wait (collector/scrape-gate.ts); by default the config's service.scrape. */
  scrapeLimits?: ScrapeLimits;
}

const ResultsQuery = Type.Object(
  {
    check: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  },
  { additionalProperties: false },
);
const CheckParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false });

export function buildCollectorApp(deps: CollectorDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.log.child({ component: 'collector' }) as unknown as FastifyBaseLogger,
    // Scrapes every few seconds would drown the log; failures are logged where they happen.
    logController: new LogController({ disableRequestLogging: true }),
    // A hung probe target must never keep the process from closing.
    forceCloseConnections: true,
    bodyLimit: 1024 * 1024,
    // Fastify's default silently drops unknown fields; bad input must be refused, not trimmed.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false } },
    // What Node's parser refuses (bad framing, oversized headers) is answered in our error shape.
    clientErrorHandler: answerClientError,
  });
  // First, so the OpenAPI document sees every route declared below and by later plugins.
  describeApi(app, deps.version ?? '0.0.0');
  const checks = new Map(deps.config.checks.map((c) => [c.id, c]));
  const exposition = deps.exposition ?? createExposition(deps.metrics.registry);
  const scrapeLimits = deps.scrapeLimits ?? { ...deps.config.service.scrape, retryAfterSeconds: SCRAPE_RETRY_AFTER_SECONDS };
  const scrapeGate = createScrapeGate(scrapeLimits);

  // Authorisation after routing, from the route's own flag: the router has already decoded the
  // path, so what is checked is the route that will run, however the URL was spelled. A change
  // (POST, DELETE, ...) to a path that names no route is refused the same way without the token,
  // so a client without it learns nothing from the spelling it tried. Added before any route or
  // plugin, so every scope inherits it. It answers rather than throws: a plugin's own error
  // handler (the sandbox's) would otherwise turn the 401 into its 400.
  app.addHook('onRequest', async (req, reply) => {
    if (req.url.length > MAX_URL_BYTES) return sendError(reply, 'CH_URL_TOO_LONG', `url: longer than ${MAX_URL_BYTES} bytes`);
    if (deps.adminToken === null) return;
    if (!req.routeOptions.config.adminOnly && !(req.is404 && !SAFE_METHODS.has(req.method))) return;
    try {
      requireToken(req, deps.adminToken);
    } catch (err) {
      if (!(err instanceof CollectorError)) throw err;
      return sendError(reply, err.code, err.message);
    }
  });

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string; validation?: unknown; validationContext?: string }, _req, reply) => {
    // Any declared error with a declared status answers with it (the collector's, the scheduler's
    // CH_CHECK_*, the journal's); one declared without a status was never meant for a client.
    if (err instanceof ChannelHealthError && err.statusCode !== 500) return reply.code(err.statusCode).send({ error: { code: err.code, message: err.message } });
    if (err.validation) {
      const where = err.validationContext ?? 'request';
      return sendError(reply, 'CH_REQUEST_INVALID', `${where}${err.message.startsWith(where) ? err.message.slice(where.length) : `: ${err.message}`}`);
    }
    // Fastify's own refusals, each answered with the documented code and its status.
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendError(reply, 'CH_REQUEST_TOO_LARGE', `body: ${err.message}`);
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return sendError(reply, 'CH_REQUEST_MEDIA_TYPE', `content-type: ${err.message}`);
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return sendError(reply, 'CH_REQUEST_INVALID', err.message);
    deps.log.error({ err }, 'unhandled collector error');
    return reply.code(500).send({ error: { code: 'CH_INTERNAL', message: 'internal error' } });
  });

  app.setNotFoundHandler(async (req, reply) => sendError(reply, 'CH_ROUTE_NOT_FOUND', `${req.method} ${req.url.split('?')[0]?.slice(0, 200)}: no such endpoint`));

  // The routes load with the plugins (at ready), after anything the caller hooks onto the app,
  // so a caller can see every route (the admin-route inventory test does).
  void app.register(async (api) => {
    // Scrapes share one rendering and one body; past the gate's places they wait or are refused,
    // so no number of scrapers can hold the probes' event loop (docs/scraping.md).
    api.get('/metrics', async (_req, reply) => {
      if (!(await scrapeGate.admit(reply.raw))) {
        deps.metrics.countRefusedScrape();
        reply.header('retry-after', String(scrapeLimits.retryAfterSeconds));
        return sendError(reply, 'CH_SCRAPE_BUSY', `/metrics: ${scrapeLimits.concurrent} scrapes are being answered and ${scrapeLimits.queued} are waiting; retry after ${scrapeLimits.retryAfterSeconds} s`);
      }
      const body = await exposition.render();
      return reply.header('content-type', exposition.contentType).send(body.buffer);
    });

    api.get('/healthz', async () => ({ status: 'ok' }));

    api.get('/readyz', async (_req, reply) => {
      const reasons = deps.notReadyReasons();
      return reply.code(reasons.length === 0 ? 200 : 503).send({ ready: reasons.length === 0, reasons });
    });

    api.get('/api/v1/checks', async () => ({
      checks: deps.config.checks.map((check) => {
        const summary = deps.store.summary(check.id);
        const run = deps.runs?.runState(check.id);
        const last = summary.lastResult;
        return {
          id: check.id,
          channel: check.channel,
          transaction: check.transaction,
          tier: check.tier,
          location: deps.config.service.location,
          schedule: check.schedule.kind === 'interval' ? { interval: `${check.schedule.intervalMs / 1000}s` } : { cron: check.schedule.expression },
          timeoutMs: check.timeoutMs,
          state: last === null ? 'unknown' : last.ok ? 'ok' : 'failing',
          consecutiveFailures: summary.consecutiveFailures,
          lastSuccessAt: summary.lastSuccessAt === null ? null : new Date(summary.lastSuccessAt).toISOString(),
          lastResult: last && {
            id: last.id,
            ok: last.ok,
            at: new Date(last.startedAt).toISOString(),
            durationMs: Math.round(last.durationMs),
            reason: last.reason,
            failedStep: last.failedStep,
            detail: last.detail,
            cleanupFailed: last.cleanupFailed,
          },
          running: run?.running ?? false,
          nextRunAt: run?.nextRunAt ? new Date(run.nextRunAt).toISOString() : null,
          overlapsSkipped: run?.overlapsSkipped ?? 0,
          // Runs that found no free test account: not outcomes of the check (docs/safety.md).
          noFreeAccountSkipped: summary.skipped,
        };
      }),
    }));

    api.get<{ Querystring: { check?: string; limit?: number } }>('/api/v1/results', { schema: { querystring: ResultsQuery } }, async (req) => {
      const { check, limit = 100 } = req.query;
      if (check !== undefined && !checks.has(check)) throw new SyntheticError('CH_CHECK_NOT_FOUND', `check: no check "${check}"`);
      return { results: deps.store.recent(limit, check) };
    });

    api.post<{ Params: { id: string } }>('/api/v1/checks/:id/run', { schema: { params: CheckParams }, config: ADMIN_ONLY }, async (req) => {
      if (!deps.runs) throw new CollectorError('CH_RUNNER_UNAVAILABLE', 'this process runs no probes');
      if (!checks.has(req.params.id)) throw new SyntheticError('CH_CHECK_NOT_FOUND', `id: no check "${req.params.id}"`);
      try {
        return await deps.runs.runNow(req.params.id);
      } catch (err) {
        // CH_CHECK_BUSY answers as declared (409); a stopping scheduler means no runner.
        if (err instanceof SyntheticError && err.code === 'CH_SCHEDULER_STOPPED') throw new CollectorError('CH_RUNNER_UNAVAILABLE', err.message);
        throw err;
      }
    });
  });

  if (deps.journal) void app.register(journalApi, { journal: deps.journal });

  return app;
}

function sendError(reply: FastifyReply, code: CollectorErrorCode, message: string) {
  return reply.code(CollectorErrorCodes.codes[code].status ?? 500).send({ error: { code, message } });
}

/** Constant-time bearer check: the admin hook above and the ingest door use it. */
export function requireToken(req: FastifyRequest, expected: string | null): void {
  if (expected === null) return;
  const header = req.headers.authorization ?? '';
  const given = header.startsWith('Bearer ') ? header.slice(7) : '';
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw new CollectorError('CH_UNAUTHORIZED', 'authorization: a valid bearer token is required');
}
