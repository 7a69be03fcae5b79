import type { LipEvent } from '../../canonical/index.js';
import { malformedResponse, type ResponseDecoder } from '../http/index.js';
import { anthropicStreamError } from './classify-error.js';
import { AnthropicStreamDecoder } from './decode-stream.js';

type Json = Record<string, any>;

/**
 * A whole Messages API answer (`stream: false`) -> canonical events. The message is replayed
 * through AnthropicStreamDecoder as the events a stream of it would hold: `message_start`
 * (id, model, usage), each content block as a start carrying the whole block and its stop
 * (text with its citations, thinking with its signature, redacted thinking, tool_use whose
 * `input` becomes the arguments, a web search's `server_tool_use` whose `input` holds the query
 * and its `web_search_tool_result`, another server tool's blocks, each one `hosted_tool` done as
 * written), then `message_delta` (stop reason, stop sequence, the code execution `container`) and
 * `message_stop`. A body of
 * `type: "error"` goes through classify-error.ts; one without a `content` array is malformed.
 *
 * ```
 * {"id":"msg_1","content":[{"type":"text","text":"Hi"}],"stop_reason":"end_turn","usage":{...}}
 *   -> response_started(msg_1), message_started, usage, text_delta(Hi), response_finished(stop)
 * ```
 * @see spec/backends/anthropic/decode-response.spec.ts
 */
export class AnthropicResponseDecoder implements ResponseDecoder {
  constructor(private readonly backendId: string, private readonly secrets: readonly string[]) {}

  decode(body: Json, out: LipEvent[]): void {
    if (body.type === 'error' || (body.error !== undefined && body.error !== null)) throw anthropicStreamError(this.backendId, body, this.secrets);
    const content: unknown = body.content;
    if (!Array.isArray(content)) throw malformedResponse(this.backendId, 'the message has no content array');
    const stream = new AnthropicStreamDecoder(this.backendId, this.secrets, true);
    stream.frame({ type: 'message_start', message: { id: body.id, model: body.model, ...(isObject(body.usage) ? { usage: body.usage } : {}) } }, out);
    for (let index = 0; index < content.length; index++) {
      const block: unknown = content[index];
      if (!isObject(block)) continue;
      stream.frame({ type: 'content_block_start', index, content_block: block }, out);
      stream.frame({ type: 'content_block_stop', index }, out);
    }
    stream.frame({
      type: 'message_delta', delta: { stop_reason: body.stop_reason ?? null, stop_sequence: body.stop_sequence ?? null, container: body.container ?? null, stop_details: body.stop_details ?? null },
      context_management: body.context_management ?? null, input_transformations: body.input_transformations ?? null,
    }, out);
    stream.frame({ type: 'message_stop' }, out);
  }
}

/** A JSON object (upstream arrays may hold nulls and numbers where objects belong). */
function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null;
}
