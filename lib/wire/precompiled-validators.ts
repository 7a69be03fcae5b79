import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Ajv, Options, ValidateFunction } from 'ajv';

const nodeRequire = createRequire(import.meta.url);

/**
 * JSON Schema validators compiled ahead of time. The build (`npm run build`, which `npm install`,
 * `npm start` and `npm test` run) writes ajv's standalone code of every schema lip validates with
 * (the config's, the client protocols' request schemas) into PRECOMPILED_DIR, one CommonJS module
 * per schema named by the digest of its family's ajv options and the schema; a process then loads
 * a validator instead of compiling it. Compiling costs tens to hundreds of milliseconds per schema
 * and megabytes of garbage (the config's top-level schema: about 160 ms at every start; a request
 * schema: the first request of its protocol). A schema without a module (run from the TypeScript
 * sources, as the specs are, or changed since the build) is compiled as before: a stale build is
 * slower, never wrong.
 */
export const PRECOMPILED_DIR = fileURLToPath(new URL('../precompiled/', import.meta.url));

/** How one kind of schema is compiled, the same way at build time and at run time. */
export interface ValidatorFamily {
  /** ajv's options (part of each module's digest). */
  readonly options: Options;
  /** Adds the family's keywords and vocabularies to a new instance (ajv is passed in: it loads only to compile). */
  readonly setUp?: (ajv: Ajv, ajvModule: typeof import('ajv')) => void;
  /** What the generated code may `require` besides ajv's runtime: modules by name. */
  readonly modules?: Readonly<Record<string, unknown>>;
}

/** The name of a schema's module: changes with the schema or with the family's options. */
export function schemaDigest(family: ValidatorFamily, schema: object): string {
  return createHash('sha256').update(JSON.stringify(family.options)).update('\n').update(JSON.stringify(schema)).digest('hex').slice(0, 40);
}

/** One family's validators: each loaded from its module in `dir` when there is one, otherwise compiled. */
export class SchemaValidators {
  private ajv: Ajv | undefined;
  private readonly dir: string | undefined;
  /** How many schemas were compiled rather than loaded. */
  compiled = 0;

  /** `dir`: where the modules are (default PRECOMPILED_DIR; null: compile every schema). */
  constructor(private readonly family: ValidatorFamily, dir?: string | null) {
    this.dir = dir === undefined ? PRECOMPILED_DIR : dir ?? undefined;
  }

  validator(schema: object): ValidateFunction {
    const file = this.dir === undefined ? undefined : join(this.dir, `${schemaDigest(this.family, schema)}.cjs`);
    if (file !== undefined && existsSync(file)) {
      const modules = this.family.modules ?? {};
      try {
        return (nodeRequire(file) as ValidatorFactory)((id) => (Object.prototype.hasOwnProperty.call(modules, id) ? modules[id] : nodeRequire(id)));
      } catch {
        // A module that does not load (a build writing it this moment, a damaged file): compiled instead.
      }
    }
    this.compiled++;
    return (this.ajv ??= newAjv(this.family, false)).compile(schema);
  }
}

type ValidatorFactory = (require: (id: string) => unknown) => ValidateFunction;

function newAjv(family: ValidatorFamily, source: boolean): Ajv {
  const ajvModule = nodeRequire('ajv') as typeof import('ajv');
  const ajv = new ajvModule.Ajv(source ? { ...family.options, code: { ...family.options.code, source: true } } : family.options);
  family.setUp?.(ajv, ajvModule);
  return ajv;
}

/**
 * Writes the module of each of `schemas` into `dir`: ajv's standalone code of its validator,
 * wrapped in a function given the `require` that code calls (ajv's runtime helpers, and the
 * family's own modules). Returns the names written.
 */
export function writePrecompiledValidators(family: ValidatorFamily, schemas: readonly object[], dir: string = PRECOMPILED_DIR): string[] {
  const standaloneCode = (nodeRequire('ajv/dist/standalone') as typeof import('ajv/dist/standalone/index.js')).default;
  mkdirSync(dir, { recursive: true });
  const written = new Set<string>();
  for (const schema of schemas) {
    const name = `${schemaDigest(family, schema)}.cjs`;
    if (written.has(name)) continue;
    const ajv = newAjv(family, true);
    const code = standaloneCode(ajv, ajv.compile(schema));
    // Written aside, then renamed: a process loading it meanwhile reads the old module or the new one, whole.
    const temporary = join(dir, `.${name}.${process.pid}.tmp`);
    writeFileSync(temporary, `'use strict';\n// Written by the build (lib/wire/precompiled-validators.ts): one schema's validator. Do not edit.\nmodule.exports = function (require) {\nconst module = { exports: {} };\n${code}\nreturn module.exports;\n};\n`);
    renameSync(temporary, join(dir, name));
    written.add(name);
  }
  return [...written];
}

/** Removes the modules in `dir` not named in `keep` (what an earlier build wrote for schemas since changed). */
export function removeOtherValidators(keep: readonly string[], dir: string = PRECOMPILED_DIR): number {
  if (!existsSync(dir)) return 0;
  const kept = new Set(keep);
  const stale = readdirSync(dir).filter((name) => name.endsWith('.cjs') && !kept.has(name));
  for (const name of stale) rmSync(join(dir, name), { force: true });
  return stale.length;
}
