import type { CacheMark, FilePart, HostedToolPart, ImagePart, Message, Part, SearchResultPart, TextPart, ToolResultPart, WebSearchPart } from '../../canonical/index.js';
import { CALLER_DIALECTS, FILE_STORES, HOSTED_DIALECTS, REASONING_DIALECTS, SEARCH_DIALECTS, TOOL_DIALECTS, WEB_SEARCH_TOOL_NAME } from '../../canonical/index.js';
import { LipError } from '../../errors/index.js';
import { trimmedPrefill } from '../blank-text.js';
import { encodeTurns, toolInputObject } from '../encode-turns.js';
import { foreignReference, imageTypeRefusal, mediaRefusal } from '../media-refusal.js';
import { mediaAsUser } from '../media-as-user.js';
import { audioOrVideo, isTextMediaType, plainMediaType } from '../../wire/index.js';
import { ownWebSearches } from '../web-search.js';

type Json = Record<string, unknown>;

/** The image types the API reads inline. */
const IMAGE_TYPES: ReadonlySet<string> = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

/**
 * Canonical messages -> Anthropic `messages` and extra system text. Anthropic has two roles:
 * tool results travel as `tool_result` blocks at the front of a user turn, consecutive turns
 * of one role are merged, and a system message in the middle of a conversation joins the
 * top-level `system`. Thinking is replayed only in Anthropic's own dialects and only when
 * signed (the API rejects unsigned thinking); other dialects are dropped. A hosted web search
 * Anthropic ran goes back where it was, as its `server_tool_use` and `web_search_tool_result`
 * (results with their `encrypted_content`, as the API requires); another provider's is left out.
 * Another server tool's blocks (hosted tool parts of Anthropic's dialect: code execution, web
 * fetch, tool search, `container_upload`) go back in place exactly as the client wrote them, a
 * `cache_control` in them included. A tool result's tool reference parts are `tool_reference`
 * blocks (the deferred tools a client's tool search found), and a call Anthropic's code execution
 * made keeps its `caller`. A call of a toolset's member and its result name the toolset
 * (`toolset_name`, which Anthropic requires on both); a result the client wrote with a
 * `browser_state` block goes as written (ToolResultPart.written). A part's cache mark is its
 * block's `cache_control`. An assistant turn's images and documents, which the API takes only
 * from the user, follow it in a user message (mediaAsUser). The API refuses a text block that is
 * empty or only whitespace (the request leaves blank text out before: withoutBlankText) and a
 * final assistant turn that ends with whitespace (a prefill: its trailing whitespace is trimmed,
 * trimmedPrefill); a conversation with nothing left to send is refused (400) before sending.
 *
 * ```ts
 * encodeMessages(call.messages)
 * // { messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], system: [] }
 * ```
 * @see spec/backends/anthropic/encode-request.spec.ts
 */
export function encodeMessages(messages: readonly Message[]): { messages: Json[]; system: TextPart[] } {
  const toolsets = callToolsets(messages);
  const { turns, system } = encodeTurns(ownWebSearches(mediaAsUser(messages), SEARCH_DIALECTS.anthropic), {
    assistantRole: 'assistant',
    user: (m) => m.parts.map((p) => cached(userBlock(p), p)).filter((b): b is Json => b !== undefined),
    assistant: (m) => m.parts.flatMap((p) => (p.type === 'web_search' ? searchBlocks(p) : [cached(assistantBlock(p), p)])).filter((b): b is Json => b !== undefined),
    tool: (m) => m.parts.filter((p): p is ToolResultPart => p.type === 'tool_result').map((p) => cached(toolResultBlock(p, toolsets?.get(p.callId)), p)!),
  });
  if (turns.length === 0) throw new LipError('LIP_ERR_REQUEST_UNSUPPORTED', 'anthropic: the messages hold nothing to send (text that is empty or only whitespace is left out: the Messages API refuses it)', { retryable: true });
  const last = turns.length - 1;
  return { messages: turns.map((t, i) => ({ role: t.role, content: i === last ? trimmedPrefill(t.role, t.blocks) : t.blocks })), system };
}

/** The toolset of each call of a toolset's member in the history, by call id; undefined when there is none. */
function callToolsets(messages: readonly Message[]): ReadonlyMap<string, string> | undefined {
  let toolsets: Map<string, string> | undefined;
  for (const m of messages) {
    if (m.role !== 'assistant') continue;
    for (const p of m.parts) if (p.type === 'tool_call' && p.toolset !== undefined) (toolsets ??= new Map()).set(p.id, p.toolset);
  }
  return toolsets;
}

/** Anthropic's `cache_control` for a cache mark: its `ttl` and `scope` as the client wrote them. */
export function cacheControl(mark: CacheMark): Json {
  const control: Json = { type: 'ephemeral' };
  if (mark.ttl !== undefined) control.ttl = mark.ttl;
  if (mark.scope !== undefined) control.scope = mark.scope;
  return control;
}

/** The block with the part's cache breakpoint, if it has one. */
export function cached(block: Json | undefined, part: Part | { readonly cache?: CacheMark }): Json | undefined {
  const mark = (part as { readonly cache?: CacheMark }).cache;
  return block !== undefined && mark !== undefined ? { ...block, cache_control: cacheControl(mark) } : block;
}

function userBlock(part: Part): Json | undefined {
  switch (part.type) {
    case 'text': return part.text.length > 0 ? { type: 'text', text: part.text } : undefined;
    case 'image': return imageBlock(part);
    case 'file': return documentBlock(part);
    case 'search_result': return searchResultBlock(part);
    case 'hosted_tool': return hostedBlock(part);
    default: return undefined;
  }
}

/** A block of a hosted tool's work, as written (forHostedDialect left out any of another dialect). */
function hostedBlock(part: HostedToolPart): Json | undefined {
  return part.dialect === HOSTED_DIALECTS.anthropic ? { ...part.block } : undefined;
}

/** A search result the client retrieved, as Anthropic's `search_result` block. */
function searchResultBlock(part: SearchResultPart): Json {
  return {
    type: 'search_result', source: part.source, title: part.title,
    content: part.content.map((p) => cached({ type: 'text', text: p.text }, p)),
    ...(part.citations === true ? { citations: { enabled: true } } : {}),
  };
}

function assistantBlock(part: Part): Json | undefined {
  switch (part.type) {
    case 'text':
      return part.text.length > 0 ? { type: 'text', text: part.text } : undefined;
    case 'tool_call': // the caller Anthropic wrote goes back with the call (a programmatic call's result must answer its caller)
      return {
        type: 'tool_use', id: part.id, name: part.name, input: toolInputObject(part.arguments),
        ...(part.caller?.dialect === CALLER_DIALECTS.anthropic ? { caller: { ...part.caller.value } } : {}),
        ...(part.toolset !== undefined ? { toolset_name: part.toolset } : {}),
      };
    case 'reasoning':
      if (part.dialect === REASONING_DIALECTS.anthropicThinking && part.signature) {
        return { type: 'thinking', thinking: part.text ?? '', signature: part.signature };
      }
      if (part.dialect === REASONING_DIALECTS.anthropicRedacted && part.opaque) return { type: 'redacted_thinking', data: part.opaque };
      return undefined;
    case 'hosted_tool':
      return hostedBlock(part);
    default:
      return undefined;
  }
}

/** A search Anthropic ran, as the two blocks it answered with. */
function searchBlocks(part: WebSearchPart): Json[] {
  const content = part.status === 'failed'
    ? { type: 'web_search_tool_result_error', error_code: part.error ?? 'unavailable' }
    : (part.results ?? []).map((r) => ({ type: 'web_search_result', url: r.url, title: r.title ?? '', encrypted_content: r.encrypted ?? '', page_age: r.pageAge ?? null }));
  return [
    { type: 'server_tool_use', id: part.id, name: WEB_SEARCH_TOOL_NAME, input: part.query !== undefined ? { query: part.query } : {} },
    { type: 'web_search_tool_result', tool_use_id: part.id, content },
  ];
}

/**
 * An image as an `image` block: inline (base64) of a type the API reads (IMAGE_TYPES; another is
 * refused before sending, as the API would refuse it), or by URL (one of Google's storage, which
 * the API cannot fetch, is refused before sending: foreignReference).
 */
export function imageBlock(part: ImagePart): Json {
  const sized = part.oversized !== undefined ? { transformations: { oversized_image: part.oversized } } : {};
  if (part.data !== undefined) {
    const mediaType = plainMediaType(part.mediaType ?? 'image/png');
    if (!IMAGE_TYPES.has(mediaType)) throw imageTypeRefusal('anthropic', part.mediaType);
    return { type: 'image', source: { type: 'base64', media_type: mediaType, data: part.data }, ...sized };
  }
  const foreign = foreignReference('anthropic', FILE_STORES.anthropic, part);
  if (foreign !== undefined) throw foreign;
  return { type: 'image', source: { type: 'url', url: part.url ?? '' }, ...sized };
}

/**
 * A file as a `document`: by file id, inline, or by URL. Anthropic takes inline documents as a
 * base64 PDF or as plain text: a text file of any text type (`text/*`, JSON, XML, YAML, ...) goes
 * as a `text` source, a PDF (or a file of no type) as base64, and any other type is refused before
 * sending, as are audio and video (the API takes neither), and so is a file the API cannot read:
 * another provider's file id, a Gemini Files API or `gs://` URI (foreignReference).
 */
function documentBlock(part: FilePart): Json {
  const kind = audioOrVideo(part.mediaType);
  if (kind !== undefined) throw mediaRefusal('anthropic', kind, part.mediaType!, kind === 'audio' ? 'gemini, an openai-chat audio model' : 'gemini');
  const title = {
    ...(part.filename ? { title: part.filename } : {}), ...(part.context ? { context: part.context } : {}), ...(part.citations === true ? { citations: { enabled: true } } : {}),
  };
  const foreign = foreignReference('anthropic', FILE_STORES.anthropic, part);
  if (foreign !== undefined) throw foreign;
  if (part.fileId) return { type: 'document', source: { type: 'file', file_id: part.fileId }, ...title };
  if (part.data !== undefined) {
    if (part.mediaType !== undefined && isTextMediaType(part.mediaType)) {
      return { type: 'document', source: { type: 'text', media_type: 'text/plain', data: Buffer.from(part.data, 'base64').toString('utf8') }, ...title };
    }
    if (part.mediaType !== undefined && plainMediaType(part.mediaType) !== 'application/pdf') {
      throw new LipError('LIP_ERR_REQUEST_UNSUPPORTED', `anthropic takes inline documents as PDF or plain text only, not ${part.mediaType}; send it as PDF or text, or route it to a backend that takes it (gemini, openai-responses)`);
    }
    return { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: part.data }, ...title };
  }
  return { type: 'document', source: { type: 'url', url: part.url ?? '' }, ...title };
}

/** What a failed tool result with no content says. */
const NO_OUTPUT = '(no output)';

/**
 * A tool result; one of a toolset member's call names the toolset, one the client wrote with a
 * `browser_state` block goes as written. A result with no content goes as it is (`content: ""`),
 * a failed one says NO_OUTPUT.
 */
function toolResultBlock(part: ToolResultPart, toolset: string | undefined): Json {
  const named = toolset !== undefined ? { toolset_name: toolset } : {};
  if (part.written?.dialect === TOOL_DIALECTS.anthropic) return { ...part.written.item, type: 'tool_result', tool_use_id: part.callId, ...named };
  const content = typeof part.content === 'string' ? part.content : part.content.map((p) => cached(resultContentBlock(p), p)!);
  if (!part.isError) return { type: 'tool_result', tool_use_id: part.callId, content, ...named };
  // The API takes a result with no content, but not a failed one ("content cannot be empty if `is_error` is true").
  return { type: 'tool_result', tool_use_id: part.callId, content: content.length > 0 ? content : NO_OUTPUT, is_error: true, ...named };
}

/** A block of a tool result's content; a tool reference (what a client's tool search found) loads that deferred tool. */
function resultContentBlock(p: Exclude<ToolResultPart['content'], string>[number]): Json {
  switch (p.type) {
    case 'text': return { type: 'text', text: p.text };
    case 'image': return imageBlock(p);
    case 'search_result': return searchResultBlock(p);
    case 'tool_reference': return { type: 'tool_reference', tool_name: p.name };
    default: return documentBlock(p);
  }
}
