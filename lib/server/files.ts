import { collectEvents } from '../canonical/index.js';
import { LipError } from '../errors/index.js';
import type { BatchFiles, FileRoutes, FileUpload, FileView, StoredFile, StoredResponses } from '../frontends/protocol.js';
import { derivedId, randomId } from '../wire/ids.js';
import { base64Text, utf8Text } from '../wire/work-slices.js';
import { dropped, fromCursor, loaded } from './stored-record.js';

/** The results' files of a batch: its succeeded lines, and the others. */
export type BatchFileKind = 'output' | 'error';

/** Files one caller keeps at once (their list is one record); a batch's results' files are kept beyond it. */
export const MAX_FILES = 1_000;
/**
 * A file's content is kept in records of at most this many characters (a mebibyte of ASCII):
 * each is serialised when written and parsed when read (every store keeps JSON), a few
 * milliseconds of the event loop each, not the second a 30 MiB file took in one piece.
 */
export const CONTENT_PART = 1 << 20;

const FILE = 'lip_file';
const CONTENT = 'lip_file_content';
const INDEX = 'lip_files';
const NOTHING = collectEvents([]);

/** A file as its record keeps it; a batch's results' file names the batch instead of holding its text. */
interface FileRecord {
  readonly id: string;
  readonly filename: string;
  readonly purpose: string;
  readonly bytes: number;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly batch?: { readonly id: string; readonly kind: BatchFileKind };
  /** A file of bytes (not text): its media type; its content record holds base64. */
  readonly mediaType?: string;
  /** Its content in this many records (`{id}/content`, then `{id}/content-1`, …; CONTENT_PART); one when absent. */
  readonly parts?: number;
}

interface IndexEntry {
  readonly id: string;
  readonly purpose: string;
  /** When the file expires (an entry past it is dropped at the next upload). */
  readonly expiresAt?: number;
}

/** A file's text, its bytes, or the batch whose results it is. */
export type FileContent = { readonly text: string } | { readonly bytes: Buffer; readonly mediaType: string } | { readonly batch: { readonly id: string; readonly kind: BatchFileKind } };

/**
 * A protocol's files (FileRoutes: OpenAI `/v1/files`), kept in the caller's stored responses as
 * Batches keeps batches: a record per file (its name, purpose, size, times), its text in records
 * of a mebibyte (`{id}/content`, `{id}/content-1`, …: CONTENT_PART), and a list per caller. An upload is UTF-8 text (a batch's input lines). A
 * batch's results are files whose record names the batch: their lines are read from its results
 * when asked for (nothing is copied). A file lives until its `expires_after`, at most
 * `continuity.ttl` (the store keeps it no longer; `expires_at` says so).
 * @see spec/server/files.spec.ts
 */
export class BatchFileStore implements BatchFiles {
  constructor(private readonly routes: FileRoutes, private readonly responses: StoredResponses, private readonly now: () => number = Date.now) {}

  /** Keeps an upload of at most `maxBytes`; answers its file object. */
  async upload(upload: FileUpload, maxBytes: number, retentionMs: number, maxFiles = MAX_FILES): Promise<unknown> {
    const { purpose, filename, expiresAfterMs, text: isText, mediaType } = this.routes.upload(upload);
    const bytes = upload.file!.bytes;
    if (bytes.byteLength > maxBytes) {
      throw new LipError('LIP_ERR_REQUEST_TOO_LARGE', `file: ${bytes.byteLength} bytes is more than this server keeps (server.max_batch_body_bytes: ${maxBytes})`, { param: 'file' });
    }
    let text: string;
    if (isText) {
      try {
        // The text as sent, a byte order mark too (its content is answered byte for byte).
        text = await utf8Text(bytes);
      } catch {
        throw new LipError('LIP_ERR_REQUEST_INVALID', 'file: must be UTF-8 text (JSON lines)', { param: 'file' });
      }
    } else {
      text = await base64Text(bytes);
    }
    const now = this.now();
    const parts = Math.max(1, Math.ceil(text.length / CONTENT_PART));
    const record: FileRecord = {
      id: randomId(this.routes.idPrefix, 24), filename, purpose, bytes: bytes.byteLength, createdAt: now,
      expiresAt: now + Math.min(expiresAfterMs ?? retentionMs, retentionMs), ...(isText ? {} : { mediaType }), ...(parts > 1 ? { parts } : {}),
    };
    await this.responses.exclusive(this.indexKey(), async () => {
      const index = await this.readIndex();
      const live = index.entries.filter((e) => e.expiresAt === undefined || e.expiresAt > now);
      if (live.length >= maxFiles) {
        throw new LipError('LIP_ERR_REQUEST_LIMIT_EXCEEDED', `this caller keeps ${maxFiles} files already; delete some first`, { param: 'file' });
      }
      for (let k = 0; k < parts; k++) {
        if (k > 0) await turn();
        this.responses.save({ id: partId(record.id, k), input: [], output: NOTHING, echo: { [CONTENT]: text.slice(k * CONTENT_PART, (k + 1) * CONTENT_PART) } });
      }
      this.saveRecord(record);
      this.saveIndex([{ id: record.id, purpose, expiresAt: record.expiresAt }, ...live]);
    });
    return this.routes.object(viewOf(record));
  }

  async retrieve(id: string): Promise<unknown> {
    return this.routes.object(viewOf(await this.find(id, 'file_id')));
  }

  /** A file's text, or the batch whose results it is. */
  async content(id: string): Promise<FileContent> {
    const record = await this.find(id, 'file_id');
    if (this.routes.notDownloadable !== undefined) throw new LipError('LIP_ERR_REQUEST_INVALID', `${id}: ${this.routes.notDownloadable}`, { param: 'file_id' });
    if (record.batch !== undefined) return { batch: record.batch };
    const stored = await this.stored(record, 'file_id');
    return record.mediaType === undefined ? { text: stored } : { bytes: Buffer.from(stored, 'base64'), mediaType: record.mediaType };
  }

  async text(id: string, param: string): Promise<string> {
    const record = await this.find(id, param);
    if (record.batch !== undefined) throw new LipError('LIP_ERR_REQUEST_INVALID', `${param}: ${id} holds the results of a batch, not input lines`, { param });
    if (record.mediaType !== undefined) throw new LipError('LIP_ERR_REQUEST_INVALID', `${param}: ${id} is a file of purpose ${record.purpose}, not a batch's input lines`, { param });
    return this.stored(record, param);
  }

  /** The caller's file `id` of bytes, as a request carries it inline; undefined when lip holds no such file of theirs. */
  async inline(id: string): Promise<StoredFile | undefined> {
    const record = id.startsWith(this.routes.idPrefix) && !id.includes('/') ? await this.load(id) : undefined;
    if (record === undefined || record.mediaType === undefined) return undefined;
    return { filename: record.filename, mediaType: record.mediaType, data: await this.stored(record, 'file_id') };
  }

  /** What a file's content records hold (its text, or its bytes in base64), read a record a turn. */
  private async stored(record: FileRecord, param: string): Promise<string> {
    const texts: string[] = [];
    for (let k = 0; k < (record.parts ?? 1); k++) {
      if (k > 0) await turn();
      const content = (await loaded(this.responses, partId(record.id, k)))?.echo?.[CONTENT];
      if (typeof content !== 'string') throw notFound(record.id, param);
      texts.push(content);
    }
    return texts.join('');
  }

  async list(query: URLSearchParams): Promise<unknown> {
    const { limit, afterId, beforeId, order, purpose, only } = this.routes.listQuery(query);
    const wanted = only === undefined ? undefined : new Set(only);
    let listed = (await this.readIndex()).entries.filter((e) => (purpose === undefined || e.purpose === purpose) && (wanted === undefined || wanted.has(e.id)));
    if (order === 'asc') listed = listed.reverse();
    const { entries, newerLeft } = fromCursor(listed, { afterId, beforeId, limit });
    const objects: unknown[] = [];
    const ids: string[] = [];
    let hasMore = false;
    for (const entry of entries) {
      if (objects.length === limit) {
        hasMore = true;
        break;
      }
      const record = await this.load(entry.id);
      if (record === undefined) continue;
      objects.push(this.routes.object(viewOf(record)));
      ids.push(record.id);
    }
    return this.routes.list(objects, ids[0], ids[ids.length - 1], newerLeft ?? hasMore);
  }

  async delete(id: string): Promise<unknown> {
    const record = await this.find(id, 'file_id');
    await this.responses.exclusive(this.indexKey(), async () => {
      const index = await this.readIndex();
      for (let k = 0; k < (record.parts ?? 1); k++) await dropped(this.responses.delete(partId(id, k)));
      await dropped(this.responses.delete(id));
      this.saveIndex(index.entries.filter((e) => e.id !== id));
    });
    return this.routes.deleted(id);
  }

  /** The files of an ended batch's results (a file only for lines there are); their ids. */
  async saveResults(batchId: string, bytes: Readonly<Record<BatchFileKind, number>>, now: number, retentionMs: number): Promise<Partial<Record<BatchFileKind, string>>> {
    const made: Partial<Record<BatchFileKind, string>> = {};
    const records: FileRecord[] = [];
    for (const kind of ['output', 'error'] as const) {
      if (bytes[kind] === 0) continue;
      const record: FileRecord = {
        id: randomId(this.routes.idPrefix, 24), filename: `${batchId}_${kind}.jsonl`, purpose: this.routes.resultsPurpose ?? 'batch_output', bytes: bytes[kind],
        createdAt: now, expiresAt: now + retentionMs, batch: { id: batchId, kind },
      };
      records.push(record);
      made[kind] = record.id;
    }
    if (records.length === 0) return made;
    await this.responses.exclusive(this.indexKey(), async () => {
      const index = await this.readIndex();
      for (const record of records) this.saveRecord(record);
      this.saveIndex([...records.reverse().map((r) => ({ id: r.id, purpose: r.purpose, expiresAt: r.expiresAt })), ...index.entries]);
    });
    return made;
  }

  /** The caller's unexpired file `id`; the 404 naming `param` otherwise. */
  private async find(id: string, param: string): Promise<FileRecord> {
    const record = id.startsWith(this.routes.idPrefix) && !id.includes('/') ? await this.load(id) : undefined;
    if (record === undefined) throw notFound(id, param);
    return record;
  }

  private async load(id: string): Promise<FileRecord | undefined> {
    const r = (await loaded(this.responses, id))?.echo?.[FILE] as FileRecord | undefined;
    return typeof r === 'object' && r !== null && typeof r.bytes === 'number' && r.expiresAt > this.now() ? r : undefined;
  }

  /** A batch's results' file is durable (ResponseRecord.durable), as the batch's own records are. */
  private saveRecord(record: FileRecord): void {
    this.responses.save({ id: record.id, input: [], output: NOTHING, echo: { [FILE]: record }, ...(record.batch !== undefined ? { durable: true } : {}) });
  }

  /** The caller's list of files, newest first: a record whose id only that caller's stored responses can hold. */
  private async readIndex(): Promise<{ entries: IndexEntry[] }> {
    const entries = (await loaded(this.responses, this.indexId()))?.echo?.[INDEX];
    return { entries: Array.isArray(entries) ? entries as IndexEntry[] : [] };
  }

  private saveIndex(entries: readonly IndexEntry[]): void {
    this.responses.save({ id: this.indexId(), input: [], output: NOTHING, echo: { [INDEX]: entries }, durable: true });
  }

  private indexId(): string {
    return derivedId(this.routes.listPrefix ?? 'files/list-', this.responses.principal, 32);
  }

  private indexKey(): string {
    return `files:${this.indexId()}`;
  }
}

function viewOf(r: FileRecord): FileView {
  return { id: r.id, filename: r.filename, purpose: r.purpose, bytes: r.bytes, createdAt: r.createdAt, expiresAt: r.expiresAt, ...(r.mediaType !== undefined ? { mediaType: r.mediaType } : {}) };
}

/** The record of part `k` of file `id`'s content. */
function partId(id: string, k: number): string {
  return k === 0 ? `${id}/content` : `${id}/content-${k}`;
}

/** A turn of the event loop between two records of a file's content. */
function turn(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

function notFound(id: string, param: string): LipError {
  return new LipError('LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND', `no file with id ${id}`, { param });
}
