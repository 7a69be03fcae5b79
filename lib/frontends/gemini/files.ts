import { createHash } from 'node:crypto';
import { collectEvents } from '../../canonical/index.js';
import { LipError } from '../../errors/index.js';
import { derivedId, randomId } from '../../wire/ids.js';
import { parseJson } from '../../wire/json-body.js';
import { ResourceAnswer, type BatchFiles, type ResolveReferences, type ResourceRequest, type ResourceRoute, type StoredResponses, type StoredResponseView } from '../protocol.js';
import { resolveCachedContent } from './cached-contents.js';
import { badField } from './decode-contents.js';
import { namePage } from './name-pages.js';

type Json = Record<string, any>;

/** The echoed fields of a file's record, its content, a principal's list of files and an upload session. */
const RECORD = 'gemini_file';
const CONTENT = 'gemini_file_content';
const INDEX = 'gemini_files';
const SESSION = 'gemini_upload';
const CHUNK = 'gemini_upload_chunk';
/** Google keeps an uploaded file 48 hours. */
const FILE_LIFETIME_MS = 48 * 3_600_000;
/** How long an upload session waits for its bytes (Google's last a week; lip's at most a day). */
const SESSION_LIFETIME_MS = 24 * 3_600_000;
/** Files one principal keeps at once (their list is one record, saved with each change). */
export const MAX_GEMINI_FILES = 1_000;
/** Chunks of one resumable upload (the SDKs send 8 MiB each). */
const MAX_CHUNKS = 1_000;
const DEFAULT_PAGE_SIZE = 10;
const MAX_PAGE_SIZE = 100;
const MAX_DISPLAY_NAME = 512;
/** The granularity a resumable upload's chunks keep (what Google announces; the SDKs send 8 MiB). */
const CHUNK_GRANULARITY = String(8 * 1024 * 1024);
/** A file's id as Google allows a caller to choose it: lowercase letters, digits and dashes, not at either end, at most 40. */
const FILE_ID = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;
/** A media type: `type/subtype`, parameters allowed. */
const MEDIA_TYPE = /^[\w.+-]+\/[\w.+-]+(?:\s*;.*)?$/;
/** What names one of lip's files in a request: Google's file URI (`…/v1beta/files/{id}`) or the name itself. */
const FILE_URI = /(?:^|\/v1beta\/)files\/([a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?)$/;
const NOTHING = collectEvents([]);

/** A file as its record keeps it (times in milliseconds since the epoch). */
interface GeminiFile {
  readonly name: string;
  readonly displayName: string | undefined;
  readonly mimeType: string;
  readonly sizeBytes: number;
  /** SHA-256 of the bytes, base64 (Google's `sha256Hash`). */
  readonly sha256: string;
  readonly createTime: number;
  readonly expireTime: number;
}

/** A resumable upload between its start and its finalize. */
interface UploadSession {
  readonly uploadId: string;
  readonly file: { readonly name: string; readonly displayName: string | undefined; readonly mimeType: string };
  /** The length the start announced (`X-Goog-Upload-Header-Content-Length`), if it did. */
  readonly declared: number | undefined;
  readonly received: number;
  readonly chunks: number;
  readonly expires: number;
}

interface IndexEntry {
  readonly name: string;
  readonly expires: number;
}

/**
 * Gemini's Files API (the SDK's `ai.files`), held by lip whatever backend answers: a file is
 * uploaded once (`POST /upload/v1beta/files`, the resumable protocol the SDKs speak: a start
 * naming the file's metadata, answered with an upload URL, then its bytes in one or more chunks,
 * the last finalizing it; or `X-Goog-Upload-Protocol: raw`, the bytes in one request), then
 * named by its URI in `fileData` parts of later requests, which get its bytes inline
 * (`resolveGeminiFiles`) so that any backend reads it. `GET /v1beta/files/{id}`, `GET
 * /v1beta/files` (`pageSize` up to 100, `pageToken`) and `DELETE /v1beta/files/{id}` as Google
 * answers them. Kept in the caller's stored responses, as cached contents are (in memory, SQLite
 * or Redis: an upload's start and its chunks may reach different instances sharing Redis): a
 * record per file, one with its bytes, one per principal listing them, one per upload session
 * and one per chunk until it is finalized. As Google's, an upload URL authorizes the requests to
 * it (its `upload_id`, 32 random characters, is a URL grant: its chunks need no key, as in
 * Google's curl recipe, and count as its starter's); it names no key (a key in a URL leaks into
 * logs and shell histories). A file lives 48 hours (Google's), at most `continuity.ttl`, and
 * holds at most `server.max_batch_body_bytes`.
 * @see spec/e2e/gemini-files.spec.ts
 */
export const geminiFileRoutes: readonly ResourceRoute[] = [
  { method: 'POST', path: '/upload/v1beta/files', upload: true, grantedBy: 'upload_id', handle: upload },
  { method: 'GET', path: '/v1beta/files', handle: list },
  { method: 'GET', path: '/v1beta/files/{id}', handle: get },
  { method: 'DELETE', path: '/v1beta/files/{id}', handle: remove },
];

/**
 * A generateContent (or countTokens) body whose `fileData` parts name files lip holds for the
 * caller: the body with those parts as `inlineData` of the file's bytes; undefined when it names
 * none (the usual case: a walk over the parts, no lookup). A URI lip holds no file of (Google's
 * own files, a storage URL) stays as it is, for a backend that reads it.
 */
export const resolveGeminiFiles: ResolveReferences = (body, responses) => {
  const b = body as Json | null;
  if (b === null || typeof b !== 'object' || Array.isArray(b)) return undefined;
  // The usual body names no file: a walk that allocates nothing until a part does.
  let named: Set<string> | undefined;
  visitFileParts(b, (part) => {
    const id = ownFileId(part);
    if (id !== undefined) (named ??= new Set()).add(id);
  });
  if (named === undefined) return undefined;
  const ids = named;
  return (async () => {
    const found = new Map<string, { readonly file: GeminiFile; readonly data: string }>();
    for (const id of ids) {
      const file = await read(responses, `files/${id}`, 'fileData.fileUri').catch(() => undefined);
      if (file === undefined) continue;
      const data = (await responses.load(contentId(responses, file.name)).catch(() => undefined))?.echo?.[CONTENT];
      if (typeof data === 'string') found.set(id, { file, data });
    }
    if (found.size === 0) return b;
    return mapFileParts(b, (part) => {
      const id = ownFileId(part);
      const held = id === undefined ? undefined : found.get(id);
      if (held === undefined) return part;
      const fileData = (part.fileData ?? part.file_data) as Json;
      const mimeType = typeof (fileData.mimeType ?? fileData.mime_type) === 'string' && (fileData.mimeType ?? fileData.mime_type) !== '' ? fileData.mimeType ?? fileData.mime_type : held.file.mimeType;
      const { fileData: _camel, file_data: _snake, ...rest } = part;
      return { ...rest, inlineData: { mimeType, data: held.data } };
    });
  })();
};

/** The id of the lip file a part's `fileData` names by URI, if it names one in lip's form. */
function ownFileId(part: Json): string | undefined {
  const fileData = part.fileData ?? part.file_data;
  if (fileData === null || typeof fileData !== 'object') return undefined;
  const uri = fileData.fileUri ?? fileData.file_uri;
  return typeof uri === 'string' ? FILE_URI.exec(uri)?.[1] : undefined;
}

/** Where a request holds parts: its contents (and their function responses' parts), system instruction, and a cached content put in place. */
function visitFileParts(b: Json, visit: (part: Json) => void): void {
  visitRequestParts(b, visit);
  const cached = b.cachedContent ?? b.cached_content;
  if (cached !== null && typeof cached === 'object' && !Array.isArray(cached)) visitRequestParts(cached as Json, visit);
}

function visitRequestParts(request: Json, visit: (part: Json) => void): void {
  if (Array.isArray(request.contents)) {
    for (const c of request.contents as unknown[]) if (c !== null && typeof c === 'object' && Array.isArray((c as Json).parts)) visitParts((c as Json).parts, visit);
  }
  const system = request.systemInstruction ?? request.system_instruction;
  if (system !== null && typeof system === 'object' && Array.isArray(system.parts)) visitParts(system.parts, visit);
}

function visitParts(parts: unknown[], visit: (part: Json) => void): void {
  for (const part of parts) {
    if (part === null || typeof part !== 'object') continue;
    visit(part as Json);
    const response = (part as Json).functionResponse ?? (part as Json).function_response;
    if (response !== null && typeof response === 'object' && Array.isArray(response.parts)) {
      for (const inner of response.parts as unknown[]) if (inner !== null && typeof inner === 'object') visit(inner as Json);
    }
  }
}

/** `b` with each part of its part holders (as visitFileParts walks them) replaced by `map`'s. */
function mapFileParts(b: Json, map: (part: Json) => Json): Json {
  const parts = (list: unknown[]) => list.map((part) => {
    if (part === null || typeof part !== 'object') return part;
    let p = map(part as Json);
    const key = p.functionResponse !== undefined ? 'functionResponse' : 'function_response';
    const response = p[key];
    if (response !== null && typeof response === 'object' && Array.isArray(response.parts)) {
      p = { ...p, [key]: { ...response, parts: response.parts.map((inner: unknown) => (inner !== null && typeof inner === 'object' ? map(inner as Json) : inner)) } };
    }
    return p;
  });
  const request = (r: Json): Json => {
    const out: Json = { ...r };
    if (Array.isArray(r.contents)) out.contents = r.contents.map((c: unknown) => (c !== null && typeof c === 'object' && Array.isArray((c as Json).parts) ? { ...(c as Json), parts: parts((c as Json).parts) } : c));
    for (const key of ['systemInstruction', 'system_instruction']) {
      const system = r[key];
      if (system !== null && typeof system === 'object' && Array.isArray(system.parts)) out[key] = { ...system, parts: parts(system.parts) };
    }
    return out;
  };
  const out = request(b);
  for (const key of ['cachedContent', 'cached_content']) {
    const cached = b[key];
    if (cached !== null && typeof cached === 'object' && !Array.isArray(cached)) out[key] = request(cached as Json);
  }
  return out;
}

/**
 * `POST /upload/v1beta/files`: a resumable upload's start (its metadata; answered with the upload
 * URL), one of its chunks (`?upload_id=`: `upload`, `upload, finalize`, `finalize`, `query` or
 * `cancel`), or a raw upload (the bytes, in one request).
 */
async function upload(r: ResourceRequest): Promise<unknown> {
  const uploadId = r.query.get('upload_id');
  if (uploadId !== null) return chunk(r, uploadId);
  const protocol = header(r, 'x-goog-upload-protocol')?.toLowerCase() ?? (r.query.get('uploadType') === 'media' ? 'raw' : undefined);
  if (protocol === 'raw') return raw(r);
  if (protocol !== 'resumable') {
    throw badField('X-Goog-Upload-Protocol', `must be resumable (what the SDKs send) or raw (got ${JSON.stringify((protocol ?? '').slice(0, 40))}); multipart uploads are not taken`, true);
  }
  const command = header(r, 'x-goog-upload-command')?.toLowerCase();
  if (command !== 'start') throw badField('X-Goog-Upload-Command', 'must be start for a new resumable upload (its chunks go to the upload URL it answers)');
  const metadata = uploadMetadata(r);
  const declaredText = header(r, 'x-goog-upload-header-content-length');
  let declared: number | undefined;
  if (declaredText !== undefined) {
    if (!/^\d{1,15}$/.test(declaredText)) throw badField('X-Goog-Upload-Header-Content-Length', 'must be the file\'s length in bytes');
    declared = Number(declaredText);
    if (declared > r.maxFileBytes) throw tooLarge(declared, r.maxFileBytes);
  }
  const mimeType = metadata.mimeType ?? header(r, 'x-goog-upload-header-content-type');
  const file = { name: await freeName(r.responses, metadata.name), displayName: metadata.displayName, mimeType: checkedMediaType(mimeType, 'file.mimeType') };
  const id = randomId('', 32).toLowerCase();
  const session: UploadSession = { uploadId: id, file, declared, received: 0, chunks: 0, expires: Date.now() + Math.min(SESSION_LIFETIME_MS, r.retentionMs) };
  saveSession(r.responses, session);
  r.grants?.give(id, session.expires);
  const url = `${r.origin}/upload/v1beta/files?upload_id=${id}&upload_protocol=resumable`;
  return new ResourceAnswer(undefined, {
    'x-goog-upload-status': 'active', 'x-goog-upload-url': url, 'x-goog-upload-control-url': url, 'x-goog-upload-chunk-granularity': CHUNK_GRANULARITY,
  });
}

/** A chunk (or a query or cancel) of the resumable upload `uploadId`. */
async function chunk(r: ResourceRequest, uploadId: string): Promise<unknown> {
  const commands = (header(r, 'x-goog-upload-command') ?? '').toLowerCase().split(',').map((c) => c.trim()).filter((c) => c !== '');
  const known = new Set(['upload', 'finalize', 'query', 'cancel']);
  const unknown = commands.find((c) => !known.has(c));
  if (commands.length === 0 || unknown !== undefined) throw badField('X-Goog-Upload-Command', `must be upload, finalize, "upload, finalize", query or cancel (got ${JSON.stringify((unknown ?? '').slice(0, 40))})`);
  const key = sessionId(r.responses, uploadId);
  return r.responses.exclusive(`gemini-upload:${key}`, async () => {
    const session = await loadSession(r.responses, uploadId);
    if (commands.includes('cancel')) {
      await dropSession(r, session);
      return new ResourceAnswer(undefined, { 'x-goog-upload-status': 'cancelled' });
    }
    if (commands.includes('query')) return new ResourceAnswer(undefined, { 'x-goog-upload-status': 'active', 'x-goog-upload-size-received': String(session.received) });
    let received = session.received;
    let chunks = session.chunks;
    const bytes = r.bytes ?? Buffer.alloc(0);
    if (commands.includes('upload')) {
      const offsetText = header(r, 'x-goog-upload-offset');
      if (offsetText !== undefined && (!/^\d{1,15}$/.test(offsetText) || Number(offsetText) !== session.received)) {
        throw badField('X-Goog-Upload-Offset', `must be ${session.received}, the bytes received so far (got ${JSON.stringify(offsetText.slice(0, 20))}); ask with X-Goog-Upload-Command: query`);
      }
      const limit = Math.min(session.declared ?? r.maxFileBytes, r.maxFileBytes);
      if (received + bytes.length > limit) {
        throw session.declared !== undefined && received + bytes.length <= r.maxFileBytes
          ? badField('X-Goog-Upload-Header-Content-Length', `the upload started as ${session.declared} bytes; this chunk would make it ${received + bytes.length}`)
          : tooLarge(received + bytes.length, r.maxFileBytes);
      }
      if (chunks >= MAX_CHUNKS) throw new LipError('LIP_ERR_REQUEST_LIMIT_EXCEEDED', `an upload takes at most ${MAX_CHUNKS} chunks`, { param: 'X-Goog-Upload-Command' });
      // A refused request changes nothing: a finalize short of the announced length keeps no chunk either.
      if (commands.includes('finalize') && session.declared !== undefined && received + bytes.length !== session.declared) throw short(session.declared, received + bytes.length);
      if (bytes.length > 0) {
        r.responses.save({ id: `${key}/chunk-${chunks}`, input: [], output: NOTHING, echo: { [CHUNK]: bytes.toString('base64') } });
        chunks += 1;
        received += bytes.length;
      }
    }
    if (!commands.includes('finalize')) {
      saveSession(r.responses, { ...session, received, chunks });
      return new ResourceAnswer(undefined, { 'x-goog-upload-status': 'active', 'x-goog-upload-size-received': String(received) });
    }
    if (session.declared !== undefined && received !== session.declared) throw short(session.declared, received);
    const parts: Buffer[] = [];
    for (let k = 0; k < chunks; k++) {
      const data = (await r.responses.load(`${key}/chunk-${k}`).catch(() => undefined))?.echo?.[CHUNK];
      if (typeof data !== 'string') throw notFound(uploadId, 'upload_id', 'the upload\'s chunks are gone (expired or evicted); start it again');
      parts.push(Buffer.from(data, 'base64'));
    }
    const file = await keep(r, session.file, Buffer.concat(parts));
    await dropSession(r, { ...session, chunks });
    return new ResourceAnswer({ file: fileObject(file, r.origin) }, { 'x-goog-upload-status': 'final' });
  });
}

/** A raw upload: the body is the file, its `Content-Type` the media type; named and described by nothing else. */
async function raw(r: ResourceRequest): Promise<unknown> {
  const bytes = r.bytes ?? Buffer.alloc(0);
  const type = header(r, 'x-goog-upload-header-content-type') ?? header(r, 'content-type');
  const file = await keep(r, { name: await freeName(r.responses, undefined), displayName: undefined, mimeType: checkedMediaType(type, 'Content-Type') }, bytes);
  return new ResourceAnswer({ file: fileObject(file, r.origin) }, { 'x-goog-upload-status': 'final' });
}

/** Keeps an uploaded file's bytes, its record and its entry in the caller's list. */
async function keep(r: ResourceRequest, meta: UploadSession['file'], bytes: Buffer): Promise<GeminiFile> {
  if (bytes.length === 0) throw badField('file', 'holds no bytes');
  if (bytes.length > r.maxFileBytes) throw tooLarge(bytes.length, r.maxFileBytes);
  const now = Date.now();
  const file: GeminiFile = {
    name: meta.name, displayName: meta.displayName, mimeType: meta.mimeType, sizeBytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('base64'), createTime: now, expireTime: now + Math.min(FILE_LIFETIME_MS, r.retentionMs),
  };
  const { responses } = r;
  await responses.exclusive(indexKey(responses), async () => {
    const index = await readIndex(responses);
    const live = index.filter((e) => e.expires > now && e.name !== file.name);
    if (live.length >= MAX_GEMINI_FILES) {
      throw new LipError('LIP_ERR_REQUEST_LIMIT_EXCEEDED', `at most ${MAX_GEMINI_FILES} files are kept for one caller; delete some, or let them expire`, { param: 'file' });
    }
    if (index.some((e) => e.name === file.name && e.expires > now)) throw nameInUse(file.name);
    responses.save({ id: contentId(responses, file.name), input: [], output: NOTHING, echo: { [CONTENT]: bytes.toString('base64') } });
    responses.save({ id: recordId(responses, file.name), input: [], output: NOTHING, echo: { [RECORD]: file } });
    saveIndex(responses, [{ name: file.name, expires: file.expireTime }, ...live]);
  });
  return file;
}

async function get(r: ResourceRequest): Promise<Json> {
  const id = r.params.id!;
  // `files/{id}:download` (the SDK's files.download) of an uploaded file: as at Google, only generated files download.
  if (id.endsWith(':download')) {
    const file = await read(r.responses, `files/${id.slice(0, -':download'.length)}`, 'name');
    throw badField('name', `${file.name} was uploaded; only generated files can be downloaded (a batch's responses file, files/batch-...)`);
  }
  return fileObject(await read(r.responses, `files/${id}`, 'name'), r.origin);
}

async function list({ query, responses, origin }: ResourceRequest): Promise<Json> {
  const now = Date.now();
  const names = (await readIndex(responses)).filter((e) => e.expires > now).map((e) => e.name);
  const { page, nextPageToken } = namePage(names, query, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, 'file');
  // A file the store no longer has (deleted meanwhile, dropped from a full memory store) is left out.
  const found = await Promise.all(page.map((name) => read(responses, name, 'name').catch(() => undefined)));
  const files = found.filter((f): f is GeminiFile => f !== undefined).map((f) => fileObject(f, origin));
  return { files, ...(nextPageToken !== undefined ? { nextPageToken } : {}) };
}

async function remove(r: ResourceRequest): Promise<Json> {
  const { responses } = r;
  return responses.exclusive(indexKey(responses), async () => {
    const found = await read(responses, `files/${r.params.id!}`, 'name');
    await responses.delete(contentId(responses, found.name)).catch(() => undefined);
    await responses.delete(recordId(responses, found.name));
    const now = Date.now();
    saveIndex(responses, (await readIndex(responses)).filter((e) => e.name !== found.name && e.expires > now));
    return {};
  });
}

/** Google's File resource. */
function fileObject(f: GeminiFile, origin: string): Json {
  const id = f.name.slice('files/'.length);
  return {
    name: f.name, ...(f.displayName !== undefined ? { displayName: f.displayName } : {}), mimeType: f.mimeType, sizeBytes: String(f.sizeBytes),
    createTime: new Date(f.createTime).toISOString(), updateTime: new Date(f.createTime).toISOString(), expirationTime: new Date(f.expireTime).toISOString(),
    sha256Hash: f.sha256, uri: `${origin}/v1beta/files/${id}`, state: 'ACTIVE', source: 'UPLOADED',
  };
}

/** The start's `file` metadata: a name the caller chose (`files/{id}`), a display name, a media type. */
function uploadMetadata(r: ResourceRequest): { readonly name?: string; readonly displayName?: string; readonly mimeType?: string } {
  if (r.bytes === undefined || r.bytes.length === 0) return {};
  let body: unknown;
  try {
    body = parseJson(r.bytes);
  } catch (err) {
    throw new LipError('LIP_ERR_REQUEST_INVALID_JSON', `the start of a resumable upload carries its metadata as JSON ({"file": {"displayName": ...}}): ${(err as Error).message}`);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badField('body', 'must be a JSON object');
  const file = (body as Json).file;
  if (file === undefined || file === null) return {};
  if (typeof file !== 'object' || Array.isArray(file)) throw badField('file', 'must be an object');
  const f = file as Json;
  const name = f.name;
  if (name !== undefined && name !== null && typeof name !== 'string') throw badField('file.name', 'must be a string');
  const displayName = f.displayName ?? f.display_name;
  if (displayName !== undefined && displayName !== null && (typeof displayName !== 'string' || displayName.length > MAX_DISPLAY_NAME)) {
    throw badField('file.displayName', `must be a string of at most ${MAX_DISPLAY_NAME} characters`);
  }
  const mimeType = f.mimeType ?? f.mime_type;
  if (mimeType !== undefined && mimeType !== null && typeof mimeType !== 'string') throw badField('file.mimeType', 'must be a string');
  return {
    ...(typeof name === 'string' && name !== '' ? { name } : {}),
    ...(typeof displayName === 'string' ? { displayName } : {}),
    ...(typeof mimeType === 'string' && mimeType !== '' ? { mimeType } : {}),
  };
}

/** The name of a new file: the caller's choice (checked, not in use) or a fresh one. */
async function freeName(responses: StoredResponses, chosen: string | undefined): Promise<string> {
  if (chosen === undefined) return `files/${randomId('', 12).toLowerCase()}`;
  const id = chosen.startsWith('files/') ? chosen.slice('files/'.length) : chosen;
  if (!FILE_ID.test(id)) throw badField('file.name', 'must be files/ and at most 40 lowercase letters, digits or dashes, not starting or ending with a dash');
  const name = `files/${id}`;
  if (await read(responses, name, 'file.name').then(() => true, () => false)) throw nameInUse(name);
  return name;
}

function checkedMediaType(type: string | undefined, param: string): string {
  if (type === undefined || type === '') throw badField(param, 'is required: the file\'s media type (X-Goog-Upload-Header-Content-Type, or file.mimeType)');
  if (type.length > 255 || !MEDIA_TYPE.test(type)) throw badField(param, `is not a media type (got ${JSON.stringify(type.slice(0, 64))})`);
  return type.split(';')[0]!.trim().toLowerCase();
}

/** The caller's unexpired file `name`; the 404 naming `param` otherwise. */
async function read(responses: StoredResponses, name: string, param: string): Promise<GeminiFile> {
  const full = name.startsWith('files/') ? name : `files/${name}`;
  if (!FILE_ID.test(full.slice('files/'.length))) throw notFound(name, param);
  let row: StoredResponseView;
  try {
    row = await responses.load(recordId(responses, full));
  } catch (err) {
    if (err instanceof LipError && err.code === 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND') throw notFound(name, param);
    throw err;
  }
  const f = row.echo?.[RECORD] as Json | undefined;
  if (f === undefined || f === null || typeof f !== 'object' || typeof f.expireTime !== 'number' || f.expireTime <= Date.now()) throw notFound(name, param);
  return {
    name: full, displayName: f.displayName ?? undefined, mimeType: f.mimeType, sizeBytes: f.sizeBytes, sha256: f.sha256, createTime: f.createTime, expireTime: f.expireTime,
  };
}

async function loadSession(responses: StoredResponses, uploadId: string): Promise<UploadSession> {
  if (!/^[a-z0-9]{32}$/.test(uploadId)) throw notFound(uploadId, 'upload_id');
  const s = (await responses.load(sessionId(responses, uploadId)).catch(() => undefined))?.echo?.[SESSION] as Json | undefined;
  if (s === undefined || s === null || typeof s !== 'object' || typeof s.expires !== 'number' || s.expires <= Date.now()) throw notFound(uploadId, 'upload_id');
  return s as UploadSession;
}

function saveSession(responses: StoredResponses, session: UploadSession): void {
  responses.save({ id: sessionId(responses, session.uploadId), input: [], output: NOTHING, echo: { [SESSION]: session } });
}

/** Forgets an upload session, its chunks, and the authority of its URL. */
async function dropSession({ responses, grants }: ResourceRequest, session: UploadSession): Promise<void> {
  const key = sessionId(responses, session.uploadId);
  for (let k = 0; k < session.chunks; k++) await responses.delete(`${key}/chunk-${k}`).catch(() => undefined);
  await responses.delete(key).catch(() => undefined);
  await grants?.revoke(session.uploadId);
}

/** Record ids derived from the principal and the name: two callers' files of one name are two records. */
function recordId(responses: StoredResponses, name: string): string {
  return derivedId('gemini-file-', `${responses.principal}\n${name}`, 32);
}

function contentId(responses: StoredResponses, name: string): string {
  return `${recordId(responses, name)}/content`;
}

function sessionId(responses: StoredResponses, uploadId: string): string {
  return derivedId('gemini-upload-', `${responses.principal}\n${uploadId}`, 32);
}

async function readIndex(responses: StoredResponses): Promise<IndexEntry[]> {
  const entries = (await responses.load(indexId(responses)).catch(() => undefined))?.echo?.[INDEX];
  return Array.isArray(entries) ? entries as IndexEntry[] : [];
}

function saveIndex(responses: StoredResponses, entries: readonly IndexEntry[]): void {
  responses.save({ id: indexId(responses), input: [], output: NOTHING, echo: { [INDEX]: entries } });
}

function indexId(responses: StoredResponses): string {
  return derivedId('gemini-files/list-', responses.principal, 32);
}

function indexKey(responses: StoredResponses): string {
  return `gemini-files:${indexId(responses)}`;
}

function header(r: ResourceRequest, name: string): string | undefined {
  const value = r.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.trim();
}

function short(declared: number, holding: number): LipError {
  return badField('X-Goog-Upload-Header-Content-Length', `the upload started as ${declared} bytes and would hold ${holding}; send the rest before finalize`);
}

function tooLarge(bytes: number, max: number): LipError {
  return new LipError('LIP_ERR_REQUEST_TOO_LARGE', `file: ${bytes} bytes is more than this server keeps (server.max_batch_body_bytes: ${max})`, { param: 'file' });
}

function nameInUse(name: string): LipError {
  return badField('file.name', `${name} is in use by another file of this caller; delete it first, or choose another name`);
}

function notFound(name: string, param: string, why = 'never created by this caller, deleted or expired'): LipError {
  return new LipError('LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND', `${param === 'upload_id' ? 'Upload' : 'File'} not found: '${name.slice(0, 128)}' (${why}).`, { param });
}

/** What a generateContent body names instead of carrying: a cached content (put in its place first), then files (their bytes inline). */
export const resolveGeminiReferences: ResolveReferences = (body, responses, params) => {
  const cached = resolveCachedContent(body, responses, params);
  if (cached === undefined) return resolveGeminiFiles(body, responses);
  return cached.then((b) => resolveGeminiFiles(b, responses) ?? b);
};

/** A batch's input file (`inputConfig.fileName`) among the caller's files: its text, as UTF-8. */
export function geminiBatchInput(responses: StoredResponses): BatchFiles {
  return {
    async text(name, param) {
      const file = await read(responses, name, param);
      const data = (await responses.load(contentId(responses, file.name)).catch(() => undefined))?.echo?.[CONTENT];
      if (typeof data !== 'string') throw notFound(name, param);
      try {
        return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(data, 'base64'));
      } catch {
        throw badField(param, `${file.name} is not UTF-8 text (a batch's input is JSON lines)`);
      }
    },
  };
}
