import type { Readable } from 'node:stream';
import { jsonTextTooDeep, MAX_UPSTREAM_DEPTH } from '../../wire/json-depth.js';

/** How much of an upstream error body is read (the rest is discarded). */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;

/**
 * Reads a (small) upstream body as text, at most `limit` bytes; a longer body is cut and its
 * connection released. Rejects when the body fails or the signal aborts, unless `partial`: then
 * what arrived before the failure is the text (an error status's body that stalls or is cut still
 * has its status, which says more than the failure of its body).
 *
 * ```ts
 * const text = await readBodyText(res.body, MAX_ERROR_BODY_BYTES);
 * ```
 */
export async function readBodyText(body: Readable, limit: number = MAX_ERROR_BODY_BYTES, partial = false): Promise<string> {
  return (await readBodyBytes(body, limit, partial)).toString('utf8');
}

/** The same as bytes (a download that is not text: a country database). */
export function readBodyBytes(body: Readable, limit: number, partial = false): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks));
    };
    body.on('data', (chunk: Buffer | string) => {
      if (done) return;
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      const room = limit - size;
      chunks.push(buf.length > room ? buf.subarray(0, room) : buf);
      size += Math.min(buf.length, room);
      if (size >= limit) {
        finish();
        body.destroy();
      }
    });
    body.once('end', finish);
    body.once('error', (err) => {
      if (partial) return finish();
      if (done) return;
      done = true;
      reject(err);
    });
  });
}

/**
 * Parses JSON text, or undefined when it is not JSON (upstream error pages are often HTML) or
 * nests deeper than the upstream bound (lib/wire/json-depth.ts: deep nesting is slow to parse).
 */
export function parseJsonOrUndefined(text: string): unknown {
  if (jsonTextTooDeep(text, MAX_UPSTREAM_DEPTH) >= 0) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
