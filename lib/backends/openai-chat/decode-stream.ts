import { randomId } from '../../wire/ids.js';
import type { CitationEvent, FinishReason, LipEvent, Usage } from '../../canonical/index.js';
import { REASONING_DIALECTS, SEARCH_DIALECTS } from '../../canonical/index.js';
import { checkUpstreamJson, JsonDepthMeter, MAX_UPSTREAM_DEPTH, MAX_UPSTREAM_ITEMS, upstreamTooDeep, upstreamTooMany, type SseMessage } from '../../wire/index.js';
import { parseFrame, type StreamDecoder } from '../http/index.js';
import { chatLogprobs } from '../logprobs.js';
import { chatStreamError } from './classify-error.js';
import { mapChatFinishReason } from './map-finish-reason.js';
import { ReasoningDetails } from './reasoning-details.js';

type Json = Record<string, any>;

interface OpenTool {
  id: string;
  name: string;
  started: boolean;
  finished: boolean;
  /** Argument text that arrived before the call's name. */
  pending: string;
  /** Nesting of the argument text so far (bounded by MAX_UPSTREAM_DEPTH). */
  depth?: JsonDepthMeter;
  /** A custom tool's call (`type: "custom"`, pieces of `custom.input`): raw input, not metered as JSON. */
  custom?: boolean;
}

/** Chat Completions `usage` -> canonical (the same convention: cache reads and writes are inside prompt tokens). */
export function chatUsage(u: Json): Usage {
  const out: { -readonly [K in keyof Usage]: Usage[K] } = {};
  if (typeof u.prompt_tokens === 'number') out.inputTokens = u.prompt_tokens;
  if (typeof u.completion_tokens === 'number') out.outputTokens = u.completion_tokens;
  if (typeof u.total_tokens === 'number') out.totalTokens = u.total_tokens;
  const cached = u.prompt_tokens_details?.cached_tokens;
  if (typeof cached === 'number' && cached > 0) out.cacheReadTokens = cached;
  const written = u.prompt_tokens_details?.cache_write_tokens;
  if (typeof written === 'number' && written > 0) out.cacheWriteTokens = written;
  const reasoning = u.completion_tokens_details?.reasoning_tokens;
  if (typeof reasoning === 'number' && reasoning > 0) out.reasoningTokens = reasoning;
  return out;
}

/**
 * Chat Completions SSE -> canonical events. The first chunk opens the response and the message;
 * `delta.reasoning_content` / `delta.reasoning` are reasoning, `delta.content` text, and
 * `delta.tool_calls[]` (custom tools' calls: `type: "custom"`, `custom: {name, input}`) are keyed by `index` (ids and names come with the first fragment of each
 * call). `delta.annotations[]` (a search model's `url_citation`s, in the chunk before the finish)
 * are citations of the content's span they name, emitted after that text (one naming text
 * still to come waits for the end). With `reasoningDetails` (OpenRouter), `delta.reasoning_details`
 * pieces gather until the reasoning run ends (the first text, refusal, tool call or finish) and close
 * it as its signature (ReasoningDetails; dialect REASONING_DIALECTS.openrouterDetails); details
 * that come after the output began, without reasoning text of their own, wait for the finish, so
 * that the text they come between stays one block.
 * `finish_reason` closes the open tool calls; the response finishes at `[DONE]`, after
 * the usage chunk that `include_usage` adds, or at the end of the body when a server omits it.
 * Arguments nested deeper than MAX_UPSTREAM_DEPTH fail the attempt (LIP_ERR_UPSTREAM_LIMIT_EXCEEDED).
 *
 * ```
 * data: {"choices":[{"delta":{"content":"Hi"}}]}   -> response_started, message_started, text_delta
 * data: {"choices":[{"delta":{},"finish_reason":"stop"}]}
 * data: {"choices":[],"usage":{...}}                -> usage
 * data: [DONE]                                       -> response_finished(stop)
 * ```
 * @see spec/backends/openai-chat/decode-stream.spec.ts
 */
export class ChatStreamDecoder implements StreamDecoder {
  private started = false;
  private finish: { reason: FinishReason; raw?: string } | undefined;
  private readonly tools: OpenTool[] = [];
  /** `index` -> position in `tools` (a server that reuses index 0 for every call gets new slots). */
  private readonly slots = new Map<number, number>();
  /** The `index` key of the newest call (fragments without an `index` continue it). */
  private lastIndex = -1;
  private ended = false;
  /** UTF-16 length of the text so far: where a citation's span must end. */
  private textLength = 0;
  /** Citations of text that has not arrived yet: emitted at the end, their spans cut to the text. */
  private pending: CitationEvent[] | undefined;
  private citations = 0;
  /** The open reasoning run's `reasoning_details` (a row that reads them). */
  private readonly details: ReasoningDetails | undefined;
  /** Whether reasoning came since the last output (its text, or details before any output): the next output closes the run. */
  private reasoned = false;
  /** Whether output (text, a refusal, a tool call) came. */
  private spoke = false;

  constructor(private readonly backendId: string, private readonly secrets: readonly string[], options: ChatDecoderOptions = {}) {
    if (options.reasoningDetails === true) this.details = new ReasoningDetails(backendId);
  }

  message(message: SseMessage, out: LipEvent[]): void {
    if (this.ended) return;
    const data = message.data;
    if (data === '[DONE]') return this.close(out);
    checkUpstreamJson(this.backendId, data);
    this.frame(parseFrame(this.backendId, data), out);
  }

  /** One parsed chunk (decode-response.ts feeds a whole completion through here as one chunk). */
  frame(frame: Json, out: LipEvent[]): void {
    if (frame.error !== undefined && frame.error !== null) throw chatStreamError(this.backendId, frame, this.secrets);
    if (!this.started) {
      this.started = true;
      out.push({ type: 'response_started', ...(typeof frame.id === 'string' && frame.id ? { id: frame.id } : {}), ...(typeof frame.model === 'string' ? { model: frame.model } : {}) });
      out.push({ type: 'message_started' });
    }
    const choices = frame.choices as Json[] | undefined;
    if (Array.isArray(choices)) {
      for (const choice of choices) if (isObject(choice) && (choice.index ?? 0) === 0) this.choice(choice, out);
    }
    if (frame.usage && typeof frame.usage === 'object') out.push({ type: 'usage', usage: chatUsage(frame.usage) });
  }

  end(out: LipEvent[]): void {
    // Servers that omit `[DONE]` still end properly when they sent a finish reason.
    if (!this.ended && this.finish) this.close(out);
  }

  private choice(choice: Json, out: LipEvent[]): void {
    const delta = choice.delta as Json | undefined;
    if (isObject(delta)) {
      const reasoning = delta.reasoning_content ?? delta.reasoning;
      if (typeof reasoning === 'string' && reasoning.length > 0) {
        out.push({ type: 'reasoning_delta', text: reasoning });
        this.reasoned = true;
      }
      if (this.details) this.detailsOf(delta, out);
      if (typeof delta.content === 'string' && delta.content.length > 0) {
        const logprobs = isObject(choice.logprobs) ? chatLogprobs(choice.logprobs.content) : undefined;
        out.push(logprobs ? { type: 'text_delta', text: delta.content, logprobs } : { type: 'text_delta', text: delta.content });
        this.textLength += delta.content.length;
      }
      if (typeof delta.refusal === 'string' && delta.refusal.length > 0) {
        out.push({ type: 'text_delta', text: delta.refusal, refusal: true });
        this.textLength += delta.refusal.length;
      }
      if (Array.isArray(delta.tool_calls)) for (const call of delta.tool_calls as Json[]) if (isObject(call)) this.toolFragment(call, out);
      if (Array.isArray(delta.annotations)) for (const a of delta.annotations as unknown[]) this.annotation(a, out);
    }
    if (typeof choice.finish_reason === 'string') {
      this.closeReasoning(out);
      this.closeTools(out);
      this.finish = mapChatFinishReason(choice.finish_reason);
    }
  }

  private toolFragment(call: Json, out: LipEvent[]): void {
    const id = typeof call.id === 'string' && call.id ? call.id : undefined;
    const index = typeof call.index === 'number' ? call.index : this.unindexed(id);
    const slot = this.slots.get(index);
    let tool = slot === undefined ? undefined : this.tools[slot];
    if (!tool || (id !== undefined && tool.id && id !== tool.id)) {
      tool = { id: '', name: '', started: false, finished: false, pending: '' };
      if (this.tools.length >= MAX_UPSTREAM_ITEMS) throw upstreamTooMany(this.backendId, 'tool calls');
      this.slots.set(index, this.tools.push(tool) - 1);
      this.lastIndex = index;
    }
    if (!tool.id && id) tool.id = id;
    const custom = customFragment(call);
    if (custom && !tool.started) tool.custom = true;
    const fn = (tool.custom ? custom : call.function) as Json | undefined;
    if (!tool.name && typeof fn?.name === 'string' && fn.name) tool.name = fn.name;
    const text = tool.custom ? fn?.input : fn?.arguments;
    const args = typeof text === 'string' ? text : '';
    if (args.length > 0 && !tool.custom && (tool.depth ??= new JsonDepthMeter(MAX_UPSTREAM_DEPTH)).push(args) >= 0) throw upstreamTooDeep(this.backendId, 'a tool call\'s arguments');
    if (!tool.started && tool.name) {
      tool.started = true;
      // Some servers send no ids; made-up ones must stay unique across a conversation.
      if (!tool.id) tool.id = randomId('call_', 12);
      out.push({ type: 'tool_call_started', id: tool.id, name: tool.name, ...(tool.custom ? { custom: true } : {}) });
      if (tool.pending) out.push({ type: 'tool_call_delta', id: tool.id, args: tool.pending });
      tool.pending = '';
    }
    if (args.length === 0) return;
    if (tool.started && !tool.finished) out.push({ type: 'tool_call_delta', id: tool.id, args });
    else if (!tool.started) tool.pending += args;
  }

  /**
   * A `url_citation` annotation -> a citation (other annotation types are skipped). Its span is
   * `start_index`..`end_index` of the content; one without indices cites the whole text so far.
   * OpenRouter's `content` (the cited page's text) is the cited text.
   */
  private annotation(a: unknown, out: LipEvent[]): void {
    if (!isObject(a) || a.type !== 'url_citation' || !isObject(a.url_citation)) return;
    const c = a.url_citation;
    if (typeof c.url !== 'string' || c.url.length === 0) return;
    if (++this.citations > MAX_UPSTREAM_ITEMS) throw upstreamTooMany(this.backendId, 'citations');
    const start = typeof c.start_index === 'number' && c.start_index >= 0 ? Math.floor(c.start_index) : 0;
    const end = typeof c.end_index === 'number' && c.end_index >= start ? Math.floor(c.end_index) : (typeof c.start_index === 'number' ? start : this.textLength);
    const citation: CitationEvent = {
      type: 'citation', url: c.url,
      ...(typeof c.title === 'string' && c.title.length > 0 ? { title: c.title } : {}),
      ...(typeof c.content === 'string' && c.content.length > 0 ? { citedText: c.content } : {}),
      start, end, dialect: SEARCH_DIALECTS.openaiChat,
    };
    if (end <= this.textLength) out.push(citation);
    else (this.pending ??= []).push(citation);
  }

  /** The citations still waiting, their spans cut to the text there is. */
  private flushCitations(out: LipEvent[]): void {
    if (this.pending === undefined) return;
    for (const c of this.pending) out.push({ ...c, start: Math.min(c.start, this.textLength), end: this.textLength });
    this.pending = undefined;
  }

  /**
   * The slot key of a fragment without an `index` (some compatible servers send none): it
   * continues the newest call unless it names another id, which starts a new call.
   */
  private unindexed(id: string | undefined): number {
    const last = this.tools[this.tools.length - 1];
    return last && (id === undefined || id === last.id) ? this.lastIndex : this.tools.length;
  }

  /** A delta's `reasoning_details` into the open run, which output closes when reasoning came before it. */
  private detailsOf(delta: Json, out: LipEvent[]): void {
    if (Array.isArray(delta.reasoning_details)) {
      this.details!.add(delta.reasoning_details as unknown[]);
      if (!this.spoke) this.reasoned = true;
    }
    if (!hasOutput(delta)) return;
    this.spoke = true;
    if (!this.reasoned) return;
    this.reasoned = false;
    this.closeReasoning(out);
  }

  /** Ends the reasoning run with its `reasoning_details`, when it has any. */
  private closeReasoning(out: LipEvent[]): void {
    const signature = this.details?.take();
    if (signature !== undefined) out.push({ type: 'reasoning_signature', signature, dialect: REASONING_DIALECTS.openrouterDetails });
  }

  private closeTools(out: LipEvent[]): void {
    for (const tool of this.tools) {
      if (tool.started && !tool.finished) {
        tool.finished = true;
        out.push({ type: 'tool_call_finished', id: tool.id });
      }
    }
  }

  private close(out: LipEvent[]): void {
    if (!this.started) return; // `[DONE]` with nothing before it: an empty stream
    this.ended = true;
    this.closeReasoning(out);
    this.flushCitations(out);
    this.closeTools(out);
    out.push({ type: 'response_finished', ...(this.finish ?? { reason: 'stop' }) });
  }
}

/** What a decoder reads beside the standard fields. */
export interface ChatDecoderOptions {
  /** OpenRouter's `reasoning_details` (row key `reasoning_details`). */
  readonly reasoningDetails?: boolean;
}

/** Whether a delta carries output that ends a reasoning run: text, a refusal or a tool call. */
function hasOutput(delta: Json): boolean {
  return (typeof delta.content === 'string' && delta.content.length > 0) || (typeof delta.refusal === 'string' && delta.refusal.length > 0)
    || (Array.isArray(delta.tool_calls) && delta.tool_calls.length > 0);
}

/**
 * The `custom` object of a custom tool's call fragment (`type: "custom"`, or a `custom` with a
 * string name or input); undefined for a function call (some gateways echo an empty `custom: {}` on those).
 */
function customFragment(call: Json): Json | undefined {
  const custom: unknown = call.custom;
  if (!isObject(custom)) return undefined;
  return call.type === 'custom' || typeof custom.name === 'string' || typeof custom.input === 'string' ? custom : undefined;
}

/** A JSON object (upstream arrays may hold nulls and numbers where objects belong). */
function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null;
}
