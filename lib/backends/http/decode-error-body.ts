import { PassThrough, type Readable, type Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

/** The content codings node:zlib decodes. */
const DECODERS: Readonly<Record<string, () => Transform>> = { gzip: createGunzip, 'x-gzip': createGunzip, deflate: createInflate, br: createBrotliDecompress };

/**
 * The plain bytes of an error answer's body that came compressed although lip asked for
 * `identity`, decoded as they arrive (gzip, deflate, br), so that the provider's message is read
 * as from any error body. What is inflated is bounded by its reader: readBodyText destroys the
 * body at its limit, and with it the decoder and the upstream body. Another encoding, bytes that
 * do not decode or a body that breaks off end it where they start: the status alone says what
 * failed.
 *
 * ```ts
 * const text = await readBodyText(decodeErrorBody(response.body, 'gzip'));
 * ```
 * @see spec/backends/http/regression-compressed-error-body.spec.ts
 */
export function decodeErrorBody(body: Readable, encoding: string): Readable {
  const plain = new PassThrough();
  const decoder = DECODERS[encoding]?.();
  if (decoder === undefined) {
    body.on('error', () => undefined); // destroying it reports an abort nobody listens to
    body.destroy();
    return plain.end();
  }
  // A body that breaks off ends the decoding, bytes that do not decode end the text: what was
  // decoded by then is the text.
  body.on('error', () => decoder.end());
  decoder.on('error', () => plain.end());
  body.pipe(decoder).pipe(plain);
  // The reader is done (at its limit, or thrown away): stop inflating and let the upstream body go.
  plain.once('close', () => {
    decoder.destroy();
    body.destroy();
  });
  return plain;
}
