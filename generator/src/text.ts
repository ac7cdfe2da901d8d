/**
 * Rules for user-chosen text that reaches generated files or problem reports: which characters
 * can never be shown on one line (line breaks, other control characters, bidirectional overrides
 * that make code read differently from how it runs), and how to show them instead.
 */

/**
 * Code points a one-line text must not hold: C0/C1 controls (newline, carriage return, tab, ...),
 * the Arabic letter mark and left-to-right/right-to-left marks, the Unicode line and paragraph
 * separators (line terminators in JavaScript), bidirectional embeddings, overrides and isolates
 * ("Trojan Source"), and the byte-order mark.
 */
const UNSAFE_RANGES: readonly (readonly [number, number])[] = [
  [0x00, 0x1f],
  [0x7f, 0x9f],
  [0x61c, 0x61c],
  [0x200e, 0x200f],
  [0x2028, 0x2029],
  [0x202a, 0x202e],
  [0x2066, 0x2069],
  [0xfeff, 0xfeff],
];

function isUnsafe(char: string): boolean {
  const code = char.codePointAt(0) ?? 0;
  return UNSAFE_RANGES.some(([low, high]) => code >= low && code <= high);
}

/** Whether `text` holds a character that cannot stand on one line of a generated file. */
export function hasUnsafeChar(text: string): boolean {
  for (const char of text) {
    if (isUnsafe(char)) {
      return true;
    }
  }
  return false;
}

const NAMED: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** `text` with every unsafe character written as `\u{XXXX}` (`\n`, `\r`, `\t` by name). */
export function showText(text: string): string {
  if (!hasUnsafeChar(text)) {
    return text;
  }
  let out = "";
  for (const char of text) {
    out += !isUnsafe(char)
      ? char
      : (NAMED[char] ??
        `\\u{${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}}`);
  }
  return out;
}
