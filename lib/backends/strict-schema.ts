/**
 * Whether a tool's JSON Schema lies inside the strict subset the Responses and Chat APIs take
 * with `strict: true`: every object that has properties lists all of them in `required` and sets
 * `additionalProperties: false`, all the way down. A schema outside it (an optional property, an
 * open object) is refused as a whole request there, so a backend sends such a tool without
 * `strict` rather than failing the turn (a client whose protocol allows optional properties in a
 * strict schema can ask for it).
 */
export function strictCompatible(schema: unknown): boolean {
  if (Array.isArray(schema)) return schema.every(strictCompatible);
  if (typeof schema !== 'object' || schema === null) return true;
  const s = schema as Record<string, unknown>;
  if (s.type === 'object' || s.properties !== undefined) {
    const props = typeof s.properties === 'object' && s.properties !== null ? Object.keys(s.properties) : [];
    const required = Array.isArray(s.required) ? s.required as unknown[] : [];
    if (props.length > 0 && (s.additionalProperties !== false || !props.every((p) => required.includes(p)))) return false;
  }
  return Object.entries(s).every(([key, value]) => key === 'required' || key === 'enum' || key === 'const' || strictCompatible(value));
}
