import type { Arm, GlobalOptions, Leaf, Selector } from './ast.js';
import { CH, Cursor, isOperator } from './cursor.js';
import { parseAnnotations, type Annotations } from './parse-annotations.js';
import { parseGlobal } from './parse-global.js';
import { parseLeaf, type LeafBody } from './parse-leaf.js';
import { SelectorError } from './selector-error.js';

/** Longest selector accepted (a header or model string), in UTF-16 code units. */
export const MAX_SELECTOR_CHARS = 64 * 1024;
/** Most legs one race (`!`) may have. */
export const MAX_RACE_LEGS = 16;
/** Most failover arms (`|`) one selector may have. */
export const MAX_ARMS = 64;
/** Most branches one weighted choice (`^`) may have. */
export const MAX_BRANCHES = 64;

const NO_GLOBAL: GlobalOptions = Object.freeze({});

interface Part {
  readonly offset: number;
  readonly annotations: Annotations;
  readonly body: LeafBody;
}

const EMPTY_PART: Readonly<Record<number, string>> = {
  [CH.pipe]: 'empty failover arm',
  [CH.caret]: 'empty weighted branch',
  [CH.bang]: 'empty race leg',
};

/**
 * Parses a route selector (CONTRACT section 5) into its AST, in one left-to-right pass with no
 * regular expressions. Whitespace around tokens is ignored; columns in errors are 1-based.
 *
 * ```
 * selector := [ "{" global ("," global)* "}" ] arm ( "|" arm )*
 * arm      := branch ( "^" branch )*  |  leg ( "!" leg )*          (a race has at most 16 legs)
 *                                      (at most 64 arms, at most 64 weighted branches per arm)
 * branch, leg := annotation* leaf        annotation := "[" key[=value] ("," key[=value])* "]"
 * leaf     := [ backend ":" ] model [ "?" query ]
 * ```
 * ```ts
 * parseSelector('[weight=3]a:m1^b:m2 | c:m3').arms.map((arm) => arm.type)  // ['weighted', 'single']
 * parseSelector('a:m!!b:m')                                               // throws SelectorError, column 5
 * ```
 * @throws SelectorError (LIP_ERR_ROUTE_INVALID_SELECTOR, 400) with the column and reason.
 * @see spec/routing/selector/parse-selector.spec.ts
 */
export function parseSelector(text: string): Selector {
  if (text.length > MAX_SELECTOR_CHARS) throw SelectorError.at(text, MAX_SELECTOR_CHARS, `the selector is longer than ${MAX_SELECTOR_CHARS} characters`);
  const c = new Cursor(text);
  c.skipSpaces();
  if (c.atEnd) c.fail('empty selector', 0);
  let global = NO_GLOBAL;
  if (c.peek() === CH.openBrace) {
    global = parseGlobal(c);
    if (c.atEnd) c.fail('missing route after the global block');
  }
  const arms: Arm[] = [];
  let separator = -1;
  for (;;) {
    c.skipSpaces(); // the column of a refused arm is the arm's, not the whitespace's before it
    if (arms.length === MAX_ARMS) c.fail(`a selector has at most ${MAX_ARMS} failover arms; this is arm ${MAX_ARMS + 1}`);
    arms.push(parseArm(c, separator));
    if (c.atEnd) break;
    separator = c.pos; // on "|": parseArm stops only there or at the end
    c.pos++;
  }
  return { text, global, arms };
}

/** One failover arm: branches joined by one kind of operator, up to the next `|`. */
function parseArm(c: Cursor, armSeparator: number): Arm {
  const parts: Part[] = [];
  let op = 0;
  let separator = armSeparator;
  let separatorChar: number = CH.pipe;
  for (;;) {
    c.skipSpaces();
    if (c.atEnd || isOperator(c.peek())) failEmpty(c, separator, separatorChar);
    const offset = c.pos;
    if (op === CH.bang && parts.length === MAX_RACE_LEGS) c.fail(`a race has at most ${MAX_RACE_LEGS} legs; this is leg ${MAX_RACE_LEGS + 1}`, offset);
    if (op === CH.caret && parts.length === MAX_BRANCHES) c.fail(`a weighted choice has at most ${MAX_BRANCHES} branches; this is branch ${MAX_BRANCHES + 1}`, offset);
    const annotations = parseAnnotations(c);
    if (c.atEnd || isOperator(c.peek())) c.fail('missing leaf after the annotations');
    parts.push({ offset, annotations, body: parseLeaf(c) });
    const ch = c.peek();
    if (ch !== CH.caret && ch !== CH.bang) break;
    if (op !== 0 && op !== ch) {
      c.fail('cannot mix "!" (race) and "^" (weighted choice) in one arm; separate the two with "|"');
    }
    op = ch;
    separator = c.pos;
    separatorChar = ch;
    c.pos++;
  }
  return buildArm(c, op, parts);
}

function failEmpty(c: Cursor, separator: number, separatorChar: number): never {
  if (separator < 0) c.fail(`${EMPTY_PART[c.peek()]!} before the first "${c.text[c.pos]}"`);
  const what = EMPTY_PART[separatorChar]!;
  if (c.atEnd) c.fail(`${what} after the last "${c.text[separator]}"`, separator);
  c.fail(`${what} between "${c.text[separator]}" and "${c.text[c.pos]}"`);
}

/** Classifies the arm and applies the scope rules of its annotations, left to right. */
function buildArm(c: Cursor, op: number, parts: readonly Part[]): Arm {
  if (op === CH.bang) {
    for (const { annotations: { at } } of parts) {
      if (at.weight !== undefined) c.fail('weight belongs to weighted branches ("^"), not to race legs ("!")', at.weight);
      if (at.first !== undefined) c.fail('first belongs to weighted branches ("^"), not to race legs ("!")', at.first);
    }
    return { type: 'race', legs: parts.map((p) => ({ leaf: leafOf(p), handicapMs: p.annotations.handicapMs ?? 0 })) };
  }
  const weighted = op === CH.caret || parts[0]!.annotations.weight !== undefined || parts[0]!.annotations.first === true;
  let first = -1;
  for (const { annotations: { at } } of parts) {
    if (at.handicap !== undefined) c.fail('handicap applies only to race legs ("!")', at.handicap);
    if (at.first !== undefined) {
      if (first >= 0) c.fail('only one branch of a weighted arm may be [first]', at.first);
      first = at.first;
    }
  }
  if (!weighted) return { type: 'single', leg: leafOf(parts[0]!) };
  return {
    type: 'weighted',
    branches: parts.map((p) => ({ leaf: leafOf(p), weight: p.annotations.weight ?? 1, first: p.annotations.first === true })),
  };
}

/** The leaf with its budgets and context bounds (set in place: spreads are slow on this path). */
function leafOf({ body, annotations: a }: Part): Leaf {
  const leaf = body as { -readonly [K in keyof Leaf]: Leaf[K] };
  if (a.ttftTimeoutMs !== undefined) leaf.ttftTimeoutMs = a.ttftTimeoutMs;
  if (a.maxContext !== undefined) leaf.maxContext = a.maxContext;
  if (a.minContext !== undefined) leaf.minContext = a.minContext;
  return leaf;
}
