import { SchemaValidators, writePrecompiledValidators, type ValidatorFamily } from '../wire/precompiled-validators.js';
import { KEYWORD_HELPERS, KEYWORD_HELPERS_MODULE } from './keyword-helpers.js';
import { addUnitKeywords } from './keywords.js';

/**
 * How the config schemas are compiled: every problem, defaults filled in, the schema in each
 * error, and lip's keywords (whose generated code calls KEYWORD_HELPERS). The build compiles
 * them ahead of time (lib/wire/precompiled-validators.ts).
 */
export const CONFIG_VALIDATORS: ValidatorFamily = {
  options: { allErrors: true, useDefaults: true, verbose: true, strict: true },
  setUp(ajv, ajvModule) {
    ajv.addVocabulary(['lipHint']);
    addUnitKeywords(ajv, ajvModule._);
  },
  modules: { [KEYWORD_HELPERS_MODULE]: KEYWORD_HELPERS },
};

/** The config family's validators (`dir`: see SchemaValidators). */
export const configValidators = (dir?: string | null) => new SchemaValidators(CONFIG_VALIDATORS, dir);

/** Writes the config schemas' modules (the build; the specs with a folder of their own). */
export const writeConfigValidators = (schemas: readonly object[], dir?: string) => writePrecompiledValidators(CONFIG_VALIDATORS, schemas, dir);
