import type { CitationEvent, FinishReason, LipEvent, Usage } from '../../canonical/index.js';
import { REASONING_DIALECTS } from '../../canonical/index.js';
import { checkUpstreamJson, JsonDepthMeter, MAX_UPSTREAM_DEPTH, MAX_UPSTREAM_ITEMS, upstreamTooDeep, upstreamTooMany } from '../../wire/index.js';
import { malformedFrame, parseFrame, type StreamDecoder } from '../http/index.js';
import { bedrockStreamError } from './classify-error.js';
import { headerString, type EventStreamMessage } from './event-stream-framer.js';
import { mapBedrockStopReason } from './map-finish-reason.js';

type Json = Record<string, any>;
interface Block {
  kind: 'text' | 'reasoning' | 'tool';
  id?: string;
  args?: boolean;
  signature?: string;
  depth?: JsonDepthMeter;
  /** A text block's start in the response text, and its citations (Converse `citation` deltas). */
  start?: number;
  citations?: Json[];
}

/**
 * Converse usage -> canonical. Bedrock counts cache reads and writes beside `inputTokens`;
 * the canonical input includes them.
 */
export function bedrockUsage(u: Json): Usage {
  const read = typeof u.cacheReadInputTokens === 'number' ? u.cacheReadInputTokens : 0;
  const write = typeof u.cacheWriteInputTokens === 'number' ? u.cacheWriteInputTokens : 0;
  const out: { -readonly [K in keyof Usage]: Usage[K] } = {};
  if (typeof u.inputTokens === 'number') out.inputTokens = u.inputTokens + read + write;
  if (typeof u.outputTokens === 'number') out.outputTokens = u.outputTokens;
  if (typeof u.totalTokens === 'number') out.totalTokens = u.totalTokens;
  else if (out.inputTokens !== undefined && out.outputTokens !== undefined) out.totalTokens = out.inputTokens + out.outputTokens;
  if (read > 0) out.cacheReadTokens = read;
  if (write > 0) out.cacheWriteTokens = write;
  return out;
}

const decoder = new TextDecoder();

/**
 * ConverseStream event-stream messages -> canonical events. `messageStart` opens the response
 * (synthesised when content comes first); blocks are tracked by `contentBlockIndex`: text and
 * reasoning deltas stream through, a reasoning block's `signature` delta becomes
 * `reasoning_signature` when the block stops, `redactedContent` one `reasoning_opaque`, and a
 * block started with `toolUse` is a tool call whose `input` fragments are its arguments.
 * `messageStop` carries the stop reason; the usage comes after it in `metadata`, which ends the
 * response (a body that ends after `messageStop` without it ends there). An `exception` or
 * `error` message fails the stream (bedrockStreamError).
 *
 * @see spec/backends/bedrock/decode-stream.spec.ts
 */
export class BedrockStreamDecoder implements StreamDecoder<EventStreamMessage> {
  private started = false;
  private stopped = false;
  private ended = false;
  private calls = 0;
  private readonly blocks = new Map<number, Block>();
  private finish: { reason: FinishReason; raw?: string; stopSequence?: string } = { reason: 'stop' };
  /** UTF-16 length of the response text so far (a text block's citations span its text in it). */
  private textLength = 0;

  /** `stops`: the call's stop sequences (which one matched, when Converse does not say). */
  constructor(private readonly backendId: string, private readonly secrets: readonly string[], private readonly stops: readonly string[] = []) {}

  /** Whether the response ended (metadata after messageStop, or the body's end after it). */
  get finished(): boolean {
    return this.ended;
  }

  message(message: EventStreamMessage, out: LipEvent[]): void {
    if (this.ended) return;
    const kind = headerString(message, ':message-type') ?? 'event';
    const text = decoder.decode(message.body);
    if (kind === 'exception') {
      throw bedrockStreamError(this.backendId, headerString(message, ':exception-type'), messageOf(text), this.secrets);
    }
    if (kind === 'error') {
      throw bedrockStreamError(this.backendId, headerString(message, ':error-code'), headerString(message, ':error-message'), this.secrets);
    }
    const type = headerString(message, ':event-type');
    if (type === undefined) throw malformedFrame(this.backendId, 'an event without :event-type');
    checkUpstreamJson(this.backendId, text);
    this.event(type, text.length > 0 ? parseFrame(this.backendId, text) : {}, out);
  }

  /** One event by its type (decode-response.ts replays a whole Converse answer through here). */
  event(type: string, e: Json, out: LipEvent[]): void {
    if (this.ended) return;
    switch (type) {
      case 'messageStart': return this.start(out);
      case 'contentBlockStart': return this.blockStart(e, out);
      case 'contentBlockDelta': return this.blockDelta(e, out);
      case 'contentBlockStop': return this.blockStop(e.contentBlockIndex, out);
      case 'messageStop':
        this.start(out);
        for (const index of [...this.blocks.keys()]) this.blockStop(index, out);
        if (typeof e.stopReason === 'string') this.finish = mapBedrockStopReason(e.stopReason);
        if (this.finish.reason === 'stop_sequence') {
          // Converse names the matched sequence only in a model's own fields when asked
          // (`additionalModelResponseFields`); with one stop sequence in the call, it is that one.
          const fields = e.additionalModelResponseFields as { stop_sequence?: unknown; delta?: { stop_sequence?: unknown } } | undefined;
          const named = fields?.delta?.stop_sequence ?? fields?.stop_sequence;
          const matched = typeof named === 'string' ? named : this.stops.length === 1 ? this.stops[0] : undefined;
          if (matched !== undefined) this.finish = { ...this.finish, stopSequence: matched };
        }
        if (this.finish.reason === 'stop' && this.calls > 0) this.finish = { reason: 'tool_calls' };
        this.stopped = true;
        return;
      case 'metadata':
        if (e.usage && typeof e.usage === 'object') out.push({ type: 'usage', usage: bedrockUsage(e.usage) });
        if (this.stopped) this.close(out);
        return;
      default:
        return; // forward-compatible additions
    }
  }

  end(out: LipEvent[]): void {
    if (this.stopped && !this.ended) this.close(out);
  }

  private close(out: LipEvent[]): void {
    this.ended = true;
    out.push({ type: 'response_finished', ...this.finish });
  }

  private start(out: LipEvent[]): void {
    if (this.started) return;
    this.started = true;
    out.push({ type: 'response_started' });
    out.push({ type: 'message_started' });
  }

  private index(e: Json): number {
    if (typeof e.contentBlockIndex !== 'number') throw malformedFrame(this.backendId, 'a content block event without a numeric contentBlockIndex');
    return e.contentBlockIndex;
  }

  private block(index: number, kind: Block['kind']): Block {
    let block = this.blocks.get(index);
    if (!block) {
      if (this.blocks.size >= MAX_UPSTREAM_ITEMS) throw upstreamTooMany(this.backendId, 'open content blocks');
      this.blocks.set(index, (block = { kind }));
    }
    return block;
  }

  /** The text block at `index`, opened where the response text now ends. */
  private textBlock(index: number): Block {
    const block = this.block(index, 'text');
    block.start ??= this.textLength;
    return block;
  }

  private blockStart(e: Json, out: LipEvent[]): void {
    const index = this.index(e);
    this.start(out);
    const tool = e.start?.toolUse;
    if (!tool) return; // other starts (tool results, images) carry nothing to surface
    if (typeof tool.toolUseId !== 'string' || typeof tool.name !== 'string') throw malformedFrame(this.backendId, 'a toolUse start without a string toolUseId and name');
    if (this.blocks.has(index)) throw malformedFrame(this.backendId, `content block ${index} started twice`);
    this.block(index, 'tool').id = tool.toolUseId;
    this.calls++;
    out.push({ type: 'tool_call_started', id: tool.toolUseId, name: tool.name });
  }

  private blockDelta(e: Json, out: LipEvent[]): void {
    const index = this.index(e);
    this.start(out);
    const d = (e.delta ?? {}) as Json;
    if (typeof d.text === 'string') {
      this.textBlock(index);
      if (d.text.length > 0) {
        out.push({ type: 'text_delta', text: d.text });
        this.textLength += d.text.length;
      }
      return;
    }
    if (d.citation && typeof d.citation === 'object') {
      const block = this.textBlock(index);
      if ((block.citations?.length ?? 0) >= MAX_UPSTREAM_ITEMS) throw upstreamTooMany(this.backendId, 'citations');
      (block.citations ??= []).push(d.citation);
      return;
    }
    if (d.toolUse) {
      const block = this.blocks.get(index);
      if (!block || block.kind !== 'tool') throw malformedFrame(this.backendId, `toolUse input for block ${index}, which is not a started tool use`);
      const input = d.toolUse.input;
      if (typeof input === 'string' && input.length > 0) {
        if ((block.depth ??= new JsonDepthMeter(MAX_UPSTREAM_DEPTH)).push(input) >= 0) throw upstreamTooDeep(this.backendId, 'a toolUse input');
        block.args = true;
        out.push({ type: 'tool_call_delta', id: block.id!, args: input });
      }
      return;
    }
    const r = d.reasoningContent;
    if (r && typeof r === 'object') {
      const block = this.block(index, 'reasoning');
      if (typeof r.text === 'string' && r.text.length > 0) out.push({ type: 'reasoning_delta', text: r.text });
      if (typeof r.signature === 'string') block.signature = (block.signature ?? '') + r.signature;
      if (typeof r.redactedContent === 'string' && r.redactedContent.length > 0) {
        out.push({ type: 'reasoning_opaque', dialect: REASONING_DIALECTS.anthropicRedacted, data: r.redactedContent });
      }
    }
  }

  private blockStop(index: unknown, out: LipEvent[]): void {
    if (typeof index !== 'number') return;
    const block = this.blocks.get(index);
    if (!block) return;
    this.blocks.delete(index);
    if (block.kind === 'text' && block.citations) {
      for (const c of block.citations) {
        const citation = documentCitation(c, block.start ?? 0, this.textLength);
        if (citation) out.push(citation);
      }
    }
    if (block.kind === 'reasoning' && block.signature) out.push({ type: 'reasoning_signature', signature: block.signature, dialect: REASONING_DIALECTS.anthropicThinking });
    if (block.kind === 'tool') {
      if (!block.args) out.push({ type: 'tool_call_delta', id: block.id!, args: '{}' });
      out.push({ type: 'tool_call_finished', id: block.id! });
    }
  }
}

/** Converse's document locations, by member, as canonical location kinds. */
const LOCATIONS: Readonly<Record<string, 'char' | 'page' | 'block'>> = { documentChar: 'char', documentPage: 'page', documentChunk: 'block' };

/**
 * A Converse citation (`{title, sourceContent: [{text}], location: {documentChar | documentPage |
 * documentChunk: {documentIndex, start, end}}}`) as a citation of the text block's span
 * `start`..`end`; other locations (web, search results) are left out.
 */
function documentCitation(c: Json, start: number, end: number): CitationEvent | undefined {
  const location = c.location && typeof c.location === 'object' ? c.location as Json : undefined;
  const member = location === undefined ? undefined : Object.keys(LOCATIONS).find((key) => location[key] && typeof location[key] === 'object');
  if (member === undefined) return undefined;
  const at = location![member] as Json;
  if (typeof at.start !== 'number' || typeof at.end !== 'number') return undefined;
  const title = typeof c.title === 'string' ? { title: c.title } : {};
  const cited = Array.isArray(c.sourceContent) ? (c.sourceContent as Json[]).map((p) => (p && typeof p.text === 'string' ? p.text : '')).join('') : '';
  return {
    type: 'citation', ...(cited.length > 0 ? { citedText: cited } : {}), start, end, ...title,
    document: { index: typeof at.documentIndex === 'number' ? at.documentIndex : 0, kind: LOCATIONS[member]!, start: at.start, end: at.end, ...title },
  };
}

function messageOf(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { message?: unknown; Message?: unknown };
    const m = body.message ?? body.Message;
    return typeof m === 'string' ? m : undefined;
  } catch {
    return text.trim() || undefined;
  }
}
