import type { CitationEvent, LipEvent, Usage } from '../../canonical/index.js';
import { REASONING_DIALECTS, TOOL_SEARCH_TOOL_NAME } from '../../canonical/index.js';
import { checkUpstreamJson, JsonDepthMeter, MAX_UPSTREAM_DEPTH, MAX_UPSTREAM_ITEMS, upstreamTooDeep, upstreamTooMany, type SseMessage } from '../../wire/index.js';
import { malformedFrame, parseFrame, type StreamDecoder } from '../http/index.js';
import { chatLogprobs } from '../logprobs.js';
import { responsesStreamError } from './classify-error.js';
import { mapResponsesFinish } from './map-finish-reason.js';
import { citationEvent, webSearchEvent } from './web-search-call.js';
import { HostedItems, isHostedEvent, isHostedItem } from './hosted-tools.js';
import { clientItemArgs, clientItemFields, clientItemTool } from './client-tools.js';
import { callerOf } from './programs.js';

type Json = Record<string, any>;

/** A call being read; `custom`: a custom_tool_call (raw input, not metered as JSON); `search`: a tool_search_call of the client's (arguments a JSON value, written whole when done). */
interface Call { id: string; args: boolean; finished: boolean; custom: boolean; search?: boolean; depth?: JsonDepthMeter }

/** Responses `usage` -> canonical (the same convention: cache reads and writes inside input, reasoning inside output). */
export function responsesUsage(u: Json): Usage {
  const out: { -readonly [K in keyof Usage]: Usage[K] } = {};
  if (typeof u.input_tokens === 'number') out.inputTokens = u.input_tokens;
  if (typeof u.output_tokens === 'number') out.outputTokens = u.output_tokens;
  if (typeof u.total_tokens === 'number') out.totalTokens = u.total_tokens;
  const cached = u.input_tokens_details?.cached_tokens;
  if (typeof cached === 'number' && cached > 0) out.cacheReadTokens = cached;
  const written = u.input_tokens_details?.cache_write_tokens;
  if (typeof written === 'number' && written > 0) out.cacheWriteTokens = written;
  const reasoning = u.output_tokens_details?.reasoning_tokens;
  if (typeof reasoning === 'number' && reasoning > 0) out.reasoningTokens = reasoning;
  return out;
}

/**
 * Responses API SSE -> canonical events. `response.created` opens the response and the
 * message; summary and raw reasoning deltas are reasoning (summary parts of one item are
 * separated by a blank line); a reasoning item's `encrypted_content` becomes one
 * `reasoning_opaque` (with the item id) when the item is done; output text and refusals are
 * text; `function_call` items are tool calls keyed by `call_id` (with their `namespace`),
 * `custom_tool_call` items custom calls (their `custom_tool_call_input` deltas are the raw input),
 * the client's `tool_search_call` items calls of its tool search, `shell_call`,
 * `apply_patch_call`, `local_shell_call` and `computer_call` items calls of those tools
 * (arguments whole when done; a computer call is started only then, with the safety checks of
 * its done item as its providerFields; OpenAI's own searches, `execution: "server"`, are hosted
 * items; a call's `caller`, the program that made it, is the event's: programs.ts), `web_search_call` items hosted
 * web searches (`searching` when added, `completed` / `failed` with the query and sources when
 * done; web-search-call.ts), and `url_citation` annotations citations, their offsets counted
 * from where their output_text part starts in the response's text; the items of OpenAI's other
 * hosted tools (code_interpreter_call, file_search_call, image_generation_call, mcp_call,
 * mcp_list_tools, mcp_approval_request, program, program_output) and its other own items
 * (compaction, additional_tools) are `hosted_tool` events in the provider's own form:
 * `added`, each of their own stream events as `progress`, `done` with the final item
 * (hosted-tools.ts). `response.completed` and
 * `response.incomplete` carry usage and the finish; `response.failed` and `error` fail the stream.
 * Arguments nested deeper than MAX_UPSTREAM_DEPTH fail the attempt (LIP_ERR_UPSTREAM_LIMIT_EXCEEDED).
 *
 * @see spec/backends/openai-responses/decode-stream.spec.ts
 */
export class ResponsesStreamDecoder implements StreamDecoder {
  private started = false;
  private ended = false;
  private readonly calls = new Map<string, Call>(); // item id -> call
  private madeCalls = false;
  private lastSummary = new Map<string, number>(); // reasoning item id -> last summary index
  /** Web searches by item id: whether each is done. */
  private searches: Map<string, boolean> | undefined;
  private hosted: HostedItems | undefined;
  /** The response's text so far, and where each text part starts in it (`item_id/content_index`) for its annotations. */
  private textLength = 0;
  private partItem: unknown;
  private partIndex: unknown;
  private partStarts: Map<string, number> | undefined;
  /** Citations of text not streamed yet, held until it is. */
  private heldCitations: CitationEvent[] | undefined;

  /**
   * `reasoningDialect`: the dialect a reasoning item's `encrypted_content` is sealed with (OpenAI
   * Responses'); undefined: it is left out (an Open Responses server's, which lip never replays).
   */
  constructor(private readonly backendId: string, private readonly secrets: readonly string[], private readonly reasoningDialect: string | undefined = REASONING_DIALECTS.openaiResponses) {}

  message(message: SseMessage, out: LipEvent[]): void {
    if (this.ended || message.data === '[DONE]') return;
    checkUpstreamJson(this.backendId, message.data);
    this.frame(parseFrame(this.backendId, message.data), out, message.event);
  }

  /** One parsed event (decode-response.ts replays a whole response's items through here). */
  frame(frame: Json, out: LipEvent[], event?: string): void {
    if (this.ended) return;
    const type = typeof frame.type === 'string' ? frame.type : event;
    if (type === 'error') throw responsesStreamError(this.backendId, frame, this.secrets);
    if (type === 'response.failed') throw responsesStreamError(this.backendId, frame.response?.error ?? undefined, this.secrets);
    if (type === 'response.created' || (!this.started && type === 'response.in_progress')) return this.start(frame.response ?? {}, out);
    if (!this.started) throw malformedFrame(this.backendId, `${type} before response.created`);
    switch (type) {
      case 'response.output_item.added': return this.itemAdded(frame.item ?? {}, out, frame.output_index);
      case 'response.output_item.done': return this.itemDone(frame.item ?? {}, out, frame.output_index);
      case 'response.reasoning_summary_text.delta': {
        const id = idText(frame.item_id);
        const index = typeof frame.summary_index === 'number' ? frame.summary_index : 0;
        const last = this.lastSummary.get(id);
        if (last !== undefined && index > last) out.push({ type: 'reasoning_delta', text: '\n\n' });
        if (last === undefined && this.lastSummary.size >= MAX_UPSTREAM_ITEMS) throw upstreamTooMany(this.backendId, 'reasoning items');
        this.lastSummary.set(id, index);
        if (typeof frame.delta === 'string' && frame.delta) out.push({ type: 'reasoning_delta', text: frame.delta });
        return;
      }
      case 'response.reasoning_text.delta':
        if (typeof frame.delta === 'string' && frame.delta) out.push({ type: 'reasoning_delta', text: frame.delta });
        return;
      case 'response.output_text.delta': {
        if (typeof frame.delta !== 'string' || !frame.delta) return;
        this.countText(frame, frame.delta);
        const logprobs = chatLogprobs(frame.logprobs);
        out.push(logprobs ? { type: 'text_delta', text: frame.delta, logprobs } : { type: 'text_delta', text: frame.delta });
        if (this.heldCitations !== undefined) this.releaseCitations(out);
        return;
      }
      case 'response.refusal.delta':
        if (typeof frame.delta === 'string' && frame.delta) {
          this.countText(frame, frame.delta);
          out.push({ type: 'text_delta', text: frame.delta, refusal: true });
        }
        return;
      case 'response.output_text.annotation.added':
        return this.annotation(frame, out);
      case 'response.function_call_arguments.delta':
      case 'response.custom_tool_call_input.delta': {
        const call = this.calls.get(idText(frame.item_id));
        if (call && typeof frame.delta === 'string' && frame.delta) {
          this.meter(call, frame.delta);
          call.args = true;
          out.push({ type: 'tool_call_delta', id: call.id, args: frame.delta });
        }
        return;
      }
      case 'response.completed':
      case 'response.incomplete':
        return this.finish(frame.response ?? {}, out);
      default:
        if (this.hosted !== undefined && isHostedEvent(type)) this.hosted.progress(frame, type!, out);
        return; // in_progress, part added/done, text done, ...: structure the canonical stream does not need
    }
  }

  end(): void {
    // Without response.completed / response.incomplete the stream is incomplete.
  }

  private start(r: Json, out: LipEvent[]): void {
    if (this.started) return;
    this.started = true;
    out.push({ type: 'response_started', ...(typeof r.id === 'string' ? { id: r.id } : {}), ...(typeof r.model === 'string' ? { model: r.model } : {}) });
    out.push({ type: 'message_started' });
  }

  private itemAdded(item: Json, out: LipEvent[], outputIndex: unknown, done = false): void {
    if (item.type === 'web_search_call') return this.search(item, outputIndex, false, out);
    if (isHostedItem(item)) return (this.hosted ??= new HostedItems(this.backendId)).item(item, outputIndex, false, out);
    // A computer call's safety checks are sure only in its done item: the call starts there.
    if (item.type === 'computer_call' && !done) return;
    const client = clientItemTool(item.type);
    if (item.type !== 'function_call' && item.type !== 'custom_tool_call' && item.type !== 'tool_search_call' && client === undefined) return;
    const custom = item.type === 'custom_tool_call';
    // A client tool's call, like a tool search's, has its arguments whole in the done item.
    const search = item.type === 'tool_search_call' || client !== undefined;
    const id = idText(item.call_id ?? item.id);
    const name = client ?? (search ? TOOL_SEARCH_TOOL_NAME : item.name);
    if (!id || typeof name !== 'string') throw malformedFrame(this.backendId, `a ${item.type} item without a call_id${search ? '' : ' and a string name'}`);
    const call: Call = { id, args: false, finished: false, custom, ...(search ? { search } : {}) };
    if (this.calls.size >= MAX_UPSTREAM_ITEMS) throw upstreamTooMany(this.backendId, 'function calls');
    this.calls.set(idText(item.id ?? item.call_id), call);
    this.madeCalls = true;
    const namespace = typeof item.namespace === 'string' && item.namespace.length > 0 ? { namespace: item.namespace } : {};
    const caller = callerOf(item);
    out.push({ type: 'tool_call_started', id: call.id, name, ...(custom ? { custom: true } : {}), ...namespace, ...clientItemFields(item), ...(caller !== undefined ? { caller } : {}) });
    if (search) return; // its arguments come whole with the done item
    const args = argsOf(item);
    if (args.length > 0) {
      this.meter(call, args);
      call.args = true;
      out.push({ type: 'tool_call_delta', id: call.id, args });
    }
  }

  private itemDone(item: Json, out: LipEvent[], outputIndex: unknown): void {
    if (item.type === 'web_search_call') return this.search(item, outputIndex, true, out);
    if (isHostedItem(item)) return (this.hosted ??= new HostedItems(this.backendId)).item(item, outputIndex, true, out);
    if (item.type === 'reasoning' && typeof item.encrypted_content === 'string' && item.encrypted_content.length > 0 && this.reasoningDialect !== undefined) {
      out.push({ type: 'reasoning_opaque', dialect: this.reasoningDialect, data: item.encrypted_content, ...(typeof item.id === 'string' ? { id: item.id } : {}) });
      return;
    }
    if (item.type !== 'function_call' && item.type !== 'custom_tool_call' && item.type !== 'tool_search_call' && clientItemTool(item.type) === undefined) return;
    if (item.type === 'computer_call' && !this.calls.has(idText(item.id ?? item.call_id))) this.itemAdded(item, out, outputIndex, true);
    const call = this.calls.get(idText(item.id ?? item.call_id));
    if (!call || call.finished) return;
    const args = argsOf(item);
    if (!call.args && args.length > 0 && this.meter(call, args)) out.push({ type: 'tool_call_delta', id: call.id, args });
    call.finished = true;
    out.push({ type: 'tool_call_finished', id: call.id });
  }

  /**
   * A web_search_call item added (`searching`) or done (`completed` / `failed`, once); an item
   * without an id is named after its place in the output.
   */
  private search(item: Json, outputIndex: unknown, done: boolean, out: LipEvent[]): void {
    const id = idText(item.id) || `ws_${idText(outputIndex)}`;
    const searches = (this.searches ??= new Map());
    const state = searches.get(id);
    if (state === true || (state === false && !done)) return;
    if (state === undefined && searches.size >= MAX_UPSTREAM_ITEMS) throw upstreamTooMany(this.backendId, 'web searches');
    searches.set(id, done);
    out.push(webSearchEvent(id, item, done));
  }

  /** Counts a text delta into the response's text; a new text part starts where the text so far ends. */
  private countText(frame: Json, delta: string): void {
    if (frame.item_id !== this.partItem || frame.content_index !== this.partIndex) {
      this.partItem = frame.item_id;
      this.partIndex = frame.content_index;
      const starts = (this.partStarts ??= new Map());
      if (starts.size >= MAX_UPSTREAM_ITEMS) throw upstreamTooMany(this.backendId, 'text parts');
      starts.set(`${idText(frame.item_id)}/${idText(frame.content_index ?? 0)}`, this.textLength);
    }
    this.textLength += delta.length;
  }

  /** A `url_citation` annotation: a citation of its span, once the text it cites has been streamed. */
  private annotation(frame: Json, out: LipEvent[]): void {
    const partStart = this.partStarts?.get(`${idText(frame.item_id)}/${idText(frame.content_index ?? 0)}`);
    if (partStart === undefined) return; // a part without text: nothing to cite
    const citation = citationEvent(frame.annotation, partStart);
    if (citation === undefined) return;
    if (citation.end <= this.textLength && this.heldCitations === undefined) {
      out.push(citation);
      return;
    }
    const held = (this.heldCitations ??= []);
    if (held.length >= MAX_UPSTREAM_ITEMS) throw upstreamTooMany(this.backendId, 'citations');
    held.push(citation);
  }

  /** The held citations whose text has arrived, in order; all of them at the end (their spans cut to the text there is). */
  private releaseCitations(out: LipEvent[], all = false): void {
    const held = this.heldCitations!;
    let i = 0;
    for (; i < held.length && (all || held[i]!.end <= this.textLength); i++) {
      const c = held[i]!;
      out.push(c.end <= this.textLength ? c : { ...c, start: Math.min(c.start, this.textLength), end: this.textLength });
    }
    held.splice(0, i);
    if (held.length === 0) this.heldCitations = undefined;
  }

  /** Counts argument text against MAX_UPSTREAM_DEPTH (LIP_ERR_UPSTREAM_LIMIT_EXCEEDED beyond it); true when it passes. */
  private meter(call: Call, args: string): true {
    if (call.custom) return true; // raw input, not JSON
    if ((call.depth ??= new JsonDepthMeter(MAX_UPSTREAM_DEPTH)).push(args) >= 0) throw upstreamTooDeep(this.backendId, 'a function_call\'s arguments');
    return true;
  }

  private finish(r: Json, out: LipEvent[]): void {
    this.ended = true;
    if (this.heldCitations !== undefined) this.releaseCitations(out, true);
    this.hosted?.finish(r.output, out);
    for (const call of this.calls.values()) {
      if (!call.finished) {
        call.finished = true;
        out.push({ type: 'tool_call_finished', id: call.id });
      }
    }
    if (r.usage && typeof r.usage === 'object') out.push({ type: 'usage', usage: responsesUsage(r.usage) });
    out.push({ type: 'response_finished', ...mapResponsesFinish(typeof r.status === 'string' ? r.status : 'completed', idText(r.incomplete_details?.reason) || undefined, this.madeCalls) });
  }
}

/** A call item's arguments, a custom_tool_call's input, a tool_search_call's arguments as JSON text; '' when absent or not a string. */
function argsOf(item: Json): string {
  if (clientItemTool(item.type) !== undefined) return clientItemArgs(item);
  if (item.type === 'tool_search_call') return item.arguments === undefined || item.arguments === null ? '' : typeof item.arguments === 'string' ? item.arguments : JSON.stringify(item.arguments);
  const value = item.type === 'custom_tool_call' ? item.input : item.arguments;
  return typeof value === 'string' ? value : '';
}

/** An upstream id or name as text: strings and numbers as sent, anything else '' (String() of a JSON object can throw). */
function idText(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
}
