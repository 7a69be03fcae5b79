import { collectEvents, estimateTokens } from '../../canonical/index.js';
import { LipError } from '../../errors/index.js';
import { derivedId, randomId } from '../../wire/ids.js';
import type { ResolveReferences, ResourceRequest, ResourceRoute, StoredResponses, StoredResponseView } from '../protocol.js';
import { badField } from './decode-contents.js';
import { namePage } from './name-pages.js';
import { decodeGenerateContent } from './decode-request.js';
import { GEMINI_VERSIONS } from './model-path.js';
import { normalizeKeys } from './normalize-keys.js';

type Json = Record<string, any>;

/** The echoed field of a cached content's record, and of a principal's list of them. */
const RECORD = 'gemini_cached_content';
const INDEX = 'gemini_cached_contents';
/** A name lip made: `cachedContents/` and 32 characters of [a-z0-9]. */
const OWN_NAME = /^cachedContents\/[a-z0-9]{32}$/;
/** Google's default lifetime of a cached content. */
const DEFAULT_TTL_MS = 3_600_000;
/** Cached contents one principal keeps at once (their list is one record, saved with each change). */
export const MAX_CACHED_CONTENTS = 1_000;
const MAX_DISPLAY_NAME = 128;
const MAX_PAGE_SIZE = 1_000;
const DEFAULT_PAGE_SIZE = 100;
/** What a cached content may hold: the parts of a generateContent request that come before its own turns. */
const CACHED_FIELDS = ['contents', 'systemInstruction', 'tools', 'toolConfig'] as const;
/** The fields of a create body beside those (the output-only ones are read and ignored, as Google does). */
const CREATE_FIELDS = new Set<string>([...CACHED_FIELDS, 'model', 'displayName', 'ttl', 'expireTime', 'name', 'createTime', 'updateTime', 'usageMetadata']);
const NOTHING = collectEvents([]);

/** A cached content as its record keeps it (times in milliseconds since the epoch). */
interface CachedContent {
  readonly name: string;
  readonly model: string;
  readonly displayName: string | undefined;
  readonly createTime: number;
  readonly updateTime: number;
  readonly expireTime: number;
  readonly totalTokenCount: number;
  /** The cached request fields, key-normalised, as the client sent them. */
  readonly cached: Json;
}

/** One entry of a principal's list: enough to leave out expired ones without reading them. */
interface IndexEntry {
  readonly name: string;
  readonly expires: number;
}

/**
 * Gemini's context caching (`cachedContents`, the SDK's `ai.caches`), held by lip whatever
 * backend answers: a cached content is the front of a generateContent request (contents, system
 * instruction, tools, tool config) kept under a name, which later requests name in
 * `cachedContent` instead of sending it again. Kept in the caller's stored responses, as
 * Responses conversations are (so in memory, SQLite or Redis, shared by every instance with
 * Redis, scoped to the principal): a record per cached content, and one per principal listing
 * their names for `caches.list`. A cached content lives until its `expireTime` (from `ttl`, one
 * hour by default), at most `continuity.ttl` after it was created or last updated (the store
 * keeps it no longer; the `expireTime` shown says so). Create, get, list, update (`ttl` or
 * `expireTime` only, as Google allows) and delete, under each of GEMINI_VERSIONS (`/v1beta/`, `/v1/`...).
 * A request naming one gets it put in its place (`resolveCachedContent`), and the decoder marks
 * where the cached part ends, so that a backend with explicit prompt caching (Anthropic) caches it.
 * @see spec/e2e/gemini-cached-contents.spec.ts
 */
export const cachedContentRoutes: readonly ResourceRoute[] = GEMINI_VERSIONS.flatMap((version): ResourceRoute[] => [
  { method: 'POST', path: `/${version}/cachedContents`, handle: create },
  { method: 'GET', path: `/${version}/cachedContents`, handle: list },
  { method: 'GET', path: `/${version}/cachedContents/{id}`, handle: async (r) => cachedContentObject(await read(r.responses, nameOf(r), 'name')) },
  { method: 'PATCH', path: `/${version}/cachedContents/{id}`, handle: update },
  { method: 'DELETE', path: `/${version}/cachedContents/{id}`, handle: remove },
]);

/**
 * A generateContent (or countTokens) body naming a cached content: the body with the cached
 * content in its place (`cachedContent` as an object holding its name and cached fields, which
 * the decoder puts before the request's own), to be decoded and recorded; undefined when the body
 * names none (the usual case: no lookup). The cached content must be the caller's, unexpired,
 * and made for the request's model.
 */
export const resolveCachedContent: ResolveReferences = (body, responses, params) => {
  const b = body as Json | null;
  if (b === null || typeof b !== 'object' || Array.isArray(b)) return undefined;
  const name = b.cachedContent ?? b.cached_content;
  if (typeof name !== 'string' || name.length === 0) return undefined;
  return (async () => {
    const found = await read(responses, name, 'cachedContent');
    const model = params?.model;
    if (model !== undefined && bareModel(found.model) !== bareModel(model)) {
      throw badField('cachedContent', `was created for the model ${found.model}; the request names ${model} (a cached content serves the model it was made for)`);
    }
    const { cachedContent: _named, cached_content: _snake, ...rest } = b;
    return { ...rest, cachedContent: { name: found.name, ...found.cached } };
  })();
};

async function create({ body, responses, retentionMs }: ResourceRequest): Promise<Json> {
  const b = objectBody(body);
  const unknown = Object.keys(b).find((k) => !CREATE_FIELDS.has(k));
  if (unknown !== undefined) throw badField(unknown, 'is not a field of a cached content');
  if (typeof b.model !== 'string' || b.model.length === 0) throw badField('model', 'is required (the model the cached content is for, `models/...`)');
  const displayName = checkDisplayName(b.displayName);
  const cached: Json = {};
  for (const field of CACHED_FIELDS) if (b[field] !== undefined && b[field] !== null) cached[field] = b[field];
  if (cached.contents === undefined && cached.systemInstruction === undefined && cached.tools === undefined) {
    throw badField('contents', 'a cached content holds contents, a system instruction or tools; none was given');
  }
  const totalTokenCount = checkedTokens(cached, b.model);
  const now = Date.now();
  const name = `cachedContents/${randomId('', 32).toLowerCase()}`;
  const record: CachedContent = {
    name, model: b.model.startsWith('models/') ? b.model : `models/${b.model}`, displayName,
    createTime: now, updateTime: now, expireTime: expiryOf(b, now, retentionMs) ?? now + Math.min(DEFAULT_TTL_MS, retentionMs), totalTokenCount, cached,
  };
  return responses.exclusive(indexKey(responses), async () => {
    const index = await readIndex(responses);
    const live = index.entries.filter((e) => e.expires > now);
    if (live.length >= MAX_CACHED_CONTENTS) {
      throw new LipError('LIP_ERR_REQUEST_LIMIT_EXCEEDED', `at most ${MAX_CACHED_CONTENTS} cached contents are kept for one caller; delete some, or let them expire`, { param: 'cachedContents' });
    }
    save(responses, record);
    saveIndex(responses, index.id, [...live, { name, expires: record.expireTime }]);
    return cachedContentObject(record);
  });
}

async function list({ query, responses }: ResourceRequest): Promise<Json> {
  const now = Date.now();
  const names = (await readIndex(responses)).entries.filter((e) => e.expires > now).map((e) => e.name);
  const { page, nextPageToken } = namePage(names, query, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, 'cached content');
  // A cached content the store no longer has (deleted meanwhile, dropped from a full memory store) is left out.
  const found = await Promise.all(page.map((name) => read(responses, name, 'name').catch(() => undefined)));
  const cachedContents = found.filter((c): c is CachedContent => c !== undefined).map(cachedContentObject);
  return { cachedContents, ...(nextPageToken !== undefined ? { nextPageToken } : {}) };
}

async function update(request: ResourceRequest): Promise<Json> {
  const b = objectBody(request.body);
  const mask = request.query.get('updateMask') ?? request.query.get('update_mask');
  const masked = mask === null ? undefined : mask.split(',').map((f) => f.trim()).filter((f) => f.length > 0);
  const other = masked?.find((f) => f !== 'ttl' && f !== 'expireTime' && f !== 'expire_time');
  if (other !== undefined) throw badField('updateMask', `only ttl or expireTime can be updated (got ${JSON.stringify(other.slice(0, 64))})`);
  const field = Object.keys(b).find((k) => k !== 'ttl' && k !== 'expireTime' && k !== 'name');
  if (field !== undefined) throw badField(field, 'only ttl or expireTime can be updated');
  return request.responses.exclusive(indexKey(request.responses), async () => {
    const now = Date.now();
    const found = await read(request.responses, nameOf(request), 'name');
    const expireTime = expiryOf(b, now, request.retentionMs);
    if (expireTime === undefined) throw badField('ttl', 'give the new ttl or expireTime');
    const changed: CachedContent = { ...found, updateTime: now, expireTime };
    save(request.responses, changed);
    const index = await readIndex(request.responses);
    saveIndex(request.responses, index.id, index.entries.filter((e) => e.expires > now).map((e) => (e.name === changed.name ? { name: e.name, expires: expireTime } : e)));
    return cachedContentObject(changed);
  });
}

async function remove(request: ResourceRequest): Promise<Json> {
  return request.responses.exclusive(indexKey(request.responses), async () => {
    const found = await read(request.responses, nameOf(request), 'name');
    await request.responses.delete(found.name);
    const index = await readIndex(request.responses);
    const now = Date.now();
    saveIndex(request.responses, index.id, index.entries.filter((e) => e.name !== found.name && e.expires > now));
    return {};
  });
}

/** The path's cached content name (`/cachedContents/{id}` names `cachedContents/{id}`). */
function nameOf(request: ResourceRequest): string {
  return `cachedContents/${request.params.id!}`;
}

/** The caller's unexpired cached content `name`; the 404 naming `param` otherwise. */
async function read(responses: StoredResponses, name: string, param: string): Promise<CachedContent> {
  const full = name.startsWith('cachedContents/') ? name : `cachedContents/${name}`;
  if (!OWN_NAME.test(full)) throw notFound(name, param);
  let row: StoredResponseView;
  try {
    row = await responses.load(full);
  } catch (err) {
    if (err instanceof LipError && err.code === 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND') throw notFound(name, param);
    throw err;
  }
  const r = row.echo?.[RECORD] as Json | undefined;
  if (r === undefined || typeof r !== 'object' || r === null || r.expireTime <= Date.now()) throw notFound(name, param);
  return {
    name: full, model: r.model, displayName: r.displayName ?? undefined, createTime: r.createTime, updateTime: r.updateTime,
    expireTime: r.expireTime, totalTokenCount: r.totalTokenCount, cached: r.cached,
  };
}

/** Keeps the record (again): the store's retention counts from now, and covers its expireTime. */
function save(responses: StoredResponses, c: CachedContent): void {
  const record = {
    model: c.model, ...(c.displayName !== undefined ? { displayName: c.displayName } : {}), createTime: c.createTime, updateTime: c.updateTime,
    expireTime: c.expireTime, totalTokenCount: c.totalTokenCount, cached: c.cached,
  };
  responses.save({ id: c.name, model: c.model, input: [], output: NOTHING, echo: { [RECORD]: record } });
}

/**
 * The principal's list of names, a record of its own whose id only that principal's stored
 * responses can hold (derived from what the scoped store answers for it: see indexKey).
 */
async function readIndex(responses: StoredResponses): Promise<{ id: string; entries: IndexEntry[] }> {
  const id = indexId(responses);
  try {
    const row = await responses.load(id);
    const entries = row.echo?.[INDEX];
    return { id, entries: Array.isArray(entries) ? entries as IndexEntry[] : [] };
  } catch (err) {
    if (err instanceof LipError && err.code === 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND') return { id, entries: [] };
    throw err;
  }
}

function saveIndex(responses: StoredResponses, id: string, entries: readonly IndexEntry[]): void {
  responses.save({ id, input: [], output: NOTHING, echo: { [INDEX]: entries } });
}

/** One list per principal: its id is derived from the principal (never shown), so that no two principals share one. */
function indexId(responses: StoredResponses): string {
  return derivedId('cachedContents/list-', responses.principal, 32);
}

function indexKey(responses: StoredResponses): string {
  return `gemini-cached-contents:${indexId(responses)}`;
}

/**
 * The cached fields checked as a generateContent request's front (errors name the create body's
 * fields) and their tokens by lip's estimate (Google's `usageMetadata.totalTokenCount`).
 */
function checkedTokens(cached: Json, model: string): number {
  const contents = cached.contents as unknown;
  if (contents !== undefined && !Array.isArray(contents)) throw badField('contents', 'must be an array of contents');
  const empty = contents === undefined || (contents as unknown[]).length === 0;
  // A request has contents; a cached content may hold only a system instruction or tools.
  const probe = empty ? { ...cached, contents: [{ role: 'user', parts: [{ text: '' }] }] } : cached;
  const { call } = decodeGenerateContent(probe, model, false);
  return estimateTokens(empty ? { ...call, messages: [] } : call);
}

/**
 * The expiry a body asks for: `ttl` (a protobuf duration, `"3600s"`) from now, or `expireTime`
 * (RFC 3339); at most `retentionMs` from now (the store keeps the record no longer), and in the
 * future. Undefined when it names neither.
 */
function expiryOf(b: Json, now: number, retentionMs: number): number | undefined {
  if (b.ttl !== undefined && b.expireTime !== undefined) throw badField('expireTime', 'give ttl or expireTime, not both');
  let at: number | undefined;
  if (b.ttl !== undefined) {
    const m = typeof b.ttl === 'string' ? /^(\d{1,12})(?:\.(\d{1,9}))?s$/.exec(b.ttl) : null;
    if (!m) throw badField('ttl', `must be a duration in seconds such as "3600s" (got ${shown(b.ttl)})`);
    const ms = Number(m[1]) * 1000 + Math.floor(Number(`0.${m[2] ?? '0'}`) * 1000);
    if (ms <= 0) throw badField('ttl', 'must be positive');
    at = now + ms;
  } else if (b.expireTime !== undefined) {
    const text = b.expireTime;
    const parsed = typeof text === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/.test(text) ? Date.parse(text) : NaN;
    if (Number.isNaN(parsed)) throw badField('expireTime', `must be an RFC 3339 time such as "2026-01-01T00:00:00Z" (got ${shown(text)})`);
    if (parsed <= now) throw badField('expireTime', 'must be in the future');
    at = parsed;
  }
  return at === undefined ? undefined : Math.min(at, now + retentionMs);
}

function checkDisplayName(raw: unknown): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'string') throw badField('displayName', 'must be a string');
  if (raw.length > MAX_DISPLAY_NAME) throw badField('displayName', `is at most ${MAX_DISPLAY_NAME} characters`);
  return raw;
}

/** The resource as Google shows it: the cached fields are input only. */
function cachedContentObject(c: CachedContent): Json {
  return {
    name: c.name, ...(c.displayName !== undefined ? { displayName: c.displayName } : {}), model: c.model,
    createTime: new Date(c.createTime).toISOString(), updateTime: new Date(c.updateTime).toISOString(), expireTime: new Date(c.expireTime).toISOString(),
    usageMetadata: { totalTokenCount: c.totalTokenCount },
  };
}

function notFound(name: string, param: string): LipError {
  return new LipError('LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND', `CachedContent not found: '${name.slice(0, 128)}' (never created by this caller, deleted or expired).`, { param });
}

function objectBody(body: unknown): Json {
  if (body === undefined) return {};
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badField('body', 'must be a JSON object');
  return normalizeKeys(body) as Json;
}

/** A client's value in a message: a string quoted and cut, anything else by its JSON type. */
const shown = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v.slice(0, 40)) : v === null ? 'null' : Array.isArray(v) ? 'an array' : `a ${typeof v}`);

const bareModel = (model: string) => (model.startsWith('models/') ? model.slice(7) : model);
