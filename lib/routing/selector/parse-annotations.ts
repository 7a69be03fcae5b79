import { PARAM_SPECS } from '../params/route-params.js';
import { CH, type Cursor } from './cursor.js';
import { parseEntries, type Entry } from './parse-entries.js';
import { durationValue, MAX_WEIGHT, noValue, positiveIntValue, tokensValue } from './parse-values.js';
import { didYouMean } from './suggest-key.js';

export type AnnotationKey = 'weight' | 'first' | 'handicap' | 'ttft_timeout' | 'max_context' | 'min_context';

/** The annotations in front of one leaf, with where each key was written (for scope errors). */
export interface Annotations {
  weight?: number;
  first?: boolean;
  handicapMs?: number;
  ttftTimeoutMs?: number;
  maxContext?: number;
  minContext?: number;
  /** Offset of each key that was given. */
  readonly at: Partial<Record<AnnotationKey, number>>;
}

type Apply = (c: Cursor, entry: Entry, into: Annotations) => void;

/** The annotation keys: a lookup table, one reader per key. */
const READERS: Readonly<Record<AnnotationKey, Apply>> = {
  weight: (c, e, a) => { a.weight = positiveIntValue(c, e, MAX_WEIGHT, '[weight=3]'); },
  first: (c, e, a) => { noValue(c, e); a.first = true; },
  handicap: (c, e, a) => { a.handicapMs = durationValue(c, e, '[handicap=500ms]'); },
  ttft_timeout: (c, e, a) => { a.ttftTimeoutMs = durationValue(c, e, '[ttft_timeout=5s]'); },
  max_context: (c, e, a) => { a.maxContext = tokensValue(c, e); },
  min_context: (c, e, a) => { a.minContext = tokensValue(c, e); },
};

const KEYS = Object.keys(READERS) as AnnotationKey[];
const BY_KEY: ReadonlyMap<string, Apply> = new Map(Object.entries(READERS));

/** Keys that exist elsewhere in the grammar, with where they belong (a Map: the key is the client's text, `__proto__` must find nothing). */
const MISPLACED: ReadonlyMap<string, string> = new Map(Object.entries({
  affinity: 'affinity is a global option: write {affinity=session} or {affinity=client} at the start of the selector',
  session_sticky: 'write {affinity=session} at the start of the selector',
  client_sticky: 'write {affinity=client} at the start of the selector',
  thinker: '[thinker] is not part of the lip selector grammar',
}));

/**
 * Reads every `[...]` block at the cursor (several may be chained: `[weight=2][max_context=8K]`)
 * and checks each key and value. Keys are case-insensitive; a key may appear once per leaf.
 * Scope rules (handicap only in races, weight/first only in weighted arms) are the caller's,
 * because the arm's operator is known only after its last branch.
 * @see spec/routing/selector/parse-selector.spec.ts
 */
export function parseAnnotations(c: Cursor): Annotations {
  const into: Annotations = { at: {} };
  while (c.peek() === CH.openBracket) {
    for (const entry of parseEntries(c, 'annotation')) readEntry(c, entry, into);
    c.skipSpaces();
  }
  if (into.minContext !== undefined && into.maxContext !== undefined && into.minContext >= into.maxContext) {
    const later = Math.max(into.at.min_context!, into.at.max_context!);
    c.fail(`min_context (${into.minContext}) must be below max_context (${into.maxContext})`, later);
  }
  return into;
}

function readEntry(c: Cursor, entry: Entry, into: Annotations): void {
  const key = entry.key as AnnotationKey;
  const reader = BY_KEY.get(key);
  if (!reader) {
    const hint = MISPLACED.get(entry.key);
    if (hint) c.fail(`"${entry.written}" is not a leaf annotation: ${hint}`, entry.keyOffset);
    const param = PARAM_SPECS.get(entry.key);
    if (param) c.fail(`${entry.written} is a generation override: write it as the leaf's query, as in backend:model?${param.key}=...`, entry.keyOffset);
    c.fail(`unknown annotation "${entry.written}"${didYouMean(entry.key, KEYS)}; known: ${KEYS.join(', ')}`, entry.keyOffset);
  }
  if (into.at[key] !== undefined) c.fail(`duplicate annotation "${entry.key}"`, entry.keyOffset);
  into.at[key] = entry.keyOffset;
  reader(c, entry, into);
}
