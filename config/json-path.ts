// A deliberately small JSON path subset ($.a.b[0].c, $["key"]): what channel APIs need for
// extraction and assertions, without a dependency that evaluates expressions.

export type JsonPathSegment = string | number;

export function compileJsonPath(path: string): JsonPathSegment[] {
  if (!path.startsWith('$')) throw new Error(`JSON path must start with $: ${path}`);
  const segments: JsonPathSegment[] = [];
  const re = /\.([A-Za-z_$][A-Za-z0-9_$-]*)|\[(\d+)\]|\["([^"\]]+)"\]/y;
  re.lastIndex = 1;
  while (re.lastIndex < path.length) {
    const start = re.lastIndex;
    const m = re.exec(path);
    if (!m) throw new Error(`bad JSON path at character ${start}: ${path}`);
    if (m[1] !== undefined) segments.push(m[1]);
    else if (m[2] !== undefined) segments.push(Number(m[2]));
    else segments.push(m[3] as string);
  }
  return segments;
}

/** The value at the path, or undefined when any segment is missing. */
export function readJsonPath(value: unknown, segments: readonly JsonPathSegment[]): unknown {
  let current: unknown = value;
  for (const segment of segments) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

// Paths come from the config, a few dozen at most, and are read on every probe: compile each once.
const compiled = new Map<string, JsonPathSegment[]>();
/** `compileJsonPath`, memoised per path string. */
export function compiledJsonPath(path: string): JsonPathSegment[] {
  let segments = compiled.get(path);
  if (!segments) {
    segments = compileJsonPath(path);
    compiled.set(path, segments);
  }
  return segments;
}
