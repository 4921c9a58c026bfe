// The grammar of `{{ root.path }}` templates, shared by config validation (which checks every
// reference before anything runs) and the probe engine (which renders them).

export type TemplatePart = { kind: 'text'; text: string } | { kind: 'ref'; root: string; path: string[]; source: string };

/** Variable roots a template may name. `vars` are values extracted by earlier steps. */
export const TEMPLATE_ROOTS = ['channel', 'transaction', 'account', 'vars', 'run', 'secrets', 'sandbox'] as const;

const REF = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*\}\}/g;

/** Splits a template into literal text and references; throws on an unclosed or malformed `{{`. */
export function parseTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const match of template.matchAll(REF)) {
    const index = match.index ?? 0;
    if (index > last) parts.push({ kind: 'text', text: template.slice(last, index) });
    const [root, ...path] = (match[1] as string).split('.');
    parts.push({ kind: 'ref', root: root as string, path, source: match[0] });
    last = index + match[0].length;
  }
  if (last < template.length) parts.push({ kind: 'text', text: template.slice(last) });
  for (const part of parts) {
    if (part.kind === 'text' && (part.text.includes('{{') || part.text.includes('}}'))) {
      throw new Error(`malformed template reference in "${template}"`);
    }
  }
  return parts;
}

/** Every string inside a JSON value, with where it sits, so body templates are validated like URLs. */
export function* templateStrings(value: unknown, path = ''): Generator<{ path: string; text: string }> {
  if (typeof value === 'string') yield { path, text: value };
  else if (Array.isArray(value)) for (const [i, item] of value.entries()) yield* templateStrings(item, `${path}[${i}]`);
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) yield* templateStrings(v, `${path}.${k}`);
}
