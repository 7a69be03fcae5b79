import type { Call } from '../canonical/index.js';

type Json = Record<string, unknown>;

/**
 * The row key that lets a backend send the client's provider knobs (Call.providerOptions) of its
 * own family: on for the openai-chat, openai-responses and anthropic kinds, off for their presets
 * (presets/preset-kind.ts), whose vendors may refuse fields they do not know.
 */
export const PROVIDER_OPTIONS_PROPERTY: Record<string, unknown> = { type: 'boolean', default: true };

/** The OpenAI knobs of a call in Chat Completions wire names. */
export function openaiChatKnobs(call: Call): Json {
  const k = call.providerOptions?.openai;
  if (!k) return {};
  return defined({
    service_tier: k.serviceTier, prompt_cache_key: k.promptCacheKey, prompt_cache_retention: k.promptCacheRetention,
    safety_identifier: k.safetyIdentifier, logit_bias: k.logitBias, prediction: k.prediction,
  });
}

/** The OpenAI knobs of a call in Responses wire names (no logit_bias, no prediction: the API has neither). */
export function openaiResponsesKnobs(call: Call): Json {
  const k = call.providerOptions?.openai;
  if (!k) return {};
  return defined({
    service_tier: k.serviceTier, prompt_cache_key: k.promptCacheKey, prompt_cache_retention: k.promptCacheRetention,
    safety_identifier: k.safetyIdentifier, truncation: k.truncation,
  });
}

/** The Anthropic knobs of a call in Messages wire names. */
export function anthropicKnobs(call: Call): Json {
  const k = call.providerOptions?.anthropic;
  if (!k) return {};
  return defined({ service_tier: k.serviceTier });
}

/**
 * Adds knobs to a request body, each only where the body has no such field yet: a knob never
 * overrides a field lip set itself. An OpenAI `user` that only repeats the `safety_identifier`
 * sent beside it (the frontends take the end user from it when `user` is absent) is left out.
 */
export function sendKnobs(body: Json, knobs: Json): Json {
  for (const [field, value] of Object.entries(knobs)) if (body[field] === undefined) body[field] = value;
  if (knobs.safety_identifier !== undefined && body.safety_identifier === knobs.safety_identifier && body.user === knobs.safety_identifier) delete body.user;
  return body;
}

function defined(fields: Json): Json {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}
