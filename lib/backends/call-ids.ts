import type { Call, Message, Part } from '../canonical/index.js';
import { isPortable, portableName } from './tool-namespaces.js';

/**
 * What a provider takes as the id of a tool call in the history (and of the result answering
 * it): `chars: 'portable'` only `[a-zA-Z0-9_-]` (Anthropic, Bedrock), `any` anything; at most
 * `max` characters (OpenAI Chat 40, OpenAI Responses 64, Bedrock 64).
 */
export interface CallIdRule {
  readonly chars: 'portable' | 'any';
  readonly max: number;
}

/**
 * Tool call ids another provider made that this one refuses (Kimi's `functions.Bash:0` at
 * Anthropic, a 46-character id at OpenAI Chat, a 116-character one at the Responses API: each a
 * 400 for the whole request when a conversation moves between providers): the history's calls
 * and the results answering them are sent under one id that fits the rule (characters outside
 * `[a-zA-Z0-9_-]` as `_` where the rule says so, cut and tagged with a hash of the whole when too
 * long or taken), the same on every turn. Nothing comes back under them: the model's new calls
 * have the provider's own ids. A call whose ids all fit is returned as it is, and ids that fit
 * are never changed (Kimi wants its own back as it wrote them).
 *
 * ```ts
 * portableCallIds(call, { chars: 'portable', max: 128 }) // 'functions.Bash:0' -> 'functions_Bash_0'
 * ```
 * @see spec/backends/call-ids.spec.ts
 */
export function portableCallIds(call: Call, rule: CallIdRule | undefined): Call {
  if (rule === undefined || allFit(call, rule)) return call;
  const taken = new Set<string>();
  const bad: string[] = [];
  for (const m of call.messages) {
    for (const p of m.parts) {
      const id = p.type === 'tool_call' ? p.id : p.type === 'tool_result' ? p.callId : undefined;
      if (id === undefined) continue;
      if (fits(id, rule)) taken.add(id);
      else if (!bad.includes(id)) bad.push(id);
    }
  }
  const ids = new Map<string, string>();
  for (const id of bad) {
    const out = portableName(id, id, taken, rule.max, rule.chars);
    taken.add(out);
    ids.set(id, out);
  }
  return { ...call, messages: call.messages.map((m) => renamed(m, ids)) };
}

function fits(id: string, rule: CallIdRule): boolean {
  return rule.chars === 'any' ? id.length > 0 && id.length <= rule.max : isPortable(id, rule.max);
}

function allFit(call: Call, rule: CallIdRule): boolean {
  for (const m of call.messages) {
    if (m.role !== 'assistant' && m.role !== 'tool') continue;
    for (const p of m.parts) {
      if (p.type === 'tool_call' && !fits(p.id, rule)) return false;
      if (p.type === 'tool_result' && !fits(p.callId, rule)) return false;
    }
  }
  return true;
}

function renamed(message: Message, ids: ReadonlyMap<string, string>): Message {
  if (!message.parts.some((p) => (p.type === 'tool_call' && ids.has(p.id)) || (p.type === 'tool_result' && ids.has(p.callId)))) return message;
  return {
    ...message,
    parts: message.parts.map((p): Part => {
      if (p.type === 'tool_call' && ids.has(p.id)) return { ...p, id: ids.get(p.id)! };
      if (p.type === 'tool_result' && ids.has(p.callId)) return { ...p, callId: ids.get(p.callId)! };
      return p;
    }),
  };
}
