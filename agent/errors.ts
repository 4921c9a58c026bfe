// Errors the agent raises, declared once (contract/error-codes.ts). A push that fails is not an
// error: it is retried, counted and logged; these are for what stops the agent from starting.
import { declareErrors, errorClass, type CodeOf } from '../contract/error-codes.js';

export const AgentErrorCodes = declareErrors(
  {
    title: 'Agent',
    file: 'agent/errors.ts',
    intro:
      '`channel-health agent` prints `CODE: message` and exits with the code shown. A push that fails is not an error: it is retried with backoff, counted in the agent\'s pushes counter as `outcome="failed"` (docs/metrics.md) and logged.',
  },
  {
    CH_AGENT_NO_COLLECTOR: { exit: 2, description: 'No collector to push to: give `--collector URL[,URL…]` or `agent.collectors` in the config.' },
    CH_AGENT_NO_TOKEN: { exit: 2, description: '`agent.token` is not set; collectors refuse pushes without their bearer token.' },
    CH_AGENT_SPOOL: {
      exit: 1,
      description: 'The spool folder (`--spool` or `agent.spoolDir`) cannot be created, opened or written: permissions, disk full, or a spool written by a newer version. The message names the folder.',
    },
  },
);

export type AgentErrorCode = CodeOf<typeof AgentErrorCodes>;

export class AgentError extends errorClass(AgentErrorCodes, 'AgentError') {}
