// The validated, normalized config that the rest of the program reads. Ids are resolved,
// defaults applied, matrix checks expanded, lists kept in file order (generators depend on it).
import type { MaintenanceWindow } from './maintenance.js';
import type { JsonAssertion, SecretRef } from './schema.js';

export type { MaintenanceWindow, MaintenanceSchedule } from './maintenance.js';

export type { SecretRef, JsonAssertion };

export interface Tier {
  id: string;
  objective: number;
  label: string;
  /** Runs failed in a row that make this tier's transactions hard down (the tier's own, else alerting's). */
  hardDownConsecutive: number;
  /** Multiple of the error budget a failure share must be proven above to raise the failure-share alert (the tier's own, else alerting's). */
  impactBurnRate: number;
}

export interface Backend {
  id: string;
  description: string;
  /** Whom on-call escalates to when an alert implicates this backend; null when not configured. */
  escalation: string | null;
}

export interface BusinessCodeRule {
  /** JSON path of the code (http channels); '' on smpp channels. */
  path: string;
  /** smpp channels: regex with a named group `code` finding the code in a failure reply; null on http. */
  reply: string | null;
  success: readonly string[];
  /** Known failure codes → meaning; others are exported as `other`. */
  errors: Readonly<Record<string, string>>;
}

export interface Channel {
  id: string;
  description: string;
  transport: 'http' | 'smpp' | 'sip';
  /** Template; render with {{sandbox.url}} (and {{sandbox.smppUrl}}, {{sandbox.sipUrl}}) known. */
  baseUrl: string;
  /** The ESME bind of an smpp channel; null on http channels. */
  smpp: SmppChannelSettings | null;
  /** The hotline of a sip channel; null on other channels. */
  sip: SipChannelSettings | null;
  /** How an http channel's TLS certificates are checked; null for the system's trust store, fully verified. */
  tls: ChannelTlsSettings | null;
  rateLimitPerSecond: number | null;
  /** Provisioned transactions per second; null when not set (the report then shows no headroom). */
  capacityPerSecond: number | null;
  businessCode: BusinessCodeRule | null;
  /** Whom on-call escalates to when an alert implicates this channel; null when not configured. */
  escalation: string | null;
}

/** `channels.<id>.tls`, the CA file resolved against the config's folder. */
export interface ChannelTlsSettings {
  /** Absolute path of a PEM bundle trusted instead of the system's CAs; null for the system's. */
  caFile: string | null;
  insecureSkipVerify: boolean;
}

/** `channels.<id>.smpp` with defaults applied. */
export interface SmppChannelSettings {
  systemId: string;
  password: SecretRef;
  systemType: string;
  serviceNumber: string;
  addressTon: number;
  addressNpi: number;
  enquireLinkMs: number;
  window: number;
  rebindMaxMs: number;
}

/** `channels.<id>.sip` with defaults applied. */
export interface SipChannelSettings {
  number: string;
  /** Digest credentials, answered only when challenged; null when the trunk asks for none. */
  credentials: { username: string; password: SecretRef } | null;
  /** Reference prompts: name → words (synthesised into 8 kHz reference audio). */
  prompts: Readonly<Record<string, string>>;
  /** Probe calls up at once per location (trunk capacity). */
  trunkLines: number;
  /** Prompts that are the IVR's refusal: heard instead of the expected one, business_error. */
  busyPrompts: readonly string[];
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

/** A step of an http channel. */
export interface HttpStep {
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

/** A step of an smpp channel: a command texted to the service number, and its reply. */
export interface SmsStep {
  name: string;
  always: boolean;
  sms: {
    text: string;
    /** The amount the text moves, when it moves one (the maxAmount cap reads it). */
    amount: number | null;
    /** Regex source the reply must match; its named groups feed `extract`. */
    reply: string;
  };
  /** Variable name → named group of `sms.reply`. */
  extract: Readonly<Record<string, string>>;
  assert: {
    businessCode: boolean;
    maxLatencyMs: number | null;
  };
}

/** One slot of `sip.expect`: a prompt heard by name, or a value read out as digit prompts. */
export type PromptToken = { kind: 'prompt'; name: string } | { kind: 'value'; group: string };

/** A step of a sip channel: one action on the call, then the prompts that must be heard. */
export interface SipStep {
  name: string;
  always: boolean;
  sip: {
    action: 'dial' | 'press' | 'hangup';
    /** Keys template for press; null otherwise. */
    keys: string | null;
    /** What must be heard next; null when nothing is listened for. */
    expect: readonly PromptToken[] | null;
    amount: number | null;
  };
  /** Variable name → `<group>` of `sip.expect`. */
  extract: Readonly<Record<string, string>>;
  assert: {
    businessCode: boolean;
    maxLatencyMs: number | null;
  };
}

/** A step: its shape is its channel's transport's (http request, sms text, or sip call action). */
export type Step = HttpStep | SmsStep | SipStep;

export function isSipStep(step: Step): step is SipStep {
  return 'sip' in step;
}

export function isSmsStep(step: Step): step is SmsStep {
  return 'sms' in step;
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
  /** Which series the check exports: `full` adds per-step histograms and zero failure counters (docs/metrics.md). */
  metricsDetail: 'standard' | 'full';
  steps: readonly Step[];
  /** Largest JSON `amount` a request of this check may carry; null when no cap is set. */
  maxAmount: number | null;
  /** How a run of a money-moving transaction is journaled and compensated; null for the others. */
  moneyMoving: MoneyMovingPlan | null;
  /** Where in the file the check came from, for messages (`checks[2]`). */
  origin: string;
}

/** Worked out once at load (docs/safety.md): which step moves money and what compensation needs. */
export interface MoneyMovingPlan {
  /** Index in `steps` of the step marked `moneyMoving: true`. */
  stepIndex: number;
  /** The channel de-duplicates that step by {{run.id}}: reconciliation may send it again. */
  idempotent: boolean;
  /** Steps before it that send {{account.pin}}: re-run to log in again when reconciling. */
  loginSteps: readonly number[];
  /** Variables the money-moving and compensating steps read that are not login output: journaled. */
  journaledVars: readonly string[];
  /** Variables the compensating steps read that exist before the money-moving step is sent. */
  compensationKnownBefore: boolean;
  /**
   * The account as it was before the change: variables the compensating steps read that steps
   * before the money-moving step extract (the shipped plan change's `previous`). Reconciliation
   * restores them and reads them back.
   */
  baselineVars: readonly string[];
  /** Steps before the money-moving one (not log-in steps) that extract a baseline variable: re-run to read the account back. */
  readBackSteps: readonly number[];
  /** Changes when the steps change; an entry journaled under other steps is not replayed blindly. */
  fingerprint: string;
}

export interface Account {
  msisdn: string;
  pin: SecretRef | null;
}

export interface Receiver {
  url: string | SecretRef;
  token: SecretRef | null;
}

/** Per-check circuit breaker (synthetic/breaker.ts). */
export interface BreakerSettings {
  /** Failed runs in a row (reason other than internal) that open the breaker. */
  openAfter: number;
  /** Cap of k: while open, one scheduled firing in k runs as a trial. */
  maxBackoff: number;
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
  trafficDrop: { share: number; minimumExpected: number; weeks: number };
  /** Business-clock dates (YYYY-MM-DD), ascending: not judged for traffic, nor compared with. */
  holidays: readonly string[];
  scrapeJob: string;
  /** Days before a channel's certificate expires that ChannelHealthTlsCertExpiring warns. */
  tlsExpiryWarningDays: number;
  /** Whom to escalate to about the monitoring itself, and for channels and backends without their own; null when not configured. */
  escalation: string | null;
  runbookUrl: string;
  /** Receiver name per severity (and for the Watchdog); null routes to a receiver that notifies no one. */
  routes: Readonly<Record<AlertSeverity | 'watchdog', string | null>>;
  alertmanager: { groupWaitMs: number; groupIntervalMs: number; repeatIntervalMs: number; secretsDir: string };
}

/** `ingest:` with defaults applied; what the result and event endpoints enforce. */
export interface IngestSettings {
  /** Bearer token for POST /api/v1/results and /api/v1/events; null closes ingest. */
  token: SecretRef | null;
  /** Locations whose results are accepted; ascending, distinct. */
  allowedLocations: readonly string[];
  maxBatch: number;
  maxBodyBytes: number;
  /** Absolute folder of the collector's durable state. */
  stateDir: string;
  dedupeWindowMs: number;
}

/** `agent:` with defaults applied. */
export interface AgentSettings {
  /** Collector base URLs without a trailing slash; empty when only `--collector` gives them. */
  collectors: readonly string[];
  token: SecretRef | null;
  listen: { host: string; port: number };
  /** Absolute folder of the spool. */
  spoolDir: string;
  batchSize: number;
  maxBackoffMs: number;
}

/** `report:` with defaults applied: the report `run` and `collector` make on schedule. */
export interface ReportScheduleSettings {
  /** Prometheus base URL without a trailing slash; null: no report on schedule. */
  prometheus: string | null;
  /** Cron expression on the business clock, as written. */
  schedule: string;
  /** Absolute folder of the reports. */
  folder: string;
  retain: number;
  attempts: number;
  retryBackoffMs: number;
  timeoutMs: number;
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
    /** The /metrics gate (service.scrape). */
    scrape: { concurrent: number; queued: number; queueTimeoutMs: number };
    publicUrl: string;
    /** Alertmanager whose active alerts the status page shows (service.alertmanagerUrl), without a trailing slash. */
    alertmanagerUrl: string | null;
    /** The business clock, minutes east of UTC (service.utcOffset). */
    utcOffsetMinutes: number;
    /** The probe journal; `path` is absolute, or null for a memory-only journal. */
    journal: { path: string | null; reconcileIntervalMs: number; maxAttempts: number };
    breaker: BreakerSettings;
  };
  tiers: readonly Tier[];
  backends: readonly Backend[];
  channels: readonly Channel[];
  transactions: readonly Transaction[];
  checks: readonly Check[];
  accounts: Readonly<Record<string, readonly Account[]>>;
  alerting: AlertingSettings;
  /** Planned work windows, in file order (`maintenance:`). */
  maintenance: readonly MaintenanceWindow[];
  receivers: Readonly<Record<string, Receiver>>;
  ingest: IngestSettings;
  agent: AgentSettings;
  report: ReportScheduleSettings;
}
