import fc from 'fast-check';
import { HUGE_CHARS } from './fuzz-parameters.js';

/** A JSON value as `JSON.parse` returns it. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * One change to a JSON document. `pick` chooses the target among the document's values (all of
 * them, the root included, in depth-first order) modulo their count, so that a mutation applies
 * to any document and shrinks towards the root.
 */
export type Mutation =
  | { readonly op: 'replace'; readonly pick: number; readonly value: Json }
  | { readonly op: 'delete'; readonly pick: number }
  | { readonly op: 'insert'; readonly pick: number; readonly key: string; readonly value: Json }
  | { readonly op: 'deep'; readonly pick: number; readonly shape: 'array' | 'object'; readonly depth: number }
  | { readonly op: 'huge'; readonly pick: number; readonly length: number; readonly unit: string }
  | { readonly op: 'text'; readonly pick: number; readonly text: string };

/** Field names the decoders look at, and a few that JavaScript treats specially. */
const KEYS = [
  'type', 'role', 'content', 'text', 'parts', 'messages', 'input', 'tools', 'parameters', 'input_schema', 'model', 'stream',
  'tool_choice', 'function', 'arguments', 'name', 'id', 'call_id', 'source', 'data', 'url', 'image_url', 'output', 'summary',
  'functionCall', 'functionResponse', 'args', 'response', 'thinking', 'signature', 'generationConfig', 'contents', 'system',
  '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'length', '0', '',
];

/** Strings that break naive code: control characters, lone surrogates, CR/LF, BOM, separators, RTL. */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('\u0000', '\uD800', '\uDFFF', '\uDC00\uD800', '\r\n', '\r', '\n\n', '\uFEFF', '\u2028\u2029', '\u202E', 'é', '😀', '日本', 'data:', 'data:;base64,', ':', '{', '"', '\\', '%', '%zz'),
  fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 24 }).map((units) => String.fromCharCode(...units)),
  fc.string({ unit: 'binary', maxLength: 24 }),
);

/**
 * Objects that `String(value)` and template literals cannot convert (`toString` and `valueOf`
 * that are not functions: TypeError), and arrays whose conversion recurses.
 */
export const poisoned: fc.Arbitrary<Json> = fc.oneof(
  fc.jsonValue({ maxDepth: 1 }).map((v): Json => ({ toString: v as Json })),
  fc.jsonValue({ maxDepth: 1 }).map((v): Json => ({ toString: v as Json, valueOf: v as Json })),
  fc.constant<Json>({ toJSON: 1, constructor: { prototype: null } }),
  fc.constant<Json>([[[['x']]]]),
);

/** Nesting depths that any recursion survives. */
export const shallowDepths: fc.Arbitrary<number> = fc.integer({ min: 1, max: 200 });
/** Nesting depths far past any stack: the structural limits must answer them. */
export const deepDepths: fc.Arbitrary<number> = fc.integer({ min: 1_000, max: 100_000 });

/** One mutation; `depths` chooses how deep an inserted nesting goes, `hugeChars` how long a huge string is. */
export function mutation(depths: fc.Arbitrary<number> = shallowDepths, hugeChars = HUGE_CHARS): fc.Arbitrary<Mutation> {
  return fc.oneof(
    fc.record({ op: fc.constant('replace' as const), pick: fc.nat(), value: fc.oneof(fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>, poisoned) }),
    fc.record({ op: fc.constant('delete' as const), pick: fc.nat() }),
    fc.record({ op: fc.constant('insert' as const), pick: fc.nat(), key: fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 8 })), value: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json> }),
    fc.record({ op: fc.constant('deep' as const), pick: fc.nat(), shape: fc.constantFrom('array' as const, 'object' as const), depth: depths }),
    fc.record({ op: fc.constant('huge' as const), pick: fc.nat(), length: fc.integer({ min: 1_000, max: hugeChars }), unit: fc.constantFrom('x', 'é', '😀', '\uD800', '\u0000', '[') }),
    fc.record({ op: fc.constant('text' as const), pick: fc.nat(), text: hostileText }),
  );
}

/** A seed with one deep nesting spliced in at a random place, plus up to two other mutations. */
export function deeplyNestedJsonText(seeds: readonly Json[]): fc.Arbitrary<FuzzText> {
  const deep = fc.record({ op: fc.constant('deep' as const), pick: fc.nat(), shape: fc.constantFrom('array' as const, 'object' as const), depth: deepDepths });
  return fc.tuple(fc.constantFrom(...seeds), fc.array(mutation(), { maxLength: 2 }), deep)
    .map(([seed, mutations, nest]) => new FuzzText(toText([...mutations, nest].reduce(applyMutation, structuredClone(seed)))));
}

/**
 * Valid documents made hostile: one to four mutations applied to a seed (nesting at most 200
 * levels deep), returned as the JSON text a client would send. Nesting is spliced in as text,
 * so that no recursion of ours runs before the code under test.
 */
export function mutatedJsonText(seeds: readonly Json[]): fc.Arbitrary<FuzzText> {
  return fc.tuple(fc.constantFrom(...seeds), fc.array(mutation(), { minLength: 1, maxLength: 4 }))
    .map(([seed, mutations]) => new FuzzText(toText(mutations.reduce(applyMutation, structuredClone(seed)))));
}

/**
 * A generated text that fast-check prints compactly in a counterexample: repeated runs (deep
 * nesting, megabyte strings) are shown as `<"[" x 40000>`, so a failure report stays readable.
 */
export class FuzzText {
  constructor(readonly text: string) {}

  [fc.toStringMethod](): string {
    return preview(this.text);
  }
}

/** `text` as a JSON string literal with runs of a repeated unit (up to 8 characters) folded. */
export function preview(text: string): string {
  return JSON.stringify(text).replace(/([\s\S]{1,8}?)\1{9,}/g, (run: string, unit: string) => `<${JSON.stringify(unit)} x ${run.length / unit.length}>`);
}

/** Marker strings that `toText` replaces with nested arrays or objects. */
const DEEP_MARK = /"\\u0000lip-deep-(array|object)-(\d+)"/g;
const deepMark = (shape: string, depth: number) => `\u0000lip-deep-${shape}-${depth}`;

/** A document as JSON text, with the deep-nesting markers replaced by the nesting itself. */
export function toText(doc: Json): string {
  return JSON.stringify(doc).replace(DEEP_MARK, (_, shape: string, depth: string) => nested(shape as 'array' | 'object', Number(depth)));
}

/** `[[[...]]]` or `{"a":{"a":...}}`, `depth` levels, as text. */
export function nested(shape: 'array' | 'object', depth: number): string {
  return shape === 'array' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** Every value of a document with how to replace or delete it, depth-first, the root first. */
interface Slot {
  readonly value: Json;
  readonly set: (value: Json) => void;
  readonly remove: () => void;
}

function slots(root: { doc: Json }): Slot[] {
  const out: Slot[] = [];
  const walk = (value: Json, set: (v: Json) => void, remove: () => void) => {
    out.push({ value, set, remove });
    if (Array.isArray(value)) {
      value.forEach((item, i) => walk(item, (v) => { value[i] = v; }, () => { value.splice(i, 1); }));
    } else if (value !== null && typeof value === 'object') {
      for (const key of Object.keys(value)) walk(value[key]!, (v) => defineOwn(value, key, v), () => { delete value[key]; });
    }
  };
  walk(root.doc, (v) => { root.doc = v; }, () => { root.doc = null; });
  return out;
}

/** Applies one mutation to `doc` (changed in place where it can be) and returns the result. */
export function applyMutation(doc: Json, m: Mutation): Json {
  const root = { doc };
  const all = slots(root);
  const slot = all[m.pick % all.length]!;
  switch (m.op) {
    case 'replace': slot.set(structuredClone(m.value)); break;
    case 'delete': slot.remove(); break;
    case 'insert':
      // Values are copied: fast-check may hand the same object to several runs (and to shrinking).
      if (Array.isArray(slot.value)) slot.value.splice(m.pick % (slot.value.length + 1), 0, structuredClone(m.value));
      else if (slot.value !== null && typeof slot.value === 'object') defineOwn(slot.value, m.key, structuredClone(m.value));
      else slot.set(defineOwn({}, m.key, structuredClone(m.value)));
      break;
    case 'deep': slot.set(deepMark(m.shape, m.depth)); break;
    case 'huge': slot.set(m.unit.repeat(Math.ceil(m.length / m.unit.length))); break;
    case 'text': slot.set(typeof slot.value === 'string' ? slot.value + m.text : m.text); break;
  }
  return root.doc;
}

/** An own property even for `__proto__` (as JSON.parse makes it). */
function defineOwn(target: { [key: string]: Json }, key: string, value: Json): { [key: string]: Json } {
  return Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
