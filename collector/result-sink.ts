// Where every ProbeResult enters the collector, from the in-process scheduler or (later) from
// agents: labels are checked against the config first, so an unknown name never becomes a series.
import { isConfigId, type Config } from '../config/index.js';
import { withSafeText, type ProbeResult } from '../synthetic/result.js';
import { CollectorError } from './errors.js';
import type { ChannelHealthMetrics } from './metrics.js';
import type { ResultStore } from './result-store.js';

export interface ResultSink {
  /**
   * Records the result (its text made safe: withSafeText) in the store and the metrics, or throws
   * CH_INGEST_UNKNOWN_LABEL and records nothing.
   */
  accept(result: ProbeResult): void;
}

export function createResultSink(config: Config, metrics: ChannelHealthMetrics, store: ResultStore): ResultSink {
  const channels = new Set(config.channels.map((c) => c.id));
  const tierOf = new Map(config.transactions.map((t) => [t.id, t.tier]));
  return {
    accept(result) {
      const problem = labelProblem(result);
      if (problem) throw new CollectorError('CH_INGEST_UNKNOWN_LABEL', problem);
      // A pushed result's text is stored and served as the agent sent it unless made safe here.
      const safe = withSafeText(result);
      store.record(safe);
      metrics.recordResult(safe);
    },
  };

  function labelProblem(r: ProbeResult): string | null {
    if (!channels.has(r.channel)) return `channel: unknown channel "${r.channel}"`;
    const tier = tierOf.get(r.transaction);
    if (tier === undefined) return `transaction: unknown transaction "${r.transaction}"`;
    if (tier !== r.tier) return `tier: "${r.tier}" is not the tier of ${r.transaction} (${tier})`;
    if (!isConfigId(r.location)) return `location: "${r.location}" is not a valid location id`;
    return null;
  }
}
