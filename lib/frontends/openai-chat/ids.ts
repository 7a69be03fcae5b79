import type { EncodeContext } from '../protocol.js';
import { wireId } from '../protocol.js';

/** `chatcmpl-` + 24 base62 characters, like OpenAI's ids (deterministic with `context.newId`). */
export function completionId(context: Pick<EncodeContext, 'newId'> = {}): string {
  return wireId(context, 'chatcmpl-');
}
