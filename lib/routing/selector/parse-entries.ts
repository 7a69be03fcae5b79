import { CH, describeChar, isAlnum, isOperator, isSpace, type Cursor } from './cursor.js';

/** One `key` or `key=value` of an annotation block `[...]` or the global block `{...}`. */
export interface Entry {
  /** Lower-cased (keys are case-insensitive). */
  readonly key: string;
  /** As written, for messages. */
  readonly written: string;
  readonly keyOffset: number;
  /** Trimmed; undefined for a bare key, '' for `key=`. */
  readonly value: string | undefined;
  /** Offset of the value (or of where it would be). */
  readonly valueOffset: number;
}

export type BlockKind = 'annotation' | 'global';

const SHAPE = {
  annotation: { open: CH.openBracket, close: CH.closeBracket, name: 'annotation block', closeText: '"]"' },
  global: { open: CH.openBrace, close: CH.closeBrace, name: 'global block', closeText: '"}"' },
} as const;

/** Characters that cannot appear inside a block: they mean the block was never closed. */
function stopsBlock(c: number): boolean {
  return isOperator(c) || c === CH.openBracket || c === CH.closeBracket || c === CH.openBrace || c === CH.closeBrace;
}

/** Letters, digits, `_`, and `-` (so that `max-context` gets a "did you mean" instead of a syntax error). */
function isKeyChar(c: number): boolean {
  return isAlnum(c) || c === 0x5f || c === 0x2d;
}

/**
 * Reads `[k=v, k2]` or `{k=v}` at the cursor (which stands on the opening character) and
 * leaves the cursor after the closing one. Rejects an unclosed or empty block, an empty entry
 * (`[a,,b]`, `[a,]`) and a malformed key; the caller judges keys and values.
 *
 * ```
 * [ weight=2 , first ]   ->  [{ key: 'weight', value: '2' }, { key: 'first', value: undefined }]
 * ```
 * @see spec/routing/selector/parse-selector.spec.ts
 */
export function parseEntries(c: Cursor, kind: BlockKind): Entry[] {
  const shape = SHAPE[kind];
  const open = c.pos;
  const close = c.find(shape.close, open + 1, stopsBlock);
  if (close < 0) c.fail(`unclosed ${shape.name}: missing ${shape.closeText}`, open);
  const text = c.text;
  const entries: Entry[] = [];
  let start = open + 1;
  for (;;) {
    let end = start;
    while (end < close && text.charCodeAt(end) !== CH.comma) end++;
    entries.push(readEntry(c, start, end, open, shape.name));
    if (end >= close) break;
    start = end + 1;
  }
  c.pos = close + 1;
  return entries;
}

function readEntry(c: Cursor, start: number, end: number, open: number, name: string): Entry {
  const text = c.text;
  let from = start;
  while (from < end && isSpace(text.charCodeAt(from))) from++;
  if (from === end) {
    if (start === open + 1 && end < text.length && text.charCodeAt(end) !== CH.comma) c.fail(`empty ${name}`, open);
    c.fail(`empty entry in ${name}`, end);
  }
  let keyEnd = from;
  while (keyEnd < end && isKeyChar(text.charCodeAt(keyEnd))) keyEnd++;
  if (keyEnd === from) c.fail(`expected a key in ${name}, found ${describeChar(text.charCodeAt(from))}`, from);
  const written = text.slice(from, keyEnd);
  let at = keyEnd;
  while (at < end && isSpace(text.charCodeAt(at))) at++;
  if (at === end) return { key: written.toLowerCase(), written, keyOffset: from, value: undefined, valueOffset: keyEnd };
  if (text.charCodeAt(at) !== CH.equals) c.fail(`expected "=", "," or the end of the ${name} after "${written}", found ${describeChar(text.charCodeAt(at))}`, at);
  let valueStart = at + 1;
  while (valueStart < end && isSpace(text.charCodeAt(valueStart))) valueStart++;
  let valueEnd = end;
  while (valueEnd > valueStart && isSpace(text.charCodeAt(valueEnd - 1))) valueEnd--;
  return { key: written.toLowerCase(), written, keyOffset: from, value: text.slice(valueStart, valueEnd), valueOffset: valueStart };
}
