import { LipError } from '../../errors/index.js';
import { checkJsonShape, describeValue, randomId } from '../../wire/index.js';
import type { WebSocketMode, WebSocketSession, WebSocketTurn } from '../protocol.js';
import { badField } from './decode-input.js';
import { decodeResponsesRequest } from './decode-request.js';
import { ResponseShell } from './response-object.js';

type Json = Record<string, unknown>;

/** The messages one connection may have waiting behind the running turn before lip stops reading it. */
const MAX_QUEUED_TURNS = 16;

/** What the connection keeps of its latest response: enough to continue it without a store. */
interface LatestResponse {
  readonly id: string;
  /** Stored (its Response says `store: true`): a turn continuing it goes through the store, as over HTTP. */
  readonly stored: boolean;
  /** The stored response it continued, whose conversation comes before `input` (none: `input` is all of it). */
  readonly previous?: string;
  /** The input items it answered after `previous` (its own and those of responses not stored between), as the wire items. */
  readonly input: readonly unknown[];
  /** Its output items (from `response.completed`). */
  readonly output: readonly unknown[];
}

/**
 * OpenAI Responses' WebSocket mode (`GET /v1/responses` upgraded; the OpenAI SDK's `ResponsesWS`,
 * Codex): the client sends `{"type": "response.create", ...}` messages, each a Responses create
 * body without its transport fields, and gets the same events a streamed request gets, one JSON
 * text message each. Turns run one after the other, in the order sent.
 *
 * The server runs each turn as a streamed `POST /v1/responses` (lib/server/websocket-turns.ts);
 * this session turns a message into that request's body and keeps what the protocol keeps per
 * connection:
 * - `stream` is the transport's (ignored); `background` is refused (a background response is
 *   created over HTTP), and so is `stream_id` (lanes: turns side by side, their events tagged), which lip does not run.
 * - A response created with `store: false` can still be continued on its connection: the
 *   connection keeps its latest response (input and output items), and a turn whose
 *   `previous_response_id` names it is sent with those items before its own (the answer still
 *   names the previous response); when that response itself continued a stored one, the turn
 *   names that stored one instead, so its conversation still comes first. Any other id, and the
 *   latest response when it was stored, goes to the store as over HTTP: a stored response
 *   continues on any connection, and a stored turn has the `previous_response_id` and input
 *   items it would have over HTTP. A turn that fails forgets the latest response (a
 *   later turn naming it gets `previous_response_not_found`), and so does a continuation whose
 *   input has a tool's output for a call the conversation never made, or that names a
 *   `conversation` too (both refused before it runs, as over HTTP). An `input` that is neither a
 *   string nor an array is refused before any turn runs (a continuation or a warm-up would
 *   otherwise go without it), and forgets the latest response too.
 * - `generate: false` prepares a turn without a model call: it answers `response.created` and
 *   `response.completed` with no output, and later turns continue from its id on this connection.
 * - An error before a turn's stream is one message `{"type": "error", "status", "error": {...}}`
 *   and the connection stays open.
 * @see spec/frontends/openai-responses/websocket.spec.ts
 */
export const responsesWebSocket: WebSocketMode = {
  maxQueuedTurns: MAX_QUEUED_TURNS,
  session: () => new ResponsesWebSocketSession(),
};

class ResponsesWebSocketSession implements WebSocketSession {
  private latest: LatestResponse | undefined;

  turn(text: string): WebSocketTurn {
    let message: unknown;
    try {
      // The limits of an HTTP body (depth, elements, ...) before parsing: a value past them cannot be sent on.
      checkJsonShape(text);
      message = JSON.parse(text);
    } catch (err) {
      if (err instanceof LipError) return { error: err };
      return { error: new LipError('LIP_ERR_REQUEST_INVALID_JSON', `the message is not JSON: ${(err as Error).message}`) };
    }
    if (message === null || typeof message !== 'object' || Array.isArray(message)) return { error: badField('type', 'a message is a JSON object whose type is "response.create"') };
    const { type, stream: _transport, generate, ...body } = message as Json;
    if (type !== 'response.create') {
      const named = typeof type === 'string' ? `"${type.slice(0, 64)}" is` : type === undefined ? 'a message without a type is' : `a type of ${Array.isArray(type) ? 'array' : type === null ? 'null' : typeof type} is`;
      return { error: badField('type', `${named} not a client event of this connection; send "response.create"`) };
    }
    if (generate !== undefined && typeof generate !== 'boolean') return { error: badField('generate', 'must be a boolean') };
    // Lanes run turns side by side and tag their events; lip runs a connection's turns in order, untagged.
    if (body.stream_id !== undefined && body.stream_id !== null) return { error: badField('stream_id', 'lanes are not supported: turns run in order on a connection; open another connection to run turns side by side', true) };
    // A turn runs on its connection; a response detached from it is made over HTTP.
    if (body.background === true) return { error: badField('background', 'a turn of a WebSocket connection runs on it: create a background response with POST /v1/responses', true) };
    if (body.input !== undefined && typeof body.input !== 'string' && !Array.isArray(body.input)) {
      // As over HTTP (a continuation, or a warm-up, would otherwise go without it): refused, and so forgotten.
      this.latest = undefined;
      return { error: badField('input', `must be a string or an array of input items (got ${describeValue(body.input)})`) };
    }
    const previous = body.previous_response_id;
    // The latest response of this connection, continued without the store (its items first).
    const local = typeof previous === 'string' && this.latest?.id === previous && !this.latest.stored ? this.latest : undefined;
    if (local && body.conversation !== undefined && body.conversation !== null) {
      // As over HTTP (the request would go without the id, and the server could not tell): refused, and so forgotten.
      this.latest = undefined;
      return { error: badField('previous_response_id', 'cannot be used together with conversation') };
    }
    const own = inputItems(body.input);
    const input = local ? [...local.input, ...local.output, ...own] : own;
    if (local && local.previous === undefined) {
      // As over HTTP for a stored response: with the whole conversation here, an output for a
      // call it never made is the client's mistake. The turn fails, and so the response is forgotten.
      // (After a stored response, the server checks it, with that response's conversation.)
      const orphan = unansweredOutput(input, input.length - own.length);
      if (orphan !== undefined) {
        this.latest = undefined;
        return { error: badField(`input[${orphan.index}].call_id`, `the ${orphan.type} for call id "${orphan.callId.slice(0, 128)}" answers no tool call of the conversation it continues`) };
      }
    }
    const sent: Json = { ...body, stream: true };
    // The stored response the items follow: the local one's, else the one named (through the store).
    const follows = local ? local.previous : typeof previous === 'string' && previous.length > 0 ? previous : undefined;
    if (local) {
      if (local.previous === undefined) delete sent.previous_response_id;
      else sent.previous_response_id = local.previous;
      sent.input = input;
    }
    if (generate === false) return this.warmup(sent, input, local?.id, follows);
    let ended = false;
    return {
      body: sent,
      event: (type, data) => {
        const ends = type === 'response.completed' || type === 'response.incomplete';
        if (type === 'response.failed') this.latest = undefined;
        // Only the events that carry the Response object are read: to name the continued
        // response (the request went without the id) and to keep the latest one's items.
        if (!(local !== undefined && RESPONSE_EVENTS.has(type)) && !ends) return data;
        const event = JSON.parse(data) as Json;
        const response = event.response as Json | undefined;
        if (response === undefined || response === null || typeof response !== 'object') return data;
        if (ends) {
          ended = true;
          this.latest = {
            id: String(response.id), stored: response.store === true, ...(follows !== undefined ? { previous: follows } : {}),
            input, output: Array.isArray(response.output) ? response.output : [],
          };
        }
        if (local === undefined) return data;
        response.previous_response_id = previous;
        return JSON.stringify(event);
      },
      failed: () => {
        if (!ended) this.latest = undefined;
      },
    };
  }

  errorMessage(status: number, envelope: unknown): string {
    const error = (envelope as { error?: unknown } | undefined)?.error ?? envelope;
    return JSON.stringify({ type: 'error', status, error });
  }

  /** `generate: false`: the turn's response, created and completed with no output, kept as the latest. */
  private warmup(body: Json, input: readonly unknown[], previous: string | undefined, follows: string | undefined): WebSocketTurn {
    let decoded;
    try {
      decoded = decodeResponsesRequest({ ...body, input: [...input] });
    } catch (err) {
      return { error: err instanceof LipError ? err : new LipError('LIP_ERR_REQUEST_INVALID', String(err)) };
    }
    const id = randomId('resp_', 48);
    const continuation = decoded.continuation ? { ...decoded.continuation, ...(previous !== undefined ? { previousResponseId: previous } : {}) } : undefined;
    const shell = new ResponseShell({
      call: decoded.call, model: undefined, hints: decoded.hints ?? {}, requestId: id, created: Math.floor(Date.now() / 1000), responseId: id,
      ...(continuation ? { continuation } : {}),
    });
    // Not stored (nothing ran): continued on this connection only.
    this.latest = { id, stored: false, ...(follows !== undefined ? { previous: follows } : {}), input, output: [] };
    const created = { type: 'response.created', sequence_number: 0, response: shell.build({ status: 'in_progress', output: [] }) };
    const completed = { type: 'response.completed', sequence_number: 1, response: shell.build({ status: 'completed', output: [], usage: { inputTokens: 0, outputTokens: 0 } }) };
    return { answer: [JSON.stringify(created), JSON.stringify(completed)] };
  }
}

/**
 * The first item from `from` on that is a tool's output (`function_call_output`,
 * `custom_tool_call_output`, ...) whose `call_id` names no call item of `items`.
 */
function unansweredOutput(items: readonly unknown[], from: number): { readonly index: number; readonly type: string; readonly callId: string } | undefined {
  const isOutput = (item: Json) => typeof item.type === 'string' && item.type.endsWith('_output') && typeof item.call_id === 'string';
  let calls: Set<unknown> | undefined;
  for (let i = from; i < items.length; i++) {
    const item = items[i] as Json;
    if (item === null || typeof item !== 'object' || !isOutput(item)) continue;
    calls ??= new Set((items as Json[]).filter((c) => c !== null && typeof c === 'object' && typeof c.call_id === 'string' && !isOutput(c)).map((c) => c.call_id));
    if (!calls.has(item.call_id)) return { index: i - from, type: item.type as string, callId: item.call_id as string };
  }
  return undefined;
}

/** `input` (a string, an array, or absent: turn() refused any other) as a list of items (a string is one user message). */
function inputItems(input: unknown): unknown[] {
  if (typeof input === 'string') return [{ type: 'message', role: 'user', content: input }];
  return Array.isArray(input) ? input : [];
}

/** The events that carry the whole Response object. */
const RESPONSE_EVENTS: ReadonlySet<string> = new Set([
  'response.created', 'response.in_progress', 'response.completed', 'response.incomplete', 'response.failed', 'response.queued',
]);
