import { LipError } from '../errors/index.js';

/** What a multipart upload may add around its file (the form's boundaries and other fields). */
export const FORM_OVERHEAD = 64 * 1024;

const CRLF = Buffer.from('\r\n');
const HEADERS_END = Buffer.from('\r\n\r\n');

/** One part of a `multipart/form-data` body: a field (no `filename`) or a file; `body` a view of the form's bytes. */
export interface FormPart {
  readonly name: string;
  /** A file's name as sent (`''` for a file without one); undefined for a field. */
  readonly filename?: string;
  /** A file's media type as a Blob keeps it (lower case; `text/plain` when not sent, `''` when not ASCII). */
  readonly type?: string;
  readonly body: Buffer;
}

/**
 * The parts of a `multipart/form-data` body (RFC 7578), read as the Fetch standard's
 * `formData()` reads them (a preamble and an epilogue ignored, `name` required, `filename` or
 * `filename*=utf-8''…`, a file's `Content-Type`), each part's body a view of `form`: a 30 MiB
 * upload is not copied once more for the form, nor again for its file (what `Response.formData()`
 * and `File.arrayBuffer()` cost: hundreds of milliseconds of the event loop).
 *
 * ```ts
 * const [purpose, file] = formParts(raw, 'multipart/form-data; boundary=x');
 * file.filename; // 'in.jsonl'
 * ```
 * A body that is not such a form throws a 400 LipError saying why.
 * @see spec/wire/form-data.spec.ts
 */
export function formParts(form: Buffer, contentType: string): FormPart[] {
  const boundary = boundaryOf(contentType);
  const delimiter = Buffer.from(`--${boundary}`, 'utf8');
  const next = Buffer.from(`\r\n--${boundary}`, 'utf8');
  const parts: FormPart[] = [];
  let at = form.indexOf(delimiter);
  if (at === -1) throw unreadable('no boundary found in the body');
  for (;;) {
    at += delimiter.length;
    // The closing delimiter: what follows is an epilogue.
    if (form[at] === 0x2d && form[at + 1] === 0x2d) return parts;
    if (form[at] !== 0x0d || form[at + 1] !== 0x0a) throw unreadable('a boundary is not followed by a line break');
    // The headers end at an empty line (at once, for a part without headers).
    const end = form.indexOf(HEADERS_END, at);
    if (end === -1) throw unreadable("a part's headers do not end");
    const head = headersOf(form.subarray(at + 2, Math.max(at + 2, end)).toString('utf8'));
    const start = end + HEADERS_END.length;
    const close = form.indexOf(next, start);
    if (close === -1) throw unreadable('a part does not end with a boundary');
    const body = form.subarray(start, close);
    parts.push(head.filename === undefined ? { name: head.name, body } : { name: head.name, filename: head.filename, type: blobType(head.type ?? 'text/plain'), body });
    at = close + CRLF.length;
  }
}

/** The `boundary` parameter of a `multipart/form-data` content type (a token or a quoted string). */
function boundaryOf(contentType: string): string {
  const match = /;\s*boundary\s*=\s*(?:"([^"]{1,200})"|([^\s;"]{1,200}))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  if (boundary === undefined) throw unreadable('its Content-Type has no boundary');
  return boundary;
}

/** A part's name, file name and media type, from its header lines. */
function headersOf(text: string): { name: string; filename?: string; type?: string } {
  let name: string | undefined;
  let filename: string | undefined;
  let type: string | undefined;
  for (const line of text === '' ? [] : text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw unreadable(`a part's header is not "name: value" (${JSON.stringify(line.slice(0, 64))})`);
    const header = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (header === 'content-type') type = value;
    if (header !== 'content-disposition') continue;
    const semicolon = value.indexOf(';');
    if ((semicolon === -1 ? value : value.slice(0, semicolon)).trim().toLowerCase() !== 'form-data') throw unreadable("a part's Content-Disposition is not form-data");
    name = undefined;
    filename = undefined;
    let extended = false;
    for (const [, key, star, quoted, token] of value.matchAll(/;\s*([^\s=;*]+)(\*?)\s*=\s*(?:"([^"\r\n]*)"|([^;\s]*))/g)) {
      const k = key!.toLowerCase();
      let v = quoted !== undefined ? quoted.replace(/%0A/gi, '\n').replace(/%0D/gi, '\r').replace(/%22/g, '"') : token!;
      if (star === '*') {
        // RFC 5987: utf-8''percent-encoded (the only charset a browser sends).
        const encoded = /^utf-8'[^']*'(.*)$/i.exec(v);
        if (encoded === null) throw unreadable(`${k}* is not utf-8'' encoded`);
        try {
          v = decodeURIComponent(encoded[1]!);
        } catch {
          throw unreadable(`${k}* is not percent-encoded UTF-8`);
        }
      }
      if (k === 'name') name = v;
      // `filename*` wins over `filename`, whichever comes first.
      else if (k === 'filename' && (star === '*' || !extended)) {
        filename = v;
        extended ||= star === '*';
      }
    }
  }
  if (name === undefined) throw unreadable('a part has no Content-Disposition name');
  return { name, ...(filename !== undefined ? { filename } : {}), ...(type !== undefined ? { type } : {}) };
}

/** A media type as a Blob keeps it: lower case, or empty when it is not printable ASCII. */
function blobType(type: string): string {
  return /^[\x20-\x7e]*$/.test(type) ? type.toLowerCase() : '';
}

function unreadable(why: string): LipError {
  return new LipError('LIP_ERR_REQUEST_INVALID', `the multipart/form-data body cannot be read: ${why}`);
}
