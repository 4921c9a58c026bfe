// The parts of docs/metrics.md rendered from the contract, between markers, so the page cannot
// drift from the names the code uses (`npm run docs` rewrites them; a unit test compares).
import { RECORDING_RULES, WINDOW_PLACEHOLDERS, documentedName } from './recording-rules.js';

export const BEGIN_RECORDING_RULES = '<!-- recording rules: rendered from contract/recording-rules.ts by `npm run docs`; do not edit -->';
export const END_RECORDING_RULES = '<!-- end of recording rules -->';

export function renderRecordingRules(): string {
  const used = new Set(RECORDING_RULES.map((r) => r.window).filter((w) => w !== null));
  const placeholders = Object.entries(WINDOW_PLACEHOLDERS)
    .filter(([p]) => used.has(p as keyof typeof WINDOW_PLACEHOLDERS))
    .map(([p, meaning]) => `\`<${p}>\` = ${meaning}`);
  return [
    BEGIN_RECORDING_RULES,
    `Windows in the names: ${placeholders.join('; ')}.`,
    '',
    '| record | labels | value |',
    '| --- | --- | --- |',
    ...RECORDING_RULES.map((r) => `| \`${documentedName(r)}\` | ${r.labels.join(', ')} | ${r.value} |`),
    END_RECORDING_RULES,
  ].join('\n');
}

/** `page` with its recording-rules block replaced by a fresh rendering; throws when the markers are missing. */
export function withRecordingRules(page: string): string {
  const start = page.indexOf(BEGIN_RECORDING_RULES);
  const end = page.indexOf(END_RECORDING_RULES);
  if (start < 0 || end < start) throw new Error('docs/metrics.md has no recording-rules markers');
  return page.slice(0, start) + renderRecordingRules() + page.slice(end + END_RECORDING_RULES.length);
}
