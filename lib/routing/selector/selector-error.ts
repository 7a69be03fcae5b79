import { LipError } from '../../errors/index.js';

const MAX_REASON_CHARS = 300;

/**
 * A selector that cannot be used: `LIP_ERR_ROUTE_INVALID_SELECTOR`, HTTP 400. Carries the
 * 1-based `column` (in code points of the text that was parsed, i.e. after aliases) and the
 * bare `reason`; the message reads `invalid route selector at column 7: <reason>`.
 *
 * ```ts
 * try { parseSelector('a:m!!b:m'); } catch (e) { e.column === 5; e.reason === 'empty race leg between two "!"'; }
 * ```
 * @see spec/routing/selector/parse-selector.spec.ts
 */
export class SelectorError extends LipError {
  readonly column: number;
  readonly reason: string;
  /** The selector text the column refers to. */
  readonly selector: string;

  constructor(selector: string, column: number, reason: string) {
    // Reasons quote the offending text; keep a hostile 64 KiB selector out of logs and bodies.
    if (reason.length > MAX_REASON_CHARS) reason = `${reason.slice(0, MAX_REASON_CHARS - 3)}...`;
    super('LIP_ERR_ROUTE_INVALID_SELECTOR', `invalid route selector at column ${column}: ${reason}`, { detail: { selector, column } });
    this.column = column;
    this.reason = reason;
    this.selector = selector;
  }

  /** The error for a code-unit offset into `text` (columns count code points). */
  static at(text: string, offset: number, reason: string): SelectorError {
    return new SelectorError(text, columnOf(text, offset), reason);
  }
}

export function isSelectorError(err: unknown): err is SelectorError {
  return err instanceof SelectorError;
}

/** 1-based column, in code points, of a code-unit offset (clamped to one past the end). */
export function columnOf(text: string, offset: number): number {
  const end = Math.max(0, Math.min(offset, text.length));
  let column = 1;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < end) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    column++;
  }
  return column;
}
