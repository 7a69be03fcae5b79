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
