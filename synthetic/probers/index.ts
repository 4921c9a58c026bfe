// The only place that lists transports. A channel's `transport` names one of these.
import type { Channel } from '../../config/index.js';
import { createHttpProber, type HttpProberDeps } from './http.js';
import { createSipProber, type SipProberDeps } from './sip.js';
import { createSmppProber, type SmppProberDeps } from './smpp.js';
import type { Prober } from './types.js';

export type ProberDeps = SmppProberDeps & HttpProberDeps & SipProberDeps;

export interface ProberSet {
  probers: Readonly<Record<string, Prober>>;
  /** The SMPP binds' states now (the bind-state gauge reads them). */
  bindStates(): ReturnType<ReturnType<typeof createSmppProber>['states']>;
  /** Builds what a transport would otherwise build at a channel's first probe (the SIP prompt references). */
  prepare(channels: readonly Channel[]): void;
  /** Ends what outlives a run (the SMPP binds, calls still up). */
  close(): Promise<void>;
}

/** Every transport, with what a process gives them (secrets, logger, CA bundles, the bind-state and certificate callbacks). */
export function createProbers(deps: ProberDeps = {}): ProberSet {
  const smpp = createSmppProber(deps);
  const sip = createSipProber(deps);
  return {
    probers: Object.freeze({ http: createHttpProber(deps), smpp: smpp.prober, sip: sip.prober }),
    bindStates: () => smpp.states(),
    prepare: (channels) => sip.prepare(channels),
    close: async () => {
      await Promise.all([smpp.close(), sip.close()]);
    },
  };
}

/** The transports with nothing from the process: HTTP works; an smpp channel finds no bind password, a sip trunk's challenge no password. */
export const PROBERS: Readonly<Record<string, Prober>> = createProbers().probers;
export type { CertificateObservation } from './http.js';
export type { OutboundView, PreparedStep, Prober, ProbeSession, ProbeTarget, StepOutcome, StepRenderer } from './types.js';
