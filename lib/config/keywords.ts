import type { Ajv, FuncKeywordDefinition, SchemaValidateFunction } from 'ajv';
import { parseDuration, parseSize } from './units.js';

/**
 * `lipDuration` / `lipSize`: validate operator-friendly units and replace them in place with
 * milliseconds / bytes, so the typed config never sees strings like "30s".
 */
function unitKeyword(keyword: string, expected: string, parse: (value: unknown) => number | undefined): FuncKeywordDefinition {
  const validate: SchemaValidateFunction = (_schema, data, _parentSchema, cxt) => {
    const converted = parse(data);
    if (converted === undefined) {
      validate.errors = [{ keyword, params: {}, message: `must be ${expected} (got ${JSON.stringify(data)})` }];
      return false;
    }
    if (cxt !== undefined && cxt.parentData !== undefined) {
      (cxt.parentData as Record<string | number, unknown>)[cxt.parentDataProperty] = converted;
    }
    return true;
  };
  return { keyword, modifying: true, errors: true, schemaType: 'boolean', validate };
}

/**
 * `lipUrl: [schemes]`: a URL that `new URL` parses, with one of the schemes and a host (a
 * pattern such as `^https?://` let `http://:99999` or `http://exa mple.com` through, to fail on
 * every request or at start). The value is kept as written.
 */
function urlKeyword(): FuncKeywordDefinition {
  const validate: SchemaValidateFunction = (schemes: readonly string[], data) => {
    const problem = urlProblem(data, schemes);
    if (problem === undefined) return true;
    const example = schemes.includes('https') ? 'https://api.example.com/v1' : `${schemes[0]}://127.0.0.1:6379`;
    validate.errors = [{ keyword: 'lipUrl', params: {}, message: `must be ${schemes[0]!.startsWith('h') ? 'an' : 'a'} ${schemes.map((s) => `${s}://`).join(' or ')} URL such as ${example}: ${problem} (got ${JSON.stringify(data)})` }];
    return false;
  };
  return { keyword: 'lipUrl', errors: true, schemaType: 'array', validate };
}

/** Why `value` is not a URL with one of `schemes` and a host, or undefined. */
function urlProblem(value: unknown, schemes: readonly string[]): string | undefined {
  if (typeof value !== 'string') return 'not text';
  if (/\s/.test(value)) return 'it contains white space';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'it is not a valid URL';
  }
  if (!schemes.includes(url.protocol.slice(0, -1))) return `the scheme is ${url.protocol.slice(0, -1)}`;
  if (url.hostname === '') return 'it names no host';
  return undefined;
}

export function addUnitKeywords(ajv: Ajv): void {
  ajv.addKeyword(urlKeyword());
  ajv.addKeyword(unitKeyword('lipDuration', 'a duration such as 250ms, 30s or 5m',
    (v) => (typeof v === 'string' ? parseDuration(v) : undefined)));
  ajv.addKeyword(unitKeyword('lipSize', 'a size in bytes or such as 512KiB or 8MiB',
    (v) => (typeof v === 'string' || typeof v === 'number' ? parseSize(v) : undefined)));
}
