// The one formatter for text about subscribers (logging/mask.ts): numbers masked in every written
// form, control characters gone, and a cut that cannot leave a number whole.
import { describe, expect, it } from 'vitest';
import { maskMsisdn, maskPhoneNumbers, safeDetail, stripControlCharacters } from '../../logging/mask.js';

describe('maskPhoneNumbers', () => {
  it('masks mainland mobile numbers solid, grouped and with +86, inside any text', () => {
    expect(maskPhoneNumbers('got "13912345678"')).toBe('got "139****5678"');
    expect(maskPhoneNumbers('to +8613912345678, 86 139 1234 5678, 139-1234-5678 or 139 1234-5678')).toBe('to 139****5678, 139****5678, 139****5678 or 139****5678');
  });

  it('leaves other digit runs alone: timestamps, ids, mixed groupings, landlines, other groupings', () => {
    for (const text of ['1764110000000', '12345678901', 'SUB00000001', '010-12345678', '1391-234-5678', 'P38']) expect(maskPhoneNumbers(text)).toBe(text);
  });
});

describe('maskMsisdn', () => {
  it('masks a whole account number of any length', () => {
    expect(maskMsisdn('13900000001')).toBe('139****0001');
    expect(maskMsisdn('12345')).toBe('***45');
  });
});

describe('safeDetail', () => {
  it('strips control characters (tabs and line breaks become spaces) before masking', () => {
    expect(stripControlCharacters('a\tb\r\nc\u0000d\u001b[0m\u007f\u0085\u202ee\u2066')).toBe('a b  cd[0me');
    // A number split by a control character is found once the character is gone.
    expect(safeDetail('1391234\u00005678')).toBe('139****5678');
  });

  it('cuts to the limit without leaving a number unmasked', () => {
    // Thirteen digits are no phone number, but their first eleven would be.
    expect(safeDetail('x 1391234567890', 13)).toBe('x 139****5678');
    expect(safeDetail('a'.repeat(2000))).toHaveLength(1024);
  });
});
