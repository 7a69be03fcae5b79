import type { CitationEvent, LipEvent, TokenLogprob, Usage } from '../../canonical/index.js';
import { effectiveFinishReason, mergeUsage } from '../../canonical/index.js';
import type { LipError } from '../../errors/index.js';
import { wireLogprobs } from '../logprobs.js';
import type { EncodeContext, StreamEncoder } from '../protocol.js';
import { chatErrorObject } from './encode-error.js';
import { chatUsage } from './encode-usage.js';
import { completionId } from './ids.js';
import { mapFinishReason } from './map-finish-reason.js';
import { TurnState } from './turn-state.js';

/**
 * Events -> `chat.completion.chunk` SSE frames. The chunk prefix (id, object, created, model)
 * is serialised once per stream; each event costs one JSON.stringify of its delta.
 * Tool calls get `index` by start order (a function call whose deltas carried no arguments gets a
 * `{}` piece when it finishes, as OpenAI sends it); a custom tool's call streams as `type: "custom"` with
 * pieces of `custom.input` (the shape OpenAI sends; the SDK's chunk type has only functions). Usage goes in a final `choices: []` chunk when the
 * client asked for `stream_options.include_usage`, as OpenAI does (zero counts when the upstream
 * reported none); then `data: [DONE]`.
 * Signatures and opaque reasoning have no field here: the turn's state rides in the tool-call
 * ids (turn-state.ts). Hosted web searches have none either; the text's citations go out as
 * OpenAI's search models send them: every `url_citation` annotation in one
 * `delta: {annotations}` chunk right before the finishing chunk.
 */
export class ChatStreamEncoder implements StreamEncoder {
  private readonly prefix: string;
  private readonly includeUsage: boolean;
  /** The client asked for log probabilities (`logprobs: true`). */
  private readonly logprobs: boolean;
  private readonly toolIndex = new Map<string, number>();
  /** The ids of custom tools' calls: their pieces go in `custom.input`. */
  private readonly custom = new Set<string>();
  /** The ids of function calls whose arguments so far are blank: `{}` goes out when they finish. */
  private readonly blankArguments = new Set<string>();
  private started = false;
  private finished = false;
  private usage: Usage = {};
  private readonly state = new TurnState();
  /** The response's citations as wire annotations (JSON), sent before the finishing chunk. */
  private annotations: string[] | undefined;

  constructor(context: EncodeContext) {
    this.prefix = `data: {"id":${JSON.stringify(context.responseId ?? completionId(context))},"object":"chat.completion.chunk","created":${context.created},"model":${JSON.stringify(context.model ?? context.call.model)},`;
    this.includeUsage = context.hints.includeUsage === true;
    this.logprobs = context.call.options.logprobs !== undefined;
  }

  private chunk(delta: string, finishReason: string | null = null): string {
    return `${this.prefix}"choices":[{"index":0,"delta":${delta},"logprobs":null,"finish_reason":${finishReason === null ? 'null' : `"${finishReason}"`}}]}\n\n`;
  }

  /** A content chunk with its tokens' log probabilities (when the client asked for them). */
  private textWithLogprobs(text: string, logprobs: readonly TokenLogprob[]): string {
    return `${this.prefix}"choices":[{"index":0,"delta":{"content":${JSON.stringify(text)}},"logprobs":${JSON.stringify({ content: wireLogprobs(logprobs), refusal: null })},"finish_reason":null}]}\n\n`;
  }

  /** The first chunk announces the assistant role; content chunks follow. */
  private open(): string {
    if (this.started) return '';
    this.started = true;
    return this.chunk('{"role":"assistant","content":""}');
  }

  event(event: LipEvent): string {
    switch (event.type) {
      case 'message_started':
        return this.open();
      case 'text_delta':
        if (!event.text) return '';
        if (event.refusal === true) return this.open() + this.chunk(`{"refusal":${JSON.stringify(event.text)}}`);
        if (event.logprobs !== undefined && this.logprobs) return this.open() + this.textWithLogprobs(event.text, event.logprobs);
        return this.open() + this.chunk(`{"content":${JSON.stringify(event.text)}}`);
      case 'reasoning_delta':
        if (!event.text) return '';
        this.state.push(event);
        return this.open() + this.chunk(`{"reasoning_content":${JSON.stringify(event.text)}}`);
      case 'reasoning_signature':
      case 'reasoning_opaque':
        this.state.push(event); // no place in this protocol but the next tool call's id
        return '';
      case 'tool_call_started': {
        const index = this.toolIndex.size;
        this.toolIndex.set(event.id, index);
        const id = JSON.stringify(this.state.callId(event));
        const name = JSON.stringify(event.name);
        if (event.custom !== true) {
          this.blankArguments.add(event.id);
          return this.open() + this.chunk(`{"tool_calls":[{"index":${index},"id":${id},"type":"function","function":{"name":${name},"arguments":""}}]}`);
        }
        this.custom.add(event.id);
        return this.open() + this.chunk(`{"tool_calls":[{"index":${index},"id":${id},"type":"custom","custom":{"name":${name},"input":""}}]}`);
      }
      case 'tool_call_delta': {
        let index = this.toolIndex.get(event.id);
        if (index === undefined) {
          index = this.toolIndex.size;
          this.toolIndex.set(event.id, index);
        }
        if (this.custom.has(event.id)) return this.chunk(`{"tool_calls":[{"index":${index},"custom":{"input":${JSON.stringify(event.args)}}}]}`);
        if (this.blankArguments.has(event.id) && event.args.trim().length > 0) this.blankArguments.delete(event.id);
        return this.chunk(`{"tool_calls":[{"index":${index},"function":{"arguments":${JSON.stringify(event.args)}}}]}`);
      }
      case 'tool_call_finished':
        // A call whose deltas carried no arguments: `{}` (function-arguments.ts), a piece clients add to the blank ones.
        if (!this.blankArguments.delete(event.id)) return '';
        return this.chunk(`{"tool_calls":[{"index":${this.toolIndex.get(event.id)!},"function":{"arguments":"{}"}}]}`);
      case 'citation':
        if (event.url !== undefined) (this.annotations ??= []).push(JSON.stringify(urlCitation(event))); // a document's has no Chat form
        return '';
      case 'usage':
        this.usage = mergeUsage(this.usage, event.usage);
        return '';
      case 'response_finished':
        return this.finish(mapFinishReason(effectiveFinishReason(event.reason, this.toolIndex.size > 0)));
      default:
        return ''; // lifecycle, signatures, opaque reasoning, web searches, warnings: no place in this protocol
    }
  }

  private finish(reason: string): string {
    if (this.finished) return '';
    this.finished = true;
    let out = this.open();
    if (this.annotations) out += this.chunk(`{"annotations":[${this.annotations.join(',')}]}`);
    out += this.chunk('{}', reason);
    // Sent whenever asked for, with zero counts when the upstream reported none (a compatible
    // server that ignores stream_options): clients wait for it, and the SDK's usage has numbers.
    if (this.includeUsage) out += `${this.prefix}"choices":[],"usage":${JSON.stringify(chatUsage(this.usage))}}\n\n`;
    return out;
  }

  error(err: LipError): string {
    return `data: ${JSON.stringify({ error: chatErrorObject(err) })}\n\n`;
  }

  end(): string {
    return `${this.finish(this.toolIndex.size > 0 ? 'tool_calls' : 'stop')}data: [DONE]\n\n`;
  }
}

/** A citation as Chat's `url_citation` annotation (its span in `content`; `title` is required there). */
export function urlCitation(c: Omit<CitationEvent, 'type'>): Record<string, unknown> {
  return { type: 'url_citation', url_citation: { start_index: c.start, end_index: c.end, url: c.url, title: c.title ?? '' } };
}
