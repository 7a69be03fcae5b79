import { MAX_REQUEST_DEPTH } from '../../wire/index.js';
import { badField } from './decode-contents.js';

/**
 * The Gemini REST API reads protobuf JSON, which accepts `snake_case` as well as `camelCase`
 * field names (`system_instruction`, `inline_data`, `mime_type` appear in Google's own curl
 * examples). This turns every structural key into camelCase once, before validation, and
 * leaves free-form values alone: function arguments and responses, JSON Schemas, whose keys
 * are the client's own property names, a search provider's own parameters (`customConfigs`,
 * `source_policy` for Parallel) and an MCP server's HTTP headers. A field written both ways in one
 * object (`generationConfig` and `generation_config`) is a 400 naming it: one would be lost.
 */
const FREE_FORM = new Set(['args', 'response', 'parameters', 'parametersJsonSchema', 'responseSchema', 'responseJsonSchema', 'labels', 'customConfigs', 'headers']);

function camel(key: string): string {
  return key.includes('_') ? key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()) : key;
}

export function normalizeKeys(value: unknown, depth = 0, path = ''): unknown {
  if (depth > 64 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v, i) => normalizeKeys(v, depth + 1, `${path}[${i}]`));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const name = camel(key);
    const at = path === '' ? name : `${path}.${name}`;
    if (Object.hasOwn(out, name)) throw badField(at, 'set twice (camelCase and snake_case)');
    out[name] = FREE_FORM.has(name) ? v : normalizeKeys(v, depth + 1, at);
  }
  return out;
}

/** Gemini Schema fields that are int64 in its protobuf, so written as strings in JSON (`"minItems": "1"`). */
const INT64_FIELDS = new Set(['minItems', 'maxItems', 'minLength', 'maxLength', 'minProperties', 'maxProperties']);

/** Where Gemini's Schema keeps its definitions and points at them: `defs` and `ref: "#/defs/Pet"`. */
const DEFS_PREFIX = '#/defs/';

type Json = Record<string, unknown>;
const isNode = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);
const mapValues = (value: Json, f: (v: unknown, key: string) => unknown): Json => Object.fromEntries(Object.entries(value).map(([k, v]) => [k, f(v, k)]));

/**
 * Gemini's OpenAPI-style Schema -> JSON Schema: type names are upper case there (`OBJECT`,
 * `STRING`), its int64 bounds are strings (protobuf JSON, as the @google/genai SDK types them)
 * where JSON Schema wants integers, and `nullable: true` marks null: a type gains `null`, an
 * enum gains null, and a schema without a type (`anyOf`) gains a `{type: null}` alternative.
 * Its definitions are `defs` and its references `ref: "#/defs/Pet"`, which become `$defs` and
 * `$ref: "#/$defs/Pet"`. Each node's own field names are read in snake_case as in camelCase, as
 * Google's API reads them (the Python SDK writes a Schema as pydantic dumps it: `any_of`,
 * `property_ordering`, `max_items`); a field written both ways in one node is a 400 naming it
 * (`path`: where the schema is in the body). Property and definition names are the client's own
 * and are kept as they are. It converts as deep as a request body may nest (MAX_REQUEST_DEPTH,
 * held to before a body is decoded), so no part of a schema goes on unconverted.
 */
export function toJsonSchema(schema: unknown, path: string, depth = 0): unknown {
  if (depth > MAX_REQUEST_DEPTH || schema === null || typeof schema !== 'object') return schema;
  if (Array.isArray(schema)) return schema.map((s, i) => toJsonSchema(s, `${path}[${i}]`, depth + 1));
  const node: Json = {};
  for (const [key, v] of Object.entries(schema as Json)) {
    const name = camel(key);
    if (Object.hasOwn(node, name)) throw badField(`${path}.${name}`, 'set twice (camelCase and snake_case)');
    node[name] = v;
  }
  const inner = (v: unknown, at: string) => toJsonSchema(v, `${path}.${at}`, depth + 1);
  const out: Json = {};
  for (const [key, v] of Object.entries(node)) {
    if (key === 'type' && typeof v === 'string') out.type = v.toLowerCase();
    else if (key === 'nullable') continue;
    else if ((key === 'properties' || key === 'defs') && isNode(v)) out[key === 'defs' ? '$defs' : key] = mapValues(v, (s, name) => inner(s, `${key}.${name}`));
    else if (key === 'items' || key === 'anyOf' || (key === 'additionalProperties' && isNode(v))) out[key] = inner(v, key);
    else if (key === 'ref' && typeof v === 'string') out.$ref = v.startsWith(DEFS_PREFIX) ? `#/$defs/${v.slice(DEFS_PREFIX.length)}` : v;
    else if (INT64_FIELDS.has(key) && typeof v === 'string' && /^\d+$/.test(v)) out[key] = Number(v);
    else out[key] = v;
  }
  if (node.nullable === true) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    else if (Array.isArray(out.anyOf) && out.type === undefined) out.anyOf = [...out.anyOf as unknown[], { type: 'null' }];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum as unknown[], null];
  }
  return out;
}
