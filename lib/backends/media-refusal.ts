import { bindingMediaFields, FILE_STORES, type Call, type FilePart, type FileStore, type ImagePart, type Part } from '../canonical/index.js';
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

/**
 * A backend row's `media_urls`: `pass` (the default) sends an image or document given by URL on
 * to the provider, which may fetch it; `refuse` refuses it (mediaUrlRefusal), for a self-hosted
 * server that would fetch whatever its network reaches.
 */
export const MEDIA_URLS_PROPERTY: Record<string, unknown> = { enum: ['pass', 'refuse'], default: 'pass' };

/**
 * The 400 for a call that gives an image or document by URL (in a message or a tool's result; a
 * `data:` URL is inline) to a backend whose row says `media_urls: refuse`, before anything is
 * sent; undefined for a call with every medium inline. Retryable, so that a route moves on to a
 * candidate that takes it.
 *
 * ```ts
 * mediaUrlRefusal('vllm backend "local"', call) // a call with image_url https://example.com/cat.png
 * // vllm backend "local" takes images and documents inline only (media_urls: refuse), not by URL ("https://example.com/cat.png"); ...
 * ```
 * @see spec/e2e/regression-client-media-urls.spec.ts
 */
export function mediaUrlRefusal(backend: string, call: Call): LipError | undefined {
  for (const message of call.messages) {
    for (const part of message.parts) {
      const url = mediaUrlOf(part);
      if (url === undefined) continue;
      return new LipError('LIP_ERR_REQUEST_UNSUPPORTED', `${backend} takes images and documents inline only (media_urls: refuse), not by URL (${JSON.stringify(url.slice(0, 120))}); send them inline (base64 or a data: URL), or route them to another backend`, {
        retryable: true, detail: { backend },
      });
    }
  }
  return undefined;
}

/** The URL a part (or a part of a tool's result) gives a medium by; undefined for inline media and other parts. */
function mediaUrlOf(part: Part): string | undefined {
  if (part.type === 'tool_result') {
    if (typeof part.content === 'string') return undefined;
    for (const inner of part.content) {
      const url = mediaUrlOf(inner);
      if (url !== undefined) return url;
    }
    return undefined;
  }
  if (part.type !== 'image' && part.type !== 'file') return undefined;
  return part.data === undefined && part.url !== undefined && !/^data:/i.test(part.url) ? part.url : undefined;
}

/**
 * For every backend but those of the fields' dialect: a call with an image or file whose provider
 * fields change what the model reads of it (bindingMediaFields: a Gemini client's `videoMetadata`,
 * a stretch of a video at a frame rate) is refused before anything is sent, retryable, so that a
 * route moves on to a backend that reads them; its model never reads the whole file in place of
 * what was asked for.
 *
 * ```ts
 * refuseForeignMediaFields(call, 'x')
 * // LipError: x cannot read a stretch of a video, at a frame rate (videoMetadata); route it to a backend that reads it (gemini)
 * ```
 * @see spec/backends/media-refusal.spec.ts
 */
export function refuseForeignMediaFields(call: Call, backend: string): void {
  const media = (p: Part): readonly (ImagePart | FilePart)[] => (p.type === 'image' || p.type === 'file' ? [p]
    : p.type === 'tool_result' && typeof p.content !== 'string' ? p.content.filter((c): c is ImagePart | FilePart => c.type === 'image' || c.type === 'file') : []);
  const binding = call.messages.flatMap((m) => m.parts.flatMap(media)).flatMap((p) => bindingMediaFields(p.providerFields));
  if (binding.length === 0) return;
  const { field, what, readers } = binding[0]!;
  throw new LipError('LIP_ERR_REQUEST_UNSUPPORTED', `${backend} cannot read ${what} (${field}); route it to a backend that reads it (${readers})`, {
    retryable: true, detail: { backend, fields: [field] },
  });
}
