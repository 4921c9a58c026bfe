// Every error the config folder raises, with a stable code. docs/errors.md lists them; a test keeps both in step.

export const ConfigErrorCodes = {
  CH_CONFIG_READ: 'The config file could not be read.',
  CH_CONFIG_PARSE: 'The config file is not valid YAML.',
  CH_CONFIG_INVALID: 'The config file breaks the schema or a cross-reference rule; every problem is listed with its path.',
  CH_SECRET_MISSING: 'A secret reference names an environment variable that is unset or a file that cannot be read.',
} as const;

export type ConfigErrorCode = keyof typeof ConfigErrorCodes;

/** One problem in the config, named by its path (`checks[3].steps[1].request.url`). */
export interface ConfigProblem {
  path: string;
  message: string;
}

export class ConfigError extends Error {
  readonly code: ConfigErrorCode;
  readonly problems: readonly ConfigProblem[];
  readonly source: string;

  constructor(code: ConfigErrorCode, source: string, problems: readonly ConfigProblem[]) {
    super(`${source}: ${problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('; ')}`);
    this.name = 'ConfigError';
    this.code = code;
    this.source = source;
    this.problems = problems;
  }

  /** The multi-line form printed by the CLI: one problem a line, path first. */
  describe(): string {
    const lines = this.problems.map((p) => `  ${p.path ? `${p.path}: ` : ''}${p.message}`);
    return `${this.code}: ${this.source}: ${this.problems.length} problem${this.problems.length === 1 ? '' : 's'}\n${lines.join('\n')}`;
  }
}
