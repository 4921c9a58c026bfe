// TypeBox's schema errors reshaped into one problem per path, in the words a config author needs:
// an extra field is "unknown field", a missing one "is required", and a union that fits no branch
// says so once instead of listing every branch's complaint.
import { Settings } from 'typebox/system';
import { Value } from 'typebox/value';
import type { ConfigProblem } from './errors.js';
import { childPath, pointerToPath } from './paths.js';
import { ConfigSchema } from './schema.js';

/**
 * Schema errors TypeBox may report for one config. Its default is 8, process-wide: a file with
 * eight unknown fields then got eight `boolean` errors and no `additionalProperties` one, and was
 * accepted. Raised only while the config is checked (synchronously), bounded since the file is.
 */
export const MAX_SCHEMA_ERRORS = 1000;

function allErrors(raw: unknown): ReturnType<typeof Value.Errors> {
  const before = Settings.Get().maxErrors;
  Settings.Set({ maxErrors: MAX_SCHEMA_ERRORS });
  try {
    return Value.Errors(ConfigSchema, raw);
  } finally {
    Settings.Set({ maxErrors: before });
  }
}

export function schemaErrors(raw: unknown): ConfigProblem[] {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return [{ path: '', message: 'the config must be a YAML mapping' }];
  }
  const seen = new Set<string>();
  const problems: ConfigProblem[] = [];
  for (const error of allErrors(raw)) {
    let where = pointerToPath(error.instancePath);
    // TypeBox reports an extra property twice: as the `false` schema of additionalProperties, at
    // the property's own path, and as additionalProperties on its parent. Either names it.
    if (error.keyword === 'boolean') {
      if (error.schemaPath.endsWith('/additionalProperties')) push(where, 'unknown field');
      continue;
    }
    let message = error.message;
    if (error.keyword === 'additionalProperties') {
      const extra = (error.params as { additionalProperties?: string[] }).additionalProperties ?? [];
      for (const name of extra) push(childPath(where, name), 'unknown field');
      continue;
    }
    if (error.keyword === 'anyOf' || error.keyword === 'oneOf') message = 'does not match any allowed form';
    if (error.keyword === 'required') {
      const missing = (error.params as { requiredProperties?: string[] }).requiredProperties ?? [];
      for (const name of missing) push(childPath(where, name), 'is required');
      continue;
    }
    if (where === '') where = '(root)';
    push(where, message);
  }
  // A union failure also reports each branch's own complaint; the branch noise hides the point.
  const shaped = dropBranchNoise(problems);
  // Whatever TypeBox reports or leaves out, an invalid config is never accepted.
  if (shaped.length === 0 && !Value.Check(ConfigSchema, raw)) return [{ path: '(root)', message: 'does not match the schema' }];
  return shaped;

  function push(where: string, message: string) {
    const key = `${where}\u0000${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    problems.push({ path: where, message });
  }
}

function dropBranchNoise(problems: ConfigProblem[]): ConfigProblem[] {
  const unionPaths = problems.filter((p) => p.message === 'does not match any allowed form').map((p) => p.path);
  return problems.filter(
    (p) => p.message === 'does not match any allowed form' || !unionPaths.some((u) => p.path === u || p.path.startsWith(`${u}.`) || p.path.startsWith(`${u}[`)),
  );
}
