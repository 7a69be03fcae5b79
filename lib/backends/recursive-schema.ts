type Json = Record<string, unknown>;

/** The keywords whose value is a schema, a list of schemas, or a map of names to schemas. */
const ONE = ['items', 'additionalItems', 'additionalProperties', 'contains', 'not', 'if', 'then', 'else', 'propertyNames', 'unevaluatedItems', 'unevaluatedProperties'];
const LISTS = ['anyOf', 'oneOf', 'allOf', 'prefixItems', 'items'];
const MAPS = ['properties', 'patternProperties', 'dependentSchemas'];

const isNode = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The node a local `$ref` names (`#` the root, `#/$defs/Node` a JSON Pointer, percent-decoded as
 * a URI fragment), or undefined: another document, an anchor (`#node`), a pointer to nothing.
 */
function resolve(root: unknown, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  const fragment = ref.slice(1);
  if (fragment === '') return root;
  if (!fragment.startsWith('/')) return undefined;
  let node = root;
  for (const raw of fragment.slice(1).split('/')) {
    let name = raw;
    try {
      if (name.includes('%')) name = decodeURIComponent(name);
    } catch {
      return undefined;
    }
    if (name.includes('~')) name = name.replace(/~1/g, '/').replace(/~0/g, '~');
    if ((!isNode(node) && !Array.isArray(node)) || !Object.hasOwn(node, name)) return undefined;
    node = (node as Json)[name];
  }
  return node;
}

/**
 * Whether a JSON Schema is recursive: expanding its local `$ref`s from the root never ends (a
 * definition that reaches itself, a `$ref: "#"` anywhere the root reaches, a pointer into a
 * schema from inside it). Found by one walk from the root through the keywords that hold schemas
 * (`properties`, `items`, `anyOf`, `additionalProperties`, ...; not `$defs`, which applies
 * nothing by itself), going on from each `$ref` to the schema it names: a schema met again while
 * its own expansion is still being walked is recursion. A schema whose expansion was walked to
 * its end is finite and not walked again, and the walk keeps its own stack, so a schema costs
 * one visit per node however its definitions chain or share. References it cannot resolve are
 * left to the provider.
 *
 * ```ts
 * recursiveSchema({ type: 'object', properties: { next: { anyOf: [{ $ref: '#' }, { type: 'null' }] } } }) // true
 * recursiveSchema({ properties: { a: { $ref: '#/$defs/A' } }, $defs: { A: { type: 'string' } } })        // false
 * ```
 * @see spec/backends/recursive-schema.spec.ts
 */
export function recursiveSchema(root: unknown): boolean {
  const open = new Set<Json>();
  const finite = new Set<Json>();
  const referents = new Map<string, unknown>();
  // The walk's own stack: a node to enter, or (leaving[i]) one whose expansion has been walked.
  const nodes: Json[] = [];
  const leaving: boolean[] = [];
  let recursive = false;
  const next = (sub: unknown) => {
    if (!isNode(sub) || finite.has(sub)) return;
    if (open.has(sub)) recursive = true;
    nodes.push(sub);
    leaving.push(false);
  };
  next(root);
  while (nodes.length > 0 && !recursive) {
    const node = nodes.pop()!;
    if (leaving.pop()) {
      open.delete(node);
      finite.add(node);
      continue;
    }
    if (finite.has(node)) continue;
    if (open.has(node)) return true;
    open.add(node);
    nodes.push(node);
    leaving.push(true);
    for (const key of ONE) next(node[key]);
    for (const key of LISTS) if (Array.isArray(node[key])) for (const sub of node[key] as unknown[]) next(sub);
    for (const key of MAPS) if (isNode(node[key])) for (const sub of Object.values(node[key] as Json)) next(sub);
    if (typeof node.$ref === 'string') {
      if (!referents.has(node.$ref)) referents.set(node.$ref, resolve(root, node.$ref));
      next(referents.get(node.$ref));
    }
  }
  return recursive;
}
