/**
 * The keywords OpenAI's structured outputs do not take (composition beyond `anyOf`, conditionals,
 * dependencies, pattern-keyed properties): a schema with one anywhere is refused under `strict`.
 */
const UNSUPPORTED = ['allOf', 'not', 'if', 'then', 'else', 'dependentRequired', 'dependentSchemas', 'patternProperties', 'oneOf'];

/**
 * OpenAI's documented limits on a strict schema (Structured Outputs, "Supported schemas"): levels
 * of nesting below the root (each schema in `properties`, `items`, `anyOf`, `$defs` one level
 * deeper than the one holding it, as openai-node's and openai-java's validators count), object
 * properties in all, enum values in all, characters of property names, definition names, enum and
 * const values in all, and characters of one string enum of more than `largeEnum` values.
 */
const LIMITS = { depth: 10, properties: 5_000, enumValues: 1_000, chars: 120_000, largeEnum: 250, largeEnumChars: 15_000 };

/** What a schema has used of the limits so far. */
interface Totals { properties: number; enumValues: number; chars: number }

const length = (value: unknown) => (typeof value === 'string' ? value.length : JSON.stringify(value)?.length ?? 0);

/**
 * Whether a tool's JSON Schema lies inside the strict subset the Responses and Chat APIs take
 * with `strict: true`: every object (an empty or open one too) sets `additionalProperties: false`
 * and lists all its properties in `required`, all the way down, no keyword outside the subset
 * (UNSUPPORTED) appears, and the schema keeps to the API's size limits (LIMITS: 10 levels of
 * nesting, 5,000 properties, 1,000 enum values, 120,000 characters of names and values, 15,000
 * for one string enum of more than 250 values). A schema outside it (an optional property, an
 * open object, an `allOf` around a `$ref`, a tree 12 objects deep) is refused as a whole request
 * there, so a backend sends such a tool without `strict` rather than failing the turn (a client
 * whose protocol allows it in a strict schema can ask for it). The walk follows the places that
 * hold schemas (`properties`, `$defs`, `definitions`, `items`, `anyOf`, `additionalProperties`),
 * so a property named `not` is a property and an `enum` value is data; it stops at the first
 * limit passed, so it never goes deeper than 11 levels.
 */
export function strictCompatible(schema: unknown): boolean {
  return inSubset(schema, 0, { properties: 0, enumValues: 0, chars: 0 });
}

function inSubset(schema: unknown, depth: number, totals: Totals): boolean {
  if (Array.isArray(schema)) return schema.every((s) => inSubset(s, depth, totals));
  if (typeof schema !== 'object' || schema === null) return true;
  if (depth > LIMITS.depth) return false;
  const s = schema as Record<string, unknown>;
  if (UNSUPPORTED.some((key) => s[key] !== undefined)) return false;
  const properties = typeof s.properties === 'object' && s.properties !== null ? s.properties as Record<string, unknown> : {};
  if (s.type === 'object' || (Array.isArray(s.type) && s.type.includes('object')) || s.properties !== undefined) {
    const required = new Set<unknown>(Array.isArray(s.required) ? s.required : []);
    if (s.additionalProperties !== false || !Object.keys(properties).every((p) => required.has(p))) return false;
  }
  const names = [properties, s.$defs, s.definitions].flatMap((m) => (typeof m === 'object' && m !== null ? Object.keys(m) : []));
  totals.properties += Object.keys(properties).length;
  totals.chars += names.reduce((sum, name) => sum + name.length, 0);
  if (Array.isArray(s.enum)) {
    const chars = s.enum.reduce((sum: number, value) => sum + length(value), 0);
    totals.enumValues += s.enum.length;
    totals.chars += chars;
    if (s.enum.length > LIMITS.largeEnum && s.enum.every((value) => typeof value === 'string') && chars > LIMITS.largeEnumChars) return false;
  }
  if (s.const !== undefined) totals.chars += length(s.const);
  if (totals.properties > LIMITS.properties || totals.enumValues > LIMITS.enumValues || totals.chars > LIMITS.chars) return false;
  const maps = [properties, s.$defs, s.definitions].flatMap((m) => (typeof m === 'object' && m !== null ? Object.values(m) : []));
  // An `anyOf` list's members and a tuple's items are each one level below the schema holding them.
  return [...maps, s.items, s.anyOf, s.additionalProperties].every((sub) => inSubset(sub, depth + 1, totals));
}
