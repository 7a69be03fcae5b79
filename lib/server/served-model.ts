import type { CollectedResponse } from '../canonical/index.js';
import type { LipEvent } from '../canonical/index.js';
import type { EncodeContext, StreamEncoder } from '../frontends/protocol.js';

/**
 * The model a response names: the one that served (the upstream's `response_started` model,
 * else the model part of the candidate key that served), or the requested one when
 * `routing.echo_requested_model` is set (or nothing served).
 */
export function servedModel(reported: string | undefined, candidateKey: string | undefined, requested: string): string {
  if (reported) return reported;
  if (candidateKey !== undefined) {
    const colon = candidateKey.indexOf(':');
    if (colon > 0 && colon < candidateKey.length - 1) return candidateKey.slice(colon + 1).replace(/\?.*$/, '');
  }
  return requested;
}

/**
 * The encode context of a whole answer, naming the served model unless the requested one is echoed.
 *
 * Here and in servedModelEncoder the request's context is copied with its `model` set: every
 * context has that property (EncodeContext requires it, `model: undefined` until named), because
 * V8 copies an object into its own shape at once, while a copy that adds a property took 1-3 µs
 * per answer.
 */
export function wholeContext(context: EncodeContext, response: CollectedResponse, candidateKey: string | undefined, echo: boolean): EncodeContext {
  return echo ? context : { ...context, model: servedModel(response.model, candidateKey, context.call.model) };
}

/**
 * A stream encoder made at the first event, when the served model is known (`response_started`
 * comes first and names it): every frontend's stream then names the same model its whole answer
 * would. With `echo` the frontend's encoder is made at once, as it always was.
 */
export function servedModelEncoder(make: (context: EncodeContext) => StreamEncoder, context: EncodeContext, candidateKey: () => string | undefined, echo: boolean): StreamEncoder {
  if (echo) return make(context);
  let inner: StreamEncoder | undefined;
  const encoder = (reported?: string) => (inner ??= make({ ...context, model: servedModel(reported, candidateKey(), context.call.model) }));
  return {
    event: (event: LipEvent) => encoder(event.type === 'response_started' ? event.model : undefined).event(event),
    error: (err) => encoder().error(err),
    end: () => encoder().end(),
  };
}
