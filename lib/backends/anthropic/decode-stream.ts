import type { FinishReason, LipEvent, Usage } from '../../canonical/index.js';
import { REASONING_DIALECTS } from '../../canonical/index.js';
import { checkUpstreamJson, JsonDepthMeter, MAX_UPSTREAM_DEPTH, MAX_UPSTREAM_ITEMS, upstreamTooDeep, upstreamTooMany, valueTooDeep, type SseMessage } from '../../wire/index.js';
import { malformedFrame, parseFrame, type StreamDecoder } from '../http/index.js';
import { anthropicStreamError } from './classify-error.js';
import { mapAnthropicStopReason } from './map-finish-reason.js';

type Json = Record<string, any>;
type Block = { kind: 'text' | 'thinking' | 'tool' | 'other'; id?: string; signature?: string; args: boolean; input?: unknown; depth?: JsonDepthMeter };

/**
 * Anthropic usage -> canonical. Anthropic counts cache reads and cache writes IN ADDITION to
 * `input_tokens`; the canonical input includes them. `parts` remembers the last input
 * components, because `message_delta` may repeat only some of them.
 */
export function anthropicUsage(u: Json, parts: { input: number; read: number; write: number }): Usage {
  if (typeof u.input_tokens === 'number') parts.input = u.input_tokens;
  if (typeof u.cache_read_input_tokens === 'number') parts.read = u.cache_read_input_tokens;
  if (typeof u.cache_creation_input_tokens === 'number') parts.write = u.cache_creation_input_tokens;
  const out: { -readonly [K in keyof Usage]: Usage[K] } = { inputTokens: parts.input + parts.read + parts.write };
  if (typeof u.output_tokens === 'number') {
    out.outputTokens = u.output_tokens;
    out.totalTokens = out.inputTokens! + u.output_tokens;
  }
  if (parts.read > 0) out.cacheReadTokens = parts.read;
  if (parts.write > 0) out.cacheWriteTokens = parts.write;
  const thinking = u.output_tokens_details?.thinking_tokens ?? u.output_tokens_details?.reasoning_tokens;
  if (typeof thinking === 'number' && thinking > 0) out.reasoningTokens = thinking;
  return out;
}

/**
 * Messages API SSE -> canonical events. `message_start` opens the response and the message
 * (with the input usage); blocks are tracked by `index`: text and thinking deltas stream
 * through, a thinking block's `signature_delta` is emitted as `reasoning_signature` when the
 * block stops, `redacted_thinking` becomes one `reasoning_opaque`, and `tool_use` blocks become
 * tool calls whose `input_json_delta` fragments are the arguments (an input nested deeper than
 * MAX_UPSTREAM_DEPTH fails the attempt: LIP_ERR_UPSTREAM_LIMIT_EXCEEDED). `message_delta` carries the
 * stop reason and the final usage; `message_stop` ends the response. `ping` is ignored and
 * `event: error` fails the stream.
 *
 * @see spec/backends/anthropic/decode-stream.spec.ts
 */
export class AnthropicStreamDecoder implements StreamDecoder {
  private started = false;
  private readonly blocks = new Map<number, Block>();
  private finish: { reason: FinishReason; raw?: string; stopSequence?: string } = { reason: 'stop' };
  private readonly usage = { input: 0, read: 0, write: 0 };
  private ended = false;

  constructor(private readonly backendId: string, private readonly secrets: readonly string[]) {}

  message(message: SseMessage, out: LipEvent[]): void {
    if (this.ended) return;
    checkUpstreamJson(this.backendId, message.data);
    this.frame(parseFrame(this.backendId, message.data), out, message.event);
  }

  /** One parsed event (decode-response.ts replays a whole message's blocks through here). */
  frame(frame: Json, out: LipEvent[], event?: string): void {
    if (this.ended) return;
    const type = typeof frame.type === 'string' ? frame.type : event;
    if (type === 'error') throw anthropicStreamError(this.backendId, frame, this.secrets);
    if (type === 'ping') return;
    if (type === 'message_start') return this.start(frame.message ?? {}, out);
    if (!this.started) throw malformedFrame(this.backendId, `${type} before message_start`);
    switch (type) {
      case 'content_block_start': return this.blockStart(frame.index, frame.content_block ?? {}, out);
      case 'content_block_delta': return this.blockDelta(frame.index, frame.delta ?? {}, out);
      case 'content_block_stop': return this.blockStop(frame.index, out);
      case 'message_delta': {
        const d = frame.delta ?? {};
        if (typeof d.stop_reason === 'string') {
          const mapped = mapAnthropicStopReason(d.stop_reason);
          this.finish = { ...mapped, ...(mapped.reason === 'stop_sequence' && typeof d.stop_sequence === 'string' ? { stopSequence: d.stop_sequence } : {}) };
        }
        if (frame.usage) out.push({ type: 'usage', usage: anthropicUsage(frame.usage, this.usage) });
        return;
      }
      case 'message_stop':
        this.ended = true;
        for (const [index, block] of this.blocks) if (block.kind === 'tool') this.blockStop(index, out);
        out.push({ type: 'response_finished', ...this.finish });
        return;
      default:
        return; // unknown event types are forward-compatible additions
    }
  }

  end(): void {
    // Without message_stop the stream is incomplete; the source decides how to report it.
  }

  private start(m: Json, out: LipEvent[]): void {
    if (this.started) throw malformedFrame(this.backendId, 'a second message_start');
    this.started = true;
    out.push({ type: 'response_started', ...(typeof m.id === 'string' ? { id: m.id } : {}), ...(typeof m.model === 'string' ? { model: m.model } : {}) });
    out.push({ type: 'message_started' });
    if (m.usage) out.push({ type: 'usage', usage: anthropicUsage(m.usage, this.usage) });
  }

  private blockStart(index: number, b: Json, out: LipEvent[]): void {
    if (this.blocks.size >= MAX_UPSTREAM_ITEMS && !this.blocks.has(index)) throw upstreamTooMany(this.backendId, 'open content blocks');
    switch (b.type) {
      case 'text':
        this.blocks.set(index, { kind: 'text', args: false });
        if (typeof b.text === 'string' && b.text.length > 0) out.push({ type: 'text_delta', text: b.text });
        return;
      case 'thinking':
        this.blocks.set(index, { kind: 'thinking', args: false, ...(typeof b.signature === 'string' && b.signature ? { signature: b.signature } : {}) });
        if (typeof b.thinking === 'string' && b.thinking.length > 0) out.push({ type: 'reasoning_delta', text: b.thinking });
        return;
      case 'redacted_thinking':
        this.blocks.set(index, { kind: 'other', args: false });
        out.push({ type: 'reasoning_opaque', dialect: REASONING_DIALECTS.anthropicRedacted, data: typeof b.data === 'string' ? b.data : '' });
        return;
      case 'tool_use':
        if (typeof b.id !== 'string' || typeof b.name !== 'string') throw malformedFrame(this.backendId, 'a tool_use block without a string id and name');
        if (typeof b.input === 'object' && b.input !== null && valueTooDeep(b.input, MAX_UPSTREAM_DEPTH)) throw upstreamTooDeep(this.backendId, 'a tool_use input');
        this.blocks.set(index, { kind: 'tool', id: b.id, args: false, input: b.input });
        out.push({ type: 'tool_call_started', id: b.id, name: b.name });
        return;
      default:
        this.blocks.set(index, { kind: 'other', args: false }); // server tools, citations, ...: not surfaced
    }
  }

  private blockDelta(index: number, d: Json, out: LipEvent[]): void {
    const block = this.blocks.get(index);
    if (!block) throw malformedFrame(this.backendId, `content_block_delta for block ${typeof index === 'number' ? index : `(${typeof index} index)`}, which never started`);
    switch (d.type) {
      case 'text_delta':
        if (typeof d.text === 'string' && d.text) out.push({ type: 'text_delta', text: d.text });
        return;
      case 'thinking_delta':
        if (typeof d.thinking === 'string' && d.thinking) out.push({ type: 'reasoning_delta', text: d.thinking });
        return;
      case 'signature_delta':
        if (typeof d.signature === 'string') block.signature = (block.signature ?? '') + d.signature;
        return;
      case 'input_json_delta':
        if (block.kind === 'tool' && typeof d.partial_json === 'string' && d.partial_json) {
          if ((block.depth ??= new JsonDepthMeter(MAX_UPSTREAM_DEPTH)).push(d.partial_json) >= 0) throw upstreamTooDeep(this.backendId, 'a tool_use input');
          block.args = true;
          out.push({ type: 'tool_call_delta', id: block.id!, args: d.partial_json });
        }
        return;
      default:
        return;
    }
  }

  private blockStop(index: number, out: LipEvent[]): void {
    const block = this.blocks.get(index);
    if (!block) return;
    this.blocks.delete(index);
    if (block.kind === 'thinking' && block.signature) out.push({ type: 'reasoning_signature', signature: block.signature, dialect: REASONING_DIALECTS.anthropicThinking });
    if (block.kind === 'tool') {
      // No input_json_delta at all: the arguments are the (usually empty) input object of the start.
      if (!block.args) out.push({ type: 'tool_call_delta', id: block.id!, args: JSON.stringify(block.input ?? {}) });
      out.push({ type: 'tool_call_finished', id: block.id! });
    }
  }
}
