import type { OpenAIProviderOptions } from '../canonical/index.js';

/**
 * The OpenAI request knobs lip carries (wire name -> canonical name): an explicit list, never
 * "every unknown field". Each frontend names the ones its protocol has.
 */
const OPENAI_KNOBS = {
  service_tier: 'serviceTier',
  prompt_cache_key: 'promptCacheKey',
  prompt_cache_retention: 'promptCacheRetention',
  safety_identifier: 'safetyIdentifier',
  truncation: 'truncation',
  logit_bias: 'logitBias',
  prediction: 'prediction',
  prompt_cache_options: 'promptCacheOptions',
  moderation: 'moderation',
  context_management: 'contextManagement',
  max_tool_calls: 'maxToolCalls',
} as const satisfies Record<string, keyof OpenAIProviderOptions>;

export type OpenAIKnob = keyof typeof OPENAI_KNOBS;

/**
 * The request-schema entries of the OpenAI knobs (Chat Completions and Responses spell them
 * alike), for a frontend's schema to spread the ones it reads: a wrong type is a 400 naming the
 * field. Tiers and retentions are strings, not enums: OpenAI adds values and judges them itself;
 * `truncation` is echoed in the Response object, so it must be one of the two it can be.
 */
export const OPENAI_KNOB_SCHEMAS: Record<OpenAIKnob, Record<string, unknown>> = {
  service_tier: { type: ['string', 'null'] },
  prompt_cache_key: { type: ['string', 'null'] },
  prompt_cache_retention: { type: ['string', 'null'] },
  safety_identifier: { type: ['string', 'null'] },
  truncation: { enum: ['auto', 'disabled', null] },
  prompt_cache_options: {
    type: ['object', 'null'],
    properties: { mode: { enum: ['implicit', 'explicit', null] }, ttl: { type: ['string', 'null'] } },
  },
  logit_bias: { type: ['object', 'null'], description: 'an object of token ids to numbers', additionalProperties: { type: 'number' } },
  max_tool_calls: { type: ['integer', 'null'], minimum: 1 },
  context_management: {
    type: ['array', 'null'],
    items: { type: 'object', required: ['type'], properties: { type: { type: 'string', minLength: 1 }, compact_threshold: { type: ['integer', 'null'], minimum: 1 } } },
  },
  moderation: {
    type: ['object', 'null'], required: ['model'],
    properties: {
      model: { type: 'string' },
      policy: {
        type: ['object', 'null'],
        properties: Object.fromEntries(['input', 'output'].map((side) => [side, { type: ['object', 'null'], required: ['mode'], properties: { mode: { enum: ['score', 'block'] } } }])),
      },
    },
  },
  prediction: {
    type: ['object', 'null'], required: ['type', 'content'],
    properties: {
      type: { const: 'content' },
      content: {
        type: ['string', 'array'], description: 'a string or an array of text parts',
        items: { type: 'object', required: ['type', 'text'], properties: { type: { const: 'text' }, text: { type: 'string' } } },
      },
    },
  },
};

/** Picks the schema entries of the named knobs. */
export function openaiKnobSchemas(knobs: readonly OpenAIKnob[]): Record<string, Record<string, unknown>> {
  return Object.fromEntries(knobs.map((k) => [k, OPENAI_KNOB_SCHEMAS[k]]));
}

/**
 * The named OpenAI knobs a validated request set (null = not set), in canonical names, for the
 * frontend to put under its family in `providerOptions`; undefined when it set none.
 *
 * ```ts
 * openaiKnobsOf(body, ['service_tier', 'prompt_cache_key']) // { serviceTier: 'flex', promptCacheKey: 'conv-1' }
 * ```
 */
export function openaiKnobsOf(body: Readonly<Record<string, unknown>>, knobs: readonly OpenAIKnob[]): OpenAIProviderOptions | undefined {
  const set: Record<string, unknown> = {};
  for (const knob of knobs) {
    const value = body[knob];
    if (value !== undefined && value !== null) set[OPENAI_KNOBS[knob]] = value;
  }
  return Object.keys(set).length > 0 ? set as OpenAIProviderOptions : undefined;
}
