import { isDeepStrictEqual } from 'node:util';
import { LipError } from '../errors/index.js';
import { recursiveSchema } from './recursive-schema.js';

type Json = Record<string, unknown>;

/** The string formats Anthropic's structured outputs take. */
const FORMATS: ReadonlySet<unknown> = new Set(['date-time', 'time', 'date', 'duration', 'email', 'hostname', 'uri', 'ipv4', 'ipv6', 'uuid']);
/** The keywords kept on every node (each object's and array's own are handled beside them). */
const KEPT = ['type', 'description', 'title'] as const;

const isPlain = (value: unknown) => value === null || typeof value !== 'object';
const isNode = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A JSON Schema fitted to the subset Anthropic's structured outputs compile into a grammar
 * (`output_config.format`, a `strict` tool's `input_schema`), where one keyword outside it fails
 * the whole request with a 400 ("For 'integer' type, property 'minimum' is not supported"). The
 * subset's keywords stay: `type`, `description`, `title`, `enum` and `const` of plain values,
 * `anyOf` (a `oneOf` becomes one), `allOf`, `$ref` with `$defs` / `definitions`, `properties`,
 * `required`, `items`, `minItems` 0 or 1 and a `format` it knows. Every other one (`minimum`,
 * `maxLength`, `pattern`, `default`, ...) moves into the node's description as
 * `{minimum: 1, maximum: 9}`, which the model reads, as Anthropic's SDK fits a schema
 * (`transformJSONSchema`); `$schema` is left out. An object with properties is closed with
 * `additionalProperties: false` where it did not say, which the subset requires of every object.
 * Undefined where a node has no form in the subset: an open object (`additionalProperties` other
 * than false, or no `properties` at all: a map the model fills), a node with neither a type nor
 * `enum`, `const`, `$ref` or a combinator, an `items` list, a boolean schema.
 *
 * ```ts
 * anthropicStrictSchema({ type: 'object', properties: { n: { type: 'integer', minimum: 1 } }, required: ['n'] })
 * // { type: 'object', properties: { n: { type: 'integer', description: '{minimum: 1}' } }, required: ['n'], additionalProperties: false }
 * ```
 * @see spec/backends/anthropic-strict-schema.spec.ts
 */
export function anthropicStrictSchema(schema: unknown): Json | undefined {
  if (!isNode(schema)) return undefined;
  const rest: Json = { ...schema };
  const take = (key: string) => {
    const value = rest[key];
    delete rest[key];
    return value;
  };
  const out: Json = {};
  const fitAll = (values: unknown) => {
    if (!Array.isArray(values)) return undefined;
    const fitted = values.map(anthropicStrictSchema);
    return fitted.every((f) => f !== undefined) ? fitted : undefined;
  };
  for (const key of ['$defs', 'definitions']) {
    if (rest[key] === undefined) continue;
    const defs = take(key);
    if (!isNode(defs)) return undefined;
    const fitted = Object.entries(defs).map(([name, def]) => [name, anthropicStrictSchema(def)] as const);
    if (fitted.some(([, def]) => def === undefined)) return undefined;
    out[key] = Object.fromEntries(fitted);
  }
  delete rest.$schema;
  if (rest.$ref !== undefined) return typeof rest.$ref === 'string' ? { ...out, $ref: rest.$ref } : undefined;
  for (const key of ['enum', 'const'] as const) {
    const value = rest[key];
    if (key === 'enum' ? Array.isArray(value) && value.length > 0 && value.every(isPlain) : value !== undefined && isPlain(value)) out[key] = take(key);
  }
  for (const key of KEPT) if (rest[key] !== undefined) out[key] = take(key);
  const combinator = rest.anyOf !== undefined ? 'anyOf' : rest.oneOf !== undefined ? 'oneOf' : rest.allOf !== undefined ? 'allOf' : undefined;
  if (combinator !== undefined) {
    const fitted = fitAll(take(combinator));
    if (fitted === undefined) return undefined;
    out[combinator === 'allOf' ? 'allOf' : 'anyOf'] = fitted;
  }
  if (out.type === undefined && out.enum === undefined && out.const === undefined && combinator === undefined) return undefined;
  const types = Array.isArray(out.type) ? out.type : [out.type];
  if (types.includes('object')) {
    if (!isNode(rest.properties) || (rest.additionalProperties !== undefined && rest.additionalProperties !== false)) return undefined;
    const properties = Object.entries(take('properties') as Json).map(([name, property]) => [name, anthropicStrictSchema(property)] as const);
    if (properties.some(([, property]) => property === undefined)) return undefined;
    out.properties = Object.fromEntries(properties);
    if (rest.required !== undefined) out.required = take('required');
    delete rest.additionalProperties;
    out.additionalProperties = false;
  }
  if (types.includes('string') && FORMATS.has(rest.format)) out.format = take('format');
  if (types.includes('array')) {
    if (rest.items !== undefined) {
      const items = anthropicStrictSchema(take('items'));
      if (items === undefined) return undefined;
      out.items = items;
    }
    if (rest.minItems === 0 || rest.minItems === 1) out.minItems = take('minItems');
  }
  const moved = Object.entries(rest).map(([key, value]) => `${key}: ${JSON.stringify(value)}`);
  if (moved.length > 0) out.description = `${typeof out.description === 'string' ? `${out.description}\n\n` : ''}{${moved.join(', ')}}`;
  return out;
}

/**
 * The schema a strict tool goes with `strict: true`: the schema as written, less a root `$schema`
 * (the dialect it names is no keyword of the subset; openai-node's zod helpers, `zodFunction` and
 * `zodResponsesFunction`, write one on every tool), when the rest lies inside the subset as it is
 * (anthropicStrictSchema leaves it unchanged) and is not recursive (recursiveSchema: the subset
 * has no recursive schemas; a `$ref` back to a schema that holds it fails the whole request).
 * Undefined for any other schema: such a tool goes without `strict`, its schema as written, as the
 * canonical `strict` says of a provider that takes a subset of schemas as strict.
 *
 * ```ts
 * anthropicStrictInput({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', properties: {}, additionalProperties: false })
 * // { type: 'object', properties: {}, additionalProperties: false }
 * anthropicStrictInput({ type: 'object', properties: { n: { type: 'integer', minimum: 1 } }, required: ['n'], additionalProperties: false })
 * // undefined
 * ```
 */
export function anthropicStrictInput(schema: unknown): Json | undefined {
  if (!isNode(schema)) return undefined;
  const rest: Json = { ...schema };
  delete rest.$schema;
  const fitted = anthropicStrictSchema(rest);
  return fitted !== undefined && isDeepStrictEqual(fitted, rest) && !recursiveSchema(rest) ? rest : undefined;
}

/**
 * The schema a `json_schema` response format goes with (`output_config.format`, Converse's
 * `outputConfig` for a Claude model): fitted to the subset (anthropicStrictSchema), as written
 * where it has no fit (the API's 400 says why). A recursive schema (recursiveSchema) has no form
 * in the subset, and a response format no unconstrained one: the call is refused before anything
 * is sent, retryable, so that a route moves on to a candidate whose provider takes recursion
 * (OpenAI's and Gemini's structured outputs do).
 */
export function anthropicFormatSchema(schema: Json, backend: string): Json {
  if (recursiveSchema(schema)) {
    throw new LipError('LIP_ERR_REQUEST_UNSUPPORTED', `${backend}: the json_schema response format is recursive (a $ref back to a schema that holds it), and this provider's structured outputs take no recursive schema; route the request to a backend whose provider takes one`, {
      retryable: true, detail: { backend },
    });
  }
  return anthropicStrictSchema(schema) ?? schema;
}
