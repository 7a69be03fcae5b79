import type { Readable } from 'node:stream';
import type { Subscriber } from 'rxjs';
import { isOutputEvent, type LipEvent } from '../../canonical/index.js';
import { isLipError, LipError } from '../../errors/index.js';
import { checkUpstreamJson } from '../../wire/json-depth.js';
import { classifyTransportError } from './classify-transport-error.js';
import type { AbortLike } from './upstream-abort.js';
import { endedBeforeFinish } from './upstream-status-error.js';

/** The body limit when `http_client.max_line_bytes` is not given (its documented default, 16 MiB). */
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/**
 * Turns one provider's complete JSON answer (a non-streamed generation) into the canonical
 * events its stream decoder would have produced for the same answer. One instance per attempt.
 * `decode` appends to `out` and throws a LipError for an in-body upstream error (through the
 * kind's classify-error.ts) or a body that lacks what the protocol requires.
 */
export interface ResponseDecoder {
  decode(body: Record<string, any>, out: LipEvent[]): void;
}

/** A 2xx body that breaks the provider's protocol (not JSON, required fields missing). */
export function malformedResponse(backendId: string, what: string): LipError {
  return new LipError('LIP_ERR_UPSTREAM_MALFORMED', `backend "${backendId}": malformed upstream response: ${what}`, { detail: { backend: backendId } });
}

/**
 * Parses a whole response body as a JSON object, or throws LIP_ERR_UPSTREAM_MALFORMED. A byte
 * order mark before it is skipped, as the Fetch standard's `json()` (and so the providers' own
 * SDKs) skip it.
 */
export function parseResponseBody(backendId: string, text: string): Record<string, any> {
  let value: unknown;
  try {
    value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    throw malformedResponse(backendId, `the body is not JSON (${JSON.stringify(text.slice(0, 80))})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw malformedResponse(backendId, 'the body is not a JSON object');
  return value as Record<string, any>;
}

/**
 * The provider's error in a 200 JSON body that answered a streamed request (a compatible server
 * or a gateway that reports errors so), as the kind's whole-answer decoder classifies it; undefined
 * when the body is no such error (an answer to a request whose `stream: true` was ignored, or not
 * JSON at all).
 */
export function inBodyError(backendId: string, decoder: ResponseDecoder, text: string): LipError | undefined {
  try {
    decoder.decode(parseResponseBody(backendId, text), []);
  } catch (err) {
    if (isLipError(err) && err.code !== 'LIP_ERR_UPSTREAM_MALFORMED') return err;
  }
  return undefined;
}

/** What reading one whole answer needs from its attempt. */
export interface WholeRead {
  readonly backendId: string;
  readonly decoder: ResponseDecoder;
  /** The longest body accepted (`http_client.max_line_bytes`: the whole body is one JSON value). */
  readonly maxBytes?: number;
  readonly signal: AbortLike;
  /** Called once the body is read: the exchange is over, a teardown must not abort it. */
  settle(): void;
}

/**
 * Reads a non-streamed answer whole, decodes it and emits its events, then completes. An
 * abort (unsubscribe) while the body is in flight ends quietly; a body over the limit is
 * LIP_ERR_UPSTREAM_LIMIT_EXCEEDED; a body that fails is classified like a stream body failure;
 * an empty body is LIP_ERR_UPSTREAM_EMPTY_STREAM (retryable). An answer the decoder refuses, or
 * one without its finish, is judged as the same answer streamed would be, before any output:
 * the events before its first output (its start, its usage: the attempt is charged what it
 * used) are emitted, then the decoder's error, or for an answer without its finish
 * LIP_ERR_UPSTREAM_EMPTY_STREAM (nothing of it is output) or LIP_ERR_UPSTREAM_RESET (retryable
 * both: nothing reached the client, so routing may move on).
 *
 * ```
 * upstream: --H-----b--|      (H = headers, b = the JSON body)
 * events:   ---------(stf|)
 * events:   ---------(su#)    (an answer with usage and no finish: EMPTY_STREAM)
 * ```
 * @see spec/backends/http/read-whole-response.spec.ts
 */
export async function readWholeResponse(body: Readable, read: WholeRead, subscriber: Subscriber<LipEvent>): Promise<void> {
  let text: string;
  try {
    text = await readCapped(body, read.maxBytes ?? DEFAULT_MAX_RESPONSE_BYTES);
  } catch (err) {
    if (read.signal.aborted || subscriber.closed) return;
    if (err instanceof LipError) throw err;
    throw classifyTransportError(err, read.backendId, 'body');
  }
  if (read.signal.aborted || subscriber.closed) return;
  read.settle();
  if (text.trim() === '') {
    // Nothing at all (a byte order mark and white space at most): an answer that never came, as
    // a stream that ends before any output; not a malformed one.
    throw new LipError('LIP_ERR_UPSTREAM_EMPTY_STREAM', `backend "${read.backendId}": the upstream answered an empty body`, { detail: { backend: read.backendId } });
  }
  const out: LipEvent[] = [];
  checkUpstreamJson(read.backendId, text, 'the answer'); // deep nesting: refused before JSON.parse (lib/wire/json-depth.ts)
  const answer = parseResponseBody(read.backendId, text);
  let failure: unknown;
  try {
    read.decoder.decode(answer, out);
  } catch (err) {
    failure = err;
  }
  const finished = failure === undefined && out.length > 0 && out[out.length - 1]!.type === 'response_finished';
  // All of a finished answer; of one that failed, what came before its first output.
  const firstOutput = finished ? -1 : out.findIndex(isOutputEvent);
  const emitted = firstOutput < 0 ? out.length : firstOutput;
  for (let i = 0; i < emitted; i++) {
    if (subscriber.closed) return;
    subscriber.next(out[i]!);
  }
  if (!finished) throw failure ?? endedBeforeFinish(read.backendId, firstOutput >= 0, 'answer');
  subscriber.complete();
}

/** The body as text; rejects (and destroys the body) once it grows past `limit` bytes. */
function readCapped(body: Readable, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    body.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        body.on('error', () => undefined);
        body.destroy();
        reject(new LipError('LIP_ERR_UPSTREAM_LIMIT_EXCEEDED', `an upstream response body exceeded http_client.max_line_bytes (${limit} bytes)`));
        return;
      }
      chunks.push(chunk);
    });
    body.once('end', () => {
      if (done) return;
      done = true;
      resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, size).toString('utf8'));
    });
    body.once('error', (err) => {
      if (done) return;
      done = true;
      reject(err);
    });
  });
}
