import { isSafePattern } from './safe-pattern.js';

/** Bounds a tool schema must respect before ajv compiles it (`schema:` in the plugin config). */
export interface SchemaLimits {
  readonly max_schema_bytes: number;
  readonly max_nesting_depth: number;
  readonly max_nodes: number;
  readonly max_properties: number;
  readonly max_local_ref_depth: number;
}

/** The JSON Schema dialects repair validates with. */
export type Dialect = 'draft-04' | 'draft-06' | 'draft-07' | '2019-09' | '2020-12';

export type PrescanResult =
  | { readonly ok: true; readonly dialect: Dialect; readonly text: string }
  | { readonly ok: false; readonly reason: 'schema_invalid' | 'schema_unsupported'; readonly why: string };

const DIALECTS: readonly [RegExp, Dialect][] = [
  [/^https?:\/\/json-schema\.org\/draft-04\/schema#?$/, 'draft-04'],
  [/^https?:\/\/json-schema\.org\/draft-06\/schema#?$/, 'draft-06'],
  [/^https?:\/\/json-schema\.org\/draft-07\/schema#?$/, 'draft-07'],
  [/^https:\/\/json-schema\.org\/draft\/2019-09\/schema#?$/, '2019-09'],
  [/^https:\/\/json-schema\.org\/draft\/2020-12\/schema#?$/, '2020-12'],
];

/**
 * Our own bounded walk over a declared tool schema, before ajv sees it (ajv has no size
 * limits, compiles to code, and runs `pattern`s with the backtracking engine): its JSON size,
 * nesting depth, node and property counts, every `$ref` local (`#...`) and resolvable within
 * `max_local_ref_depth` hops, every pattern safe (safe-pattern.ts), and a `$schema` naming a
 * known dialect (none: 2020-12). Pure: no I/O, no compilation.
 */
export function prescanSchema(schema: unknown, limits: SchemaLimits): PrescanResult {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return { ok: false, reason: 'schema_invalid', why: 'not an object' };
  let text: string;
  try {
    text = JSON.stringify(schema);
  } catch {
    return { ok: false, reason: 'schema_invalid', why: 'not JSON' };
  }
  if (Buffer.byteLength(text) > limits.max_schema_bytes) return { ok: false, reason: 'schema_unsupported', why: 'too large' };
  const root = schema as Record<string, unknown>;
  let dialect: Dialect = '2020-12';
  if (root.$schema !== undefined) {
    const found = typeof root.$schema === 'string' ? DIALECTS.find(([re]) => re.test(root.$schema as string)) : undefined;
    if (!found) return { ok: false, reason: 'schema_unsupported', why: 'unknown $schema' };
    dialect = found[1];
  }
  let nodes = 0;
  const refs: string[] = [];
  const stack: [unknown, number, string | undefined][] = [[schema, 0, undefined]];
  while (stack.length > 0) {
    const [node, depth, key] = stack.pop()!;
    if (++nodes > limits.max_nodes) return { ok: false, reason: 'schema_unsupported', why: 'too many nodes' };
    if (depth > limits.max_nesting_depth) return { ok: false, reason: 'schema_unsupported', why: 'nested too deeply' };
    if (node === null || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      for (const item of node) stack.push([item, depth + 1, undefined]);
      continue;
    }
    const obj = node as Record<string, unknown>;
    const members = Object.keys(obj);
    if (members.length > limits.max_properties) return { ok: false, reason: 'schema_unsupported', why: 'too many members' };
    if (key !== 'properties' && key !== 'patternProperties' && key !== '$defs' && key !== 'definitions') {
      if (typeof obj.$ref === 'string') refs.push(obj.$ref);
      if (obj.$dynamicRef !== undefined || obj.$recursiveRef !== undefined) return { ok: false, reason: 'schema_unsupported', why: 'dynamic references' };
      if (typeof obj.pattern === 'string' && !isSafePattern(obj.pattern)) return { ok: false, reason: 'schema_unsupported', why: 'unsafe pattern' };
    }
    if (key === 'patternProperties') {
      for (const p of members) if (!isSafePattern(p)) return { ok: false, reason: 'schema_unsupported', why: 'unsafe pattern' };
    }
    for (const m of members) stack.push([obj[m], depth + 1, m]);
  }
  for (const ref of refs) {
    const problem = checkRef(root, ref, limits.max_local_ref_depth);
    if (problem) return { ok: false, reason: problem === 'unresolved' ? 'schema_invalid' : 'schema_unsupported', why: `$ref: ${problem}` };
  }
  return { ok: true, dialect, text };
}

/** Follows a local ref chain; undefined when it ends at a schema within the hop limit. */
function checkRef(root: Record<string, unknown>, ref: string, maxHops: number): string | undefined {
  let current: string | undefined = ref;
  for (let hop = 0; current !== undefined; hop++) {
    if (hop >= maxHops) return 'too deep';
    if (!current.startsWith('#')) return 'remote';
    if (current !== '#' && !current.startsWith('#/')) return 'anchor';
    const target = resolvePointer(root, current);
    if (target === undefined) return 'unresolved';
    current = target !== null && typeof target === 'object' && typeof (target as Record<string, unknown>).$ref === 'string' ? (target as Record<string, string>).$ref : undefined;
  }
  return undefined;
}

/** The value a local `#/a/b` reference names in `root` (`#` alone is the root); a malformed percent-escape names nothing. */
export function resolvePointer(root: unknown, ref: string): unknown {
  if (ref === '#') return root;
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(2).split('/')) {
    const decoded = decodeSegment(raw);
    if (decoded === undefined) return undefined;
    const part = decoded.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !Object.prototype.hasOwnProperty.call(node, part)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** A pointer segment with its percent-escapes decoded, or undefined when one is malformed (`%E0%A4%A`). */
function decodeSegment(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}
