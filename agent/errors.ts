// Errors the agent raises, with stable codes (docs/errors.md). A push that fails is not an
// error: it is retried, counted and logged; these are for what stops the agent from starting.
export const AgentErrorCodes = {
  CH_AGENT_NO_COLLECTOR: 'No collector to push to: give --collector URL[,URL…] or agent.collectors in the config. Exit 2.',
  CH_AGENT_NO_TOKEN: 'agent.token is not set: collectors refuse pushes without their bearer token. Exit 2.',
  CH_AGENT_SPOOL: 'The spool folder cannot be created, opened or written (permissions, disk full, a newer schema). Exit 1.',
} as const;

export type AgentErrorCode = keyof typeof AgentErrorCodes;

export class AgentError extends Error {
  readonly code: AgentErrorCode;
  constructor(code: AgentErrorCode, message: string) {
    super(message);
    this.name = 'AgentError';
    this.code = code;
  }
}
