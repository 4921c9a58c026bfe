// The one shape every transport implements (blackbox_exporter's "one prober per transport").
// A transport owns what a step *is* on its wire: how a step's request is rendered, sent and
// judged, which phases it times, and how its failures map to the closed reason set. The runner
// knows only step order, the deadline, templating, extraction into later steps, compensation
// and the result.
import type { Channel, Step } from '../../config/index.js';
import type { FailureReason } from '../result.js';

/** Renders the templates of one run (the runner's context); throws MissingValueError. */
export interface StepRenderer {
  text(template: string): string;
  json(value: unknown): unknown;
}

/** What a step will send, as the account-safety check reads it (amount caps, other subscribers). */
export interface OutboundView {
  url: string;
  body: string | undefined;
}

/** How one step went: a result, never an exception, for every expected failure. */
export interface StepOutcome {
  ok: boolean;
  reason: FailureReason | null;
  detail: string | null;
  businessCode: string | null;
  /** The transport's status (HTTP status, SMPP command_status); null when none came back. */
  status: number | null;
  /** Values for later steps ({{vars.name}}); applied by the runner only when ok. */
  extracted: Record<string, string>;
  /** 0 when the step reused the session's connection. */
  connectMs: number;
  ttfbMs: number;
  /** Whether the step opened its connection or reused the run's (transports with connections per run). */
  connection?: 'new' | 'reused';
  /** The transport's own phases in milliseconds (e.g. SMPP's submit→resp, HTTP's dns/connect/tls); only phases that ran. */
  phases?: Record<string, number>;
}

/** A step rendered and checked, ready to send once the runner allows it. */
export interface PreparedStep {
  outbound: OutboundView;
  /**
   * False when the step is not a new request to the channel (a key pressed inside a call already
   * up): the channel's rate limiter paces requests, and the call took its turn when it was placed.
   */
  paced?: boolean;
  /** Sends and judges the step; resolves for every expected failure. */
  send(signal: AbortSignal): Promise<StepOutcome>;
}

/** One probe run's connection state on one channel: steps of a run share it, like one customer. */
export interface ProbeSession {
  /** Throws MissingValueError when a template needs a value this run does not have. */
  prepare(step: Step, render: StepRenderer): PreparedStep;
  close(): Promise<void>;
}

/** Where a run probes: the channel as configured, and its base URL rendered. */
export interface ProbeTarget {
  channel: Channel;
  baseUrl: string;
  location: string;
}

export type Prober = (target: ProbeTarget) => ProbeSession;
