import type { IncomingMessage } from 'node:http';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { Transform } from 'node:stream';
import { LipError } from '../errors/index.js';
import { lineColumn, locateJsonError } from './json-position.js';
import { checkJsonShape } from './json-shape.js';

/** Bytes beyond the limit that are still read (and discarded) so the client sees our 413. */
const DRAIN_ALLOWANCE = 64 * 1024 * 1024;

function decoder(encoding: string | undefined): Transform | undefined {
  switch ((encoding ?? 'identity').trim().toLowerCase()) {
    case 'identity': case '': return undefined;
    case 'gzip': case 'x-gzip': return createGunzip();
    case 'deflate': return createInflate();
    case 'br': return createBrotliDecompress();
    default:
      throw new LipError('LIP_ERR_REQUEST_INVALID', `unsupported Content-Encoding "${encoding}" (use gzip, deflate, br or none)`, { status: 415 });
  }
}

function tooLarge(limit: number, setting: string): LipError {
  return new LipError('LIP_ERR_REQUEST_TOO_LARGE', `request body exceeds the limit of ${limit} bytes (${setting})`);
}

/** Told the size of a body as it becomes known (declared, then read); may throw to refuse it. */
export interface BodyWeigher {
  grow(bytes: number): void;
}

/**
 * Reads a request body into one Buffer, refusing more than `limit` bytes (after
 * decompression). On overflow the rest of the body is drained, not reset, so the client can
 * read the 413 that follows; a body far beyond the limit gets its connection destroyed.
 * `weigher` (decode admission) hears the declared length first, then the running size, and
 * refuses the body by throwing. `setting` is what the 413 names as the limit.
 */
export function readBody(req: IncomingMessage, limit: number, weigher?: BodyWeigher, setting = 'server.max_request_body_bytes'): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    let source: NodeJS.ReadableStream = req;
    let inflate: Transform | undefined;
    try {
      inflate = decoder(req.headers['content-encoding']);
    } catch (err) {
      drain(req);
      reject(err);
      return;
    }
    if (!inflate && Number.isFinite(declared) && declared > limit) {
      drain(req);
      reject(tooLarge(limit, setting));
      return;
    }
    if (weigher && !inflate && Number.isFinite(declared)) {
      try {
        weigher.grow(declared);
      } catch (err) {
        drain(req);
        reject(err);
        return;
      }
    }
    if (inflate) source = req.pipe(inflate);
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err?: unknown) => {
      if (done) return;
      done = true;
      source.removeListener('data', onData);
      if (err) {
        drain(req);
        inflate?.destroy();
        reject(err);
      } else resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return finish(tooLarge(limit, setting));
      if (weigher) {
        try {
          weigher.grow(size);
        } catch (err) {
          return finish(err);
        }
      }
      chunks.push(chunk);
    };
    source.on('data', onData);
    source.once('end', () => finish());
    source.once('error', (err: Error) => finish(inflate && err !== undefined
      ? new LipError('LIP_ERR_REQUEST_INVALID', `the request body cannot be decompressed: ${err.message}`)
      : err));
    req.once('aborted', () => finish(new LipError('LIP_ERR_REQUEST_INVALID', 'the client aborted the request body')));
  });
}

function drain(req: IncomingMessage): void {
  let drained = 0;
  req.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > DRAIN_ALLOWANCE) req.destroy();
  });
  req.resume();
}

/**
 * Parses a JSON body. Its shape is checked first (checkJsonShape: nesting depth 128, 100,000
 * elements per container, 16 KiB keys), so that nothing that walks the parsed value can
 * overflow the stack: a violation is a 400 `LIP_ERR_REQUEST_LIMIT_EXCEEDED` naming the limit
 * and where. A syntax error becomes a 400 whose message gives line, column and what was
 * expected, e.g. `malformed JSON at line 3, column 14: expected ',' or '}', found "\""`.
 */
export function parseJson(body: Buffer | string): unknown {
  let text = typeof body === 'string' ? body : body.toString('utf8');
  // A leading byte order mark is ignored (RFC 8259 section 8.1 allows it; some clients send one).
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  checkJsonShape(text);
  try {
    return JSON.parse(text);
  } catch {
    if (text.trim().length === 0) throw new LipError('LIP_ERR_REQUEST_INVALID_JSON', 'malformed JSON: the request body is empty');
    const { offset, reason } = locateJsonError(text);
    const { line, column } = lineColumn(text, offset);
    throw new LipError('LIP_ERR_REQUEST_INVALID_JSON', `malformed JSON at line ${line}, column ${column}: ${reason}`, {
      detail: { offset, line, column },
    });
  }
}

/** What a failure of readJsonBody left of the body: its text (read, not parsed), or `unread` (not read whole). */
const failedBodies = new WeakMap<object, string | typeof UNREAD>();
const UNREAD = Symbol('unread');

/**
 * The body a readJsonBody failure was about: its text when it was read but is no JSON lip takes
 * (a recording keeps it, so that a replay parses it again), `unread` when it was not read whole
 * (too large, aborted, not decompressable, refused by decode admission); undefined for any other error.
 */
export function failedBodyOf(err: unknown): { readonly text: string } | 'unread' | undefined {
  const body = typeof err === 'object' && err !== null ? failedBodies.get(err) : undefined;
  return body === undefined ? undefined : body === UNREAD ? 'unread' : { text: body };
}

/** Reads and parses a request body (readBody, then parseJson with its shape limits); a failure tells failedBodyOf what it left. */
export async function readJsonBody(req: IncomingMessage, limit: number, weigher?: BodyWeigher, setting?: string): Promise<unknown> {
  let bytes: Buffer;
  try {
    bytes = await readBody(req, limit, weigher, setting);
  } catch (err) {
    if (typeof err === 'object' && err !== null) failedBodies.set(err, UNREAD);
    throw err;
  }
  try {
    return parseJson(bytes);
  } catch (err) {
    if (typeof err === 'object' && err !== null) failedBodies.set(err, bytes.toString('utf8'));
    throw err;
  }
}
