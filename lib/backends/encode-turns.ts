import type { Message, TextPart } from '../canonical/index.js';
import { jsonTextTooDeep, MAX_REQUEST_DEPTH, requestTooDeep } from '../wire/index.js';

type Json = Record<string, unknown>;

/** How one provider writes each canonical role as blocks of its turns (undefined blocks are left out). */
export interface TurnEncoding<R extends string> {
  /** The provider's name for the assistant's role (`assistant`, Gemini's `model`). */
  readonly assistantRole: R | 'user';
  user(message: Message): Json[];
  assistant(message: Message): Json[];
  /** Tool results: blocks of a user turn. */
  tool(message: Message): Json[];
  /**
   * Keep a user turn's blocks in the order they came (Gemini, which takes a turn's results
   * anywhere in it). Otherwise tool results lead the turn they join: Anthropic and Bedrock
   * Converse refuse a turn after tool calls that does not begin with their results.
   */
  readonly keepOrder?: boolean;
}

/**
 * Canonical messages -> a provider's alternating turns and its extra system text, for the
 * protocols with two roles (Anthropic, Bedrock Converse, Gemini): consecutive turns of one role
 * are merged, a turn with no blocks is left out, tool results join the user's turn (after its
 * results so far, before the user's own blocks, unless `keepOrder`: a Responses client may
 * send its text between a call and the call's output), and a system message anywhere in the
 * conversation joins the top-level system text.
 *
 * ```ts
 * encodeTurns(call.messages, encoding)
 * // { turns: [{ role: 'user', blocks: [{ type: 'text', text: 'hi' }] }], system: [] }
 * ```
 */
export function encodeTurns<R extends string>(messages: readonly Message[], encoding: TurnEncoding<R>): { turns: { role: R | 'user'; blocks: Json[] }[]; system: TextPart[] } {
  const turns: { role: R | 'user'; blocks: Json[] }[] = [];
  const system: TextPart[] = [];
  let results = 0; // how many tool result blocks lead the last turn
  const push = (role: R | 'user', blocks: Json[], areResults = false) => {
    if (blocks.length === 0) return;
    const last = turns[turns.length - 1];
    if (last?.role !== role) {
      turns.push({ role, blocks });
      results = 0;
    } else if (!areResults || encoding.keepOrder) {
      last.blocks.push(...blocks);
      return;
    } else {
      last.blocks.splice(results, 0, ...blocks);
    }
    if (areResults) results += blocks.length;
  };
  for (const message of messages) {
    switch (message.role) {
      case 'system':
        system.push(...message.parts.filter((p): p is TextPart => p.type === 'text'));
        break;
      case 'user':
        push('user', encoding.user(message));
        break;
      case 'assistant':
        push(encoding.assistantRole, encoding.assistant(message));
        break;
      case 'tool':
        push('user', encoding.tool(message), true);
        break;
    }
  }
  return { turns, system };
}

/**
 * A tool call's argument text as the JSON object the two-role protocols want for its input:
 * `{}` for blank or unparsable text, `{ value }` for JSON that is not an object; text nested
 * deeper than a request may be is refused (400) before it is parsed.
 */
export function toolInputObject(args: string): Json {
  if (args.trim().length === 0) return {};
  if (jsonTextTooDeep(args, MAX_REQUEST_DEPTH) >= 0) throw requestTooDeep("a tool call's arguments");
  try {
    const value: unknown = JSON.parse(args);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : { value };
  } catch {
    return {};
  }
}
