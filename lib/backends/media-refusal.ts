import { FILE_STORES, type FilePart, type FileStore, type ImagePart } from '../canonical/index.js';
import { LipError } from '../errors/index.js';

/**
 * The 400 for an audio or video part sent to a backend whose API takes no such input, before
 * anything is sent: it names the backend, the kind of input and the part's media type, and the
 * backends that take it (`takers`, the caller's advice).
 *
 * ```ts
 * throw mediaRefusal('x', 'audio', 'audio/wav', 'y')
 * // x takes no audio input (audio/wav); route audio to a backend that takes it (y)
 * ```
 * @see spec/e2e/regression-inline-file-types.spec.ts
 */
export function mediaRefusal(backend: string, kind: 'audio' | 'video', mediaType: string, takers: string): LipError {
  return new LipError('LIP_ERR_REQUEST_UNSUPPORTED', `${backend} takes no ${kind} input (${mediaType}); route ${kind} to a backend that takes it (${takers})`);
}

/**
 * The 400 for an image of a type a backend's models cannot read (Claude's, directly or on
 * Bedrock, read PNG, JPEG, GIF and WebP), before anything is sent.
 *
 * ```ts
 * throw imageTypeRefusal('anthropic', 'image/heic')
 * // anthropic takes png, jpeg, gif and webp images, not image/heic
 * ```
 */
export function imageTypeRefusal(backend: string, mediaType: string | undefined): LipError {
  return new LipError('LIP_ERR_REQUEST_UNSUPPORTED', `${backend} takes png, jpeg, gif and webp images, not ${mediaType}`);
}

/**
 * The 400 for an image or file that names, by URL or file id, a file in another provider's store
 * (FILE_STORES), before anything is sent: the backend (reading `own`, none for a server of no such
 * provider) cannot read it, and its API would refuse it or fail to fetch it. Retryable, so that a
 * route moves on to a candidate that reads it (as for an Open Responses server and a file id).
 * Undefined for an inline part, a reference of the backend's own store, or one of no store's form
 * (a web URL).
 *
 * ```ts
 * throw foreignReference('x', undefined, { type: 'file', url: 'gs://bucket/doc.pdf' })
 * // x cannot read a file in Google's storage ("gs://bucket/doc.pdf"); send the file inline, or route it to a backend that reads it (gemini)
 * ```
 * @see spec/e2e/regression-foreign-file-references.spec.ts
 */
export function foreignReference(backend: string, own: FileStore | undefined, part: ImagePart | FilePart): LipError | undefined {
  if (part.data !== undefined) return undefined;
  const reference = part.type === 'file' && part.fileId ? part.fileId : part.url;
  const store = reference === undefined ? undefined : Object.values<FileStore>(FILE_STORES).find((s) => s.holds(reference));
  if (store === undefined || store === own) return undefined;
  return new LipError('LIP_ERR_REQUEST_UNSUPPORTED', `${backend} cannot read a file in ${store.name} (${JSON.stringify(reference!.slice(0, 120))}); send the file inline, or route it to a backend that reads it (${store.readers})`, {
    retryable: true, detail: { backend },
  });
}
