// The validated, normalized config that the rest of the program reads. Ids are resolved,
// defaults applied, matrix checks expanded, lists kept in file order (generators depend on it).
import type { JsonAssertion, SecretRef } from './schema.js';

export type { SecretRef, JsonAssertion };

export interface Tier {
  id: string;
  objective: number;
  label: string;
}

export interface Backend {
  id: string;
  description: string;
}

export interface BusinessCodeRule {
  path: string;
  success: readonly string[];
}

export interface Channel {
  id: string;
  description: string;
  transport: 'http';
  /** Template; render with {{sandbox.url}} known. */
  baseUrl: string;
  rateLimitPerSecond: number | null;
  /** Provisioned transactions per second; null when not set (the report then shows no headroom). */
  capacityPerSecond: number | null;
  businessCode: BusinessCodeRule | null;
}

export interface Transaction {
  id: string;
  description: string;
  tier: string;
  objective: number;
  backends: readonly string[];
  moneyMoving: boolean;
  latencyThresholdMs: number | null;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface Step {
  name: string;
  always: boolean;
  request: {
    method: HttpMethod;
    url: string;
    headers: Readonly<Record<string, string>>;
    json?: unknown;
    body?: string;
  };
  extract: Readonly<Record<string, string>>;
  assert: {
    status: readonly number[];
    businessCode: boolean;
    maxLatencyMs: number | null;
    json: readonly JsonAssertion[];
  };
}

export type Schedule =
  | { kind: 'interval'; intervalMs: number }
  | { kind: 'cron'; expression: string };

export interface Check {
  id: string;
  channel: string;
  transaction: string;
  tier: string;
  schedule: Schedule;
  /** Nominal time between runs (the interval, or the mean gap of the cron); alert math uses it. */
  periodMs: number;
  timeoutMs: number;
  accountPool: string | null;
  steps: readonly Step[];
  /** Where in the file the check came from, for messages (`checks[2]`). */
  origin: string;
}

export interface Account {
  msisdn: string;
  pin: SecretRef | null;
}

export interface Receiver {
  url: string | SecretRef;
  token: SecretRef | null;
}

export type AlertSeverity = 'page' | 'warning' | 'ticket';

/** `alerting:` with defaults applied and durations in milliseconds; the rule generator's input. */
export interface AlertingSettings {
  sloWindowMs: number;
  hardDownConsecutive: number;
  falseAlarmProbability: number;
  minimumFailures: number;
  /** Ascending, distinct. */
  evidenceWindowsMs: readonly number[];
  /** Tier ids whose hard-down alerts page (the rest warn). */
  pageTiers: readonly string[];
  recoveryWindowMs: number;
  notReportingPeriods: number;
  burnRate: { minimumEvents: number; minimumFailures: number };
  latency: { windowMs: number; forMs: number; minimumRuns: number };
  scrapeJob: string;
  runbookUrl: string;
  /** Receiver name per severity (and for the Watchdog); null routes to a receiver that notifies no one. */
  routes: Readonly<Record<AlertSeverity | 'watchdog', string | null>>;
  alertmanager: { groupWaitMs: number; groupIntervalMs: number; repeatIntervalMs: number; secretsDir: string };
}

export interface Config {
  /** The file the config was read from (as given), for messages and generated-file headers. */
  source: string;
  /** Directory that relative paths (secret files) resolve against. */
  baseDir: string;
  service: {
    listen: { host: string; port: number };
    location: string;
    adminToken: SecretRef | null;
    sandbox: boolean;
    concurrency: number;
    resultsRetained: number;
    publicUrl: string;
  };
  tiers: readonly Tier[];
  backends: readonly Backend[];
  channels: readonly Channel[];
  transactions: readonly Transaction[];
  checks: readonly Check[];
  accounts: Readonly<Record<string, readonly Account[]>>;
  alerting: AlertingSettings;
  receivers: Readonly<Record<string, Receiver>>;
}
