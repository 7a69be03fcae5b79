import type { LipEvent } from '../../canonical/index.js';
import { malformedResponse, type ResponseDecoder } from '../http/index.js';
import { chatStreamError } from './classify-error.js';
import { ChatStreamDecoder, type ChatDecoderOptions } from './decode-stream.js';

type Json = Record<string, any>;

/**
 * A whole Chat Completions answer (`stream: false`) -> canonical events. The first choice's
 * `message` is replayed through ChatStreamDecoder as one chunk whose `delta` holds the whole
 * message (each `tool_calls[i]` keyed by its position), so reasoning (`reasoning_content` /
 * `reasoning`, OpenRouter's `reasoning_details`), text, refusals, tool calls, `annotations` (citations), usage and the finish map
 * exactly as when streamed.
 * A top-level `error` (compatible servers answer 200 with one) goes through classify-error.ts;
 * a body without `choices[0].message` is malformed. A missing `finish_reason` is a stop.
 *
 * ```
 * {"id":"c1","choices":[{"message":{"content":"Hi"},"finish_reason":"stop"}],"usage":{...}}
 *   -> response_started(c1), message_started, text_delta(Hi), usage, response_finished(stop)
 * ```
 * @see spec/backends/openai-chat/decode-response.spec.ts
 */
export class ChatResponseDecoder implements ResponseDecoder {
  constructor(private readonly backendId: string, private readonly secrets: readonly string[], private readonly options: ChatDecoderOptions = {}) {}

  decode(body: Json, out: LipEvent[]): void {
    if (body.error !== undefined && body.error !== null) throw chatStreamError(this.backendId, body, this.secrets);
    const choices: unknown = body.choices;
    const choice = Array.isArray(choices) ? (choices as unknown[]).find((c): c is Json => isObject(c) && (c.index ?? 0) === 0) : undefined;
    const message = choice?.message;
    if (!isObject(message)) throw malformedResponse(this.backendId, 'the completion has no choices[0].message');
    const delta: Json = {
      reasoning_content: message.reasoning_content ?? message.reasoning,
      reasoning_details: message.reasoning_details,
      content: message.content,
      refusal: message.refusal,
      annotations: message.annotations,
      ...(Array.isArray(message.tool_calls) ? { tool_calls: (message.tool_calls as unknown[]).map((c, index) => (isObject(c) ? { ...c, index } : c)) } : {}),
    };
    const stream = new ChatStreamDecoder(this.backendId, this.secrets, this.options);
    stream.frame({
      id: body.id, model: body.model, usage: body.usage,
      choices: [{ index: 0, delta, logprobs: choice!.logprobs, finish_reason: typeof choice!.finish_reason === 'string' ? choice!.finish_reason : 'stop' }],
    }, out);
    stream.end(out);
  }
}

/** A JSON object (upstream arrays may hold nulls and numbers where objects belong). */
function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null;
}
