// Bounds on the config file itself, checked before the YAML is composed into a document: a
// config is a hand-written file of a few thousand lines, and a file far beyond that is a mistake
// or an attack that must be refused in milliseconds, not after seconds and gigabytes of parsing.
// docs/config.md ("Limits") says why these numbers.
import { Lexer } from 'yaml';
import type { ConfigProblem } from './errors.js';
import { childPath } from './paths.js';

/** 1 MiB: about 50 times the shipped channel-health.yaml (21 KiB, 32 checks); read no further. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/**
 * YAML tokens (scalars, indicators, line breaks) the lexer may meet: about 35 times the shipped
 * config's 2,836. Composing a document costs memory per node, so this, not the byte count, bounds
 * the parse: a 1 MiB list of one-character items is half a million nodes.
 */
export const MAX_CONFIG_TOKENS = 100_000;
/** Nesting of mappings and lists; the deepest shipped field is 8 levels down. */
export const MAX_CONFIG_DEPTH = 64;
/** Aliases the YAML library may resolve, weighted by the size of what they copy (its own default). */
export const MAX_YAML_ALIASES = 100;

/** The size problem of a file of `bytes` bytes, or null. */
export function sizeProblem(bytes: number): ConfigProblem | null {
  if (bytes <= MAX_CONFIG_BYTES) return null;
  return { path: '', message: `the file is ${bytes} bytes; a config may be at most ${MAX_CONFIG_BYTES} bytes (1 MiB)` };
}

/** Counts the lexer's tokens, stopping at the limit: constant memory, no document built. */
export function tokenProblem(text: string): ConfigProblem | null {
  let tokens = 0;
  let line = 1;
  for (const token of new Lexer().lex(text)) {
    for (let i = token.indexOf('\n'); i !== -1; i = token.indexOf('\n', i + 1)) line++;
    if (++tokens > MAX_CONFIG_TOKENS) {
      return { path: `line ${line}`, message: `more than ${MAX_CONFIG_TOKENS} YAML tokens so far; a config may have at most ${MAX_CONFIG_TOKENS} (about 35 times the shipped one)` };
    }
  }
  return null;
}

/** The first place nested deeper than MAX_CONFIG_DEPTH, found without recursion. */
export function depthProblem(value: unknown): ConfigProblem | null {
  const stack: Array<{ value: unknown; depth: number; at: string }> = [{ value, depth: 0, at: '' }];
  while (stack.length > 0) {
    const top = stack.pop() as { value: unknown; depth: number; at: string };
    if (top.value === null || typeof top.value !== 'object') continue;
    if (top.depth >= MAX_CONFIG_DEPTH) return { path: top.at, message: `nested more than ${MAX_CONFIG_DEPTH} levels deep; a config needs far fewer` };
    const array = Array.isArray(top.value);
    for (const [key, child] of Object.entries(top.value)) stack.push({ value: child, depth: top.depth + 1, at: array ? `${top.at}[${key}]` : childPath(top.at, key) });
  }
  return null;
}
