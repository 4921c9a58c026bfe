// The only place that lists transports. A channel's `transport` names one of these.
import { httpProber } from './http.js';
import type { Prober } from './types.js';

export const PROBERS: Readonly<Record<string, Prober>> = Object.freeze({ http: httpProber });
export type { OutboundView, PreparedStep, Prober, ProbeSession, ProbeTarget, StepOutcome, StepRenderer } from './types.js';
