// Reading a config file: YAML → schema check → cross-reference checks → normalized Config.
// Every problem is collected with its path and reported together, so a file is fixed in one pass;
// a rejected file yields no Config at all, so nothing downstream can start half-configured.
import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { ConfigError, type ConfigProblem } from './errors.js';
import { normalize } from './normalize.js';
import type { RawConfig } from './schema.js';
import { schemaErrors } from './schema-errors.js';
import type { Config } from './types.js';

export async function loadConfigFile(file: string): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError('CH_CONFIG_READ', file, [{ path: '', message: (err as Error).message }]);
  }
  return parseConfig(text, file);
}

/** Parses and validates config text; `source` names the file in messages and generated headers. */
export function parseConfig(text: string, source: string): Config {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    // After the first syntax error the parser reports cascades; the first few are the useful ones.
    throw new ConfigError(
      'CH_CONFIG_PARSE',
      source,
      doc.errors.slice(0, 3).map((e) => ({
        path: e.linePos ? `line ${e.linePos[0].line} column ${e.linePos[0].col}` : '',
        message: (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, ''),
      })),
    );
  }
  const raw: unknown = doc.toJS();
  const schemaProblems = schemaErrors(raw);
  if (schemaProblems.length > 0) throw new ConfigError('CH_CONFIG_INVALID', source, schemaProblems);
  const problems: ConfigProblem[] = [];
  const config = normalize(raw as RawConfig, source, problems);
  if (problems.length > 0) throw new ConfigError('CH_CONFIG_INVALID', source, problems);
  return config;
}
