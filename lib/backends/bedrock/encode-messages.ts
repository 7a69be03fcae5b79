import type { FilePart, ImagePart, Message, Part, TextPart, ToolResultPart } from '../../canonical/index.js';
import { REASONING_DIALECTS } from '../../canonical/index.js';
import { LipError } from '../../errors/index.js';
import { trimmedPrefill } from '../blank-text.js';
import { encodeTurns, toolInputObject } from '../encode-turns.js';
import { imageTypeRefusal } from '../media-refusal.js';
import { mediaAsUser } from '../media-as-user.js';
import { parseDataUrl, plainMediaType } from '../../wire/index.js';
import { searchResultText } from '../search-results.js';
import { toolReferenceText } from '../tool-references.js';

type Json = Record<string, unknown>;

/** Converse's formats by media type (plainMediaType; Maps: the media type is the client's text, `constructor` must find nothing). */
const IMAGE_FORMATS: ReadonlyMap<string, string> = new Map(Object.entries({ 'image/png': 'png', 'image/jpeg': 'jpeg', 'image/gif': 'gif', 'image/webp': 'webp' }));
const DOCUMENT_FORMATS: ReadonlyMap<string, string> = new Map(Object.entries({
  'application/pdf': 'pdf', 'text/csv': 'csv', 'application/msword': 'doc', 'text/html': 'html', 'text/plain': 'txt', 'text/markdown': 'md',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx', 'application/vnd.ms-excel': 'xls',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
}));

/**
 * Canonical messages -> Converse `messages` and extra system text. Converse has two roles:
 * tool results are `toolResult` blocks of a user turn (status `error` for failed tools),
 * consecutive turns of one role are merged, and a system message in the middle of a
 * conversation joins the top-level `system`. Converse refuses text blocks that are empty or only
 * whitespace (the request leaves blank text out before: withoutBlankText; a turn left with nothing
 * is left out too, its neighbours merged), so a tool result with no content says `(no output)`,
 * and a user turn with a document but no text, which it refuses too, gets a placeholder text (withDocumentText);
 * Claude models refuse a final assistant turn (a prefill) that ends with whitespace, which is
 * trimmed (trimmedPrefill, for every model); a conversation with nothing left to send is refused
 * (400) before sending.
 *
 * Images and documents travel inline (`source.bytes`, base64): Converse takes no URLs, so an
 * http(s) image or document is refused with a 400 naming the part; an assistant turn's follow it
 * in a user message (mediaAsUser), as Claude reads them only from the user. Reasoning is replayed as
 * `reasoningContent` before the rest of its turn: signed thinking as `reasoningText` with its
 * signature, redacted thinking as `redactedContent`. Claude models on Bedrock issue Anthropic's
 * thinking blocks, so those are the dialects replayed; unsigned or foreign reasoning is dropped.
 * Converse refuses two documents of one name in a request, so names are made unique across the
 * whole conversation in order (`report`, `report-2`, ...: the same on every turn, so that a
 * cached prompt still matches). With `cachePoints` (a model that caches prompts), a part's cache
 * mark becomes a `cachePoint` block after the part's own.
 *
 * @see spec/backends/bedrock/encode-request.spec.ts
 */
export function encodeMessages(messages: readonly Message[], cachePoints = false): { messages: Json[]; system: TextPart[] } {
  // A part's cache mark is a cachePoint block right after its own, for the models that cache.
  const blocks = (parts: readonly Part[], block: (part: Part) => Json | undefined): Json[] => parts.flatMap((p) => {
    const b = block(p);
    if (b === undefined) return [];
    return cachePoints && (p as { cache?: unknown }).cache !== undefined ? [b, CACHE_POINT] : [b];
  });
  const named = documentNames();
  const { turns, system } = encodeTurns(mediaAsUser(messages), {
    assistantRole: 'assistant',
    user: (m) => blocks(m.parts, (p) => userBlock(p, named)),
    assistant: (m) => {
      const out = blocks(m.parts, assistantBlock);
      // Converse wants a turn's reasoning ahead of its text and tool use.
      return [...out.filter((b) => 'reasoningContent' in b), ...out.filter((b) => !('reasoningContent' in b))];
    },
    tool: (m) => blocks(m.parts.filter((p): p is ToolResultPart => p.type === 'tool_result'), (p) => toolResultBlock(p as ToolResultPart, named)),
  });
  if (turns.length === 0) throw new LipError('LIP_ERR_REQUEST_UNSUPPORTED', 'bedrock (Converse): the messages hold nothing to send (text that is empty or only whitespace is left out: Converse refuses it)', { retryable: true });
  const last = turns.length - 1;
  return { messages: turns.map((t, i) => ({ role: t.role, content: t.role === 'user' ? withDocumentText(t.blocks) : i === last ? trimmedPrefill(t.role, t.blocks) : t.blocks })), system };
}

/** What a user message with a document and no text says beside it (Converse refuses such a message). */
const DOCUMENT_TEXT = '(document attached)';

/**
 * A user turn's blocks with DOCUMENT_TEXT after them when they hold a document and no text block,
 * which Converse refuses ("A text block must be included when using documents."; blank text is
 * left out before: withoutBlankText); before the trailing cache point, so that it still closes
 * the turn. The same blocks otherwise.
 */
function withDocumentText(blocks: Json[]): Json[] {
  if (!blocks.some((b) => b.document !== undefined) || blocks.some((b) => b.text !== undefined)) return blocks;
  const end = blocks.at(-1)?.cachePoint !== undefined ? blocks.length - 1 : blocks.length;
  return [...blocks.slice(0, end), { text: DOCUMENT_TEXT }, ...blocks.slice(end)];
}

/** Converse's prompt-cache breakpoint: the prompt up to the block before it may be cached. */
export const CACHE_POINT: Readonly<Json> = { cachePoint: { type: 'default' } };

/** What an empty tool result says: Converse takes no blank text, and a result must have content. */
const NO_OUTPUT = '(no output)';

/** A document's name for its filename, unique in the request. */
type DocumentNames = (filename: string | undefined) => string;

function userBlock(part: Part, named: DocumentNames): Json | undefined {
  switch (part.type) {
    case 'text': return { text: part.text };
    case 'image': return imageBlock(part);
    case 'file': return documentBlock(part, named);
    default: return undefined;
  }
}

function assistantBlock(part: Part): Json | undefined {
  switch (part.type) {
    case 'text':
      return { text: part.text };
    case 'tool_call':
      return { toolUse: { toolUseId: part.id, name: part.name, input: toolInputObject(part.arguments) } };
    case 'reasoning':
      if (part.dialect === REASONING_DIALECTS.anthropicThinking && part.signature) {
        return { reasoningContent: { reasoningText: { text: part.text ?? '', signature: part.signature } } };
      }
      if (part.dialect === REASONING_DIALECTS.anthropicRedacted && part.opaque) return { reasoningContent: { redactedContent: part.opaque } };
      return undefined;
    default:
      return undefined;
  }
}

/** Inline bytes of an image or document: its base64 `data`, or a `data:` URL taken apart (parseDataUrl). */
function inline(part: ImagePart | FilePart, what: string): { data: string; mediaType: string | undefined } {
  if (part.data !== undefined) return { data: part.data, mediaType: part.mediaType };
  const parsed = parseDataUrl(part.url ?? '');
  if (parsed) return parsed;
  const where = part.type === 'file' && part.fileId ? `file id ${JSON.stringify(part.fileId)}` : 'a URL';
  throw new LipError('LIP_ERR_REQUEST_UNSUPPORTED', `bedrock takes ${what}s inline only (base64 or a data: URL), not by ${where}`);
}

function imageBlock(part: ImagePart): Json {
  const { data, mediaType } = inline(part, 'image');
  const format = IMAGE_FORMATS.get(plainMediaType(mediaType ?? 'image/png'));
  if (!format) throw imageTypeRefusal('bedrock', mediaType);
  return { image: { format, source: { bytes: data } } };
}

function documentBlock(part: FilePart, named: DocumentNames): Json {
  const { data, mediaType } = inline(part, 'document');
  const format = DOCUMENT_FORMATS.get(plainMediaType(mediaType ?? 'application/pdf'));
  if (!format) throw new LipError('LIP_ERR_REQUEST_UNSUPPORTED', `bedrock takes pdf, csv, doc, docx, xls, xlsx, html, txt and md documents, not ${mediaType}`);
  return { document: { format, name: named(part.filename), source: { bytes: data }, ...(part.citations === true ? { citations: { enabled: true } } : {}) } };
}

const MAX_NAME = 200;

/** Converse names: letters, digits, single spaces, hyphens, parentheses and brackets only. */
export function documentName(filename: string | undefined): string {
  const base = (filename ?? '').replace(/\.[A-Za-z0-9]+$/, '').replace(/[^A-Za-z0-9\-()[\] ]+/g, ' ').replace(/\s+/g, ' ').trim();
  return base.length > 0 ? base.slice(0, MAX_NAME) : 'document';
}

/**
 * Names for the documents of one request, in order: a name already given (letter case aside)
 * gets the first free suffix, `report`, `report-2`, `report-3`.
 */
function documentNames(): DocumentNames {
  const given = new Set<string>();
  return (filename) => {
    const base = documentName(filename);
    let name = base;
    for (let n = 2; given.has(name.toLowerCase()); n++) name = `${base.slice(0, MAX_NAME - `-${n}`.length)}-${n}`;
    given.add(name.toLowerCase());
    return name;
  };
}

function toolResultBlock(part: ToolResultPart, named: DocumentNames): Json {
  const blocks = typeof part.content === 'string'
    ? (part.content.length > 0 ? [{ text: part.content }] : [])
    : part.content.map((p) => (p.type === 'text' ? { text: p.text } : p.type === 'image' ? imageBlock(p) : p.type === 'search_result' ? { text: searchResultText(p).text } : p.type === 'tool_reference' ? { text: toolReferenceText(p).text } : documentBlock(p, named)));
  return { toolResult: { toolUseId: part.callId, content: blocks.length > 0 ? blocks : [{ text: NO_OUTPUT }], status: part.isError ? 'error' : 'success' } };
}
