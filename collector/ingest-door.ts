// The door every pushed result and real event passes: the bearer token first (before the body is
// read), then the body limit and content type, then the endpoint's own validation. Whatever is
// refused gets a 4xx naming where and why, is counted by its code, and records nothing.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/index.js';
import { pointerToPath } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import { requireToken } from './app.js';
import { CollectorError, CollectorErrorCodes, type CollectorErrorCode } from './errors.js';
import type { IngestLedger } from './ingest-ledger.js';
import type { ChannelHealthMetrics, IngestEndpoint, IngestMetrics } from './metrics.js';
import type { ResultSink } from './result-sink.js';

/** Codes an ingest request can be refused with; their counters exist from the start. */
export const INGEST_REFUSAL_CODES = [
  'CH_UNAUTHORIZED',
  'CH_INGEST_MALFORMED',
  'CH_INGEST_BATCH_TOO_LARGE',
  'CH_INGEST_TOO_LARGE',
  'CH_INGEST_MEDIA_TYPE',
  'CH_INGEST_UNKNOWN_LABEL',
  'CH_INGEST_OUT_OF_WINDOW',
  'CH_INGEST_UNAVAILABLE',
  'CH_INTERNAL',
] as const;

/** A result or event this far ahead of the collector's clock is refused: its clock is wrong. */
export const CLOCK_SKEW_TOLERANCE_MS = 5 * 60_000;

export interface IngestDeps {
  config: Config;
  metrics: ChannelHealthMetrics;
  ingestMetrics: IngestMetrics;
  ledger: IngestLedger;
  sink: ResultSink;
  /** The resolved ingest.token; null closes ingest (every request gets 401). */
  token: string | null;
  log: Logger;
  now?: () => number;
}

export interface IngestPluginOptions extends IngestDeps {
  /** POST /api/v1/results: only the collector command, whose counters are durable. */
  results: boolean;
  /** POST /api/v1/events: both run and collector. */
  events: boolean;
}

/** A refusal with more to say than a message: per-item outcomes of a 422. */
export class IngestRefusal extends CollectorError {
  constructor(
    code: CollectorErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(code, message);
  }
}

const ENDPOINT_OF: Record<string, IngestEndpoint> = { '/api/v1/results': 'results', '/api/v1/events': 'events' };

/** NDJSON as parsed by the door: the items and the line each came from, for messages. */
export class NdjsonBody {
  constructor(
    readonly items: unknown[],
    readonly lines: number[],
  ) {}
}

/** Sets the token hook, the NDJSON parser and the error answers on the ingest plugin's scope. */
export function guardIngest(app: FastifyInstance, options: IngestDeps): void {
  const { config, ingestMetrics, log } = options;
  const endpointOf = (req: FastifyRequest): IngestEndpoint => ENDPOINT_OF[req.routeOptions.url ?? ''] ?? 'events';

  app.addContentTypeParser('application/x-ndjson', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseNdjson(body as string, config.ingest.maxBatch));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  // Before the body is read: an unauthenticated client cannot make the collector read megabytes.
  app.addHook('onRequest', async (req) => {
    if (options.token === null) throw new CollectorError('CH_UNAUTHORIZED', 'authorization: ingest is closed on this process (no ingest.token is configured)');
    requireToken(req, options.token);
    // Nothing here decodes a body: a compressed or otherwise encoded one would be read as if it
    // were plain, so any coding but identity is refused before the body is read.
    const encoding = String(req.headers['content-encoding'] ?? '').trim().toLowerCase();
    if (encoding !== '' && encoding !== 'identity') {
      throw new CollectorError('CH_INGEST_MEDIA_TYPE', `content-encoding: "${String(req.headers['content-encoding']).slice(0, 80)}" is not taken here; send the body uncompressed (no content-encoding)`);
    }
    const type = mediaType(req);
    const accepted = endpointOf(req) === 'events' ? ['application/json', 'application/x-ndjson'] : ['application/json'];
    if (!accepted.includes(type)) throw new CollectorError('CH_INGEST_MEDIA_TYPE', `content-type: ${describeContentType(req)} is not taken here; send ${accepted.join(' or ')}`);
  });

  app.setErrorHandler((err: Error & { code?: string; statusCode?: number }, req, reply) => {
    const endpoint = endpointOf(req);
    if (err instanceof IngestRefusal) return refuse(reply, endpoint, err.code, err.message, err.details);
    if (err instanceof CollectorError) return refuse(reply, endpoint, err.code, err.message);
    switch (err.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return refuse(reply, endpoint, 'CH_INGEST_TOO_LARGE', `body: larger than ${config.ingest.maxBodyBytes} bytes (ingest.maxBodyBytes)`);
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return refuse(reply, endpoint, 'CH_INGEST_MEDIA_TYPE', `content-type: ${describeContentType(req)} is not taken here; send ${endpoint === 'events' ? 'application/json or application/x-ndjson' : 'application/json'}`);
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return refuse(reply, endpoint, 'CH_INGEST_MALFORMED', 'body: empty; send a JSON body');
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        return refuse(reply, endpoint, 'CH_INGEST_MALFORMED', 'content-length: does not match the body');
    }
    if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
      // JSON syntax errors and prototype-poisoning keys from Fastify's parser land here.
      return refuse(reply, endpoint, 'CH_INGEST_MALFORMED', `body: not valid JSON: ${err.message}`);
    }
    log.error({ err, endpoint }, 'ingest failed unexpectedly');
    return refuse(reply, endpoint, 'CH_INTERNAL', 'internal error');
  });

  function refuse(reply: FastifyReply, endpoint: IngestEndpoint, code: CollectorErrorCode, message: string, details: Record<string, unknown> = {}) {
    ingestMetrics.countRefused(endpoint, code);
    const status = CollectorErrorCodes.codes[code].status ?? 500;
    return reply.code(status).send({ error: { code, message }, ...details });
  }
}

function mediaType(req: FastifyRequest): string {
  return String(req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

function describeContentType(req: FastifyRequest): string {
  const type = req.headers['content-type'];
  return type ? `"${String(type).slice(0, 80)}"` : 'none given';
}

/** One JSON value per line; blank lines are skipped; errors name the line. */
export function parseNdjson(text: string, maxItems: number): NdjsonBody {
  const items: unknown[] = [];
  const lines: number[] = [];
  const rows = text.split('\n');
  for (let i = 0; i < rows.length; i++) {
    const row = (rows[i] as string).trim();
    if (row === '') continue;
    if (items.length === maxItems) throw new CollectorError('CH_INGEST_BATCH_TOO_LARGE', `body: more than ${maxItems} events (ingest.maxBatch)`);
    try {
      items.push(JSON.parse(row));
    } catch (err) {
      throw new CollectorError('CH_INGEST_MALFORMED', `line ${i + 1}: not valid JSON: ${(err as Error).message}`);
    }
    lines.push(i + 1);
  }
  return new NdjsonBody(items, lines);
}

interface SchemaError {
  keyword: string;
  instancePath: string;
  message: string;
  params: unknown;
}

/** The first few schema problems of an item, each `where.field: why`, joined; null when valid. */
export function schemaProblems(errors: Iterable<SchemaError>, where: string, limit = 3): string | null {
  const all: SchemaError[] = [];
  for (const e of errors) {
    if (e.keyword !== 'boolean') all.push(e);
    // An item can have as many errors as fields; the first few say enough.
    if (all.length >= 200) break;
  }
  // A union reports every branch's complaint besides its own; keep one line per union.
  const unions = new Set(all.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf').map((e) => e.instancePath));
  const underUnion = (e: SchemaError) => [...unions].some((u) => e.instancePath === u || e.instancePath.startsWith(`${u}/`));
  const out: string[] = [];
  for (const e of all) {
    const at = pointerToPath(e.instancePath);
    const base = at === '' ? where : at.startsWith('[') ? `${where}${at}` : `${where}.${at}`;
    if (e.keyword === 'anyOf' || e.keyword === 'oneOf') {
      const allowed = all.filter((x) => x.keyword === 'const' && x.instancePath === e.instancePath).map((x) => String((x.params as { allowedValue?: unknown }).allowedValue));
      out.push(allowed.length > 0 ? `${base}: must be one of ${allowed.join(', ')}` : `${base}: does not match any allowed form`);
    } else if (underUnion(e)) {
      continue;
    } else if (e.keyword === 'additionalProperties') {
      for (const name of (e.params as { additionalProperties?: string[] }).additionalProperties ?? []) out.push(`${base}.${name.slice(0, 64)}: unknown field`);
    } else if (e.keyword === 'required') {
      for (const name of (e.params as { requiredProperties?: string[] }).requiredProperties ?? []) out.push(`${base}.${name}: is required`);
    } else {
      out.push(`${base}: ${e.message}`);
    }
  }
  const unique = [...new Set(out)];
  return unique.length === 0 ? null : unique.slice(0, limit).join('; ');
}
