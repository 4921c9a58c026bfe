// The status page's routes, registered on the collector app of `run` and `collector`:
//   GET /                          the page (one HTML document, inline CSS and JS, nothing fetched elsewhere)
//   GET /api/v1/status             the same data as JSON, for the page and for scripts
//   GET /api/v1/status/stream      Server-Sent Events: the JSON again after every change
//   POST /api/v1/alert-notifications  the demo's webhook receiver (only when a NotificationLog is given)
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import Type from 'typebox';
import type { ResultStore } from '../collector/result-store.js';
import type { Config } from '../config/index.js';
import { alertmanagerReader } from './alertmanager-alerts.js';
import { StatusError } from './errors.js';
import { WebhookPayloadSchema, type NotificationLog, type WebhookPayload } from './notification-log.js';
import { STATUS_PAGE_CSP, statusPageHtml } from './page.js';
import { buildStatus, StatusSchema, type Status } from './snapshot.js';

export interface StatusPluginOptions {
  config: Config;
  store: ResultStore;
  /** Where this process runs the probes: ids of checks whose breaker is not closed; otherwise each result's breaker field is read. */
  openBreakers?: () => ReadonlySet<string>;
  /** Maintenance windows, where this process knows them. */
  inMaintenance?: (channel: string, transaction: string) => boolean;
  /** Present in the demo: notifications posted to /api/v1/alert-notifications are kept and shown. */
  notifications?: NotificationLog;
  now?: () => number;
  fetch?: typeof fetch;
}

/** Streams at once; more are refused with 503 so a forgotten wall of tabs cannot exhaust the process. */
export const MOST_STATUS_STREAMS = 64;
/** A burst of results (35 checks finishing together) becomes one update. */
const COALESCE_MS = 300;
/** Sent even without a change: keeps proxies from closing the stream and the page's "ago" fresh. */
const KEEPALIVE_MS = 10_000;

export const statusPlugin: FastifyPluginAsync<StatusPluginOptions> = async (app, options) => {
  const now = options.now ?? Date.now;
  const streams = new Set<FastifyReply>();
  let pending: NodeJS.Timeout | null = null;
  const changed = () => {
    if (pending !== null || streams.size === 0) return;
    pending = setTimeout(() => {
      pending = null;
      broadcast();
    }, COALESCE_MS);
  };
  const alerts = alertmanagerReader({ url: options.config.service.alertmanagerUrl, ...(options.fetch ? { fetch: options.fetch } : {}), now, onChange: changed });
  const unsubscribe = [options.store.subscribe(changed), options.notifications?.subscribe(changed)];

  const status = (): Status =>
    buildStatus({
      config: options.config,
      summary: (id) => options.store.summary(id),
      recentFailures: (limit) => options.store.recentFailures(limit),
      ...(options.openBreakers ? { openBreakers: options.openBreakers } : {}),
      ...(options.inMaintenance ? { inMaintenance: options.inMaintenance } : {}),
      alerts: alerts.view(),
      notifications: options.notifications?.list() ?? null,
      now: now(),
    });

  function send(reply: FastifyReply, body: Status): void {
    reply.raw.write(`event: status\ndata: ${JSON.stringify(body)}\n\n`);
  }
  function broadcast(): void {
    if (streams.size === 0) return;
    const body = status();
    for (const reply of streams) send(reply, body);
  }
  const keepalive = setInterval(broadcast, KEEPALIVE_MS);
  keepalive.unref();

  app.addHook('onClose', async () => {
    clearInterval(keepalive);
    if (pending) clearTimeout(pending);
    alerts.stop();
    for (const u of unsubscribe) u?.();
    for (const reply of streams) reply.raw.end();
    streams.clear();
  });

  const page = statusPageHtml(options.config.service.location);
  app.get('/', { schema: { summary: 'The status page (HTML)', tags: ['status'] } }, async (_req, reply) =>
    reply.header('content-type', 'text/html; charset=utf-8').header('content-security-policy', STATUS_PAGE_CSP).header('cache-control', 'no-store').send(page),
  );

  app.get('/api/v1/status', { schema: { summary: 'Every channel × transaction with its state, recent failures, objectives and active alerts', tags: ['status'], response: { 200: StatusSchema } } }, async () => status());

  app.get(
    '/api/v1/status/stream',
    { schema: { summary: 'Server-Sent Events: an `event: status` with the /api/v1/status document after every change, and at least every 10 s', tags: ['status'] } },
    async (req, reply) => {
      if (streams.size >= MOST_STATUS_STREAMS) {
        const full = new StatusError('CH_STATUS_STREAMS_FULL', `stream: ${MOST_STATUS_STREAMS} status streams are open already; try again later`);
        return reply.code(full.statusCode).send({ error: { code: full.code, message: full.message } });
      }
      reply.hijack();
      reply.raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      // A client that reconnects waits 2 s, not the browser's default of 3 or more.
      reply.raw.write('retry: 2000\n\n');
      streams.add(reply);
      req.raw.on('close', () => streams.delete(reply));
      send(reply, status());
    },
  );

  if (options.notifications) {
    const log = options.notifications;
    app.post<{ Body: WebhookPayload }>(
      '/api/v1/alert-notifications',
      {
        schema: {
          summary: "The demo's webhook receiver: Alertmanager posts notifications here; the status page and the terminal show them",
          tags: ['status'],
          body: WebhookPayloadSchema,
          response: { 200: Type.Object({ received: Type.Integer() }, { additionalProperties: false }) },
        },
      },
      async (req) => {
        log.record(req.body);
        return { received: req.body.alerts.length };
      },
    );
  }
};
