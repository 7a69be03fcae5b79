import { isUtf8 } from 'node:buffer';
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
      drainBody(req);
      reject(err);
      return;
    }
    if (!inflate && Number.isFinite(declared) && declared > limit) {
      drainBody(req);
      reject(tooLarge(limit, setting));
      return;
    }
    if (weigher && !inflate && Number.isFinite(declared)) {
      try {
        weigher.grow(declared);
      } catch (err) {
        drainBody(req);
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
        drainBody(req);
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
    const aborted = () => finish(new LipError('LIP_ERR_REQUEST_INVALID', 'the client aborted the request body'));
    req.once('aborted', aborted);
    // A request destroyed before its body was read (the client left while lip waited, e.g. on a
    // Redis key-limit check) emits nothing more, not even 'aborted' again: without these the read
    // waited for ever, holding its decode-admission ticket, its key's slot and its runtime.
    req.once('close', () => { if (!req.readableEnded) aborted(); });
    if (req.destroyed) aborted();
  });
}

/**
 * Reads and drops what is left of a request body whose answer does not need it (a 413, a refusal
 * before the body), so that the client, still sending, can read the answer; a body more than
 * DRAIN_ALLOWANCE bytes beyond that gets its connection destroyed.
 */
export function drainBody(req: IncomingMessage): void {
  let drained = 0;
  req.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > DRAIN_ALLOWANCE) req.destroy();
  });
  req.resume();
}

/**
 * Parses a JSON body. Its bytes must be UTF-8 (RFC 8259 section 8.1): any other encoding is a
 * 400 naming the first byte that is not, instead of characters silently replaced (a Windows
 * PowerShell client sends ISO-8859-1, and "café" would reach the model as "caf\uFFFD").
 * Its shape is checked next (checkJsonShape: nesting depth 128, 100,000
 * elements per container, 16 KiB keys), so that nothing that walks the parsed value can
 * overflow the stack: a violation is a 400 `LIP_ERR_REQUEST_LIMIT_EXCEEDED` naming the limit
 * and where. A syntax error becomes a 400 whose message gives line, column and what was
 * expected, e.g. `malformed JSON at line 3, column 14: expected ',' or '}', found "\""`.
 */
export function parseJson(body: Buffer | string): unknown {
  if (typeof body !== 'string' && !isUtf8(body)) throw notUtf8(body);
  let text = typeof body === 'string' ? body : body.toString('utf8');
  // A leading byte order mark is ignored (RFC 8259 section 8.1 allows it; some clients send one).
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  checkJsonShape(text);
  try {
    return JSON.parse(text);
  } catch {
    if (text.trim().length === 0) throw new LipError('LIP_ERR_REQUEST_INVALID_JSON', 'malformed JSON: the request body is empty');
    // UTF-16 and UTF-32 without a byte order mark are valid UTF-8 (NULs beside each ASCII
    // character), and no JSON: UTF-32 has three NULs among its first four bytes, UTF-16 one of two.
    const nuls = [0, 1, 2, 3].filter((i) => i < text.length && text.charCodeAt(i) === 0).length;
    if (text.length > 3 && nuls === 3) {
      throw new LipError('LIP_ERR_REQUEST_INVALID_JSON', `the request body is not UTF-8: it looks like UTF-32 (three NUL bytes among its first four); ${SEND_UTF8}`);
    }
    if (text.length > 1 && (text.charCodeAt(0) === 0) !== (text.charCodeAt(1) === 0)) {
      throw new LipError('LIP_ERR_REQUEST_INVALID_JSON', `the request body is not UTF-8: it looks like UTF-16 (a NUL byte among its first two); ${SEND_UTF8}`);
    }
    const { offset, reason } = locateJsonError(text);
    const { line, column } = lineColumn(text, offset);
    throw new LipError('LIP_ERR_REQUEST_INVALID_JSON', `malformed JSON at line ${line}, column ${column}: ${reason}`, {
      detail: { offset, line, column },
    });
  }
}

const SEND_UTF8 = 'send JSON as UTF-8 (RFC 8259 section 8.1)';

/** The 400 for a body whose bytes are not UTF-8: where the first byte that is not is (line, column, byte offset). */
function notUtf8(bytes: Buffer): LipError {
  const fault = utf8Fault(bytes);
  return new LipError('LIP_ERR_REQUEST_INVALID_JSON', `the request body is not UTF-8: ${fault.what}; ${SEND_UTF8}`,
    { detail: fault.line === undefined ? { offset: fault.offset } : { offset: fault.offset, line: fault.line, column: fault.column } });
}

/**
 * Why bytes that `isUtf8` refused are not UTF-8, for a message (`what`): a UTF-32 or UTF-16 byte
 * order mark, or the first byte that is not, by line, column and byte offset.
 */
export function utf8Fault(bytes: Buffer): { readonly what: string; readonly offset: number; readonly line?: number; readonly column?: number } {
  // UTF-32's marks first: little-endian's begins as UTF-16's does (FF FE), then two NULs.
  if ((bytes[0] === 0xff && bytes[1] === 0xfe && bytes[2] === 0 && bytes[3] === 0) || (bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 0xfe && bytes[3] === 0xff)) {
    return { what: 'it starts with a UTF-32 byte order mark', offset: 0 };
  }
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return { what: 'it starts with a UTF-16 byte order mark', offset: 0 };
  }
  const offset = firstInvalidUtf8(bytes);
  const { line, column } = lineColumn(bytes.toString('utf8', 0, offset), Infinity);
  const byte = bytes[offset]!.toString(16).toUpperCase().padStart(2, '0');
  return { what: `byte 0x${byte} at line ${line}, column ${column} (byte ${offset}) is not valid UTF-8 (is it ISO-8859-1 or Windows-1252?)`, offset, line, column };
}

/**
 * The offset of the first byte of `bytes` that does not belong to a well-formed UTF-8 sequence
 * (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF); `bytes.length` when all do.
 * Runs only once `isUtf8` has said no.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    // The sequence's length and the range of its second byte (the others are 0x80-0xBF).
    let length: number, low = 0x80, high = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) length = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      length = 3;
      if (b === 0xe0) low = 0xa0;
      else if (b === 0xed) high = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      length = 4;
      if (b === 0xf0) low = 0x90;
      else if (b === 0xf4) high = 0x8f;
    } else return i;
    if (i + length > bytes.length) return i;
    const second = bytes[i + 1]!;
    if (second < low || second > high) return i;
    for (let k = 2; k < length; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) return i;
    i += length;
  }
  return i;
}

/**
 * What a request body that could not be taken left: its text (read, not parsed), its bytes when
 * they are not UTF-8 (one character per byte, as ISO-8859-1 maps them: a JSON string keeps
 * them exactly, and their ASCII stays readable, so redaction still finds secrets in it), or
 * `unread` (not read whole).
 */
export type FailedBody = { readonly text: string } | { readonly bytes: string } | 'unread';

const failedBodies = new WeakMap<object, FailedBody>();

/**
 * The body a readJsonBody failure was about: its text (or bytes) when it was read but is no JSON
 * lip takes (a recording keeps it, so that a replay parses it again), `unread` when it was not read whole
 * (too large, aborted, not decompressable, refused by decode admission); undefined for any other error.
 */
export function failedBodyOf(err: unknown): FailedBody | undefined {
  return typeof err === 'object' && err !== null ? failedBodies.get(err) : undefined;
}

/** A failed body's bytes again (`FailedBody`'s `bytes`), to be parsed again. */
export function failedBodyBytes(bytes: string): Buffer {
  return Buffer.from(bytes, 'latin1');
}

/** Reads and parses a request body (readBody, then parseJson with its shape limits); a failure tells failedBodyOf what it left. */
export async function readJsonBody(req: IncomingMessage, limit: number, weigher?: BodyWeigher, setting?: string): Promise<unknown> {
  let bytes: Buffer;
  try {
    bytes = await readBody(req, limit, weigher, setting);
  } catch (err) {
    if (typeof err === 'object' && err !== null) failedBodies.set(err, 'unread');
    throw err;
  }
  try {
    return parseJson(bytes);
  } catch (err) {
    if (typeof err === 'object' && err !== null) failedBodies.set(err, isUtf8(bytes) ? { text: bytes.toString('utf8') } : { bytes: bytes.toString('latin1') });
    throw err;
  }
}
