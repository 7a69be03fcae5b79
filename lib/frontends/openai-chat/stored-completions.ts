import { collectEvents, emptyCall } from '../../canonical/index.js';
import { LipError } from '../../errors/index.js';
import { derivedId, randomId } from '../../wire/ids.js';
import { itemPage, listPage, pageOf } from '../item-pages.js';
import { checkMetadata } from '../metadata.js';
import type { Continuation, ResourceRequest, ResourceRoute, StoredListing, StoredResponses, StoredResponseView } from '../protocol.js';
import { encodeChatResponse } from './encode-response.js';

type Json = Record<string, any>;

/** The echoed field of a stored completion's record, of a page of a caller's list, and of the list's head. */
const RECORD = 'chat_completion';
const PAGE = 'chat_completions_page';
const HEAD = 'chat_completions';
/** An id lip gave a stored completion: `chatcmpl-` and 48 base62 characters. */
const OWN_ID = /^chatcmpl-[A-Za-z0-9]{48}$/;
/** Entries per page of a caller's list, and pages listed (the newest 10,000 completions). */
const PAGE_SIZE = 100;
export const MAX_LISTED_PAGES = 100;
/** The request fields a stored completion shows again (null when the request had none); `user` shows as `input_user`. */
const SHOWN_FIELDS = ['seed', 'temperature', 'top_p', 'presence_penalty', 'frequency_penalty', 'tools', 'tool_choice', 'response_format', 'service_tier'] as const;
const NOTHING = collectEvents([]);

/** One entry of a caller's list: what its filters read without loading the completion. */
interface ListEntry {
  readonly id: string;
  readonly model: string;
  readonly metadata: Readonly<Record<string, string>>;
}

/** The head of a caller's list: its pages, newest first, and when it was last saved (ms). */
interface ListHead {
  readonly id: string;
  readonly pages: readonly string[];
  readonly savedAt: number;
}

/**
 * OpenAI's stored Chat Completions (`store: true`; the SDK's `chat.completions.retrieve`, `list`,
 * `update`, `delete` and `messages.list`), held by lip whatever backend answered: a completion
 * asked to be stored is kept in the caller's stored responses (memory, SQLite or Redis, as
 * Responses are; scoped to the principal, kept for `continuity.ttl`) under the id its answer
 * had, with the request's messages, metadata and the fields its object shows again. The
 * caller's list is kept in pages of 100 (a record per page and a head naming them), so that a
 * stored completion adds to one page, not to the whole list; the newest 10,000 are listed.
 * @see spec/e2e/chat-stored-completions.spec.ts
 */
export const storedCompletionRoutes: readonly ResourceRoute[] = [
  { method: 'GET', path: '/v1/chat/completions', handle: list },
  { method: 'GET', path: '/v1/chat/completions/{completion_id}', handle: async (r) => completionObject(await read(r.responses, r.params.completion_id!)) },
  { method: 'POST', path: '/v1/chat/completions/{completion_id}', handle: update },
  { method: 'DELETE', path: '/v1/chat/completions/{completion_id}', handle: remove },
  { method: 'GET', path: '/v1/chat/completions/{completion_id}/messages', handle: messages },
];

/**
 * A request's `store: true` as the continuation that keeps its answer (under a `chatcmpl-` id,
 * the answer's own): its messages as sent, its metadata (checked as OpenAI checks it: at most 16
 * pairs, keys of 64 and values of 512 characters) and the fields a stored completion shows.
 * Undefined when the request does not ask to be stored.
 */
export function storedContinuation(b: Json): Continuation | undefined {
  if (b.store !== true) return undefined;
  const metadata = checkMetadata(b.metadata) ?? {};
  const shown: Json = {};
  for (const field of SHOWN_FIELDS) shown[field] = b[field] ?? null;
  shown.input_user = b.user ?? null;
  const record = { metadata, messages: b.messages, request: shown, ...(b.logprobs === true ? { logprobs: b.top_logprobs ?? 0 } : {}) };
  return { store: true, idPrefix: 'chatcmpl-', input: [], echo: { [RECORD]: record } };
}

/**
 * Adds a completion just stored to its caller's list (`GenerateRoute.listStored`): to the newest
 * page, or a new one when that is full (the oldest page beyond 100 is no longer listed). Pages
 * are saved when they change and the head when a page is added or half of the store's retention
 * has passed since it was saved, so the list lasts as long as what it lists.
 */
export async function listStoredCompletion(stored: StoredListing, responses: StoredResponses, retentionMs: number): Promise<void> {
  const record = stored.echo?.[RECORD] as Json | undefined;
  if (record === undefined) return;
  const entry: ListEntry = { id: stored.id, model: stored.model ?? '', metadata: record.metadata ?? {} };
  await responses.exclusive(listKey(responses), async () => {
    const head = await readHead(responses);
    const now = Date.now();
    const newest = head.pages[0] !== undefined ? await readPage(responses, head.pages[0]) : undefined;
    if (newest !== undefined && newest.length < PAGE_SIZE) {
      savePage(responses, head.pages[0]!, [...newest, entry]);
      if (now - head.savedAt > retentionMs / 2) saveHead(responses, head.id, head.pages, now);
      return;
    }
    const page = randomId('lip-chat-page-', 32);
    savePage(responses, page, [entry]);
    saveHead(responses, head.id, [page, ...head.pages].slice(0, MAX_LISTED_PAGES), now);
  });
}

/** `GET /v1/chat/completions`: the caller's stored completions, oldest first (`order=asc`, the default) or newest first, filtered by `model` and `metadata[key]=value`. */
async function list({ query, responses }: ResourceRequest): Promise<Json> {
  const { after, limit, order } = pageOf(query, 'asc');
  const model = query.get('model');
  const wanted: [string, string][] = [];
  for (const [key, value] of query) {
    const m = /^metadata\[(.*)\]$/.exec(key);
    if (m) wanted.push([m[1]!, value]);
  }
  const head = await readHead(responses);
  const pages = order === 'asc' ? [...head.pages].reverse() : head.pages;
  const matched: ListEntry[] = [];
  let started = after === undefined;
  for (const page of pages) {
    const entries = await readPage(responses, page);
    if (entries === undefined) continue;
    for (const entry of order === 'asc' ? entries : [...entries].reverse()) {
      if (!started) {
        started = entry.id === after;
        continue;
      }
      if (model !== null && entry.model !== model) continue;
      if (wanted.some(([k, v]) => entry.metadata[k] !== v)) continue;
      matched.push(entry);
    }
    if (matched.length > limit) break;
  }
  // A completion deleted or dropped meanwhile is left out.
  const found = await Promise.all(matched.slice(0, limit).map((e) => read(responses, e.id).catch(() => undefined)));
  const data = found.filter((c): c is StoredResponseView => c !== undefined).map(completionObject);
  return listPage(data, matched.length > limit);
}

/** `POST /v1/chat/completions/{id}`: replaces its `metadata` (the only field that can change; null clears it). */
async function update(request: ResourceRequest): Promise<Json> {
  const b = request.body;
  if (b === null || typeof b !== 'object' || Array.isArray(b)) throw badField('body', 'must be a JSON object with metadata');
  const other = Object.keys(b).find((k) => k !== 'metadata');
  if (other !== undefined) throw badField(other, 'only metadata can be updated on a stored chat completion');
  if (!('metadata' in b)) throw badField('metadata', 'is required');
  const metadata = checkMetadata((b as Json).metadata) ?? {};
  const { responses } = request;
  return responses.exclusive(listKey(responses), async () => {
    const found = await read(responses, request.params.completion_id!);
    const record = { ...(found.echo?.[RECORD] as Json), metadata };
    const changed: StoredResponseView = { ...found, echo: { ...found.echo, [RECORD]: record } };
    responses.save({
      id: found.id, createdAt: found.createdAt, input: found.input, output: found.output, echo: changed.echo!,
      ...(found.model !== undefined ? { model: found.model } : {}), ...(found.aLegId ? { aLegId: found.aLegId } : {}), ...(found.sessionId ? { sessionId: found.sessionId } : {}),
    });
    await changeEntry(responses, found.id, (e) => ({ ...e, metadata }));
    return completionObject(changed);
  });
}

/** `DELETE /v1/chat/completions/{id}`: the completion and its list entry. */
async function remove(request: ResourceRequest): Promise<Json> {
  const { responses } = request;
  return responses.exclusive(listKey(responses), async () => {
    const found = await read(responses, request.params.completion_id!);
    await responses.delete(found.id);
    await changeEntry(responses, found.id, () => undefined);
    return { object: 'chat.completion.deleted', id: found.id, deleted: true };
  });
}

/** `GET /v1/chat/completions/{id}/messages`: the request's messages, ids `{completion id}-{index}`. */
async function messages(request: ResourceRequest): Promise<Json> {
  const page = pageOf(request.query, 'asc');
  const found = await read(request.responses, request.params.completion_id!);
  const sent = ((found.echo?.[RECORD] as Json).messages ?? []) as Json[];
  return itemPage(sent.map((m, i) => storeMessage(m, `${found.id}-${i}`)), page, `message of chat completion '${found.id}'`);
}

/** A message as the stored list shows it: its text as `content`, and its parts as sent when it had parts. */
function storeMessage(m: Json, id: string): Json {
  const parts = Array.isArray(m.content) ? m.content as Json[] : undefined;
  const content = parts === undefined
    ? (typeof m.content === 'string' ? m.content : null)
    : parts.filter((p) => p.type === 'text').map((p) => p.text as string).join('\n');
  return {
    id, role: m.role, content, name: m.name ?? null,
    content_parts: parts === undefined ? null : parts.filter((p) => p.type === 'text' || p.type === 'image_url'),
    ...(m.tool_calls !== undefined ? { tool_calls: m.tool_calls } : {}),
    ...(m.tool_call_id !== undefined ? { tool_call_id: m.tool_call_id } : {}),
  };
}

/** The stored completion as its answer was (encoded again from what was kept), with its metadata and the request fields it shows. */
function completionObject(stored: StoredResponseView): Json {
  const record = stored.echo?.[RECORD] as Json;
  const model = stored.model ?? '';
  const options = record.logprobs !== undefined ? { logprobs: record.logprobs as number } : {};
  const answer = encodeChatResponse(stored.output, {
    call: { ...emptyCall(), model, options }, hints: {}, requestId: '', created: Math.floor(stored.createdAt / 1000), model, responseId: stored.id,
  });
  return { ...answer, ...record.request, metadata: record.metadata ?? {} };
}

/** The caller's stored completion `id`; the 404 naming it otherwise (never stored, another caller's, deleted, expired). */
async function read(responses: StoredResponses, id: string): Promise<StoredResponseView> {
  if (!OWN_ID.test(id)) throw notFound(id);
  let row: StoredResponseView;
  try {
    row = await responses.load(id);
  } catch (err) {
    if (err instanceof LipError && err.code === 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND') throw notFound(id);
    throw err;
  }
  const record = row.echo?.[RECORD];
  if (record === undefined || record === null || typeof record !== 'object') throw notFound(id);
  return row;
}

/** Changes (or, answering undefined, removes) the list entry of `id`, newest page first. */
async function changeEntry(responses: StoredResponses, id: string, change: (entry: ListEntry) => ListEntry | undefined): Promise<void> {
  const head = await readHead(responses);
  for (const page of head.pages) {
    const entries = await readPage(responses, page);
    const at = entries?.findIndex((e) => e.id === id) ?? -1;
    if (at === -1) continue;
    const changed = change(entries![at]!);
    savePage(responses, page, changed === undefined ? entries!.filter((_, i) => i !== at) : entries!.map((e, i) => (i === at ? changed : e)));
    return;
  }
}

async function readHead(responses: StoredResponses): Promise<ListHead> {
  const id = derivedId('lip-chat-list-', responses.principal, 32);
  const row = await loadOptional(responses, id);
  const head = row?.echo?.[HEAD] as Json | undefined;
  return { id, pages: Array.isArray(head?.pages) ? head!.pages as string[] : [], savedAt: typeof head?.savedAt === 'number' ? head.savedAt : 0 };
}

function saveHead(responses: StoredResponses, id: string, pages: readonly string[], savedAt: number): void {
  responses.save({ id, input: [], output: NOTHING, echo: { [HEAD]: { pages, savedAt } } });
}

/** A page's entries, oldest first; undefined when the store no longer has it. */
async function readPage(responses: StoredResponses, id: string): Promise<ListEntry[] | undefined> {
  const entries = (await loadOptional(responses, id))?.echo?.[PAGE];
  return Array.isArray(entries) ? entries as ListEntry[] : undefined;
}

function savePage(responses: StoredResponses, id: string, entries: readonly ListEntry[]): void {
  responses.save({ id, input: [], output: NOTHING, echo: { [PAGE]: entries } });
}

async function loadOptional(responses: StoredResponses, id: string): Promise<StoredResponseView | undefined> {
  try {
    return await responses.load(id);
  } catch (err) {
    if (err instanceof LipError && err.code === 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND') return undefined;
    throw err;
  }
}

function listKey(responses: StoredResponses): string {
  return `chat-stored-completions:${derivedId('', responses.principal, 32)}`;
}

function badField(param: string, message: string): LipError {
  return new LipError('LIP_ERR_REQUEST_INVALID', `${param}: ${message}`, { param });
}

function notFound(id: string): LipError {
  return new LipError('LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND', `Chat completion with id '${id.slice(0, 128)}' not found (never stored with store: true by this caller, deleted or expired).`, { param: 'completion_id' });
}
