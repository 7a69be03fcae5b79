import { LipError } from '../../errors/index.js';
import { uploadedMediaType } from '../../wire/index.js';
import type { FileRoutes, FileUpload, FileView, ResolveReferences, StoredFile } from '../protocol.js';
import { inlineFiles } from '../file-references.js';

const MAX_FILENAME = 500;
/** `expires_in_seconds`: from an hour to ninety days, as Anthropic allows. */
const MIN_EXPIRY_S = 3_600;
const MAX_EXPIRY_S = 7_776_000;
const MAX_IDS = 100;
/** The extension of an unnamed upload's name, by its media type (a Map: the type is the client's text). */
const EXTENSIONS: ReadonlyMap<string, string> = new Map(Object.entries({ 'application/pdf': '.pdf', 'image/png': '.png', 'image/jpeg': '.jpg', 'image/gif': '.gif', 'image/webp': '.webp', 'text/plain': '.txt' }));

/**
 * Anthropic's Files API (`/v1/files` with `anthropic-version`, the SDK's `beta.files`), held by
 * lip: an upload (multipart, the `file` part) is kept byte for byte in the caller's stored
 * responses, as OpenAI's files are (BatchFileStore), in a list of its own; `GET /v1/files`
 * (`limit`, `before_id`, `after_id`, newest first), `GET` and `DELETE /v1/files/{file_id}`, as
 * Anthropic answers them. An uploaded file is not downloadable (`downloadable: false`, as on
 * Anthropic's API). Content blocks naming one by `file_id` get its bytes inline
 * (`resolveAnthropicFiles`), so that any backend reads it. The same path is OpenAI's Files API:
 * a request is Anthropic's when it carries `anthropic-version` (every Anthropic SDK sends it) or
 * the Files API beta.
 * @see spec/e2e/anthropic-files.spec.ts
 */
export const anthropicFileRoutes: FileRoutes = {
  path: '/v1/files',
  idPrefix: 'file_',
  listPrefix: 'files/anthropic-list-',
  notDownloadable: 'only files created by skills or the code execution tool can be downloaded (uploaded files have downloadable: false)',

  accepts: (headers) => headers['anthropic-version'] !== undefined || /files-api/.test(String(headers['anthropic-beta'] ?? '')),

  upload(upload: FileUpload) {
    const { fields, file } = upload;
    const extra = Object.keys(fields).find((name) => name !== 'expires_in_seconds');
    if (extra !== undefined) throw invalid(`${extra}: Extra inputs are not permitted`, extra);
    if (file === undefined) throw invalid('file: Field required (a file part named "file")', 'file');
    let expiresAfterMs: number | undefined;
    const seconds = fields.expires_in_seconds;
    if (seconds !== undefined) {
      const s = /^\d{1,8}$/.test(seconds) ? Number(seconds) : NaN;
      if (!(s >= MIN_EXPIRY_S && s <= MAX_EXPIRY_S)) throw invalid(`expires_in_seconds: must be an integer from ${MIN_EXPIRY_S} to ${MAX_EXPIRY_S}`, 'expires_in_seconds');
      expiresAfterMs = s * 1000;
    }
    // Only the name's last path component is kept, as Anthropic keeps it.
    const base = file.name.split(/[\\/]/).pop() ?? '';
    if (base.length > MAX_FILENAME) throw invalid(`file: the filename is longer than ${MAX_FILENAME} characters`, 'file');
    const mediaType = uploadedMediaType(base, file.type);
    const filename = base !== '' ? base : `unnamed${EXTENSIONS.get(mediaType) ?? ''}`;
    return { purpose: 'anthropic', filename, text: false, mediaType, ...(expiresAfterMs !== undefined ? { expiresAfterMs } : {}) };
  },

  object(file: FileView): unknown {
    return {
      id: file.id, type: 'file', filename: file.filename, mime_type: file.mediaType ?? 'application/octet-stream', size_bytes: file.bytes,
      created_at: new Date(file.createdAt).toISOString(), expires_at: file.expiresAt === undefined ? null : new Date(file.expiresAt).toISOString(), downloadable: false,
    };
  },

  listQuery(query: URLSearchParams) {
    const ids = query.getAll('ids').flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
    const page = query.get('page') ?? undefined;
    const raw = query.get('limit');
    if (ids.length > 0) {
      if (page !== undefined || raw !== null) throw invalid('ids: cannot be given with page or limit', 'ids');
      const only = [...new Set(ids)];
      if (only.length > MAX_IDS) throw invalid(`ids: at most ${MAX_IDS} ids`, 'ids');
      return { limit: only.length, order: 'desc' as const, only };
    }
    let limit = 20;
    if (raw !== null) {
      limit = /^\d{1,7}$/.test(raw) ? Number(raw) : NaN;
      if (!(limit >= 1 && limit <= 1_000)) throw invalid('limit: must be an integer from 1 to 1000', 'limit');
    }
    const beforeId = query.get('before_id') ?? undefined;
    const afterId = query.get('after_id') ?? page;
    if (beforeId !== undefined && afterId !== undefined) throw invalid('before_id and after_id (or page) cannot both be given', 'before_id');
    // lip's files belong to no session: a scope holds none of them.
    const scoped = query.get('scope_id') !== null ? { only: [] as readonly string[] } : {};
    return { limit, order: 'desc' as const, ...(beforeId !== undefined ? { beforeId } : {}), ...(afterId !== undefined ? { afterId } : {}), ...scoped };
  },

  /** Both cursors: `after_id` / `before_id` from the ids, and `next_page` (the SDK's pager) from the last one. */
  list(objects: readonly unknown[], firstId: string | undefined, lastId: string | undefined, hasMore: boolean): unknown {
    return { data: objects, has_more: hasMore, first_id: firstId ?? null, last_id: lastId ?? null, next_page: hasMore && lastId !== undefined ? lastId : null };
  },

  deleted(id: string): unknown {
    return { id, type: 'file_deleted' };
  },
};

/**
 * Messages content blocks naming a file by id (`{type: "document" | "image", source: {type:
 * "file", file_id}}`): a file the caller uploaded to lip is put inline (a PDF or an image as
 * base64, text as a text source), so that any backend gets its bytes; an id lip holds no file of
 * (Anthropic's own files) is left as it is, and so is a file whose type the block cannot carry.
 */
export const resolveAnthropicFiles: ResolveReferences = (body, responses) => {
  const messages = (body as Record<string, unknown> | null)?.messages;
  if (responses.file === undefined || !Array.isArray(messages)) return undefined;
  return inlineFiles(body as Record<string, unknown>, 'messages', messages, responses, (part) => {
    if (part.type === 'container_upload') return typeof part.file_id === 'string' ? part.file_id : undefined;
    if (part.type !== 'document' && part.type !== 'image') return undefined;
    const source = part.source as Record<string, unknown> | null | undefined;
    return source?.type === 'file' && typeof source.file_id === 'string' ? source.file_id : undefined;
  }, (part, file) => {
    // Code execution reads the files of Anthropic's own Files API: one of lip's would be a 404 there.
    if (part.type === 'container_upload') {
      throw new LipError('LIP_ERR_REQUEST_UNSUPPORTED', `container_upload: ${String(part.file_id).slice(0, 64)} (${file.filename}) is a file uploaded to lip; the code execution tool reads files uploaded to Anthropic's own Files API`, { param: 'container_upload.file_id' });
    }
    return { ...part, source: inlineSource(part.type === 'image', file) ?? part.source };
  });
};

/** The source of a block carrying `file`'s bytes, if the block's kind can carry that type. */
function inlineSource(image: boolean, file: StoredFile): Record<string, unknown> | undefined {
  if (image) return file.mediaType.startsWith('image/') ? { type: 'base64', media_type: file.mediaType, data: file.data } : undefined;
  if (file.mediaType === 'application/pdf') return { type: 'base64', media_type: 'application/pdf', data: file.data };
  if (file.mediaType.startsWith('text/')) return { type: 'text', media_type: 'text/plain', data: Buffer.from(file.data, 'base64').toString('utf8') };
  return undefined;
}

function invalid(message: string, param: string): LipError {
  return new LipError('LIP_ERR_REQUEST_INVALID', message, { param });
}
