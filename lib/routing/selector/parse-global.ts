import type { Affinity, GlobalOptions } from './ast.js';
import { CH, type Cursor } from './cursor.js';
import { parseEntries, type Entry } from './parse-entries.js';
import { durationValue, requireValue } from './parse-values.js';
import { didYouMean } from './suggest-key.js';

type GlobalKey = 'ttft_timeout' | 'affinity';
type Mutable = { -readonly [K in keyof GlobalOptions]: GlobalOptions[K] };

const AFFINITIES: ReadonlySet<string> = new Set<Affinity>(['session', 'client']);

const READERS: Readonly<Record<GlobalKey, (c: Cursor, e: Entry, into: Mutable) => void>> = {
  ttft_timeout: (c, e, g) => { g.ttftTimeoutMs = durationValue(c, e, '{ttft_timeout=30s}'); },
  affinity: (c, e, g) => {
    const value = requireValue(c, e, '{affinity=session}').toLowerCase();
    if (!AFFINITIES.has(value)) c.fail(`affinity must be session or client, got "${e.value}"`, e.valueOffset);
    g.affinity = value as Affinity;
  },
};

const KEYS = Object.keys(READERS) as GlobalKey[];
const BY_KEY: ReadonlyMap<string, (c: Cursor, e: Entry, into: Mutable) => void> = new Map(Object.entries(READERS));

/** Keys that are written elsewhere, with the hint (a Map: the key is the client's text, `constructor` must find nothing). */
const MISPLACED: ReadonlyMap<string, string> = new Map(Object.entries({
  session_sticky: 'write {affinity=session}',
  client_sticky: 'write {affinity=client}',
  weight: 'weight annotates one branch: [weight=2]backend:model',
  first: 'first annotates one branch: [first]backend:model',
  handicap: 'handicap annotates one race leg: [handicap=500ms]backend:model',
  max_context: 'max_context annotates one leaf: [max_context=200K]backend:model',
  min_context: 'min_context annotates one leaf: [min_context=200K]backend:model',
}));

/**
 * Reads the optional leading `{key=value, ...}` block: `ttft_timeout=D` (the whole request's
 * budget to its first output) and `affinity=session|client`. The cursor stands on `{`; it is
 * left after the block and any whitespace. A second block is rejected here; a `{` further right
 * is rejected by the leaf reader.
 * @see spec/routing/selector/parse-selector.spec.ts
 */
export function parseGlobal(c: Cursor): GlobalOptions {
  const into: Mutable = {};
  const seen = new Set<string>();
  for (const entry of parseEntries(c, 'global')) {
    const key = entry.key as GlobalKey;
    const reader = BY_KEY.get(key);
    if (!reader) {
      const hint = MISPLACED.get(entry.key);
      c.fail(hint
        ? `"${entry.written}" is not a global option: ${hint}`
        : `unknown global option "${entry.written}"${didYouMean(entry.key, KEYS)}; known: ${KEYS.join(', ')}`, entry.keyOffset);
    }
    if (seen.has(key)) c.fail(`duplicate global option "${entry.key}"`, entry.keyOffset);
    seen.add(key);
    reader(c, entry, into);
  }
  c.skipSpaces();
  if (c.peek() === CH.openBrace) c.fail('only one global block is allowed; put every option in the first {...}');
  return into;
}
