import type { Call } from '../../../canonical/index.js';

/**
 * The call with `suffix` appended to the first text part of the first user message that has
 * one (the same call when there is none, or the suffix is empty). Shared by the reference
 * plugins that touch the user's text.
 */
export function appendToFirstUserText(call: Call, suffix: string): Call {
  if (suffix === '') return call;
  const m = call.messages.findIndex((msg) => msg.role === 'user' && msg.parts.some((p) => p.type === 'text'));
  if (m < 0) return call;
  const message = call.messages[m]!;
  const p = message.parts.findIndex((part) => part.type === 'text');
  const part = message.parts[p] as { type: 'text'; text: string };
  const parts = message.parts.map((x, i) => (i === p ? { ...part, text: part.text + suffix } : x));
  return { ...call, messages: call.messages.map((x, i) => (i === m ? { ...message, parts } : x)) };
}
