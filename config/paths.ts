// How the config names things and places: the id grammar every section key, location and label
// value follows, and the `checks[3].steps[1].url` paths problems are reported at. The collector's
// ingest door and the sandbox's request validation report their problems the same way, so they
// import these rather than keep copies.

/** An id: a lower-case letter, then up to 62 lower-case letters, digits or `_` (a Prometheus label value and a file name alike). */
export const ID_PATTERN = '^[a-z][a-z0-9_]{0,62}$';
const ID = new RegExp(ID_PATTERN);

export function isConfigId(text: string): boolean {
  return ID.test(text);
}

/** `/checks/3/steps/1/url` → `checks[3].steps[1].url`. */
export function pointerToPath(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(part)) out += `[${part}]`;
    else out += out ? `.${part}` : part;
  }
  return out;
}

/** The path of field `name` under `base` (`''` is the root): `checks[0]` + `cron` → `checks[0].cron`. */
export function childPath(base: string, name: string): string {
  return base ? `${base}.${name}` : name;
}
