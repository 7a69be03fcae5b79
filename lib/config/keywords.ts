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

export function addUnitKeywords(ajv: Ajv): void {
  ajv.addKeyword(unitKeyword('lipDuration', 'a duration such as 250ms, 30s or 5m',
    (v) => (typeof v === 'string' ? parseDuration(v) : undefined)));
  ajv.addKeyword(unitKeyword('lipSize', 'a size in bytes or such as 512KiB or 8MiB',
    (v) => (typeof v === 'string' || typeof v === 'number' ? parseSize(v) : undefined)));
}
