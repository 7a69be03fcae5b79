import { REASONING_DIALECTS } from '../../canonical/index.js';
import type { LipEvent } from '../../canonical/index.js';
import { malformedResponse, type ResponseDecoder } from '../http/index.js';
import { responsesStreamError } from './classify-error.js';
import { ResponsesStreamDecoder } from './decode-stream.js';
import { isHostedItem } from './hosted-tools.js';

type Json = Record<string, any>;

/**
 * A whole Responses API answer (`stream: false`) -> canonical events. The response object is
 * replayed through ResponsesStreamDecoder as the events a stream of it would hold:
 * `response.created`, then per output item its content as deltas (reasoning summary parts and
 * raw reasoning text, `output_text` and `refusal` parts) between `output_item.added` and
 * `output_item.done` (function calls, `encrypted_content`, web searches; a hosted tool's item,
 * code interpreter, image generation, MCP, ..., only done, as it is), an output_text's
 * `url_citation` annotations right after its text, and `response.completed` or
 * `response.incomplete` with the usage. `status: "failed"` or an `error` object goes through
 * classify-error.ts; a body without an `output` array is malformed.
 *
 * ```
 * {"id":"resp_1","status":"completed","output":[{"type":"message","content":[{"type":"output_text","text":"Hi"}]}]}
 *   -> response_started(resp_1), message_started, text_delta(Hi), response_finished(stop)
 * ```
 * @see spec/backends/openai-responses/decode-response.spec.ts
 */
export class ResponsesResponseDecoder implements ResponseDecoder {
  /** `reasoningDialect`: as the stream decoder's (undefined: encrypted reasoning is left out). */
  constructor(private readonly backendId: string, private readonly secrets: readonly string[], private readonly reasoningDialect: string | undefined = REASONING_DIALECTS.openaiResponses) {}

  decode(body: Json, out: LipEvent[]): void {
    if (body.status === 'failed' || (body.error !== undefined && body.error !== null)) {
      throw responsesStreamError(this.backendId, isObject(body.error) ? body.error : undefined, this.secrets);
    }
    const output: unknown = body.output;
    if (!Array.isArray(output)) throw malformedResponse(this.backendId, 'the response has no output array');
    const stream = new ResponsesStreamDecoder(this.backendId, this.secrets, this.reasoningDialect);
    stream.frame({ type: 'response.created', response: body }, out);
    for (let output_index = 0; output_index < output.length; output_index++) {
      const item: unknown = output[output_index];
      if (!isObject(item)) continue;
      // A hosted tool's item is reported done only: a whole answer has nothing to show of it before.
      if (!isHostedItem(item)) stream.frame({ type: 'response.output_item.added', output_index, item }, out);
      const deltas = item.type === 'reasoning' ? reasoningDeltas(item) : item.type === 'message' ? messageDeltas(item) : [];
      for (const delta of deltas) stream.frame({ ...delta, item_id: item.id, output_index }, out);
      stream.frame({ type: 'response.output_item.done', output_index, item }, out);
    }
    stream.frame({ type: body.status === 'incomplete' ? 'response.incomplete' : 'response.completed', response: body }, out);
  }
}

/** A reasoning item's summary parts (by index) and raw reasoning text as the stream's delta events. */
function reasoningDeltas(item: Json): Json[] {
  const out: Json[] = [];
  const summary: unknown[] = Array.isArray(item.summary) ? item.summary : [];
  summary.forEach((part, summary_index) => {
    if (isObject(part) && typeof part.text === 'string') out.push({ type: 'response.reasoning_summary_text.delta', summary_index, delta: part.text });
  });
  const content: unknown[] = Array.isArray(item.content) ? item.content : [];
  for (const part of content) {
    if (isObject(part) && part.type === 'reasoning_text' && typeof part.text === 'string') out.push({ type: 'response.reasoning_text.delta', delta: part.text });
  }
  return out;
}

/** A message item's `output_text` and `refusal` parts as the stream's delta events, each output_text's annotations after its text. */
function messageDeltas(item: Json): Json[] {
  const out: Json[] = [];
  const content: unknown[] = Array.isArray(item.content) ? item.content : [];
  content.forEach((part, content_index) => {
    if (!isObject(part)) return;
    if (part.type === 'output_text' && typeof part.text === 'string') {
      out.push({ type: 'response.output_text.delta', content_index, delta: part.text, logprobs: part.logprobs });
      const annotations: unknown[] = Array.isArray(part.annotations) ? part.annotations : [];
      annotations.forEach((annotation, annotation_index) => out.push({ type: 'response.output_text.annotation.added', content_index, annotation_index, annotation }));
    }
    if (part.type === 'refusal' && typeof part.refusal === 'string') out.push({ type: 'response.refusal.delta', content_index, delta: part.refusal });
  });
  return out;
}

/** A JSON object (upstream arrays may hold nulls and numbers where objects belong). */
function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null;
}
