import type { AppAttribution, BackendFactory, BackendKind } from '../backend.js';

/**
 * An OpenAI-compatible (or Anthropic-compatible) vendor as data: which protocol it speaks,
 * where, with which key variable and models, and the row defaults that capture its quirks.
 * Presets are rows of PRESETS (preset-table.ts), never code.
 */
export interface Preset {
  /** The `kind:` operators write (`openrouter`). */
  readonly kind: string;
  /** The protocol kind it is a preset of. */
  readonly base: 'openai-chat' | 'openai-responses' | 'anthropic';
  /** One line for the docs table. */
  readonly description: string;
  /** The default key variable; a preset with one requires a key, one without sends none unless given. */
  readonly keyEnv?: string;
  /** Models reported when the row lists none; the first is the default. */
  readonly models: readonly string[];
  /** Defaults for row keys of the base kind (`base_url`, `auth`, quirk flags, `headers`). */
  readonly defaults: Readonly<Record<string, unknown>>;
  /** The row must name its endpoint (`custom-*`). */
  readonly requireBaseUrl?: boolean;
  /** The vendor's app attribution headers: lip's identity policy sends the app's URL and title in them. */
  readonly attribution?: AppAttribution;
  /** The vendor's provider id in the model catalog (models.dev); absent for local and custom endpoints. */
  readonly catalog?: string;
}

function schemaWithDefault(existing: Record<string, unknown> | undefined, value: unknown): Record<string, unknown> {
  if (existing) return { ...existing, default: value };
  if (value !== null && typeof value === 'object') return { type: 'object', additionalProperties: { type: 'string' }, default: value };
  return { type: typeof value, default: value };
}

/**
 * A BackendKind for a preset: the base kind's row schema with the preset's defaults (and
 * `provider_options: false` unless the preset says otherwise), built
 * by the base protocol's factory with the preset's key variable and models.
 *
 * ```ts
 * presetKind(PRESETS.find((p) => p.kind === 'openrouter')!, openaiChatKind, openaiChatBackend)
 * ```
 * @see spec/backends/presets/preset-table.spec.ts
 */
export function presetKind(preset: Preset, base: BackendKind, factory: BackendFactory): BackendKind {
  const properties: Record<string, Record<string, unknown>> = { ...base.properties };
  // A vendor may refuse OpenAI's or Anthropic's request knobs: a preset sends none unless it says so.
  if (properties.provider_options) properties.provider_options = schemaWithDefault(properties.provider_options, false);
  for (const [key, value] of Object.entries(preset.defaults)) properties[key] = schemaWithDefault(properties[key], value);
  if (preset.requireBaseUrl && properties.base_url) {
    // No default: the row must name its endpoint (see `required`).
    const { default: _ignored, ...withoutDefault } = properties.base_url;
    properties.base_url = withoutDefault;
  }
  const defaults = { ...(preset.keyEnv ? { keyEnv: preset.keyEnv } : {}), models: preset.models, ...(preset.attribution ? { attribution: preset.attribution } : {}) };
  return {
    kind: preset.kind,
    properties,
    ...(base.identity ? { identity: preset.attribution ? { attribution: preset.attribution } : {} } : {}),
    ...(preset.models[0] ? { defaultModel: preset.models[0] } : {}),
    ...(preset.requireBaseUrl ? { required: ['base_url'] } : {}),
    ...(base.checkRow ? { checkRow: base.checkRow } : {}),
    ...(preset.keyEnv ? { keyEnv: preset.keyEnv } : {}),
    ...(preset.catalog ? { catalogProvider: preset.catalog } : {}),
    ...(base.prefill ? { prefill: true } : {}),
    ...(base.embeds ? { embeds: true } : {}),
    create: (row, deps) => factory(row, deps, defaults),
  };
}
