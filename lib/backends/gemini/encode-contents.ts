import type { FilePart, ImagePart, Message, Part, TextPart, ToolResultPart } from '../../canonical/index.js';
import { FILE_STORES, MEDIA_DIALECTS, REASONING_DIALECTS } from '../../canonical/index.js';
import { LipError } from '../../errors/index.js';
import { jsonTextTooDeep, MAX_REQUEST_DEPTH, mediaTypeOfUrl, requestTooDeep } from '../../wire/index.js';
import { foreignReference } from '../media-refusal.js';
import { encodeTurns, toolInputObject } from '../encode-turns.js';

type Json = Record<string, unknown>;

/**
 * Canonical messages -> Gemini `contents` and extra system text. Roles are `user` and `model`;
 * tool results are `functionResponse` parts of a user turn (named after their call, found by
 * id when the result does not carry the name), their images and documents parts after them;
 * consecutive turns of one role are merged. Empty text is left out, as Gemini refuses a part with
 * nothing in it (a turn left with nothing is left out too, its neighbours merged), and a
 * conversation with nothing else is refused (400) before sending.
 *
 * Thought signatures go back exactly where Gemini put them: on the `functionCall` part (the
 * tool call's `signature`; none on the parallel calls after the first, which Gemini leaves
 * unsigned), on a thought part, or on the text part that follows a signature-only
 * reasoning part; a signature with no part after it is sent on an empty text part. Only the
 * `gemini.thought` dialect is replayed (a call's signature of another dialect is left off; one
 * without a dialect predates dialect tags and is Gemini's, the only provider that signs calls).
 * Hosted web searches in the history are left out, Gemini's own too: Gemini reports its searches
 * as grounding metadata, which has no form in `contents` (the text after them says what they found).
 * Gemini's own hosted tool parts (`executableCode`, `codeExecutionResult`; the only dialect
 * forHostedDialect leaves in) go back in place in the model turn, exactly as they came, their
 * `thoughtSignature` with them; Gemini has no such part in a user turn, so one there is left out.
 *
 * @see spec/backends/gemini/encode-request.spec.ts
 */
/**
 * What Gemini 3 takes in place of a function call's thought signature where there is none (a call
 * another provider made, before a failover or a switch of backend): Google's documented sentinel.
 * Gemini 3 refuses a call of the current turn without a signature ("Function call is missing a
 * thought_signature"); earlier models do not ask for one, and get none. Gemini signs only the
 * first of parallel calls: an unsigned call after one Gemini signed in the same turn is its
 * sibling, and goes back unsigned, as Gemini sent it.
 */
export const SKIP_SIGNATURE = 'skip_thought_signature_validator';

/** Whether a model is one of Gemini 3's, which want every replayed function call signed. */
export function wantsCallSignatures(model: string | undefined): boolean {
  return model !== undefined && /(?:^|\/)gemini-3[.-]/i.test(model);
}

export function encodeContents(messages: readonly Message[], unsignedCall?: string): { contents: Json[]; system: TextPart[] } {
  const toolNames = new Map<string, string>(); // filled by the model turns (in call order), read by the tool results after them
  const resultOf = new WeakMap<Json, string>(); // a functionResponse part -> its call's id
  const { turns, system } = encodeTurns(messages, {
    assistantRole: 'model',
    user: (m) => m.parts.map(userPart).filter((p): p is Json => p !== undefined),
    assistant: (m) => modelParts(m.parts, toolNames, unsignedCall),
    tool: (m) => toolParts(m.parts.filter((p): p is ToolResultPart => p.type === 'tool_result'), toolNames, resultOf),
    keepOrder: true,
  });
  if (turns.length === 0) throw new LipError('LIP_ERR_REQUEST_UNSUPPORTED', 'gemini: the messages hold nothing to send (empty text is left out: Gemini refuses a part with nothing in it)', { retryable: true });
  for (const turn of turns) if (turn.role === 'user') inCallOrder(turn.blocks, toolNames, resultOf);
  return { contents: turns.map((t) => ({ role: t.role, parts: t.blocks })), system };
}

/**
 * Puts a turn's `functionResponse` parts in the order of their calls (in place, the other parts
 * where they are). Gemini pairs a response with a call by name and position, not by id: a client
 * that answered two calls of one tool out of order (Chat and Anthropic clients may, their results
 * carry the call's id) had each call get the other's result.
 */
function inCallOrder(blocks: Json[], toolNames: ReadonlyMap<string, string>, resultOf: WeakMap<Json, string>): void {
  const at: number[] = [];
  for (let i = 0; i < blocks.length; i++) if (resultOf.has(blocks[i]!)) at.push(i);
  if (at.length < 2) return;
  const order = new Map([...toolNames.keys()].map((id, i) => [id, i]));
  const rank = (b: Json) => order.get(resultOf.get(b)!) ?? Number.MAX_SAFE_INTEGER;
  const sorted = at.map((i) => blocks[i]!).sort((a, b) => rank(a) - rank(b));
  at.forEach((i, k) => { blocks[i] = sorted[k]!; });
}

function modelParts(parts: readonly Part[], toolNames: Map<string, string>, unsignedCall: string | undefined): Json[] {
  const out: Json[] = [];
  let pending: string | undefined; // a signature waiting for the next text part
  let signedCall = false; // a call Gemini signed came before in this turn: the unsigned ones after it are its parallel siblings
  const flushPending = () => {
    if (pending !== undefined) out.push({ text: '', thoughtSignature: pending });
    pending = undefined;
  };
  for (const part of parts) {
    if (part.type === 'reasoning') {
      if (part.dialect !== REASONING_DIALECTS.geminiThought) continue;
      flushPending();
      if (part.text) out.push({ text: part.text, thought: true, ...(part.signature ? { thoughtSignature: part.signature } : {}) });
      else if (part.signature) pending = part.signature;
    } else if (part.type === 'text') {
      if (part.text.length === 0 && pending === undefined) continue;
      out.push({ text: part.text, ...(pending !== undefined ? { thoughtSignature: pending } : {}) });
      pending = undefined;
    } else if (part.type === 'tool_call') {
      flushPending();
      toolNames.set(part.id, part.name);
      const own = part.signature && (part.dialect === undefined || part.dialect === REASONING_DIALECTS.geminiThought);
      const signature = own ? part.signature : signedCall && !part.signature ? undefined : unsignedCall;
      if (own) signedCall = true;
      out.push({ functionCall: { name: part.name, args: toolInputObject(part.arguments) }, ...(signature !== undefined ? { thoughtSignature: signature } : {}) });
    } else if (part.type === 'image' || part.type === 'file') {
      flushPending();
      out.push(mediaPart(part));
    } else if (part.type === 'hosted_tool') {
      flushPending();
      out.push({ ...part.block });
    }
  }
  flushPending();
  return out;
}

/** A user part as Gemini's; empty text is left out (Gemini refuses a part with nothing in it). */
function userPart(part: Part): Json | undefined {
  if (part.type === 'text') return part.text.length > 0 ? { text: part.text } : undefined;
  if (part.type === 'image' || part.type === 'file') return mediaPart(part);
  return undefined;
}

/**
 * An image or document as a Gemini part. `inlineData` wants a `mimeType`; a `fileData` part that
 * names none (an OpenAI `image_url`, an Anthropic URL source) gets the one its URL's extension
 * names (`cat.jpg` is `image/jpeg`), else PNG for an image and none for a document (a Gemini
 * client's YouTube URL names none, and Gemini takes it so: its `mimeType` is optional there).
 * Another provider's file id (OpenAI's `file-…`, Anthropic's `file_…`) is refused before
 * sending: Gemini cannot read it (foreignReference). A Gemini client's `videoMetadata`,
 * `mediaResolution` and `mediaProcessing` (the part's provider fields, MEDIA_DIALECTS.gemini) go
 * beside it, as written.
 */
function mediaPart(part: ImagePart | FilePart): Json {
  const image = part.type === 'image' ? 'image/png' : undefined;
  const fields = part.providerFields?.dialect === MEDIA_DIALECTS.gemini ? part.providerFields.value : {};
  if (part.data !== undefined) return { inlineData: { mimeType: part.mediaType ?? image ?? 'application/pdf', data: part.data }, ...fields };
  const foreign = foreignReference('gemini', FILE_STORES.google, part);
  if (foreign !== undefined) throw foreign;
  const uri = part.type === 'file' && part.fileId ? part.fileId : part.url ?? '';
  const mimeType = part.mediaType ?? mediaTypeOfUrl(uri) ?? image;
  return { fileData: { ...(mimeType !== undefined ? { mimeType } : {}), fileUri: uri }, ...fields };
}

/**
 * The `functionResponse` parts of tool results, then their images and documents as parts of the
 * same user turn (a `functionResponse` holds JSON only), so that the model still sees them.
 */
function toolParts(results: readonly ToolResultPart[], toolNames: ReadonlyMap<string, string>, resultOf: WeakMap<Json, string>): Json[] {
  const media = results.flatMap((r) => (typeof r.content === 'string' ? [] : r.content.filter((p): p is ImagePart | FilePart => p.type !== 'text').map(mediaPart)));
  return [...results.map((r) => {
    const part = functionResponse(r, toolNames);
    resultOf.set(part, r.callId);
    return part;
  }), ...media];
}

function functionResponse(part: ToolResultPart, toolNames: ReadonlyMap<string, string>): Json {
  const name = part.name ?? toolNames.get(part.callId) ?? part.callId;
  const text = typeof part.content === 'string' ? part.content : part.content.filter((p): p is TextPart => p.type === 'text').map((p) => p.text).join('\n');
  let response: unknown;
  if (jsonTextTooDeep(text, MAX_REQUEST_DEPTH) >= 0) throw requestTooDeep('a tool result');
  try {
    response = JSON.parse(text);
  } catch {
    response = text;
  }
  // Gemini reads a failure by the response's `error` member: a failed result's object without one goes inside it.
  const object = response !== null && typeof response === 'object' && !Array.isArray(response);
  const body = object && (!part.isError || Object.hasOwn(response as object, 'error')) ? response : { [part.isError ? 'error' : 'result']: response };
  return { functionResponse: { name, response: body } };
}
