// The one formatter for text that leaves the process about a subscriber: log records, result
// details, journal entries. Subscriber numbers are masked (enough to tell test accounts apart,
// not enough to dial) and control characters removed (a detail may quote a channel's answer or
// come from a pushed result, and a terminal or a log viewer must not act on what it carries).

// Mainland mobile numbers (11 digits starting 1[3-9]), with or without +86/86, inside any text,
// written solid or grouped 3-4-4 by single spaces or hyphens.
const PHONE = /(?<![0-9])(?:\+?86[ -]?)?(1[3-9][0-9])[ -]?([0-9]{4})[ -]?([0-9]{4})(?![0-9])/g;

// C0 and C1 controls, DEL, line and paragraph separators, and the bidirectional overrides and
// isolates that make text display in another order than it reads.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** 13912345678 → 139****5678, anywhere in the text. */
export function maskPhoneNumbers(text: string): string {
  return text.replace(PHONE, (_m, head: string, _mid: string, tail: string) => `${head}****${tail}`);
}

/** A whole account number, of any length: 13900000001 → 139****0001, 12345 → ***45. */
export function maskMsisdn(msisdn: string): string {
  if (msisdn.length >= 9) return `${msisdn.slice(0, 3)}${'*'.repeat(msisdn.length - 7)}${msisdn.slice(-4)}`;
  return `${'*'.repeat(Math.max(0, msisdn.length - 2))}${msisdn.slice(-2)}`;
}

/** Tabs and line breaks become spaces (a detail is one line); every other control character goes. */
export function stripControlCharacters(text: string): string {
  return text.replace(CONTROL, (c) => (c === '\t' || c === '\n' || c === '\r' || c === '\u2028' || c === '\u2029' ? ' ' : ''));
}

/** Default length of a detail: the ProbeResult schema's and the journal's limit. */
export const DETAIL_MAX_LENGTH = 1024;

/**
 * A detail as it may be stored and served: control characters stripped, subscriber numbers
 * masked, at most `max` characters. Masking comes after stripping, so a number split by a
 * control character is still found.
 */
export function safeDetail(text: string, max = DETAIL_MAX_LENGTH): string {
  const clean = maskPhoneNumbers(stripControlCharacters(text));
  if (clean.length <= max) return clean;
  // Cutting a longer digit run (not a number) can leave exactly eleven digits: mask again.
  return maskPhoneNumbers(clean.slice(0, max));
}
