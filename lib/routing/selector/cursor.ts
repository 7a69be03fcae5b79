import { columnOf, SelectorError } from './selector-error.js';

/** Character codes the selector grammar gives a meaning to. */
export const CH = {
  tab: 0x09, lf: 0x0a, cr: 0x0d, space: 0x20,
  bang: 0x21, comma: 0x2c, colon: 0x3a, equals: 0x3d,
  question: 0x3f, openBracket: 0x5b, closeBracket: 0x5d, caret: 0x5e, openBrace: 0x7b, pipe: 0x7c, closeBrace: 0x7d,
} as const;

/** `|`, `^` or `!`: the characters that end a leaf. */
export function isOperator(c: number): boolean {
  return c === CH.pipe || c === CH.caret || c === CH.bang;
}

export function isSpace(c: number): boolean {
  return c === CH.space || c === CH.tab || c === CH.lf || c === CH.cr;
}

/** C0 controls and DEL (whitespace is checked separately). */
export function isControl(c: number): boolean {
  return c < 0x20 || c === 0x7f;
}

export function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

export function isAlnum(c: number): boolean {
  return isDigit(c) || (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
}

/**
 * A read position over the selector text: one pass, left to right, by character code (no
 * regular expressions, so no backtracking). `fail` throws a SelectorError at an offset.
 */
export class Cursor {
  pos = 0;
  /** Whether the text has surrogate pairs (then code points and code units differ). */
  private astral: boolean | undefined;

  constructor(readonly text: string) {}

  /** 1-based column, in code points, of an offset; O(1) for texts without astral characters. */
  column(offset: number): number {
    if (this.astral === undefined) {
      this.astral = false;
      for (let i = 0; i < this.text.length && !this.astral; i++) {
        const c = this.text.charCodeAt(i);
        this.astral = c >= 0xd800 && c <= 0xdfff;
      }
    }
    return this.astral ? columnOf(this.text, offset) : offset + 1;
  }

  get atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  /** The code at the position, or -1 at the end. */
  peek(): number {
    return this.pos < this.text.length ? this.text.charCodeAt(this.pos) : -1;
  }

  skipSpaces(): void {
    while (this.pos < this.text.length && isSpace(this.text.charCodeAt(this.pos))) this.pos++;
  }

  /** Offset of the first `close` at or after `from` that comes before any of `stops`; -1 if none. */
  find(close: number, from: number, stops: (c: number) => boolean): number {
    for (let i = from; i < this.text.length; i++) {
      const c = this.text.charCodeAt(i);
      if (c === close) return i;
      if (stops(c)) return -1;
    }
    return -1;
  }

  fail(reason: string, offset: number = this.pos): never {
    throw SelectorError.at(this.text, offset, reason);
  }
}

/** A character for messages, after "unexpected" or "found": printable as itself, else as `U+XXXX`. */
export function describeChar(c: number): string {
  if (c < 0) return 'the end';
  if (isSpace(c)) return 'whitespace';
  if (isControl(c)) return `control character U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
  return `"${String.fromCharCode(c)}"`;
}
