// Result and event ingest as one Fastify plugin, registered by the command that wants it
// (`collector`: both endpoints; `run`: events only) on the app buildCollectorApp made.
import type { FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';
import type { Config } from '../config/index.js';
import { FAILURE_REASONS } from '../synthetic/result.js';
import { guardIngest, type IngestPluginOptions } from './ingest-door.js';
import { registerEventRoute } from './ingest-events.js';
import type { IngestLedger } from './ingest-ledger.js';
import { registerResultRoute } from './ingest-results.js';
import { restoreSeries, type SeriesValue } from './metrics.js';

export type { IngestPluginOptions } from './ingest-door.js';

export const ingestPlugin: FastifyPluginAsync<IngestPluginOptions> = async (app, options) => {
  guardIngest(app, options);
  if (options.results) registerResultRoute(app, options);
  if (options.events) registerEventRoute(app, options);
};

/**
 * Puts the ledger's persisted series back into a fresh registry (made by createMetrics and
 * createIngestMetrics). Series whose labels the current config no longer allows are left out,
 * so a config change never resurrects a label; they are returned for the log.
 */
export function restoreIngested(registry: Registry, ledger: IngestLedger, config: Config): { restored: number; skipped: SeriesValue[] } {
  const allowed = labelsAllowed(config);
  const all = ledger.series();
  const skipped = all.filter((s) => !allowed(s.labels));
  skipped.push(...restoreSeries(registry, all.filter((s) => allowed(s.labels))));
  return { restored: all.length - skipped.length, skipped };
}

function labelsAllowed(config: Config): (labels: Readonly<Record<string, string>>) => boolean {
  const channels = new Set(config.channels.map((c) => c.id));
  const tierOf = new Map(config.transactions.map((t) => [t.id, t.tier]));
  const locations = new Set(config.ingest.allowedLocations);
  const steps = new Map<string, Set<string>>();
  for (const c of config.checks) {
    const key = `${c.channel}\u0000${c.transaction}`;
    const names = steps.get(key) ?? new Set<string>();
    for (const s of c.steps) names.add(s.name);
    steps.set(key, names);
  }
  const reasons = new Set<string>(FAILURE_REASONS);
  return (l) => {
    if (l.channel !== undefined && !channels.has(l.channel)) return false;
    if (l.transaction !== undefined && !tierOf.has(l.transaction)) return false;
    if (l.tier !== undefined && l.transaction !== undefined && tierOf.get(l.transaction) !== l.tier) return false;
    if (l.location !== undefined && !locations.has(l.location)) return false;
    if (l.reason !== undefined && !reasons.has(l.reason)) return false;
    if (l.step !== undefined && !steps.get(`${l.channel}\u0000${l.transaction}`)?.has(l.step)) return false;
    return true;
  };
}
