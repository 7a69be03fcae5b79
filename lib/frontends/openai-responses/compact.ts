import type { CollectedResponse } from '../../canonical/index.js';
import { COMPACTION_INSTRUCTION, REASONING_DIALECTS } from '../../canonical/index.js';
import type { DecodedRequest, EncodeContext, GenerateRoute } from '../protocol.js';
import { wireId } from '../protocol.js';
import { sealState } from '../state-envelope.js';
import { badField } from './decode-input.js';
import { decodeResponsesRequest } from './decode-request.js';
import { resolveStoredInput } from './resolve-stored.js';
import { ResponsesStreamEncoder } from './encode-stream.js';
import { responsesUsage } from './response-object.js';

type Json = Record<string, any>; // shape checked by the Responses request schema first

export { COMPACTION_INSTRUCTION } from '../../canonical/index.js';

/** Hints the compaction encoder reads: the request's user messages as the client sent them. */
type CompactHints = { readonly userItems: readonly Json[] };

/**
 * `POST /v1/responses/compact` (`client.responses.compact`; Codex CLI compacts long sessions with
 * it and has no fallback when it fails). lip compacts on any backend itself: the request is
 * decoded like a generation (`previous_response_id` puts the stored conversation first; never
 * stored), the routed model is asked for a summary (COMPACTION_INSTRUCTION, tools offered but not
 * to be called), and the answer is OpenAI's compacted response: the request's user messages, then
 * one `compaction` item whose `encrypted_content` carries the summary sealed as lip's own
 * (dialect `lip.compaction`). When that item comes back in a later `input`, the summary stands
 * in for the turns it replaced (decode-input.ts).
 * @see spec/e2e/responses-compact.spec.ts
 */
export const responsesCompactRoute: GenerateRoute = {
  method: 'POST',
  path: '/v1/responses/compact',
  decode: decodeCompactRequest,
  resolveReferences: resolveStoredInput,
  // A compaction is answered whole; the stream encoder is never asked for (stream is forced off).
  streamEncoder: (context) => new ResponsesStreamEncoder(context),
  encodeResponse: encodeCompactedResponse,
};

function decodeCompactRequest(body: unknown): DecodedRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badField('body', 'must be a JSON object');
  const { stream: _stream, store: _store, background: _background, ...b } = body as Json;
  // lip asks for the summary after the input: a trigger would not be the last item, and is no question to the model.
  const trigger = Array.isArray(b.input) ? (b.input as Json[]).findIndex((item) => item?.type === 'compaction_trigger') : -1;
  if (trigger >= 0) throw badField(`input[${trigger}].type`, 'a compaction_trigger has no place in a compact request, which compacts the input itself', true);
  const decoded = decodeResponsesRequest({ ...b, stream: false, store: false });
  const call = decoded.call;
  const instruction = { role: 'user' as const, parts: [{ type: 'text' as const, text: COMPACTION_INSTRUCTION }] };
  const hints: CompactHints = { userItems: userItems(b.input) };
  return {
    call: { ...call, stream: false, messages: [...call.messages, instruction], ...(call.tools.length > 0 ? { toolChoice: { type: 'none' } } : {}) },
    hints,
    ...(decoded.continuation?.previousResponseId !== undefined ? { continuation: decoded.continuation } : {}),
  };
}

/**
 * The user messages of `input` as the message items of a Response's output (a string input is
 * one): with an id (the client's, else a new one at encoding), `status` and content parts.
 */
function userItems(input: unknown): Json[] {
  if (typeof input === 'string') return [userItem(undefined, input)];
  if (!Array.isArray(input)) return [];
  return (input as Json[])
    .filter((item) => (item.type ?? 'message') === 'message' && item.role === 'user')
    .map((item) => userItem(typeof item.id === 'string' ? item.id : undefined, item.content));
}

function userItem(id: string | undefined, content: unknown): Json {
  return { ...(id !== undefined ? { id } : {}), type: 'message', status: 'completed', role: 'user', content: typeof content === 'string' ? [{ type: 'input_text', text: content }] : content };
}

/** The compacted response: the user messages, then the sealed summary. */
function encodeCompactedResponse(r: CollectedResponse, context: EncodeContext): Record<string, unknown> {
  const { userItems: items } = context.hints as CompactHints;
  const summary = r.text.trim();
  return {
    id: context.responseId ?? wireId(context, 'resp_', 48),
    object: 'response.compaction',
    created_at: context.created,
    output: [
      ...items.map((item) => (item.id !== undefined ? item : { id: wireId(context, 'msg_'), ...item })),
      { id: wireId(context, 'cmp_'), type: 'compaction', encrypted_content: sealState({ dialect: REASONING_DIALECTS.lipCompaction, text: summary }) },
    ],
    usage: responsesUsage(r.usage),
  };
}
