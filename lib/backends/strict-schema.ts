/**
 * The keywords OpenAI's structured outputs do not take (composition beyond `anyOf`, conditionals,
 * dependencies, pattern-keyed properties): a schema with one anywhere is refused under `strict`.
 */
const UNSUPPORTED = ['allOf', 'not', 'if', 'then', 'else', 'dependentRequired', 'dependentSchemas', 'patternProperties', 'oneOf'];

/**
 * Whether a tool's JSON Schema lies inside the strict subset the Responses and Chat APIs take
 * with `strict: true`: every object (an empty or open one too) sets `additionalProperties: false`
 * and lists all its properties in `required`, all the way down, and no keyword outside the subset
 * (UNSUPPORTED) appears. A schema outside it (an optional property, an open object, an `allOf`
 * around a `$ref`) is refused as a whole request there, so a backend sends such a tool without
 * `strict` rather than failing the turn (a client whose protocol allows it in a strict schema can
 * ask for it). The walk follows the places that hold schemas (`properties`, `$defs`,
 * `definitions`, `items`, `anyOf`, `additionalProperties`), so a property named `not` is a
 * property and an `enum` value is data.
 */
export function strictCompatible(schema: unknown): boolean {
  if (Array.isArray(schema)) return schema.every(strictCompatible);
  if (typeof schema !== 'object' || schema === null) return true;
  const s = schema as Record<string, unknown>;
  if (UNSUPPORTED.some((key) => s[key] !== undefined)) return false;
  const properties = typeof s.properties === 'object' && s.properties !== null ? s.properties as Record<string, unknown> : {};
  if (s.type === 'object' || (Array.isArray(s.type) && s.type.includes('object')) || s.properties !== undefined) {
    const required = new Set<unknown>(Array.isArray(s.required) ? s.required : []);
    if (s.additionalProperties !== false || !Object.keys(properties).every((p) => required.has(p))) return false;
  }
  const maps = [properties, s.$defs, s.definitions].flatMap((m) => (typeof m === 'object' && m !== null ? Object.values(m) : []));
  return [...maps, s.items, s.anyOf, s.additionalProperties].every(strictCompatible);
}
