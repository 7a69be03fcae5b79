import type { FinishDetails, FinishReason, HostedToolEvent, LipEvent, Usage, WebSearchEvent } from '../../canonical/index.js';
import { CALLER_DIALECTS, COLLECT_LIMITS, HOSTED_DIALECTS, REASONING_DIALECTS, TextBuilder, effectiveFinishReason, mergeUsage } from '../../canonical/index.js';
import type { LipError } from '../../errors/index.js';
import type { EncodeContext, StreamEncoder } from '../protocol.js';
import { wireId } from '../protocol.js';
import { callWireId, carryOpaque, carrySignature } from '../state-envelope.js';
import { BlockQueue } from './block-queue.js';
import { anthropicErrorBody } from './encode-error.js';
import { anthropicUsage } from './encode-usage.js';
import { messageFields } from './message-fields.js';
import { mapFinishReason } from './map-finish-reason.js';
import { citationLocation, searchResultBlock, serverToolUseBlock } from './web-search-blocks.js';
import { citingSearchResult, searchResultSources, type SearchResultSource } from './search-result-sources.js';
import { compactionStream, isFetchedPage, serverToolInput } from './hosted-tools.js';
import { declaredMembers, toolsetNameOf } from './toolsets.js';

type Json = Record<string, unknown>;

/**
 * Events -> Messages SSE (`event:` + `data:`). Exactly one `message_start`, sent lazily right
 * before the first content block (so that the usage a backend reported up front is in it)
 * and followed by one `ping`; content blocks strictly in order (block-queue.ts); then
 * `message_delta` with the faithful `stop_reason` and the whole usage, and `message_stop`.
 * A failure after output is an `event: error` (the SDKs throw on it) and the stream ends.
 * Provider state of other dialects travels sealed (state-envelope.ts): a signature in the
 * thinking block's `signature`, opaque reasoning in `redacted_thinking.data`, a call's own
 * signature in the tool_use `id`; a call's Anthropic `caller` (code execution, for a programmatic
 * call) is on its tool_use block's `content_block_start`, and so is the `toolset_name` of a call of
 * a toolset's member, whichever backend answered (toolsets.ts). A hosted web search, once it ran (completed or failed), is a
 * `server_tool_use` block (the query as its input) and a `web_search_tool_result` block
 * (web-search-blocks.ts); a citation is a `citations_delta` of the latest text block, its
 * `cited_text` the cited span of the response text when the provider gave none (kept only when
 * the call declares a web search tool or holds search results), a citation of a search result's
 * source a `search_result_location` of it (search-result-sources.ts). Anthropic's own hosted blocks (server tools' work, a
 * server-side compaction's `compaction` block) are written as the upstream streamed them
 * (hosted()).
 * @see spec/e2e/provider-state.spec.ts
 * @see spec/e2e/web-search-anthropic.spec.ts
 */
export class AnthropicStreamEncoder implements StreamEncoder {
  private readonly blocks: BlockQueue;
  private readonly id: string;
  private readonly model: string;
  private started = false;
  private finished = false;
  private usage: Usage = {};
  /** The response text so far, kept only when the call declares a web search tool or holds search results (for cited_text). */
  private text: TextBuilder | undefined;
  /** The request's search results by source: a citation of one's source is a citation of it. */
  private readonly sources: ReadonlyMap<string, SearchResultSource> | undefined;
  /** The queries of searches still running, by id (a search's blocks wait until it ran). */
  private queries: Map<string, string> | undefined;
  private searches = 0;
  /** Pages web fetch got, for `server_tool_use.web_fetch_requests`. */
  private fetches = 0;
  /** The hosted blocks open on the wire, by event id: whether their input (or a compaction's summary) streamed. */
  private hostedOpen: Map<string, { filled: boolean }> | undefined;
  /** The message's code execution container, as the upstream reported it. */
  private container: Readonly<Json> | undefined;
  /** The toolset of each toolset member the call declares, by name (none: undefined). */
  private readonly members: ReadonlyMap<string, string> | undefined;

  constructor(context: EncodeContext) {
    this.id = context.responseId ?? wireId(context, 'msg_');
    this.model = context.model ?? context.call.model;
    this.blocks = new BlockQueue(() => this.start());
    this.sources = searchResultSources(context.call);
    if (this.sources !== undefined || context.call.tools.some((t) => t.kind === 'web_search')) this.text = new TextBuilder();
    this.members = declaredMembers(context.call.tools);
  }

  private start(): string {
    if (this.started) return '';
    this.started = true;
    const usage = { ...anthropicUsage(this.usage), output_tokens: 0 };
    const message = { id: this.id, type: 'message', role: 'assistant', model: this.model, content: [], stop_reason: null, stop_sequence: null, usage };
    return `event: message_start\ndata: ${JSON.stringify({ type: 'message_start', message })}\n\nevent: ping\ndata: {"type":"ping"}\n\n`;
  }

  event(event: LipEvent): string {
    switch (event.type) {
      case 'text_delta':
        // Kept for cited_text only, up to collect()'s text bound (past it, a citation without the provider's excerpt gets none).
        if (this.text !== undefined && this.text.length < COLLECT_LIMITS.textChars) this.text.append(event.text);
        return event.text ? this.blocks.text(event.text) : '';
      case 'reasoning_delta':
        return event.text ? this.blocks.thinking(event.text) : '';
      case 'reasoning_signature': // other dialects' signatures travel sealed (state-envelope.ts), for the client's next turn
        return this.blocks.signature(carrySignature(event.signature, event.dialect, REASONING_DIALECTS.anthropicThinking), event.standalone === true);
      case 'reasoning_opaque':
        return this.blocks.redacted(carryOpaque(event, REASONING_DIALECTS.anthropicRedacted));
      case 'tool_call_started': // a call's own signature (Gemini) rides in its id; Anthropic's caller is the block's, a member's toolset too
        return this.blocks.toolStart(event.id, event.name, callWireId(event), event.caller?.dialect === CALLER_DIALECTS.anthropic ? JSON.stringify(event.caller.value) : undefined, toolsetNameOf(event, this.members).toolset_name);
      case 'tool_call_delta':
        return this.blocks.toolArgs(event.id, event.args);
      case 'tool_call_finished':
        return this.blocks.toolEnd(event.id);
      case 'web_search':
        return this.webSearch(event);
      case 'hosted_tool':
        return this.hosted(event);
      case 'citation':
        return this.blocks.citation(JSON.stringify(citationLocation(citingSearchResult(event, this.sources), this.text?.toString().slice(event.start, event.end) ?? '')));
      case 'usage':
        this.usage = mergeUsage(this.usage, event.usage);
        return '';
      case 'response_finished':
        return this.finish(event.reason, event.raw, event.stopSequence, event.details);
      default:
        return ''; // lifecycle and warnings: message_start waits for the first block
    }
  }

  /** A search's blocks, once it ran; before that only its query is kept. */
  private webSearch(event: WebSearchEvent): string {
    if (event.status === 'searching') {
      if (event.query !== undefined) (this.queries ??= new Map()).set(event.id, event.query);
      return '';
    }
    const query = event.query ?? this.queries?.get(event.id);
    this.queries?.delete(event.id);
    if (event.status === 'completed') this.searches++;
    const use = serverToolUseBlock(event, query);
    return this.blocks.serverTool(JSON.stringify({ ...use, input: {} }), query !== undefined ? JSON.stringify({ query }) : undefined)
      + this.blocks.serverTool(JSON.stringify(searchResultBlock(event)));
  }

  /**
   * A hosted tool's block, as the upstream streamed it; another provider's hosted blocks have no
   * form in this protocol (a backend only sends its own provider's) and are left out. A
   * `compaction` block the upstream gave whole is streamed as Anthropic streams one (its start
   * without the summary, then one `compaction_delta`: compactionStream).
   */
  private hosted(event: HostedToolEvent): string {
    if (event.dialect !== HOSTED_DIALECTS.anthropic) return '';
    if (event.scope === 'message') {
      if (event.block !== undefined) this.container = event.block;
      return '';
    }
    const open = this.hostedOpen?.get(event.id);
    switch (event.phase) {
      case 'added':
        if (open !== undefined || event.block === undefined) return '';
        (this.hostedOpen ??= new Map()).set(event.id, { filled: false });
        return this.blocks.hostedStart(event.id, JSON.stringify(event.block));
      case 'progress': {
        const delta = event.update?.delta;
        if (open === undefined || event.update?.type !== 'content_block_delta' || !isObject(delta)) return '';
        if (delta.type === 'input_json_delta' || delta.type === 'compaction_delta') open.filled = true;
        return this.blocks.hostedDelta(event.id, JSON.stringify(delta));
      }
      case 'done': {
        const block = event.block;
        if (block === undefined) return '';
        if (isFetchedPage(block)) this.fetches++;
        const input = serverToolInput(block);
        const compaction = compactionStream(block);
        if (open === undefined && compaction !== undefined) {
          return this.blocks.hostedStart(event.id, JSON.stringify(compaction.start)) + this.blocks.hostedDelta(event.id, JSON.stringify(compaction.delta)) + this.blocks.hostedEnd(event.id);
        }
        if (open === undefined) return this.blocks.serverTool(JSON.stringify(input === undefined ? block : { ...block, input: {} }), input);
        this.hostedOpen!.delete(event.id);
        // An input (or a compaction's summary) the stream never carried (a backend that sent the block only when done) follows as one delta.
        const fill = input !== undefined ? { type: 'input_json_delta', partial_json: input } : compaction?.delta;
        const late = !open.filled && fill !== undefined ? this.blocks.hostedDelta(event.id, JSON.stringify(fill)) : '';
        return late + this.blocks.hostedEnd(event.id);
      }
      default:
        return '';
    }
  }

  private finish(reason: FinishReason | undefined, raw?: string, stopSequence?: string, details?: FinishDetails): string {
    if (this.finished) return '';
    this.finished = true;
    const out = this.blocks.closeAll() + this.start();
    const stopReason = mapFinishReason(effectiveFinishReason(reason, this.blocks.toolCount > 0), raw);
    const { stop_details: stopDetails, ...fields } = messageFields(details);
    const delta = {
      stop_reason: stopReason, stop_sequence: stopReason === 'stop_sequence' ? stopSequence ?? null : null,
      ...(stopDetails !== undefined ? { stop_details: stopDetails } : {}),
      ...(this.container !== undefined ? { container: this.container } : {}),
    };
    return `${out}event: message_delta\ndata: ${JSON.stringify({ type: 'message_delta', delta, ...fields, usage: anthropicUsage(this.usage, this.searches, this.fetches) })}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n`;
  }

  error(err: LipError): string {
    if (this.finished) return '';
    this.finished = true;
    return `event: error\ndata: ${JSON.stringify(anthropicErrorBody(err))}\n\n`;
  }

  end(): string {
    return this.finish(undefined);
  }
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
