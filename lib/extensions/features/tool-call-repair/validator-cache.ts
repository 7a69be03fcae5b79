import { createHash } from 'node:crypto';
import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import AjvDraft04Module from 'ajv-draft-04';
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
const AjvDraft04 = ((AjvDraft04Module as unknown as { default?: unknown }).default ?? AjvDraft04Module) as new (o: Options) => AjvLike;

// Client schemas carry unknown keywords and formats; never load anything remote (no loadSchema).
const OPTIONS: Options = { strict: false, allErrors: true, validateFormats: false, verbose: true };

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
      ajv = dialect === '2020-12' ? new Ajv2020(OPTIONS) : dialect === '2019-09' ? new Ajv2019(OPTIONS) : dialect === 'draft-04' ? new AjvDraft04(OPTIONS) : new Ajv(OPTIONS);
      this.instances.set(dialect, ajv);
    }
    return ajv;
  }
}
