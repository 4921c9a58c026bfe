// Every error the config folder raises, with a stable code. docs/errors.md lists them; a test keeps both in step.

export const ConfigErrorCodes = {
  CH_CONFIG_READ: 'The config file could not be read.',
  CH_CONFIG_PARSE: 'The config file is not valid YAML, or its aliases expand too far.',
  CH_CONFIG_TOO_LARGE: 'The config file is larger than a config may be; refused before it is parsed.',
  CH_CONFIG_INVALID: 'The config file breaks the schema or a cross-reference rule; every problem is listed with its path.',
  CH_SECRET_MISSING: 'A secret reference names an environment variable that is unset or a file that cannot be read.',
} as const;

export type ConfigErrorCode = keyof typeof ConfigErrorCodes;

/** One problem in the config, named by its path (`checks[3].steps[1].request.url`). */
export interface ConfigProblem {
  path: string;
  message: string;
}

/** Problems printed before "… and N more": junk that breaks a rule ten thousand times says so in a screen. */
const MAX_PRINTED_PROBLEMS = 100;
/** A path or message longer than this is cut: a 300 KB URL echoed back helps no one. */
const MAX_TEXT = 300;

function clip(text: string): string {
  return text.length <= MAX_TEXT ? text : `${text.slice(0, MAX_TEXT)}… (${text.length - MAX_TEXT} more characters)`;
}

function line(p: ConfigProblem): string {
  return p.path ? `${clip(p.path)}: ${clip(p.message)}` : clip(p.message);
}

export class ConfigError extends Error {
  readonly code: ConfigErrorCode;
  readonly problems: readonly ConfigProblem[];
  readonly source: string;

  constructor(code: ConfigErrorCode, source: string, problems: readonly ConfigProblem[]) {
    super(`${source}: ${problems.slice(0, MAX_PRINTED_PROBLEMS).map(line).join('; ')}${more(problems.length)}`);
    this.name = 'ConfigError';
    this.code = code;
    this.source = source;
    this.problems = problems;
  }

  /** The multi-line form printed by the CLI: one problem a line, path first. */
  describe(): string {
    const lines = this.problems.slice(0, MAX_PRINTED_PROBLEMS).map((p) => `  ${line(p)}`);
    const rest = more(this.problems.length);
    if (rest) lines.push(`  ${rest.trim()}`);
    return `${this.code}: ${this.source}: ${this.problems.length} problem${this.problems.length === 1 ? '' : 's'}\n${lines.join('\n')}`;
  }
}

function more(count: number): string {
  return count > MAX_PRINTED_PROBLEMS ? ` … and ${count - MAX_PRINTED_PROBLEMS} more` : '';
}
