import type { LipEvent } from '../../canonical/index.js';
import { malformedResponse, type ResponseDecoder } from '../http/index.js';
import { bedrockStreamError } from './classify-error.js';
import { BedrockStreamDecoder } from './decode-stream.js';

type Json = Record<string, any>;

/**
 * A whole `/converse` answer -> canonical events. Its blocks are replayed through
 * BedrockStreamDecoder as the events ConverseStream would have sent (text, reasoning with its
 * signature, redacted reasoning, tool use with the input as one fragment), then `messageStop`
 * and the usage, so both wire modes produce exactly the same events. An answer without an
 * `output.message` or a `stopReason` is malformed.
 *
 * ```
 * {"output":{"message":{"role":"assistant","content":[{"text":"Hi"}]}},"stopReason":"end_turn","usage":{...}}
 *   -> response_started, message_started, text_delta(Hi), usage, response_finished(stop)
 * ```
 * @see spec/backends/bedrock/decode-response.spec.ts
 */
export class BedrockResponseDecoder implements ResponseDecoder {
  constructor(private readonly backendId: string, private readonly secrets: readonly string[], private readonly stops: readonly string[] = []) {}

  decode(body: Json, out: LipEvent[]): void {
    // An error object where the answer should be: the upstream reported a failure.
    if (body.output === undefined && (typeof body.message === 'string' || typeof body.Message === 'string')) {
      throw bedrockStreamError(this.backendId, typeof body.__type === 'string' ? body.__type.split('#').pop() : undefined, body.message ?? body.Message, this.secrets);
    }
    const content = body.output?.message?.content;
    if (!Array.isArray(content)) throw malformedResponse(this.backendId, 'the answer has no output.message.content');
    if (typeof body.stopReason !== 'string') throw malformedResponse(this.backendId, 'the answer has no stopReason');
    const stream = new BedrockStreamDecoder(this.backendId, this.secrets, this.stops);
    stream.event('messageStart', { role: 'assistant' }, out);
    (content as Json[]).forEach((block, contentBlockIndex) => {
      if (!block || typeof block !== 'object') return;
      const delta = (d: Json) => stream.event('contentBlockDelta', { contentBlockIndex, delta: d }, out);
      if (typeof block.text === 'string') delta({ text: block.text });
      else if (block.citationsContent && typeof block.citationsContent === 'object') {
        // Cited text: its generated text, then its citations, as the stream would send them.
        const cited = block.citationsContent as Json;
        delta({ text: Array.isArray(cited.content) ? (cited.content as Json[]).map((p) => (p && typeof p.text === 'string' ? p.text : '')).join('') : '' });
        if (Array.isArray(cited.citations)) for (const citation of cited.citations as unknown[]) if (citation && typeof citation === 'object') delta({ citation });
      }
      else if (block.toolUse) {
        const t = block.toolUse as Json;
        stream.event('contentBlockStart', { contentBlockIndex, start: { toolUse: { toolUseId: t.toolUseId, name: t.name } } }, out);
        delta({ toolUse: { input: JSON.stringify(t.input ?? {}) } });
      } else if (block.reasoningContent) {
        const r = block.reasoningContent as Json;
        if (r.reasoningText) {
          delta({ reasoningContent: { text: r.reasoningText.text ?? '' } });
          if (typeof r.reasoningText.signature === 'string') delta({ reasoningContent: { signature: r.reasoningText.signature } });
        }
        if (typeof r.redactedContent === 'string') delta({ reasoningContent: { redactedContent: r.redactedContent } });
      }
      stream.event('contentBlockStop', { contentBlockIndex }, out);
    });
    stream.event('messageStop', { stopReason: body.stopReason, ...(body.additionalModelResponseFields ? { additionalModelResponseFields: body.additionalModelResponseFields } : {}) }, out);
    stream.event('metadata', body.usage ? { usage: body.usage } : {}, out);
  }
}
