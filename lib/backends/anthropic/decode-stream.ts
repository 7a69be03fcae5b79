import type { CitationEvent, FinishReason, LipEvent, Usage, WebSearchEvent, WebSearchResult } from '../../canonical/index.js';
import { CALL_LIMITS, CALLER_DIALECTS, FINISH_DIALECTS, HOSTED_DIALECTS, REASONING_DIALECTS, SEARCH_DIALECTS, USAGE_DIALECTS, WEB_SEARCH_TOOL_NAME } from '../../canonical/index.js';
import { checkUpstreamJson, JsonDepthMeter, MAX_UPSTREAM_DEPTH, MAX_UPSTREAM_ITEMS, upstreamTooDeep, upstreamTooMany, valueTooDeep, type SseMessage } from '../../wire/index.js';
import { LipError } from '../../errors/index.js';
import { malformedFrame, parseFrame, type StreamDecoder } from '../http/index.js';
import { anthropicStreamError } from './classify-error.js';
import { mapAnthropicStopReason } from './map-finish-reason.js';

type Json = Record<string, any>;
type Block = {
  kind: 'text' | 'thinking' | 'tool' | 'search' | 'hosted' | 'other'; id?: string; signature?: string; args: boolean; input?: unknown; depth?: JsonDepthMeter;
  /** A search's or a hosted server_tool_use's input JSON text so far. */
  json?: string;
  /** A hosted tool's block as it started. */
  block?: Json;
  /** A text block's start in the response text, and its citations (web_search_result_location). */
  start?: number;
  citations?: Json[];
};
/** How long the input JSON of a search (its query) may grow. */
const MAX_SEARCH_INPUT_CHARS = 64 * 1024;
/** How long the input JSON of another server tool's use (code, a command, a url) may grow: a request's text bound. */
const MAX_HOSTED_INPUT_CHARS = CALL_LIMITS.textChars;

/**
 * The blocks of the server tools other than web search that lip passes through to an Anthropic
 * client (web fetch, code execution, tool search, the advisor), beside their `server_tool_use`,
 * the MCP connector's (a call of an MCP server's tool, its result, the server's tool listing) and
 * server-side compaction's `compaction` block: what the Anthropic frontend takes back in a history.
 */
const HOSTED_BLOCKS: ReadonlySet<string> = new Set([
  'web_fetch_tool_result', 'code_execution_tool_result', 'bash_code_execution_tool_result',
  'text_editor_code_execution_tool_result', 'tool_search_tool_result', 'container_upload',
  'mcp_tool_use', 'mcp_tool_result', 'mcp_tool_listing', 'advisor_tool_result', 'compaction',
]);

/** The hosted blocks whose input streams as `input_json_delta`s after a start with `input: {}`, as a tool_use's does. */
const STREAMED_INPUT: ReadonlySet<string> = new Set(['server_tool_use', 'mcp_tool_use']);

/** What an answer's usage is made of so far (anthropicUsage): the last input components, and what its compactions used. */
export interface UsageParts {
  input: number;
  read: number;
  write: number;
  /** The `compaction` iterations' tokens, which Anthropic leaves out of its top-level counts. */
  compaction?: { input: number; read: number; write: number; output: number };
}

/**
 * Anthropic usage -> canonical. Anthropic counts cache reads and cache writes IN ADDITION to
 * `input_tokens`; the canonical input includes them. `parts` remembers the last input
 * components, because `message_delta` may repeat only some of them. A server-side compaction's
 * work (the `usage.iterations` entries of type `compaction`, which the top-level counts leave
 * out) is added, as a continued turn's usage is (addUsage): the usage is everything the answer
 * cost, and `compaction` says how much of it the compaction used (an Anthropic client is written
 * the top-level counts without it, as Anthropic writes them). The advisor's iterations are another model's, priced at its rates, and stay out, as
 * Anthropic leaves them out of its top-level counts. The iterations themselves go along as
 * written (`Usage.iterations`), for an Anthropic client, and so do the 1-hour share of the cache
 * writes (`cache_creation`), the `service_tier`, `inference_geo` and `speed`.
 */
export function anthropicUsage(u: Json, parts: UsageParts): Usage {
  if (typeof u.input_tokens === 'number') parts.input = u.input_tokens;
  if (typeof u.cache_read_input_tokens === 'number') parts.read = u.cache_read_input_tokens;
  if (typeof u.cache_creation_input_tokens === 'number') parts.write = u.cache_creation_input_tokens;
  if (Array.isArray(u.iterations)) parts.compaction = compactionUsage(u.iterations);
  const c = parts.compaction;
  const read = parts.read + (c?.read ?? 0);
  const write = parts.write + (c?.write ?? 0);
  const out: { -readonly [K in keyof Usage]: Usage[K] } = { inputTokens: parts.input + (c?.input ?? 0) + read + write };
  if (typeof u.output_tokens === 'number') {
    out.outputTokens = u.output_tokens + (c?.output ?? 0);
    out.totalTokens = out.inputTokens! + out.outputTokens;
  }
  if (read > 0) out.cacheReadTokens = read;
  if (write > 0) out.cacheWriteTokens = write;
  const thinking = u.output_tokens_details?.thinking_tokens ?? u.output_tokens_details?.reasoning_tokens;
  if (typeof thinking === 'number' && thinking > 0) out.reasoningTokens = thinking;
  // How the cache writes split by lifetime, and how the answer was served: message_start's usage has them, message_delta's not.
  if (isObject(u.cache_creation)) out.cacheWrite1hTokens = count(u.cache_creation.ephemeral_1h_input_tokens);
  if (isLabel(u.service_tier)) out.serviceTier = u.service_tier;
  if (isLabel(u.inference_geo)) out.inferenceGeo = u.inference_geo;
  if (isLabel(u.speed)) out.speed = u.speed;
  if (c !== undefined) out.compaction = { inputTokens: c.input + c.read + c.write, outputTokens: c.output, cacheReadTokens: c.read, cacheWriteTokens: c.write };
  // The iterations as written, for an Anthropic client (bounded: at most MAX_UPSTREAM_ITEMS, not too deep).
  if (Array.isArray(u.iterations) && u.iterations.length > 0 && !valueTooDeep(u.iterations, MAX_UPSTREAM_DEPTH)) {
    out.iterations = { dialect: USAGE_DIALECTS.anthropic, value: u.iterations.slice(0, MAX_UPSTREAM_ITEMS) };
  }
  return out;
}

/**
 * The message fields of a `message_delta` an Anthropic client is written back and the other
 * protocols have no place for (FINISH_DIALECTS.anthropic): a refusal's `stop_details` (its
 * category and explanation), the `context_management` edits applied and the
 * `input_transformations`, each as written when it is an object (a list for the last); none when
 * there are none, or they nest too deep.
 */
function messageFields(frame: Json): Record<string, unknown> | undefined {
  const d = frame.delta ?? {};
  const fields: Record<string, unknown> = {};
  if (isObject(d.stop_details)) fields.stop_details = d.stop_details;
  if (isObject(frame.context_management)) fields.context_management = frame.context_management;
  if (Array.isArray(frame.input_transformations) && frame.input_transformations.length > 0) fields.input_transformations = frame.input_transformations;
  return Object.keys(fields).length > 0 && !valueTooDeep(fields, MAX_UPSTREAM_DEPTH) ? fields : undefined;
}

/** A tier, region or speed name: a short string (a longer one is no name, and is left out). */
const isLabel = (value: unknown): value is string => typeof value === 'string' && value.length > 0 && value.length <= 64;

/** A token count as a number, 0 when it is not a positive one. */
const count = (value: unknown): number => (typeof value === 'number' && value > 0 ? value : 0);

/** The tokens of an answer's `compaction` iterations (`usage.iterations`), summed; undefined when it has none. */
function compactionUsage(iterations: unknown[]): UsageParts['compaction'] {
  let sum: UsageParts['compaction'];
  for (const it of iterations.slice(0, MAX_UPSTREAM_ITEMS)) {
    if (!isObject(it) || it.type !== 'compaction') continue;
    sum ??= { input: 0, read: 0, write: 0, output: 0 };
    sum.input += count(it.input_tokens);
    sum.read += count(it.cache_read_input_tokens);
    sum.write += count(it.cache_creation_input_tokens);
    sum.output += count(it.output_tokens);
  }
  return sum;
}

/**
 * Messages API SSE -> canonical events. `message_start` opens the response and the message
 * (with the input usage); blocks are tracked by `index`: text and thinking deltas stream
 * through, a thinking block's `signature_delta` is emitted as `reasoning_signature` when the
 * block stops, `redacted_thinking` becomes one `reasoning_opaque`, and `tool_use` blocks become
 * tool calls (their `caller` as written: who made the call, code execution for a programmatic
 * one; a toolset member's call its `toolset_name` as the call's toolset) whose
 * `input_json_delta` fragments are the arguments (an input nested deeper than
 * MAX_UPSTREAM_DEPTH fails the attempt: LIP_ERR_UPSTREAM_LIMIT_EXCEEDED). `message_delta` carries the
 * stop reason and the final usage; `message_stop` ends the response. `ping` is ignored and
 * `event: error` fails the stream. A hosted web search: a `server_tool_use` named `web_search` is
 * a `searching` web_search event when its block stops (the query from its input), its
 * `web_search_tool_result` the `completed` one (the results, `encrypted_content` kept) or a
 * `failed` one (the `error_code`); a text block's `web_search_result_location` citations are
 * citation events when it stops, spanning the block's text in the response, and so are its
 * document citations (`char_location`, `page_location`, `content_block_location`). Other citation
 * kinds are not surfaced.
 *
 * The other server tools' blocks (a `server_tool_use` of another name than `web_search`, the
 * `*_tool_result`s of web fetch, code execution, tool search and the advisor, `container_upload`,
 * the MCP connector's `mcp_tool_use`, `mcp_tool_result` and `mcp_tool_listing`) and a server-side
 * compaction's `compaction` block are `hosted_tool` events of Anthropic's dialect, the block as the
 * upstream wrote it: `added` when it starts, `progress` with each of its deltas (the
 * `content_block_delta` less its index), `done` when it stops, a `server_tool_use`'s or
 * `mcp_tool_use`'s `input` then parsed from its `input_json_delta`s (the start's when they do not
 * parse), a `compaction`'s `content` and `encrypted_content` those of its `compaction_delta`. A
 * whole answer (`whole`) gives only `done`. A `stop_reason` of `compaction` (the answer paused
 * after compacting) is an `other` finish with the raw value, as `pause_turn` is. The event id is the
 * block's `id`, a result's `tool_use_id` with its type, else its type and index. The message's
 * `container` (`message_start`, `message_delta`) is one `hosted_tool` of `scope: 'message'`,
 * reported before the end. Blocks still open at `message_stop` are done there.
 *
 * @see spec/backends/anthropic/decode-stream.spec.ts
 */
export class AnthropicStreamDecoder implements StreamDecoder {
  private started = false;
  private readonly blocks = new Map<number, Block>();
  private finish: { reason: FinishReason; raw?: string; stopSequence?: string } = { reason: 'stop' };
  private readonly usage: UsageParts = { input: 0, read: 0, write: 0 };
  private ended = false;
  /** UTF-16 length of the response text so far (where a cited block starts and ends). */
  private textLength = 0;
  /** The hosted web searches by id: the query, and whether it ran. */
  private searches: Map<string, { query?: string; ran: boolean }> | undefined;
  /** The event ids of the hosted blocks so far (each once in a response). */
  private hostedIds: Set<string> | undefined;
  /** The message's code execution container, the latest the upstream reported. */
  private container: Json | undefined;

  /** `whole`: the events replay a whole answer (decode-response.ts), whose hosted blocks are reported only done. */
  constructor(private readonly backendId: string, private readonly secrets: readonly string[], private readonly whole = false) {}

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
    // A block is keyed by its index (and a hosted one named after it): a number, or the frame is garbage.
    if ((type === 'content_block_start' || type === 'content_block_delta' || type === 'content_block_stop') && typeof frame.index !== 'number') {
      throw malformedFrame(this.backendId, `${type} without a numeric index`);
    }
    switch (type) {
      case 'content_block_start': return this.blockStart(frame.index, frame.content_block ?? {}, out);
      case 'content_block_delta': return this.blockDelta(frame.index, frame.delta ?? {}, out);
      case 'content_block_stop': return this.blockStop(frame.index, out);
      case 'message_delta': {
        const d = frame.delta ?? {};
        if (typeof d.stop_reason === 'string') {
          const mapped = mapAnthropicStopReason(d.stop_reason);
          const details = messageFields(frame);
          this.finish = {
            ...mapped, ...(mapped.reason === 'stop_sequence' && typeof d.stop_sequence === 'string' ? { stopSequence: d.stop_sequence } : {}),
            ...(details !== undefined ? { details: { dialect: FINISH_DIALECTS.anthropic, value: details } } : {}),
          };
        }
        if (isObject(d.container)) this.container = d.container;
        if (frame.usage) out.push({ type: 'usage', usage: anthropicUsage(frame.usage, this.usage) });
        return;
      }
      case 'message_stop':
        this.ended = true;
        for (const [index, block] of this.blocks) if (block.kind === 'tool' || block.kind === 'hosted') this.blockStop(index, out);
        if (this.container !== undefined) {
          const id = typeof this.container.id === 'string' && this.container.id.length > 0 ? this.container.id : 'container';
          out.push({ type: 'hosted_tool', id, dialect: HOSTED_DIALECTS.anthropic, phase: 'done', block: this.container, scope: 'message' });
        }
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
    if (isObject(m.container)) this.container = m.container;
  }

  private blockStart(index: number, b: Json, out: LipEvent[]): void {
    if (this.blocks.size >= MAX_UPSTREAM_ITEMS && !this.blocks.has(index)) throw upstreamTooMany(this.backendId, 'open content blocks');
    switch (b.type) {
      case 'text':
        this.blocks.set(index, { kind: 'text', args: false, start: this.textLength, ...(Array.isArray(b.citations) && b.citations.length > 0 ? { citations: this.bounded(b.citations, 'citations') } : {}) });
        if (typeof b.text === 'string' && b.text.length > 0) {
          this.textLength += b.text.length;
          out.push({ type: 'text_delta', text: b.text });
        }
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
        out.push({ type: 'tool_call_started', id: b.id, name: b.name, ...callerOf(b.caller), ...(typeof b.toolset_name === 'string' && b.toolset_name.length > 0 ? { toolset: b.toolset_name } : {}) });
        return;
      case 'server_tool_use':
        if (b.name !== WEB_SEARCH_TOOL_NAME) return this.hostedStart(index, b, out);
        if (typeof b.id !== 'string') throw malformedFrame(this.backendId, 'a web_search server_tool_use block without a string id');
        this.blocks.set(index, { kind: 'search', id: b.id, args: false, input: b.input, json: '' });
        return;
      case 'web_search_tool_result':
        if (typeof b.tool_use_id !== 'string') throw malformedFrame(this.backendId, 'a web_search_tool_result block without a string tool_use_id');
        this.blocks.set(index, { kind: 'other', args: false });
        this.searchRan(b.tool_use_id, b.content, out);
        return;
    }
    if (typeof b.type === 'string' && HOSTED_BLOCKS.has(b.type)) return this.hostedStart(index, b, out);
    this.blocks.set(index, { kind: 'other', args: false }); // unknown blocks: not surfaced
  }

  /**
   * A hosted tool's block starts: reported as it is (streamed), kept to report done when it
   * stops, a `server_tool_use`'s or `mcp_tool_use`'s input to be read from its deltas.
   */
  private hostedStart(index: number, b: Json, out: LipEvent[]): void {
    const id = this.hostedId(b, index);
    this.blocks.set(index, { kind: 'hosted', id, args: false, block: b, ...(STREAMED_INPUT.has(b.type) ? { json: '' } : {}) });
    if (!this.whole) out.push({ type: 'hosted_tool', id, dialect: HOSTED_DIALECTS.anthropic, phase: 'added', block: b });
  }

  /** The event id of a hosted block, unique in the response (a repeated one gets the block's index). */
  private hostedId(b: Json, index: number): string {
    const own = typeof b.id === 'string' && b.id.length > 0 ? b.id
      : typeof b.tool_use_id === 'string' && b.tool_use_id.length > 0 ? `${b.tool_use_id}:${String(b.type)}`
      : `${String(b.type)}@${index}`;
    const ids = (this.hostedIds ??= new Set());
    if (ids.size >= MAX_UPSTREAM_ITEMS) throw upstreamTooMany(this.backendId, 'server tool blocks');
    const id = ids.has(own) ? `${own}#${index}.${ids.size}` : own;
    ids.add(id);
    return id;
  }

  /**
   * A delta of a hosted block: passed on as it came; a `server_tool_use`'s input fragments kept to
   * parse at the stop; a `compaction_delta` gives the compaction block its summary (its values
   * replace the start's nulls, as the SDKs' accumulators assign them).
   */
  private hostedDelta(block: Block, d: Json, out: LipEvent[]): void {
    if (d.type === 'compaction_delta' && block.block?.type === 'compaction') {
      block.block = { ...block.block, content: d.content ?? null, ...('encrypted_content' in d ? { encrypted_content: d.encrypted_content } : {}) };
    }
    if (block.json !== undefined && d.type === 'input_json_delta' && typeof d.partial_json === 'string' && d.partial_json) {
      block.json += d.partial_json;
      if (block.json.length > MAX_HOSTED_INPUT_CHARS) {
        throw new LipError('LIP_ERR_UPSTREAM_LIMIT_EXCEEDED', `backend "${this.backendId}": a server tool's input is longer than ${MAX_HOSTED_INPUT_CHARS} characters`, { detail: { backend: this.backendId } });
      }
      if ((block.depth ??= new JsonDepthMeter(MAX_UPSTREAM_DEPTH)).push(d.partial_json) >= 0) throw upstreamTooDeep(this.backendId, 'a server_tool_use input');
    }
    out.push({ type: 'hosted_tool', id: block.id!, dialect: HOSTED_DIALECTS.anthropic, phase: 'progress', update: { type: 'content_block_delta', delta: d } });
  }

  /** A hosted block stops: done, a `server_tool_use` or `mcp_tool_use` with the input its deltas streamed (its start's when they do not parse). */
  private hostedDone(block: Block, out: LipEvent[]): void {
    let final = block.block!;
    if (block.json) {
      try {
        final = { ...final, input: JSON.parse(block.json) as unknown };
      } catch {
        // a cut-off input: the block as it started (the client saw the fragments streamed)
      }
    }
    out.push({ type: 'hosted_tool', id: block.id!, dialect: HOSTED_DIALECTS.anthropic, phase: 'done', block: final });
  }

  /** A list from the upstream, refused past MAX_UPSTREAM_ITEMS entries. */
  private bounded(list: unknown[], what: string): Json[] {
    if (list.length > MAX_UPSTREAM_ITEMS) throw upstreamTooMany(this.backendId, what);
    return list.filter((x): x is Json => typeof x === 'object' && x !== null);
  }

  /** A search's result: completed with its results, or failed with the error code (once per search). */
  private searchRan(id: string, content: unknown, out: LipEvent[]): void {
    const search = (this.searches ??= new Map()).get(id);
    if (search?.ran) return;
    this.searches.set(id, { ...search, ran: true });
    const query = search?.query !== undefined ? { query: search.query } : {};
    const dialect = SEARCH_DIALECTS.anthropic;
    if (Array.isArray(content)) {
      const results = this.bounded(content, 'search results').filter((r) => typeof r.url === 'string').map(searchResult);
      out.push({ type: 'web_search', id, status: 'completed', ...query, results, dialect } satisfies WebSearchEvent);
    } else {
      const code = typeof content === 'object' && content !== null && typeof (content as Json).error_code === 'string' ? { error: (content as Json).error_code as string } : {};
      out.push({ type: 'web_search', id, status: 'failed', ...query, ...code, dialect } satisfies WebSearchEvent);
    }
  }

  private blockDelta(index: number, d: Json, out: LipEvent[]): void {
    const block = this.blocks.get(index);
    if (!block) throw malformedFrame(this.backendId, `content_block_delta for block ${typeof index === 'number' ? index : `(${typeof index} index)`}, which never started`);
    if (block.kind === 'hosted') return this.hostedDelta(block, d, out);
    switch (d.type) {
      case 'text_delta':
        if (typeof d.text === 'string' && d.text) {
          this.textLength += d.text.length;
          out.push({ type: 'text_delta', text: d.text });
        }
        return;
      case 'citations_delta':
        if (block.kind === 'text' && typeof d.citation === 'object' && d.citation !== null) {
          if ((block.citations?.length ?? 0) >= MAX_UPSTREAM_ITEMS) throw upstreamTooMany(this.backendId, 'citations');
          (block.citations ??= []).push(d.citation);
        }
        return;
      case 'thinking_delta':
        if (typeof d.thinking === 'string' && d.thinking) out.push({ type: 'reasoning_delta', text: d.thinking });
        return;
      case 'signature_delta':
        if (typeof d.signature === 'string') block.signature = (block.signature ?? '') + d.signature;
        return;
      case 'input_json_delta':
        if (block.kind === 'search' && typeof d.partial_json === 'string') {
          block.json += d.partial_json;
          if (block.json!.length > MAX_SEARCH_INPUT_CHARS) {
            throw new LipError('LIP_ERR_UPSTREAM_LIMIT_EXCEEDED', `backend "${this.backendId}": a web search input is longer than ${MAX_SEARCH_INPUT_CHARS} characters`, { detail: { backend: this.backendId } });
          }
          return;
        }
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
    if (block.kind === 'search') this.searching(block.id!, block.json || undefined, block.input, out);
    if (block.kind === 'hosted') this.hostedDone(block, out);
    if (block.citations) {
      for (const c of block.citations) {
        const citation = citationOf(c, block.start!, this.textLength);
        if (citation) out.push(citation);
      }
    }
    if (block.kind === 'tool') {
      // No input_json_delta at all: the arguments are the (usually empty) input object of the start.
      if (!block.args) out.push({ type: 'tool_call_delta', id: block.id!, args: JSON.stringify(block.input ?? {}) });
      out.push({ type: 'tool_call_finished', id: block.id! });
    }
  }

  /** The model asked for a search: its query from the input JSON (streamed) or the input object (whole). */
  private searching(id: string, json: string | undefined, input: unknown, out: LipEvent[]): void {
    const searches = (this.searches ??= new Map());
    if (searches.has(id)) return;
    let value = input;
    if (json !== undefined) {
      try {
        value = JSON.parse(json);
      } catch {
        value = undefined; // a cut-off input: the search without its query
      }
    }
    const query = typeof value === 'object' && value !== null && typeof (value as Json).query === 'string' ? (value as Json).query as string : undefined;
    searches.set(id, { ...(query !== undefined ? { query } : {}), ran: false });
    out.push({ type: 'web_search', id, status: 'searching', ...(query !== undefined ? { query } : {}), dialect: SEARCH_DIALECTS.anthropic });
  }
}

/**
 * A tool_use block's `caller` (`{type: "direct"}`, or `{type: "code_execution_20250825", tool_id}`
 * for a call code execution made) as the call's caller, as written; none when it is not an object
 * with a string `type` (an upstream's oddity is no reason to fail the answer).
 */
function callerOf(caller: unknown): { caller?: { dialect: string; value: Json } } {
  if (!isObject(caller) || typeof caller.type !== 'string') return {};
  return { caller: { dialect: CALLER_DIALECTS.anthropic, value: caller } };
}

/** A `web_search_result` as a canonical result (its url checked by the caller). */
function searchResult(r: Json): WebSearchResult {
  return {
    url: r.url as string,
    ...(typeof r.title === 'string' ? { title: r.title } : {}),
    ...(typeof r.page_age === 'string' ? { pageAge: r.page_age } : {}),
    ...(typeof r.encrypted_content === 'string' ? { encrypted: r.encrypted_content } : {}),
  };
}

/** Anthropic's document citation types and the range fields of each. */
const DOCUMENT_LOCATIONS: Readonly<Record<string, readonly ['char' | 'page' | 'block', string, string]>> = {
  char_location: ['char', 'start_char_index', 'end_char_index'],
  page_location: ['page', 'start_page_number', 'end_page_number'],
  content_block_location: ['block', 'start_block_index', 'end_block_index'],
};

/**
 * A text block's citation as a citation of the block's span `start`..`end`: a
 * `web_search_result_location` (a page of a hosted search) or a document citation
 * (`char_location`, `page_location`, `content_block_location`: a document of the request) or a
 * `search_result_location` (a search result of the request: its source as the url).
 */
function citationOf(c: Json, start: number, end: number): CitationEvent | undefined {
  const common = {
    ...(typeof c.cited_text === 'string' ? { citedText: c.cited_text } : {}),
    start, end,
  };
  const location = typeof c.type === 'string' ? DOCUMENT_LOCATIONS[c.type] : undefined;
  if (location !== undefined) {
    const [kind, from, to] = location;
    if (typeof c.document_index !== 'number' || typeof c[from] !== 'number' || typeof c[to] !== 'number') return undefined;
    return {
      type: 'citation', ...common,
      ...(typeof c.document_title === 'string' ? { title: c.document_title } : {}),
      document: {
        index: c.document_index, kind, start: c[from], end: c[to],
        ...(typeof c.document_title === 'string' ? { title: c.document_title } : {}),
        ...(typeof c.file_id === 'string' ? { fileId: c.file_id } : {}),
      },
    };
  }
  if (c.type === 'search_result_location') {
    if (typeof c.source !== 'string' || typeof c.search_result_index !== 'number' || typeof c.start_block_index !== 'number' || typeof c.end_block_index !== 'number') return undefined;
    return {
      type: 'citation', url: c.source, ...(typeof c.title === 'string' ? { title: c.title } : {}), ...common,
      searchResult: { index: c.search_result_index, start: c.start_block_index, end: c.end_block_index },
    };
  }
  if (c.type !== 'web_search_result_location' || typeof c.url !== 'string') return undefined;
  return {
    type: 'citation', url: c.url,
    ...(typeof c.title === 'string' ? { title: c.title } : {}),
    ...common,
    ...(typeof c.encrypted_index === 'string' ? { encryptedIndex: c.encrypted_index } : {}),
    dialect: SEARCH_DIALECTS.anthropic,
  };
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
