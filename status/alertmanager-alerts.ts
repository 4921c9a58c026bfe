// The active alerts of the configured Alertmanager, read through its v2 API every few seconds,
// bounded in time; the status page shows the last read and, when it failed, why.
import type { AlertSummary, AlertsView } from './snapshot.js';

export const ALERTS_REFRESH_MS = 5000;
const READ_TIMEOUT_MS = 3000;
const MOST_ALERTS_SHOWN = 100;

export interface AlertmanagerReader {
  view(): AlertsView;
  /** Reads now; resolves when the read is done or has failed (never rejects). */
  refresh(): Promise<void>;
  stop(): void;
}

interface AmAlert {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
  status?: { state?: string };
}

/** Null URL: nothing is read and the view says no Alertmanager is configured. */
export function alertmanagerReader(options: { url: string | null; fetch?: typeof fetch; now?: () => number; onChange?: () => void }): AlertmanagerReader {
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  let current: AlertsView = { source: options.url, error: null, fetchedAt: null, active: [] };
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;

  async function refresh(): Promise<void> {
    if (options.url === null) return;
    const before = JSON.stringify(current.active) + current.error;
    try {
      const res = await doFetch(`${options.url}/api/v2/alerts?active=true&silenced=false&inhibited=false`, { signal: AbortSignal.timeout(READ_TIMEOUT_MS) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const body = (await res.json()) as unknown;
      if (!Array.isArray(body)) throw new Error('the answer is not a list of alerts');
      current = { source: options.url, error: null, fetchedAt: now(), active: (body as AmAlert[]).slice(0, MOST_ALERTS_SHOWN).map(summarize).sort(bySeverityThenName) };
    } catch (err) {
      current = { ...current, error: `cannot read ${options.url}: ${(err as Error).message}` };
    }
    if (JSON.stringify(current.active) + current.error !== before) options.onChange?.();
  }

  function schedule(): void {
    if (stopped || options.url === null) return;
    timer = setTimeout(() => void refresh().then(schedule), ALERTS_REFRESH_MS);
    timer.unref();
  }
  if (options.url !== null) void refresh().then(schedule);

  return {
    view: () => current,
    refresh,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}

const SEVERITY_ORDER = ['page', 'warning', 'ticket'];

function bySeverityThenName(a: AlertSummary, b: AlertSummary): number {
  const rank = (s: string) => (SEVERITY_ORDER.includes(s) ? SEVERITY_ORDER.indexOf(s) : SEVERITY_ORDER.length);
  return rank(a.severity) - rank(b.severity) || a.name.localeCompare(b.name);
}

function summarize(a: AmAlert): AlertSummary {
  const labels = Object.fromEntries(Object.entries(a.labels ?? {}).filter(([, v]) => typeof v === 'string'));
  return {
    name: labels.alertname ?? '(unnamed)',
    severity: labels.severity ?? 'none',
    startsAt: a.startsAt ?? new Date(0).toISOString(),
    summary: a.annotations?.summary ?? a.annotations?.description ?? '',
    labels,
  };
}
