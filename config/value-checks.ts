// Checks of single values that several sections share: absolute http(s) URLs and JSON paths.
import type { ConfigProblem } from './errors.js';
import { compileJsonPath } from './json-path.js';

export function checkAbsoluteUrl(text: string, where: string, problems: ConfigProblem[]): void {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    problems.push({ path: where, message: `must be an absolute URL (got "${text}")` });
    return;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') problems.push({ path: where, message: `must be an http or https URL (got "${url.protocol}")` });
}

export function tryJsonPath(p: string, where: string, problems: ConfigProblem[]): void {
  try {
    compileJsonPath(p);
  } catch (err) {
    problems.push({ path: where, message: (err as Error).message });
  }
}
