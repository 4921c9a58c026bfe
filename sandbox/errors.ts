// Every error the sandbox raises with a CH_ code, its HTTP status and meaning. docs/errors.md lists
// them; test/unit/sandbox-docs.test.ts keeps both in step. (Channel-API business failures are
// not errors of this kind: they are the envelope codes in envelope.ts, as a real channel answers.)

export const SandboxErrorCodes = {
  CH_SANDBOX_FAULT_INVALID: {
    status: 400,
    description: 'A fault-injection request breaks the schema or names an unknown backend, channel or transaction; every problem is listed with its field. Nothing was changed.',
  },
  CH_SANDBOX_FAULT_NOT_FOUND: { status: 404, description: 'DELETE /sandbox/faults/:id names a fault that does not exist (or has already expired).' },
  CH_SANDBOX_FAULT_LIMIT: { status: 409, description: 'Too many faults are active at once; clear some before adding more.' },
  CH_SANDBOX_ACCOUNTS_INVALID: {
    status: 500,
    description: 'The sandbox was started with test accounts it cannot serve: a number that is not 5 to 15 digits, or the same number twice with different PINs.',
  },
} as const;

export type SandboxErrorCode = keyof typeof SandboxErrorCodes;

/** One problem with a request, named by its field (`scope.backend`). */
export interface SandboxProblem {
  path: string;
  message: string;
}

export class SandboxError extends Error {
  readonly code: SandboxErrorCode;
  readonly statusCode: number;
  readonly problems: readonly SandboxProblem[];

  constructor(code: SandboxErrorCode, problems: readonly SandboxProblem[]) {
    super(problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('; '));
    this.name = 'SandboxError';
    this.code = code;
    this.statusCode = SandboxErrorCodes[code].status;
    this.problems = problems;
  }

  /** The admin API's error body. */
  toBody(): { error: { code: SandboxErrorCode; message: string; problems: readonly SandboxProblem[] } } {
    return { error: { code: this.code, message: this.message, problems: this.problems } };
  }
}
