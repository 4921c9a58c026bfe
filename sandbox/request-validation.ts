// How the sandbox checks request bodies and path parameters: TypeBox schemas compiled per route,
// no type coercion (a rate of "0.5" is a string, not a number), and every problem named by its
// field in words an operator can act on (`amount: must be <= 500`).
import type { FastifySchemaCompiler } from 'fastify';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { childPath, pointerToPath } from '../config/index.js';
import type { SandboxProblem } from './errors.js';

/** A request part that failed its schema; the scope's error handler turns it into its own answer shape. */
export class RequestInvalid extends Error {
  readonly statusCode = 400;
  constructor(readonly problems: readonly SandboxProblem[]) {
    super(problems.map((p) => `${p.path}: ${p.message}`).join('; '));
    this.name = 'RequestInvalid';
  }
}

export const typeboxValidatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema }) => {
  const validator = Compile(schema);
  return (value: unknown) => (validator.Check(value) ? { value } : { error: new RequestInvalid(describeSchemaErrors(validator.Errors(value), schema)) });
};

interface SchemaError {
  keyword: string;
  schemaPath: string;
  instancePath: string;
  params: unknown;
  message: string;
}

/**
 * Problems named by field. A string schema may carry `formatHint` (what its pattern means), since
 * a regular expression is no help to the person who sent the request.
 */
export function describeSchemaErrors(errors: Iterable<SchemaError>, root: unknown): SandboxProblem[] {
  const out: SandboxProblem[] = [];
  const seen = new Set<string>();
  const push = (path: string, message: string) => {
    const where = path === '' ? '(body)' : path;
    const key = `${where}\u0000${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ path: where, message });
  };
  for (const error of errors) {
    const base = pointerToPath(error.instancePath);
    const params = (error.params ?? {}) as Record<string, unknown>;
    const child = (name: string) => childPath(base, name);
    switch (error.keyword) {
      // TypeBox reports an extra property twice; the additionalProperties entry names it.
      case 'boolean':
        break;
      case 'additionalProperties':
        for (const name of (params.additionalProperties as string[] | undefined) ?? []) push(child(name), 'unknown field');
        break;
      case 'required':
        for (const name of (params.requiredProperties as string[] | undefined) ?? []) push(child(name), 'is required');
        break;
      case 'enum':
        push(base, `must be one of ${((params.allowedValues as unknown[] | undefined) ?? []).join(', ')}`);
        break;
      case 'pattern':
        push(base, formatHint(root, error.schemaPath) ?? `must match ${String(params.pattern)}`);
        break;
      case 'type':
        push(base, base === '' && params.type === 'object' ? 'a JSON object body is required' : `must be ${article(String(params.type))}`);
        break;
      default:
        push(base, error.message);
    }
  }
  return out;
}

function formatHint(root: unknown, schemaPath: string): string | undefined {
  let node = root;
  for (const part of schemaPath.replace(/^#\/?/, '').split('/').filter(Boolean)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  const hint = node !== null && typeof node === 'object' ? (node as { formatHint?: unknown }).formatHint : undefined;
  return typeof hint === 'string' ? hint : undefined;
}

function article(type: string): string {
  if (type === 'integer') return 'a whole number';
  if (type === 'object' || type === 'array') return `an ${type}`;
  return `a ${type}`;
}
