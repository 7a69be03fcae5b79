import type { ErrorObject, ValidateFunction } from 'ajv';
import { LipError } from '../errors/index.js';
import { plainMediaType } from './media-types.js';
import { SchemaValidators, type ValidatorFamily } from './precompiled-validators.js';

/** How request schemas are compiled (the first problem only, with the schema in the error); the build precompiles them. */
export const REQUEST_VALIDATORS: ValidatorFamily = { options: { allErrors: false, strict: false, verbose: true } };

/** Every schema given to compileRequestValidator so far (the build precompiles those of every protocol). */
export const REQUEST_SCHEMAS: object[] = [];

let validators: SchemaValidators | undefined;

/** `/messages/0/content` -> `messages[0].content` (the client's own notation). */
export function pointerToPath(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(seg) ? `[${seg}]` : out ? `.${seg}` : seg;
  }
  return out;
}

/** A JSON value as an error message names what the client sent (`number 5`, `null`, `an object`). */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return value.length > 40 ? `a string` : JSON.stringify(value);
  // `1e400` or a 500-digit integer parses as Infinity: the number the client wrote is out of range.
  if (typeof value === 'number' && !Number.isFinite(value)) return 'a number out of range (beyond ±1.8e308)';
  return `${typeof value} ${String(value)}`;
}

function message(e: ErrorObject): { path: string; text: string } {
  const base = pointerToPath(e.instancePath);
  const hint = (e.parentSchema as { description?: string } | undefined)?.description;
  switch (e.keyword) {
    case 'required': {
      const path = base ? `${base}.${String(e.params.missingProperty)}` : String(e.params.missingProperty);
      return { path, text: 'is required' };
    }
    case 'type': {
      const types = String(e.params.type).split(',').map((t) => (t === 'object' ? 'an object' : t === 'array' ? 'an array' : t === 'integer' ? 'an integer' : `a ${t}`));
      return { path: base, text: `must be ${hint ?? types.join(' or ')} (got ${describeValue(e.data)})` };
    }
    case 'enum':
      return { path: base, text: `must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')} (got ${describeValue(e.data)})` };
    case 'minItems':
    case 'maxItems': {
      const limit = Number(e.params.limit);
      const count = Array.isArray(e.data) ? e.data.length : 0;
      return { path: base, text: `must have ${e.keyword === 'minItems' ? 'at least' : 'at most'} ${limit} ${limit === 1 ? 'item' : 'items'} (got ${count})` };
    }
    case 'minLength':
    case 'maxLength': {
      const limit = Number(e.params.limit);
      const length = typeof e.data === 'string' ? e.data.length : 0;
      return { path: base, text: `must be ${e.keyword === 'minLength' ? 'at least' : 'at most'} ${limit} ${limit === 1 ? 'character' : 'characters'} long (got ${length})` };
    }
    case 'additionalProperties':
      return { path: base ? `${base}.${String(e.params.additionalProperty)}` : String(e.params.additionalProperty), text: 'is not a known field' };
    default:
      return { path: base, text: `${hint ?? e.message ?? 'is invalid'} (got ${describeValue(e.data)})` };
  }
}

/**
 * A request JSON Schema's validator, loaded (precompiled by the build) or compiled on its first
 * use: a frontend that never gets a request never loads it, so start-up stays small. The returned function
 * throws a 400 LipError naming the first offending field
 * (`messages[1].content: must be a string or an array (got number 7)`).
 */
export function compileRequestValidator(schema: Record<string, unknown>): (body: unknown) => void {
  REQUEST_SCHEMAS.push(schema);
  let compiled: ValidateFunction | undefined;
  return (body) => {
    const validate = (compiled ??= (validators ??= new SchemaValidators(REQUEST_VALIDATORS)).validator(schema));
    if (validate(body)) return;
    const first = validate.errors?.[0];
    if (!first) throw new LipError('LIP_ERR_REQUEST_INVALID', 'invalid request');
    const { path, text } = message(first);
    throw new LipError('LIP_ERR_REQUEST_INVALID', path ? `${path}: ${text}` : `request body ${text}`, path ? { param: path } : {});
  };
}

/**
 * Splits a `data:` URL into media type (plainMediaType: `image/jpg;name=a.jpg` is `image/jpeg`)
 * and base64 data, a percent-encoded one's bytes encoded (`data:image/svg+xml,%3Csvg...`);
 * undefined for other URLs.
 *
 * ```ts
 * parseDataUrl('data:text/plain,hi%21') // { mediaType: 'text/plain', data: 'aGkh' }
 * ```
 */
export function parseDataUrl(url: string): { mediaType: string; data: string } | undefined {
  if (!url.startsWith('data:')) return undefined;
  const comma = url.indexOf(',');
  if (comma < 0) return undefined;
  const meta = url.slice(5, comma);
  const base64 = meta.endsWith(';base64');
  const type = base64 ? meta.slice(0, -7) : meta;
  const body = url.slice(comma + 1);
  return { mediaType: plainMediaType(type) || 'application/octet-stream', data: base64 ? body : percentDecoded(body).toString('base64') };
}

/** The bytes of percent-encoded text: `%XX` escapes as bytes, the rest as UTF-8. */
function percentDecoded(text: string): Buffer {
  return Buffer.concat([...text.matchAll(/%([0-9A-Fa-f]{2})|[^%]+|%/g)].map(([all, hex]) => (hex !== undefined ? Buffer.from([parseInt(hex, 16)]) : Buffer.from(all, 'utf8'))));
}
