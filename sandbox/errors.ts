// Every error the sandbox raises with a CH_ code, declared once (contract/error-codes.ts) with its
// HTTP status; docs/errors.md is generated from these declarations and
// test/unit/sandbox-docs.test.ts checks the statuses the API answers. (Channel-API business
// failures are not errors of this kind: they are the envelope codes in envelope.ts, as a real
// channel answers.)
import { ChannelHealthError, declareErrors, type CodeOf } from '../contract/error-codes.js';

export const SandboxErrorCodes = declareErrors(
  {
    title: 'Sandbox',
    file: 'sandbox/errors.ts',
    intro:
      'The fault-injection API (`/sandbox/faults`, see [sandbox.md](sandbox.md)) answers `{ "error": { "code", "message", "problems": [{ "path", "message" }] } }`; a refused request changes nothing. The channel APIs never use these codes: they answer business codes in their envelope (`4001`, `4010`, `5101`, …, listed in [sandbox.md](sandbox.md#business-codes)).',
  },
  {
    CH_SANDBOX_FAULT_INVALID: {
      status: 400,
      description:
        'The fault body breaks the schema or names an unknown backend, channel or transaction; every problem is listed with its field, e.g. `scope.backend: unknown backend "bilin" (known: billing, payment, crm)`, `latencyMs: is required with mode latency`. Nothing was changed.',
    },
    CH_SANDBOX_FAULT_NOT_FOUND: { status: 404, description: '`DELETE /sandbox/faults/:id` names no active fault (unknown, or already expired).' },
    CH_SANDBOX_FAULT_LIMIT: { status: 409, description: '1,000 faults are already active; clear some first.' },
    CH_SANDBOX_ACCOUNTS_INVALID: {
      exit: 2,
      description:
        'Raised at start, never answered: the sandbox cannot serve the test accounts (a number that is not 5–15 digits, or one number in two pools with different PINs). `channel-health sandbox` exits 2; `run` does not start.',
    },
  },
);

export type SandboxErrorCode = CodeOf<typeof SandboxErrorCodes>;

/** One problem with a request, named by its field (`scope.backend`). */
export interface SandboxProblem {
  path: string;
  message: string;
}

export class SandboxError extends ChannelHealthError {
  declare readonly code: SandboxErrorCode;
  readonly problems: readonly SandboxProblem[];

  constructor(code: SandboxErrorCode, problems: readonly SandboxProblem[]) {
    super(SandboxErrorCodes, code, problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('; '));
    this.name = 'SandboxError';
    this.problems = problems;
  }

  /** The admin API's error body. */
  toBody(): { error: { code: SandboxErrorCode; message: string; problems: readonly SandboxProblem[] } } {
    return { error: { code: this.code, message: this.message, problems: this.problems } };
  }
}
