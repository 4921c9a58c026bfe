// The OpenAPI 3 description of everything the app serves, at GET /api/v1/openapi.json, generated
// by @fastify/swagger from the routes' own TypeBox schemas. The summaries and tags live in one
// table here, so route files stay as they are; a test fails when a served route has no entry.
import { fastifySwagger } from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { ProbeResultSchema } from '../synthetic/result.js';
import { RealEventSchema } from './ingest-events.js';

export const OPENAPI_PATH = '/api/v1/openapi.json';

interface RouteDoc {
  summary: string;
  tag: 'service' | 'checks' | 'ingest' | 'journal' | 'status' | 'reports' | 'sandbox' | 'sandbox channels';
  /** Documents a body the handler parses itself (ingest takes NDJSON too, so Fastify does not validate it). */
  body?: unknown;
}

/** Keyed by "METHOD /url" as Fastify declares it; sandbox channel routes are matched by their suffix. */
export const ROUTE_DOCS: Record<string, RouteDoc> = {
  'GET /metrics': { summary: 'Prometheus exposition of every channel_health_* series', tag: 'service' },
  'GET /healthz': { summary: 'Liveness: the process answers', tag: 'service' },
  'GET /readyz': { summary: 'Readiness: 503 with the reasons while the process is not ready', tag: 'service' },
  [`GET ${OPENAPI_PATH}`]: { summary: 'This document', tag: 'service' },
  'GET /api/v1/checks': { summary: "Every check with its schedule, state and last result", tag: 'checks' },
  'GET /api/v1/results': { summary: 'Recent probe results, newest first', tag: 'checks' },
  'POST /api/v1/checks/:id/run': { summary: 'Run one check now (admin token when configured); answers its ProbeResult', tag: 'checks' },
  'POST /api/v1/results': {
    summary: 'Ingest a batch of ProbeResults from agents (ingest token); taken or refused whole',
    tag: 'ingest',
    body: Type.Object({ results: Type.Array(ProbeResultSchema) }, { additionalProperties: false }),
  },
  'POST /api/v1/events': {
    summary: 'Ingest real transaction events from channel systems (ingest token): JSON {"events": [...]} or NDJSON',
    tag: 'ingest',
    body: Type.Object({ events: Type.Array(RealEventSchema) }, { additionalProperties: false }),
  },
  'GET /api/v1/journal': { summary: 'Unfinished money-moving probe runs (and on request the latest finished), numbers masked', tag: 'journal' },
  'POST /api/v1/journal/:runId/resolve': { summary: 'Record that a flagged run was compensated by hand (admin token when configured)', tag: 'journal' },
  'GET /reports': { summary: 'The weekly reports written on schedule, newest first', tag: 'reports' },
  'GET /reports/:name': { summary: 'One written report file (html, md or json)', tag: 'reports' },
  'POST /sandbox/faults': { summary: 'Inject a fault into the sandbox (admin token when configured)', tag: 'sandbox' },
  'GET /sandbox/faults': { summary: 'Active sandbox faults', tag: 'sandbox' },
  'DELETE /sandbox/faults': { summary: 'Clear every sandbox fault (admin token when configured)', tag: 'sandbox' },
  'DELETE /sandbox/faults/:id': { summary: 'Clear one sandbox fault (admin token when configured)', tag: 'sandbox' },
  'GET /sandbox/accounts': { summary: "The sandbox's test accounts and their state", tag: 'sandbox' },
};

const SANDBOX_CHANNEL = /^\/sandbox\/channels\/[^/]+(\/.*)$/;

function docFor(method: string, url: string, schema: Record<string, unknown> | undefined): RouteDoc | undefined {
  const own = ROUTE_DOCS[`${method} ${url}`];
  if (own) return own;
  // Routes that describe themselves (the status plugin's) keep their own summary.
  if (typeof schema?.summary === 'string') return undefined;
  const channel = SANDBOX_CHANNEL.exec(url);
  if (channel) return { summary: `Simulated channel API: ${method} ${channel[1]}`, tag: 'sandbox channels' };
  return undefined;
}

interface ParamsSchema {
  type?: string;
  properties?: Record<string, unknown>;
  required?: string[];
  additionalProperties?: boolean;
}

/**
 * A route's params schema naming every `:param` of its URL. A route in a prefixed plugin
 * (/sandbox/channels/:channel/...) validates only its own params; OpenAPI needs them all.
 */
function withPathParams(url: string, params: ParamsSchema | undefined): ParamsSchema | undefined {
  const names = [...url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1] as string);
  const missing = names.filter((n) => !(n in (params?.properties ?? {})));
  if (missing.length === 0 || params === undefined) return undefined;
  return {
    ...params,
    type: 'object',
    properties: { ...params.properties, ...Object.fromEntries(missing.map((n) => [n, { type: 'string' }])) },
    required: [...new Set([...(params.required ?? []), ...missing])],
  };
}

/**
 * Installs @fastify/swagger on `app` now rather than through register(): Fastify loads registered
 * plugins only at ready, after buildCollectorApp has declared its routes, and the route hook of a
 * later plugin would miss them. Then serves the document. Call it before declaring any route.
 */
export function describeApi(app: FastifyInstance, version: string): void {
  fastifySwagger(
    app,
    {
      openapi: {
        openapi: '3.0.3',
        info: {
          title: 'channel-health',
          version,
          description: 'Synthetic probes and real transaction events of the electronic channels, against their objectives. Guide: README.md and docs/.',
        },
        tags: [
          { name: 'service', description: 'Metrics, health and this document' },
          { name: 'status', description: 'The status page and its JSON' },
          { name: 'checks', description: 'Checks and their results' },
          { name: 'ingest', description: 'Results from agents and events from channel systems' },
          { name: 'journal', description: 'The probe journal of money-moving runs' },
          { name: 'reports', description: 'Weekly reports made on schedule' },
          { name: 'sandbox', description: 'Fault injection into the built-in sandbox' },
          { name: 'sandbox channels', description: 'The simulated channel APIs the probes call' },
        ],
      },
      transform: ({ schema, url, route }) => {
        const method = Array.isArray(route.method) ? String(route.method[0]) : String(route.method);
        const doc = docFor(method, url, schema as Record<string, unknown> | undefined);
        const params = withPathParams(url, (schema as { params?: ParamsSchema } | undefined)?.params);
        const described = { ...schema, ...(params ? { params } : {}), ...(doc ? { summary: doc.summary, tags: [doc.tag] } : {}), ...(doc?.body ? { body: doc.body } : {}) };
        return { schema: described as typeof schema, url };
      },
    },
    (err) => {
      if (err) throw err;
    },
  );
  app.get(OPENAPI_PATH, async () => app.swagger());
}
