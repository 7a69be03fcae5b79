import type { LipEvent } from '../../canonical/index.js';
import type { ResponseDecoder } from '../http/index.js';
import { geminiStreamError } from './classify-error.js';
import { GeminiStreamDecoder } from './decode-stream.js';

type Json = Record<string, any>;

/**
 * A whole `:generateContent` answer -> canonical events. It is one GenerateContentResponse,
 * the same object each `alt=sse` frame carries, so it goes through GeminiStreamDecoder as a
 * single frame: thoughts, signatures, text, function calls (made-up ids), the built-ins' parts and
 * records (hosted tool events), grounding, usage and
 * the finish map exactly as when streamed. An in-body `error` goes through classify-error.ts. An
 * answer with neither a `finishReason` nor a blocked prompt (Gemini's empty answer: its usage
 * alone, or a candidate with nothing in it) ends without a finish, as it does streamed:
 * readWholeResponse judges it as the stream that ended there (LIP_ERR_UPSTREAM_EMPTY_STREAM,
 * retryable, its usage kept).
 *
 * ```
 * {"candidates":[{"content":{"parts":[{"text":"Hi"}]},"finishReason":"STOP"}],"usageMetadata":{...}}
 *   -> response_started, message_started, text_delta(Hi), usage, response_finished(stop)
 * ```
 * @see spec/backends/gemini/decode-response.spec.ts
 */
export class GeminiResponseDecoder implements ResponseDecoder {
  /**
   * `search`: the call declares a web search or URL context (the grounding's citations are then
   * read); `written`: it declares a grounding built-in (the grounding is reported as written too).
   */
  constructor(private readonly backendId: string, private readonly secrets: readonly string[], private readonly search = false, private readonly written = false) {}

  decode(body: Json, out: LipEvent[]): void {
    if (body.error !== undefined && body.error !== null) throw geminiStreamError(this.backendId, body, this.secrets);
    new GeminiStreamDecoder(this.backendId, this.secrets, this.search, this.written).frame(body, out);
  }
}
