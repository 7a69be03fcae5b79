/**
 * Offsets in a text counted two ways: in UTF-16 code units (JavaScript string indices, what the
 * canonical citation offsets are) and in UTF-8 bytes (what some providers count, Gemini's
 * grounding segments among them).
 *
 * ```ts
 * utf8Offset('né x', 3)   // 4: "n" 1 byte, "é" 2 bytes, " " 1 byte
 * utf16Offset('né x', 4)  // 3
 * ```
 * @see spec/wire/utf8-offsets.spec.ts
 */

/** The UTF-8 byte offset of UTF-16 offset `index` in `text` (clamped to the text; a lone surrogate counts 3 bytes, as it is encoded). */
export function utf8Offset(text: string, index: number): number {
  const end = Math.max(0, Math.min(text.length, index));
  let bytes = 0;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < end && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * The UTF-16 offset of UTF-8 byte offset `bytes` in `text`: clamped to the text, and a byte
 * offset inside a character's encoding counts from the end of that character.
 */
export function utf16Offset(text: string, bytes: number): number {
  let at = 0;
  let i = 0;
  while (i < text.length && at < bytes) {
    const c = text.charCodeAt(i);
    if (c < 0x80) at += 1;
    else if (c < 0x800) at += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1))) {
      at += 4;
      i++;
    } else at += 3;
    i++;
  }
  return i;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}
