import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Ajv, ErrorObject, Options, ValidateFunction } from 'ajv';
import { prescanSchema, type Dialect, type SchemaLimits } from './schema-prescan.js';

/** `schema:` of the plugin config: the pre-scan limits plus the cache bounds. */
export interface SchemaConfig extends SchemaLimits {
  readonly max_cache_entries: number;
  readonly max_cache_bytes: number;
}

/** A compiled tool schema, or why there is none. */
export type CompiledSchema =
  | { readonly ok: true; readonly validate: (value: unknown) => readonly ErrorObject[] | undefined; readonly schema: Record<string, unknown> }
  | { readonly ok: false; readonly reason: 'schema_invalid' | 'schema_unsupported' };

type AjvLike = Pick<Ajv, 'compile' | 'removeSchema'>;
const nodeRequire = createRequire(import.meta.url);
// Client schemas carry unknown keywords and formats; never load anything remote (no loadSchema).
const OPTIONS: Options = { strict: false, allErrors: true, validateFormats: false, verbose: true };

/** A new ajv instance of `dialect`: ajv and the dialect's meta-schemas load on the first tool schema, not at start. */
function newAjv(dialect: Dialect): AjvLike {
  if (dialect === '2020-12') return new (nodeRequire('ajv/dist/2020') as typeof import('ajv/dist/2020.js')).Ajv2020(OPTIONS);
  if (dialect === '2019-09') return new (nodeRequire('ajv/dist/2019') as typeof import('ajv/dist/2019.js')).Ajv2019(OPTIONS);
  if (dialect === 'draft-04') {
    const draft04 = nodeRequire('ajv-draft-04') as { default?: new (o: Options) => AjvLike };
    return new (draft04.default ?? (draft04 as unknown as new (o: Options) => AjvLike))(OPTIONS);
  }
  return new (nodeRequire('ajv') as typeof import('ajv')).Ajv(OPTIONS);
}

interface Entry { readonly compiled: CompiledSchema; readonly bytes: number; readonly dialect?: Dialect; readonly fn?: ValidateFunction }

/**
 * Compiled validators keyed by the SHA-256 of the schema text, least recently used first out
 * (bounded by entries and by schema bytes; an evicted validator is removed from its ajv
 * instance, whose own cache is unbounded). Refusals (pre-scan or compile errors) are cached
 * too, so a bad schema costs one scan. One ajv instance per dialect, made on first use.
 */
export class ValidatorCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private readonly instances = new Map<Dialect, AjvLike>();

  constructor(private readonly config: SchemaConfig) {}

  get size(): number {
    return this.entries.size;
  }

  get(schema: unknown): CompiledSchema {
    let text: string;
    try {
      text = JSON.stringify(schema) ?? 'undefined';
    } catch {
      return { ok: false, reason: 'schema_invalid' };
    }
    const digest = createHash('sha256').update(text).digest('base64');
    const hit = this.entries.get(digest);
    if (hit) {
      this.entries.delete(digest);
      this.entries.set(digest, hit);
      return hit.compiled;
    }
    const entry = this.compile(schema);
    this.entries.set(digest, entry);
    this.bytes += entry.bytes;
    while (this.entries.size > this.config.max_cache_entries || (this.bytes > this.config.max_cache_bytes && this.entries.size > 1)) {
      const [oldest, old] = this.entries.entries().next().value as [string, Entry];
      this.entries.delete(oldest);
      this.bytes -= old.bytes;
      if (old.fn && old.dialect) this.instance(old.dialect).removeSchema(old.fn.schema as object);
    }
    return entry.compiled;
  }

  private compile(schema: unknown): Entry {
    const scan = prescanSchema(schema, this.config);
    if (!scan.ok) return { compiled: { ok: false, reason: scan.reason }, bytes: 64 };
    // The instance is chosen by the dialect; a root $schema/$id would make ajv look the
    // meta-schema up or register the id globally, so the compiled copy goes without them.
    const { $schema: _s, $id: _i, ...root } = schema as Record<string, unknown>;
    if (scan.dialect === 'draft-04' && typeof root.id === 'string') delete root.id;
    let fn: ValidateFunction;
    try {
      fn = this.instance(scan.dialect).compile(root);
    } catch {
      return { compiled: { ok: false, reason: 'schema_invalid' }, bytes: 64 };
    }
    const validate = (value: unknown) => (fn(value) ? undefined : (fn.errors ?? []));
    return { compiled: { ok: true, validate, schema: root }, bytes: scan.text.length, dialect: scan.dialect, fn };
  }

  private instance(dialect: Dialect): AjvLike {
    let ajv = this.instances.get(dialect);
    if (!ajv) {
      ajv = newAjv(dialect);
      this.instances.set(dialect, ajv);
    }
    return ajv;
  }
}
