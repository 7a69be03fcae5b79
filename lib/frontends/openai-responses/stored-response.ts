import type { ToolDefinition } from '../../canonical/index.js';
import { TOOL_SEARCH_TOOL_NAME, emptyCall } from '../../canonical/index.js';
import { itemPage, pageOf } from '../item-pages.js';
import type { BackgroundRoute, StoredResponseRoutes, StoredResponseView } from '../protocol.js';
import { responsesErrorObject } from './encode-error.js';
import { ResponseShell } from './response-object.js';
import { badField } from './decode-input.js';
import { encodeInputItems } from './encode-input-items.js';
import { encodeResponsesResponse } from './encode-response.js';
import { includesSearchSources } from './web-search-call.js';
import { declaresClientToolSearch } from './tool-search.js';
import { declaredClientTools } from './client-tools.js';
import { conversationItemsOf, storedResponseMissing } from './conversation-marks.js';
import { deleteConversationTurn } from './conversation-record.js';

/** The client's tool search, as a stored response's call declares it when its request did. */
const STORED_TOOL_SEARCH: ToolDefinition = { name: TOOL_SEARCH_TOOL_NAME, parameters: {}, kind: 'tool_search' };

/**
 * Stored Responses by id (`store: true`, the API's default), as the official SDK reads them:
 *
 * * `GET /v1/responses/{id}` (`responses.retrieve`): the Response object its request was
 *   answered with, encoded again from what was stored: same id, `created_at`, model, status,
 *   output items (their ids are derived from the response id), usage, `previous_response_id`
 *   and echoed request fields. `stream=true` streams a background response's events again
 *   (`streamAfter`: after `starting_after`; the server serves them while it keeps them). Of `include[]`, `web_search_call.action.sources`
 *   lists the sources of its web searches; the others are accepted and ignored (encrypted
 *   reasoning is returned whenever it was stored).
 * * `GET /v1/responses/{id}/input_items` (`responses.inputItems.list`): the request's own input
 *   items (encode-input-items.ts), newest first unless `order=asc`, `limit` 1-100 (default 20),
 *   paged with `after` (an item id of the same list); `{object: "list", data, first_id,
 *   last_id, has_more}`. `before` is refused (400) rather than ignored.
 * * `DELETE /v1/responses/{id}` (`responses.delete`): `{id, object: "response.deleted",
 *   deleted: true}`. A turn of a conversation is gone as a response, but its items stay the
 *   conversation's (conversation-record.ts `deleteConversationTurn`); items added to a
 *   conversation are no response to delete (404, as to retrieve).
 * @see spec/frontends/openai-responses/stored-response.spec.ts
 */
export const responsesStoredRoutes: StoredResponseRoutes = {
  idPrefix: 'resp_',
  retrieve(query) {
    const stream = query.get('stream');
    if (stream !== null && stream !== 'true' && stream !== 'false') throw badField('stream', 'must be true or false');
    const sources = includesSearchSources([...query.getAll('include[]'), ...query.getAll('include')]);
    return (stored) => {
      // Items added to a conversation are kept as a stored response of their own, which is no response.
      if (conversationItemsOf(stored) !== undefined) throw storedResponseMissing(stored.id);
      return storedResponseObject(stored, sources);
    };
  },
  inputItems(query) {
    const page = pageOf(query);
    return (stored) => {
      if (conversationItemsOf(stored) !== undefined) throw storedResponseMissing(stored.id);
      return itemPage(encodeInputItems(stored.id, stored.input), page, `input item of response '${stored.id}'`);
    };
  },
  deleted: (id) => ({ id, object: 'response.deleted', deleted: true }),
  deleteStored(stored, responses) {
    if (conversationItemsOf(stored) !== undefined) throw storedResponseMissing(stored.id);
    const conversation = (stored.echo?.conversation as { id?: unknown } | undefined)?.id;
    return typeof conversation === 'string' ? deleteConversationTurn(responses, conversation, stored.id) : responses.delete(stored.id);
  },
  streamAfter(query) {
    const stream = query.get('stream');
    if (stream !== 'true') return undefined;
    const after = query.get('starting_after');
    if (after === null || after === '') return -1;
    if (!/^\d{1,9}$/.test(after)) throw badField('starting_after', 'must be a sequence number (a non-negative integer)');
    return Number(after);
  },
  backgroundObject: (stored) => (stored.echo?.background === true ? storedResponseObject(stored, false) : undefined),
};

/** How a background response that did not complete ended, kept with its record (`responsesBackground.ending`). */
interface BackgroundEnding {
  readonly status: 'cancelled' | 'failed';
  readonly error?: { readonly code: string; readonly message: string };
}

/**
 * The Response objects of a background response (`background: true`): `queued` until its first
 * output, then `in_progress` (no output until it ends, as OpenAI polls show it); one that ended
 * cancelled or failed keeps that ending (`ended`) with its record, and shows it when retrieved
 * (storedResponseObject: cancelled with no error, its output as its stream showed it cut off).
 */
export const responsesBackground: BackgroundRoute = {
  running: (context, started) => new ResponseShell(context).build({ status: started ? 'in_progress' : 'queued', output: [] }),
  ending(status, error) {
    const ended: BackgroundEnding = { status, ...(error !== undefined ? { error: { code: responsesErrorObject(error).code, message: error.message } } : {}) };
    return { ended };
  },
};


/**
 * The Response object of a stored response: its request's answer, encoded again with its own id,
 * time and fields; its web searches list their sources when the retrieval's `include` asks.
 */
export function storedResponseObject(stored: StoredResponseView, sources: boolean): Record<string, unknown> {
  const model = stored.model ?? '';
  const object = encodeResponsesResponse(stored.output, {
    // No request runs: the call only names the model, and no Responses encoder reads a request id
    // (and the client's tool search and its tools on OpenAI's schema, whose calls are items of their own).
    call: emptyCall({ model, tools: [...(declaresClientToolSearch(stored.echo?.tools) ? [STORED_TOOL_SEARCH] : []), ...declaredClientTools(stored.echo?.tools)] }), model, hints: { echo: stored.echo ?? {}, includeSearchSources: sources }, requestId: '',
    created: Math.floor(stored.createdAt / 1000), responseId: stored.id,
    // The second it completed, kept with the echoed fields (a response stored before they kept it: its creation).
    now: () => (typeof stored.echo?.completed_at === 'number' ? stored.echo.completed_at : Math.floor(stored.createdAt / 1000)),
    // A turn of a conversation continues the conversation's items, which its Response names by the conversation's id instead.
      continuation: { store: true, ...(stored.previousResponseId !== undefined && stored.echo?.conversation === undefined ? { previousResponseId: stored.previousResponseId } : {}) },
  });
  // A background response that was cancelled or failed shows that ending (responsesBackground.ending).
  const ended = stored.echo?.ended as BackgroundEnding | undefined;
  if (ended === undefined) return object;
  return {
    ...object, status: ended.status, completed_at: null, incomplete_details: null,
    // Cancelled is no error (OpenAI's cancelled Response has none); failed says why.
    error: ended.status === 'cancelled' ? null : ended.error ?? null,
    output: cutOutput(object.output),
  };
}

/** Items the model was still writing when a response was cut off (the stream shows them `incomplete`). */
const CUT_ITEM_TYPES: ReadonlySet<string> = new Set(['message', 'function_call', 'custom_tool_call', 'tool_search_call', 'shell_call', 'apply_patch_call', 'local_shell_call', 'computer_call']);

/**
 * The output of a response cut off (cancelled, failed) as its stream's `response.failed` showed
 * it: the item it ended in, a message or a call the model was still writing, `incomplete`; the
 * items before it were complete (the stream closed each when the next began).
 */
function cutOutput(output: unknown): unknown {
  if (!Array.isArray(output) || output.length === 0) return output;
  const last = output[output.length - 1] as Record<string, unknown>;
  if (last.status !== 'completed' || typeof last.type !== 'string' || !CUT_ITEM_TYPES.has(last.type)) return output;
  return [...output.slice(0, -1), { ...last, status: 'incomplete' }];
}

