import type { FilePart, HostedToolPart, ImagePart, MediaFields, Message, Part, ReasoningPart, TextPart } from '../../canonical/index.js';
import { FILE_STORES, HOSTED_DIALECTS, MEDIA_DIALECTS, REASONING_DIALECTS } from '../../canonical/index.js';
import { LipError } from '../../errors/index.js';
import { plainMediaType } from '../../wire/media-types.js';
import { mediaUrl } from '../media-url.js';
import { openStateBase64, openTurnBase64, type CarriedState } from '../state-envelope.js';
import { restoreCarried } from './carried-reasoning.js';
import type { MessageOrigin, Origin } from '../protocol.js';

type Json = Record<string, any>; // shape checked by generateContentSchema before any field is read

/** A 400 naming the field in the client's notation (`contents[1].parts[0].functionCall`). */
export function badField(path: string, message: string, unsupported = false): LipError {
  return new LipError(unsupported ? 'LIP_ERR_REQUEST_UNSUPPORTED' : 'LIP_ERR_REQUEST_INVALID', `${path}: ${message}`, { param: path });
}

/**
 * Gemini contents -> canonical messages. `model` turns are assistant messages (consecutive ones,
 * such as the chunks of a streamed turn in a chat history, form one): thought parts
 * become reasoning parts (dialect `gemini.thought`, with their `thoughtSignature`; a signature
 * on a plain text part becomes a signature-only reasoning part before it), `functionCall` parts
 * tool calls keeping their signature. A signature lip sealed (another dialect's state,
 * state-envelope.ts) restores that dialect's reasoning part or call signature; one in the turn
 * form on a text or `functionCall` part (the reasoning of thought parts that clients such as
 * Gemini CLI drop, carried-reasoning.ts) restores the reasoning parts before that part, those the
 * turn does not hold already, and the call's own signature. The parts of
 * Gemini's built-in tools (code execution's `executableCode` and `codeExecutionResult`, and the
 * server-side `toolCall` and `toolResponse` of any built-in) become hosted tool parts in place,
 * each the part as written (its `thoughtSignature` too), which only a gemini backend sends back. `user` (and
 * `function`) turns split into user messages and tool messages for `functionResponse` parts. Calls without an `id` get one, and a response
 * without an `id` is paired with the earliest unanswered call of the same name. An image's or
 * file's `videoMetadata`, `mediaResolution` and `mediaProcessing` are its provider fields
 * (MEDIA_DIALECTS.gemini), as written; on a part of no media they are a 400 naming them.
 * `origins`, when given, gets where each message and part came from (`contents[2].parts[1]`,
 * a call's fields in its `functionCall`, a result's in its `functionResponse`), by the messages' index.
 */
export function decodeContents(contents: Json[], origins?: MessageOrigin[]): Message[] {
  const out: Message[] = [];
  const pending: { id: string; name: string }[] = [];
  let generated = 0;
  contents.forEach((c, i) => {
    const path = `contents[${i}].parts`;
    const parts = c.parts as Json[];
    if (parts.length === 0) throw badField(path, 'must contain at least one part');
    if (c.role === 'model') {
      // Consecutive model turns are one answer (a streamed turn's chunks, as chat helpers keep them).
      const last = out[out.length - 1];
      const message = last?.role === 'assistant' ? last.parts as Part[] : [];
      if (message !== last?.parts) {
        out.push({ role: 'assistant', parts: message });
        origins?.push({ at: `contents[${i}]`, parts: [] });
      }
      const from = origins && (origins[origins.length - 1]!.parts as Origin[]);
      parts.forEach((p, j) => {
        const before = message.length;
        refuseStrayMediaFields(p, `${path}[${j}]`);
        modelPart(p, `${path}[${j}]`, message, (name) => {
          const id = `call_gemini_${++generated}`;
          pending.push({ id, name });
          return id;
        }, pending);
        if (from === undefined) return;
        const at = p.functionCall ? `${path}[${j}].functionCall` : `${path}[${j}]`;
        for (let k = before; k < message.length; k++) from.push({ at });
      });
      return;
    }
    if (c.role !== undefined && c.role !== '' && c.role !== 'user' && c.role !== 'function') {
      throw badField(`contents[${i}].role`, `must be "user" or "model" (got ${JSON.stringify(c.role)})`);
    }
    // The turn's function responses first, as one tool message, then its other parts (Gemini CLI
    // puts a result's images beside it, between the results of parallel calls): the providers
    // that take tool results want them together at the start of the turn (Anthropic, Bedrock) or
    // right after the calls (OpenAI Chat).
    const results: Part[] = [];
    const others: Part[] = [];
    const from = origins && { results: [] as Origin[], others: [] as Origin[] };
    parts.forEach((p, j) => {
      const at = `${path}[${j}]`;
      refuseStrayMediaFields(p, at);
      if (p.functionResponse) {
        results.push(toolResult(p.functionResponse, `${at}.functionResponse`, pending, () => `call_gemini_${++generated}`));
        from?.results.push({ at: `${at}.functionResponse`, fields: { callId: 'id', content: 'response' } });
      } else {
        others.push(userPart(p, at));
        from?.others.push({ at });
      }
    });
    if (results.length > 0) {
      out.push({ role: 'tool', parts: results });
      origins?.push({ at: `contents[${i}]`, parts: from!.results });
    }
    if (others.length > 0) {
      out.push({ role: 'user', parts: others });
      origins?.push({ at: `contents[${i}]`, parts: from!.others });
    }
  });
  return out;
}

function modelPart(p: Json, path: string, parts: Part[], newId: (name: string) => string, pending: { id: string; name: string }[]): void {
  const hosted = hostedPart(p, path);
  if (hosted) return void parts.push(hosted);
  if (p.functionResponse) throw badField(`${path}.functionResponse`, 'function responses belong in user turns');
  const raw: string | undefined = p.thoughtSignature;
  // The reasoning of dropped thought parts, carried by the part after them (not by a thought).
  const turn = raw && p.thought !== true ? openTurnBase64(raw, `${path}.thoughtSignature`) : undefined;
  if (turn) restoreCarried(turn.reasoning ?? [], parts);
  const sealed = raw && !turn ? openStateBase64(raw, `${path}.thoughtSignature`) : undefined; // another dialect's state, sealed by lip
  const signature = sealed || turn ? undefined : raw;
  if (p.functionCall) {
    const fc = p.functionCall as Json;
    const id: string = typeof fc.id === 'string' && fc.id ? fc.id : newId(fc.name);
    if (fc.id) pending.push({ id, name: fc.name });
    const own = turn ? turn.call : sealed?.signature !== undefined ? { signature: sealed.signature, dialect: sealed.dialect } : undefined;
    const signed = own ? { signature: own.signature, dialect: own.dialect } : signature ? { signature, dialect: REASONING_DIALECTS.geminiThought } : {};
    parts.push({ type: 'tool_call', id, name: fc.name, arguments: JSON.stringify(fc.args ?? {}), ...signed });
    return;
  }
  if (sealed && p.thought === true) return void parts.push(sealedReasoning(sealed, p.text, parts));
  if (typeof p.text === 'string' && p.thought === true) {
    const last = parts[parts.length - 1];
    if (last?.type === 'reasoning' && last.dialect === REASONING_DIALECTS.geminiThought && last.signature === undefined) {
      parts[parts.length - 1] = { ...last, text: (last.text ?? '') + p.text, ...(signature ? { signature } : {}) };
    } else {
      parts.push({ type: 'reasoning', dialect: REASONING_DIALECTS.geminiThought, text: p.text, ...(signature ? { signature } : {}) });
    }
    return;
  }
  if (signature && (typeof p.text === 'string' || p.inlineData || p.fileData)) {
    parts.push({ type: 'reasoning', dialect: REASONING_DIALECTS.geminiThought, text: '', signature });
  }
  parts.push(contentPart(p, path));
}

/**
 * A thought part whose signature lip sealed: the state's own reasoning part. An empty one that
 * closes unsigned thought text before it (a streamed thinking block, then its signature; an
 * OpenAI Responses item's summary, then its encrypted content) takes that text over, as the
 * block it closes.
 */
function sealedReasoning(state: CarriedState, text: unknown, parts: Part[]): ReasoningPart {
  const own = typeof text === 'string' && text.length > 0 ? text : state.text;
  const last = parts[parts.length - 1];
  if (own === undefined && (state.signature !== undefined || state.opaque !== undefined) && last?.type === 'reasoning' && last.dialect === REASONING_DIALECTS.geminiThought && last.signature === undefined && last.opaque === undefined) {
    parts.pop();
    return { type: 'reasoning', ...state, ...(last.text ? { text: last.text } : {}) };
  }
  return { type: 'reasoning', ...state, ...(own ? { text: own } : {}) };
}

/** The keys of a part of Gemini's own built-in work (code execution, a built-in's call and result), which lip carries only as written. */
const HOSTED_PART_KEYS = ['executableCode', 'codeExecutionResult', 'toolCall', 'toolResponse'] as const;
/** What a part holds besides: a part is one of these, never two. */
const DATA_KEYS = ['text', 'inlineData', 'fileData', 'functionCall', 'functionResponse', ...HOSTED_PART_KEYS];

/**
 * A model part of a built-in's work (`executableCode`, `codeExecutionResult`, `toolCall`,
 * `toolResponse`) as a hosted tool part holding it as written; undefined for any other part. One
 * that also holds text, data or a call is refused, naming it.
 */
function hostedPart(p: Json, path: string): HostedToolPart | undefined {
  const key = HOSTED_PART_KEYS.find((k) => p[k] !== undefined && p[k] !== null);
  if (key === undefined) return undefined;
  const other = DATA_KEYS.find((k) => k !== key && p[k] !== undefined && p[k] !== null);
  if (other !== undefined) throw badField(`${path}.${other}`, `a part holds one kind of data, and this one holds ${key} already`);
  return { type: 'hosted_tool', dialect: HOSTED_DIALECTS.gemini, block: p };
}

function userPart(p: Json, path: string): Part {
  if (p.functionCall) throw badField(`${path}.functionCall`, 'function calls belong in model turns');
  for (const key of HOSTED_PART_KEYS) if (p[key] !== undefined && p[key] !== null) throw badField(`${path}.${key}`, `${key} parts belong in model turns`);
  if (p.thought === true) throw badField(`${path}.thought`, 'thoughts belong in model turns');
  return contentPart(p, path);
}

function contentPart(p: Json, path: string): TextPart | ImagePart | FilePart {
  if (typeof p.text === 'string') return { type: 'text', text: p.text };
  const fields = mediaFields(p);
  // The media type as providers take it (plainMediaType: `image/JPEG; name=a.jpg` is `image/jpeg`), as a data: URL's.
  if (p.inlineData) {
    const { mimeType, data } = p.inlineData as Json;
    const mediaType = plainMediaType(String(mimeType));
    return mediaType.startsWith('image/') ? { type: 'image', data, mediaType, ...fields } : { type: 'file', data, mediaType, ...fields };
  }
  if (p.fileData) {
    const { mimeType, fileUri } = p.fileData as Json;
    const url = mediaUrl(fileUri, `${path}.fileData.fileUri`, FILE_STORES.google);
    const mediaType = typeof mimeType === 'string' ? plainMediaType(mimeType) : undefined;
    if (mediaType?.startsWith('image/')) return { type: 'image', url, mediaType, ...fields };
    return { type: 'file', url, ...(mediaType !== undefined ? { mediaType } : {}), ...fields };
  }
  throw badField(path, 'must have text, inlineData, fileData, functionCall or functionResponse');
}

/** The fields of a part that say how to read its media (MEDIA_DIALECTS.gemini), kept as written. */
const MEDIA_FIELD_KEYS = ['videoMetadata', 'mediaResolution', 'mediaProcessing'] as const;

/** A media part's `videoMetadata`, `mediaResolution` and `mediaProcessing` as its provider fields; none when it has none of them. */
function mediaFields(p: Json): { providerFields?: MediaFields } {
  const keys = MEDIA_FIELD_KEYS.filter((k) => p[k] !== undefined && p[k] !== null);
  return keys.length > 0 ? { providerFields: { dialect: MEDIA_DIALECTS.gemini, value: Object.fromEntries(keys.map((k) => [k, p[k]])) } } : {};
}

/** One of those fields on a part of no media (text, a call, a result) says nothing: a 400 naming it. */
function refuseStrayMediaFields(p: Json, path: string): void {
  if (p.inlineData || p.fileData) return;
  const key = MEDIA_FIELD_KEYS.find((k) => p[k] !== undefined && p[k] !== null);
  if (key !== undefined) throw badField(`${path}.${key}`, 'belongs on a part with inlineData or fileData');
}

/**
 * A `functionResponse`: its `response` as JSON text, then the media of its `parts` (a function
 * that returns an image, Gemini 3) as image and file parts of the same result. A `response`
 * whose only key is `error` (Gemini's key for a failed call, which Gemini CLI sends) is a failed
 * result (`isError`), its JSON as written: a gemini backend sends it back as the same object.
 */
function toolResult(fr: Json, path: string, pending: { id: string; name: string }[], newId: () => string): Part {
  let id: string | undefined = typeof fr.id === 'string' && fr.id ? fr.id : undefined;
  const at = pending.findIndex((c) => (id !== undefined ? c.id === id : c.name === fr.name));
  if (at >= 0) {
    id ??= pending[at]!.id;
    pending.splice(at, 1);
  }
  const text = JSON.stringify(fr.response ?? {});
  const media = ((fr.parts ?? []) as Json[]).map((p, j) => {
    if (!p.inlineData && !p.fileData) throw badField(`${path}.parts[${j}]`, 'must have inlineData or fileData');
    return contentPart(p, `${path}.parts[${j}]`) as ImagePart | FilePart;
  });
  const content = media.length > 0 ? [{ type: 'text' as const, text }, ...media] : text;
  return { type: 'tool_result', callId: id ?? newId(), name: fr.name, content, ...(failed(fr.response) ? { isError: true } : {}) };
}

/** A response that reports a failure: an object whose only key is `error`, with a value. */
function failed(response: unknown): boolean {
  if (response === null || typeof response !== 'object' || Array.isArray(response)) return false;
  const keys = Object.keys(response);
  return keys.length === 1 && keys[0] === 'error' && (response as Json).error !== null && (response as Json).error !== undefined;
}
