// Reading a config file: size → YAML → schema check → cross-reference checks → normalized Config.
// Every problem is collected with its path and reported together, so a file is fixed in one pass;
// a rejected file yields no Config at all, so nothing downstream can start half-configured.
import { open } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { ConfigError, type ConfigProblem } from './errors.js';
import { depthProblem, MAX_CONFIG_BYTES, MAX_CONFIG_DEPTH, MAX_YAML_ALIASES, sizeProblem, tokenProblem } from './limits.js';
import { normalize } from './normalize.js';
import type { RawConfig } from './schema.js';
import { schemaErrors } from './schema-errors.js';
import type { Config } from './types.js';

export async function loadConfigFile(file: string): Promise<Config> {
  let bytes: Buffer;
  let size: number;
  try {
    // Read at most one byte past the limit: a huge file (or a device) is refused without reading it all.
    const handle = await open(file, 'r');
    try {
      size = (await handle.stat()).size;
      bytes = Buffer.alloc(MAX_CONFIG_BYTES + 1);
      let filled = 0;
      for (;;) {
        const { bytesRead } = await handle.read(bytes, filled, bytes.length - filled, null);
        if (bytesRead === 0) break;
        filled += bytesRead;
        if (filled === bytes.length) break;
      }
      bytes = bytes.subarray(0, filled);
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw new ConfigError('CH_CONFIG_READ', file, [{ path: '', message: (err as Error).message }]);
  }
  const tooLarge = sizeProblem(Math.max(size, bytes.length));
  if (tooLarge) throw new ConfigError('CH_CONFIG_TOO_LARGE', file, [tooLarge]);
  return parseConfig(bytes.toString('utf8'), file);
}

/** Parses and validates config text; `source` names the file in messages and generated headers. */
export function parseConfig(text: string, source: string): Config {
  const tooLarge = sizeProblem(Buffer.byteLength(text, 'utf8')) ?? tokenProblem(text);
  if (tooLarge) throw new ConfigError('CH_CONFIG_TOO_LARGE', source, [tooLarge]);
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    // After the first syntax error the parser reports cascades; the first few are the useful ones.
    throw new ConfigError(
      'CH_CONFIG_PARSE',
      source,
      doc.errors.slice(0, 3).map((e) => ({
        path: e.linePos ? `line ${e.linePos[0].line} column ${e.linePos[0].col}` : '',
        message: parserMessage(e.message),
      })),
    );
  }
  const raw = toPlainData(doc, source);
  const schemaProblems = schemaErrors(raw);
  if (schemaProblems.length > 0) throw new ConfigError('CH_CONFIG_INVALID', source, schemaProblems);
  const problems: ConfigProblem[] = [];
  const config = normalize(raw as RawConfig, source, problems);
  if (problems.length > 0) throw new ConfigError('CH_CONFIG_INVALID', source, problems);
  return config;
}

function parserMessage(message: string): string {
  const first = (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
  // The parser recurses per nesting level and reports its own stack overflow as a syntax error.
  return /Maximum call stack size exceeded/.test(first) ? `nested too deeply to parse; a config may nest at most ${MAX_CONFIG_DEPTH} levels` : first;
}

/** The document as plain data, with aliases expanded under a bound and nesting checked. */
function toPlainData(doc: ReturnType<typeof parseDocument>, source: string): unknown {
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (err) {
    // An alias bomb (a billion laughs): the library stops expanding and throws a ReferenceError.
    if (err instanceof ReferenceError && /alias/i.test(err.message)) {
      throw new ConfigError('CH_CONFIG_PARSE', source, [
        { path: '', message: `YAML aliases expand to too much data (more than the ${MAX_YAML_ALIASES} alias uses allowed, weighted by what each copies); write the values out or use fewer aliases` },
      ]);
    }
    if (err instanceof RangeError) throw new ConfigError('CH_CONFIG_PARSE', source, [{ path: '', message: `nested too deeply; a config may nest at most ${MAX_CONFIG_DEPTH} levels` }]);
    throw err;
  }
  const tooDeep = depthProblem(raw);
  if (tooDeep) throw new ConfigError('CH_CONFIG_INVALID', source, [tooDeep]);
  return raw;
}
