import type { FilePart, ImagePart, Message, Part, SearchResultPart, TextPart, ToolReferencePart, ToolResultPart, WebSearchPart, WrittenResult } from '../../canonical/index.js';
import { CALLER_DIALECTS, REASONING_DIALECTS, TOOL_DIALECTS, WEB_SEARCH_TOOL_NAME } from '../../canonical/index.js';
import { LipError } from '../../errors/index.js';
import { plainMediaType } from '../../wire/media-types.js';
import { cacheOf } from '../cache-control.js';
import { mediaUrl } from '../media-url.js';
import { openCallId, plainCallId, reasoningFromSlot } from '../state-envelope.js';
import { openSearchId, resultOf } from './web-search-blocks.js';
import { COMPACTION_BLOCK, compactionPart, HOSTED_BLOCKS, hostedPart } from './hosted-tools.js';
import { browserStateText } from './toolsets.js';
import type { MessageOrigin, Origin } from '../protocol.js';

type Json = Record<string, any>; // shape checked by messagesRequestSchema before any field is read

/** A 400 naming the field in the client's notation (`messages[2].content[0].type`). */
export function badField(path: string, message: string, unsupported = false): LipError {
  return new LipError(unsupported ? 'LIP_ERR_REQUEST_UNSUPPORTED' : 'LIP_ERR_REQUEST_INVALID', `${path}: ${message}`, { param: path });
}

/** Block types of the Messages API (and its beta) that lip knows but cannot carry (a browser's state, a fallback, ...). */
const UNSUPPORTED = new Set([
  'fallback',
]);

/** The toolset each tool_use of the history names, by its id as written (undefined: none): what its tool_result must name. */
type CallToolsets = Map<string, string | undefined>;

/**
 * Messages -> canonical messages. A `system` message (text blocks) stays a system message in
 * place (the request decoder moves the leading ones to the call's system). A user message's
 * `tool_result` blocks become `tool` messages (one per run of results, in place; a result's
 * `tool_reference` blocks, what a client's tool search found, tool reference parts), its other
 * blocks `user` messages; an assistant message keeps its blocks in order: `thinking` (with
 * signature, also when the text is empty) and `redacted_thinking` as reasoning parts (state lip
 * sealed in a signature or data restores its own dialect, state-envelope.ts), `tool_use` as tool
 * calls (an id carrying a call signature is opened; tool results name the plain id; its `caller`
 * kept as written; the `toolset_name` of a toolset member's call as the call's toolset), a web
 * search (`server_tool_use` + its `web_search_tool_result`) as a web search part
 * (SearchHistory), text (its `citations` left out: every provider takes text without
 * them), images, documents. The blocks of the other server tools lip passes (a `server_tool_use`
 * of another name, the `*_tool_result`s of web fetch, code execution and tool search,
 * `container_upload`, which a user turn may hold too, the MCP connector's `mcp_tool_use`,
 * `mcp_tool_result` and `mcp_tool_listing`, the advisor's `advisor_tool_result`) are hosted tool
 * parts in place, as written (hosted-tools.ts). A `compaction` block (in a user or an assistant
 * turn: it stands for the turns Anthropic compacted into it) is one too, with its summary
 * (compactionPart). A tool result's `toolset_name` must be its call's; a `browser_state` block
 * in it (a browser toolset member's result) is text for other providers' models, the result kept
 * as written for an Anthropic backend (ToolResultPart.written).
 * `origins`, when given, gets where each message and part came from (`messages[2].content[1]`),
 * by the messages' index.
 */
export function decodeMessages(messages: Json[], origins?: MessageOrigin[]): Message[] {
  const out: Message[] = [];
  const toolsets: CallToolsets = new Map();
  messages.forEach((m, i) => {
    const path = `messages[${i}].content`;
    const blocks: Json[] = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content;
    if (blocks.length === 0) {
      if (m.role !== 'assistant') throw badField(path, 'must not be empty');
      out.push({ role: 'assistant', parts: [{ type: 'text', text: '' }] });
      origins?.push({ at: `messages[${i}]`, parts: [] });
      return;
    }
    if (m.role === 'assistant') {
      const placed = origins && ([] as number[]);
      out.push({ role: 'assistant', parts: assistantParts(blocks, path, toolsets, placed) });
      origins?.push({ at: `messages[${i}]`, parts: placed!.map((j) => blockOrigin(m, i, j)) });
      return;
    }
    if (m.role === 'system') {
      out.push({ role: 'system', parts: blocks.map((b, j) => systemPart(b, `${path}[${j}]`)) });
      origins?.push({ at: `messages[${i}]`, parts: blocks.map((_, j) => blockOrigin(m, i, j)) });
      return;
    }
    let run: { role: 'user' | 'tool'; parts: Part[] } | undefined;
    blocks.forEach((b, j) => {
      const role = b.type === 'tool_result' ? 'tool' : 'user';
      const part = role === 'tool' ? toolResult(b, `${path}[${j}]`, toolsets) : userPart(b, `${path}[${j}]`);
      if (run?.role !== role) {
        out.push((run = { role, parts: [] }));
        origins?.push({ at: `messages[${i}]`, parts: [] });
      }
      run.parts.push(part);
      if (origins) (origins[origins.length - 1]!.parts as Origin[]).push(blockOrigin(m, i, j));
    });
  });
  return out;
}

/** Where block `j` of message `i` came from: a string content is its one text block; a block's fields are the canonical part's but a result's call id. */
function blockOrigin(m: Json, i: number, j: number): Origin {
  return typeof m.content === 'string' ? { at: `messages[${i}]`, fields: { text: 'content' } } : { at: `messages[${i}].content[${j}]`, fields: { callId: 'tool_use_id' } };
}

/** An assistant message's blocks as parts; `placed`, when given, gets the block of each part, in order (a search's result joins its use's part). */
function assistantParts(blocks: Json[], path: string, toolsets: CallToolsets, placed?: number[]): Part[] {
  const parts: (Part | undefined)[] = [];
  let searches: SearchHistory | undefined; // only for a message that holds a search
  blocks.forEach((b, j) => {
    const before = parts.length;
    if (b.type === 'server_tool_use' && b.name !== WEB_SEARCH_TOOL_NAME) parts.push(hostedPart(b));
    else if (b.type === 'server_tool_use') (searches ??= new SearchHistory(parts)).use(b, `${path}[${j}]`);
    else if (b.type === 'web_search_tool_result') (searches ??= new SearchHistory(parts)).result(b, `${path}[${j}]`);
    else {
      if (b.type === 'tool_use') toolsets.set(b.id, b.toolset_name ?? undefined);
      parts.push(withThinkingText(assistantPart(b, `${path}[${j}]`), parts));
    }
    if (parts.length > before) placed?.push(j);
  });
  searches?.end(path);
  return parts as Part[];
}

/**
 * Another dialect's opaque reasoning lip sealed in a `redacted_thinking` block (an OpenAI
 * Responses item's encrypted content and id) after the unsigned thinking block lip wrote before
 * it (the item's summary, streamed as thinking): the one reasoning part they were, the text
 * taken over from the thinking part, so that the provider gets its summary back.
 */
function withThinkingText(part: Part, parts: (Part | undefined)[]): Part {
  if (part.type !== 'reasoning' || part.opaque === undefined || part.text !== undefined || part.dialect === REASONING_DIALECTS.anthropicRedacted) return part;
  const last = parts[parts.length - 1];
  if (last?.type !== 'reasoning' || last.dialect !== REASONING_DIALECTS.anthropicThinking || last.signature !== undefined || last.opaque !== undefined) return part;
  parts.pop();
  return last.text ? { ...part, text: last.text } : part;
}

function assistantPart(b: Json, path: string): Part {
  switch (b.type) {
    case 'text':
      return { type: 'text', text: b.text, ...cacheOf(b) };
    case 'tool_use': {
      const { id, call } = openCallId(b.id, `${path}.id`);
      return {
        type: 'tool_call', id, name: b.name, arguments: JSON.stringify(b.input ?? {}),
        ...(call ? { signature: call.signature, dialect: call.dialect } : {}),
        // Who made the call (code execution, for a programmatic one): an Anthropic backend sends it back with the call.
        ...(b.caller ? { caller: { dialect: CALLER_DIALECTS.anthropic, value: { ...b.caller } } } : {}),
        // A call of a toolset's member: an Anthropic backend names the toolset with it and its result.
        ...(typeof b.toolset_name === 'string' ? { toolset: b.toolset_name } : {}),
        ...cacheOf(b),
      };
    }
    case 'thinking': // another dialect's signature comes back sealed (state-envelope.ts)
      return reasoningFromSlot(b.signature, b.thinking, `${path}.signature`)
        ?? { type: 'reasoning', dialect: REASONING_DIALECTS.anthropicThinking, text: b.thinking, ...(b.signature ? { signature: b.signature } : {}) };
    case 'redacted_thinking':
      return reasoningFromSlot(b.data, undefined, `${path}.data`) ?? { type: 'reasoning', dialect: REASONING_DIALECTS.anthropicRedacted, opaque: b.data };
    case 'image':
    case 'document':
      return media(b, path);
    case 'tool_result':
      throw badField(`${path}.type`, 'tool_result blocks belong in user messages');
    case COMPACTION_BLOCK:
      return compactionPart(b);
    default:
      if (HOSTED_BLOCKS.has(b.type)) return hostedPart(b);
      throw unknownBlock(b, path);
  }
}

/**
 * The hosted web searches of one assistant message of the history: a `server_tool_use` named
 * `web_search` and the `web_search_tool_result` that answers it (by `tool_use_id`, later in the
 * same message) become one WebSearchPart at the place of the `server_tool_use`: its results
 * (`encrypted_content` kept), or the error code of a `web_search_tool_result_error`. A search lip
 * reported from another provider (its id made by lip) regains that provider's id and dialect.
 * A search without its result and a result without its search are 400s.
 */
class SearchHistory {
  private readonly pending = new Map<string, { at: number; id: string; dialect?: string; query?: string }>();

  constructor(private readonly parts: (Part | undefined)[]) {}

  /** A `server_tool_use` block of `web_search`: its part's place is kept until its result comes. */
  use(b: Json, path: string): void {
    if (this.pending.has(b.id)) throw badField(`${path}.id`, `repeats the server_tool_use id ${quoted(b.id)}`);
    const { id, dialect } = openSearchId(b.id, `${path}.id`);
    const query = typeof b.input?.query === 'string' ? b.input.query as string : undefined;
    this.pending.set(b.id, { at: this.parts.length, id, ...(dialect !== undefined ? { dialect } : {}), ...(query !== undefined ? { query } : {}) });
    this.parts.push(undefined);
  }

  /** A `web_search_tool_result` block: the search it answers becomes a part. */
  result(b: Json, path: string): void {
    const search = this.pending.get(b.tool_use_id);
    if (search === undefined) throw badField(`${path}.tool_use_id`, `names no server_tool_use before it in this message (${quoted(b.tool_use_id)})`);
    this.pending.delete(b.tool_use_id);
    const { at, ...fields } = search;
    const c = b.content as Json | Json[];
    const part: WebSearchPart = Array.isArray(c)
      ? { type: 'web_search', ...fields, status: 'completed', results: c.map(resultOf) }
      : { type: 'web_search', ...fields, status: 'failed', error: c.error_code as string };
    this.parts[at] = part;
  }

  /** The message ends: every search must have had its result. */
  end(path: string): void {
    const [wireId] = this.pending.keys();
    if (wireId !== undefined) throw badField(path, `the server_tool_use ${quoted(wireId)} has no web_search_tool_result after it`);
  }
}

/** A client's value in a message, quoted and cut short. */
const quoted = (value: unknown) => JSON.stringify(String(value).slice(0, 64));

/**
 * A system message holds text blocks only, as the top-level `system` does. The tool changes the
 * API takes there too (`tool_addition`, `tool_removal`: the SDK tool runner's `addTools()` and
 * `removeTools()`) are refused: lip carries no tool set that changes along a conversation.
 */
function systemPart(b: Json, path: string): TextPart {
  if (b.type === 'tool_addition' || b.type === 'tool_removal') {
    throw badField(`${path}.type`, `"${b.type as string}" blocks (changing the tools in the course of a conversation) are not supported: declare every tool in \`tools\` (on a thread, start a new thread, thread: {type: "create"}, with the tools wanted)`, true);
  }
  if (b.type !== 'text') throw badField(`${path}.type`, 'a system message holds text blocks only');
  return { type: 'text', text: b.text, ...cacheOf(b) };
}

function userPart(b: Json, path: string): Part {
  switch (b.type) {
    case 'text':
      return { type: 'text', text: b.text, ...cacheOf(b) };
    case 'image':
    case 'document':
      return media(b, path);
    case 'search_result':
      return searchResult(b);
    case 'container_upload':
      return hostedPart(b);
    case COMPACTION_BLOCK:
      return compactionPart(b);
    case 'tool_use':
    case 'thinking':
    case 'redacted_thinking':
    case 'server_tool_use':
    case 'web_search_tool_result':
      throw badField(`${path}.type`, `${b.type} blocks belong in assistant messages`);
    default:
      if (HOSTED_BLOCKS.has(b.type)) throw badField(`${path}.type`, `${b.type} blocks belong in assistant messages`);
      throw unknownBlock(b, path);
  }
}

function unknownBlock(b: Json, path: string): LipError {
  const type = String(b.type);
  // A tool search's find is part of a tool's result (or of a server tool search's result, which passes whole).
  if (type === 'tool_reference') return badField(`${path}.type`, 'tool_reference blocks belong in the content of a tool_result');
  // The browser's state after a browser toolset member's call: part of that call's result.
  if (type === 'browser_state') return badField(`${path}.type`, 'browser_state blocks belong in the content of a tool_result');
  return UNSUPPORTED.has(type)
    ? badField(`${path}.type`, `${type} blocks are not supported`, true)
    : badField(`${path}.type`, `unknown block type "${type}"`);
}

function toolResult(b: Json, path: string, toolsets: CallToolsets): ToolResultPart {
  if (typeof b.toolset_name === 'string' && toolsets.has(b.tool_use_id) && toolsets.get(b.tool_use_id) !== b.toolset_name) {
    const called = toolsets.get(b.tool_use_id);
    throw badField(`${path}.toolset_name`, `names the toolset ${quoted(b.toolset_name)}, but the tool_use it answers ${called === undefined ? 'is of no toolset' : `is of the toolset ${quoted(called)}`}`);
  }
  const content = b.content === undefined ? ''
    : typeof b.content === 'string' ? b.content
    : (b.content as Json[]).map((c, k) => resultPart(c, `${path}.content[${k}]`));
  return {
    type: 'tool_result', callId: plainCallId(b.tool_use_id), content, ...(b.is_error === true ? { isError: true } : {}), ...cacheOf(b),
    ...(Array.isArray(b.content) && b.content.some((c: Json) => c.type === 'browser_state') ? { written: writtenResult(b) } : {}),
  };
}

/**
 * A result holding a `browser_state` block, as the client wrote it for an Anthropic backend, which
 * reads the block itself; less what lip carries apart: the call id, the toolset (its call's) and
 * the cache mark.
 */
function writtenResult(b: Json): WrittenResult {
  const { tool_use_id: _id, toolset_name: _toolset, cache_control: _mark, ...item } = b;
  return { dialect: TOOL_DIALECTS.anthropic, item };
}

function resultPart(c: Json, path: string): TextPart | ImagePart | FilePart | SearchResultPart | ToolReferencePart {
  if (c.type === 'text') return { type: 'text', text: c.text, ...cacheOf(c) };
  if (c.type === 'browser_state') return browserStateText(c);
  if (c.type === 'image' || c.type === 'document') return media(c, path);
  if (c.type === 'search_result') return searchResult(c);
  // What a client's tool search found (Claude Code's ToolSearch): the deferred tool it names loads.
  if (c.type === 'tool_reference') return { type: 'tool_reference', name: c.tool_name, ...cacheOf(c) };
  throw unknownBlock(c, path);
}

/** A `search_result` block (RAG results the client retrieved): source, title, its text blocks, whether to cite it. */
function searchResult(b: Json): SearchResultPart {
  return {
    type: 'search_result', source: b.source, title: b.title,
    content: (b.content as Json[]).map((c) => ({ type: 'text' as const, text: c.text as string, ...cacheOf(c) })),
    ...((b.citations as Json | null | undefined)?.enabled === true ? { citations: true } : {}),
    ...cacheOf(b),
  };
}

/** `image` and `document` blocks: base64, URL, plain-text and file-id sources (with their cache mark; a media type as providers take it: plainMediaType). */
export function media(b: Json, path: string): ImagePart | FilePart {
  const part = mediaPart(b, path);
  const cited = part.type === 'file' && (b.citations as Json | null | undefined)?.enabled === true ? { citations: true } : {};
  return b.cache_control ? { ...part, ...cited, ...cacheOf(b) } : { ...part, ...cited };
}

function mediaPart(b: Json, path: string): ImagePart | FilePart {
  const s = b.source as Json;
  if (b.type === 'image') {
    const oversized = b.transformations?.oversized_image;
    const sized = oversized === 'downsize' || oversized === 'error' ? { oversized } : {};
    if (s.type === 'base64') return { type: 'image', data: s.data, mediaType: plainMediaType(s.media_type), ...sized };
    if (s.type === 'url') return { type: 'image', url: mediaUrl(s.url, `${path}.source.url`), ...sized };
    if (s.type === 'file') throw badField(`${path}.source.file_id`, `${String(s.file_id).slice(0, 64)} is no image file of yours on this server (upload it to /v1/files, or send base64 or url)`, true);
    throw badField(`${path}.source.type`, `unknown image source type "${String(s.type)}"`);
  }
  const named = { ...(typeof b.title === 'string' && b.title ? { filename: b.title } : {}), ...(typeof b.context === 'string' && b.context ? { context: b.context } : {}) };
  switch (s.type) {
    case 'base64': return { type: 'file', data: s.data, mediaType: plainMediaType(s.media_type), ...named };
    case 'url': return { type: 'file', url: mediaUrl(s.url, `${path}.source.url`), mediaType: 'application/pdf', ...named };
    case 'text': return { type: 'file', data: Buffer.from(s.data as string, 'utf8').toString('base64'), mediaType: plainMediaType(s.media_type ?? 'text/plain'), ...named };
    case 'file': return { type: 'file', fileId: s.file_id, ...named };
    case 'content': throw badField(`${path}.source.type`, 'content-block document sources are not supported; send base64, text or url', true);
    default: throw badField(`${path}.source.type`, `unknown document source type "${String(s.type)}"`);
  }
}
