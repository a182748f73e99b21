/** The one helper every byte of CLI output passes through, and what a table cell gets. */
import { describe, expect, it } from 'vitest';
import { table, terminalSafe } from '../../../src/cli/output.js';

describe('terminalSafe', () => {
  it('escapes C0, DEL and C1 controls, bidi overrides, isolates and marks, and zero-width characters', () => {
    const hostile = [
      '\u0000',
      '\u0007',
      '\b',
      '\t',
      '\n',
      '\r',
      '\u001b',
      '\u007f',
      '\u0080',
      '\u0085',
      '\u009b',
      '\u009f',
      '\u061c',
      '\u200b',
      '\u200c',
      '\u200d',
      '\u200e',
      '\u200f',
      '\u202a',
      '\u202b',
      '\u202c',
      '\u202d',
      '\u202e',
      '\u2060',
      '\u2066',
      '\u2067',
      '\u2068',
      '\u2069',
      '\ufeff',
    ];
    for (const char of hostile) {
      const code = char.charCodeAt(0).toString(16).padStart(4, '0');
      expect(terminalSafe(`a${char}b`)).toBe(`a\\u${code}b`);
    }
  });

  it('keeps newlines and tabs for layout, and leaves ordinary text alone', () => {
    expect(terminalSafe('a\nb\tc\r\u202ed', { layout: true })).toBe('a\nb\tc\\u000d\\u202ed');
    const ordinary = 'Café — 東京 🔥 naïve "quoted" \\ back';
    expect(terminalSafe(ordinary)).toBe(ordinary);
    expect(terminalSafe(ordinary, { layout: true })).toBe(ordinary);
  });

  it('is idempotent, so output made safe twice reads the same', () => {
    const once = terminalSafe('x\u202ey\u001b[31m');
    expect(terminalSafe(once)).toBe(once);
  });

  it('keeps a table cell on its line and aligns by what is printed', () => {
    expect(
      table([
        ['a\u202e', 'x'],
        ['bb', 'y\nz'],
      ]),
    ).toBe('a\\u202e  x\nbb       y\\u000az\n');
  });
});
