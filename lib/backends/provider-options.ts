import type { CacheMark } from '../canonical/index.js';

type Json = Record<string, unknown>;

/**
 * The row key that lets a backend send the client's provider knobs (Call.providerOptions) of its
 * own family: on for the openai-chat, openai-responses and anthropic kinds, off for their presets
 * (presets/preset-kind.ts), whose vendors may refuse fields they do not know.
 */
export const PROVIDER_OPTIONS_PROPERTY: Record<string, unknown> = { type: 'boolean', default: true };

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

/** The fields that have a value (a knob the client did not set is not sent). */
export function definedFields(fields: Json): Json {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}

/**
 * An OpenAI content part with an explicit cache breakpoint (`prompt_cache_breakpoint`) when its
 * piece carries a cache mark and `marks` is set (the client wrote its marks as breakpoints and
 * the row sends knobs: hasBreakpointMarks).
 */
export function withBreakpoint(json: Json, part: { readonly cache?: CacheMark }, marks: boolean): Json {
  return marks && part.cache ? { ...json, prompt_cache_breakpoint: { mode: 'explicit' } } : json;
}
