// Every error the config folder raises, declared once (contract/error-codes.ts); docs/errors.md
// is generated from these declarations.
import { ChannelHealthError, declareErrors, type CodeOf } from '../contract/error-codes.js';

export const ConfigErrorCodes = declareErrors(
  { title: 'Config', file: 'config/errors.ts' },
  {
    CH_CONFIG_READ: { exit: 2, description: 'The config file could not be read (missing, permissions).' },
    CH_CONFIG_PARSE: {
      exit: 2,
      description:
        'The file is not valid YAML; the first syntax errors are listed with line and column. Also a file whose aliases would expand too far (an alias bomb) or that nests too deeply to parse.',
    },
    CH_CONFIG_TOO_LARGE: { exit: 2, description: 'The file is over a config\'s limits (1 MiB, 100000 YAML tokens; docs/config.md, "Limits"): refused before it is parsed.' },
    CH_CONFIG_INVALID: {
      exit: 2,
      description:
        'The file breaks the schema or a cross-reference rule (unknown channel, duplicate id, bad cron, timeout not below the interval, a template variable no earlier step extracts, …). Every problem is listed with its path, e.g. `checks[3].steps[1].request.url: must be an absolute URL`.',
    },
    CH_SECRET_MISSING: {
      exit: 2,
      description:
        'A secret reference names an unset environment variable or an unreadable file. Checked at start, before anything listens, and by `check-config` (each missing one named with its path; `--no-secrets` skips it).',
    },
  },
);

export type ConfigErrorCode = CodeOf<typeof ConfigErrorCodes>;

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

export class ConfigError extends ChannelHealthError {
  declare readonly code: ConfigErrorCode;
  readonly problems: readonly ConfigProblem[];
  readonly source: string;

  constructor(code: ConfigErrorCode, source: string, problems: readonly ConfigProblem[]) {
    super(ConfigErrorCodes, code, `${source}: ${problems.slice(0, MAX_PRINTED_PROBLEMS).map(line).join('; ')}${more(problems.length)}`);
    this.name = 'ConfigError';
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
