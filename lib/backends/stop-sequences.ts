import type { Call } from '../canonical/index.js';
import { LipError } from '../errors/index.js';

/**
 * For a backend whose API has no stop sequences (the Responses API, Open Responses, the Codex
 * endpoint): a call that has some is refused before anything is sent (retryable, so that a route
 * moves on to a candidate that takes them, as for more stop sequences than Gemini takes), never
 * sent without them, which would answer past where the client asked to stop. The backend does not
 * know which protocol the client wrote, so the message names each one's field.
 *
 * ```ts
 * refuseStopSequences(call, 'openai-responses')
 * // throws: stop sequences (stop, stop_sequences, generationConfig.stopSequences): openai-responses has none ...
 * ```
 * @see spec/e2e/regression-responses-stop-sequences.spec.ts
 */
export function refuseStopSequences(call: Call, backend: string): void {
  const given = call.options.stopSequences?.length ?? 0;
  if (given === 0) return;
  throw new LipError('LIP_ERR_REQUEST_UNSUPPORTED', `stop sequences (stop, stop_sequences, generationConfig.stopSequences): ${backend} has none (its API takes no stop parameter); leave them out, or route the request to a backend that takes them`, {
    retryable: true, detail: { backend, given },
  });
}

/**
 * The stop sequences, or a 400 for more than the backend takes (its API refuses them: Gemini
 * takes up to 5, OpenAI's Chat Completions up to 4), before anything is sent: retryable, so that
 * a route moves on to a candidate that takes them. No limit (undefined) takes any number.
 *
 * ```ts
 * limitStopSequences(['a', 'b', 'c', 'd', 'e'], 4, 'openai-chat backend "oc"')
 * // throws: stop sequences (stop, ...): openai-chat backend "oc" takes at most 4, the request has 5; ...
 * ```
 * @see spec/backends/openai-chat/encode-request.spec.ts, spec/backends/gemini/encode-request.spec.ts
 */
export function limitStopSequences(stops: readonly string[], limit: number | undefined, backend: string): readonly string[] {
  if (limit === undefined || stops.length <= limit) return stops;
  throw new LipError('LIP_ERR_REQUEST_UNSUPPORTED', `stop sequences (stop, stop_sequences, generationConfig.stopSequences): ${backend} takes at most ${limit}, the request has ${stops.length}; send fewer, or route the request to a backend that takes more`, {
    retryable: true, detail: { backend, limit, given: stops.length },
  });
}

/** The call without its stop sequences: for a token count, which they do not change. */
export function withoutStopSequences(call: Call): Call {
  if (call.options.stopSequences === undefined) return call;
  const { stopSequences: _stops, ...options } = call.options;
  return { ...call, options };
}
