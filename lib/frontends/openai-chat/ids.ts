import { randomId } from '../../wire/ids.js';

/** `chatcmpl-` + 24 base62 characters, like OpenAI's ids. */
export function completionId(): string {
  return randomId('chatcmpl-');
}
