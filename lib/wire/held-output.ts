import { COLLECT_LIMITS } from '../canonical/index.js';
import { LipError } from '../errors/index.js';

/** What a stream encoder holds back: text, reasoning, or tool-call arguments. */
export type HeldKind = 'text' | 'reasoning' | 'args';

const LIMITS: Readonly<Record<HeldKind, number>> = {
  text: COLLECT_LIMITS.textChars,
  reasoning: COLLECT_LIMITS.reasoningChars,
  args: COLLECT_LIMITS.toolArgsChars,
};
const NAMES: Readonly<Record<HeldKind, string>> = { text: 'response text', reasoning: 'reasoning', args: 'tool arguments' };

/**
 * Counts what a stream encoder keeps in memory after sending it (the Responses protocol repeats
 * the whole output in its `.done` and `response.completed` events; Gemini sends a tool call only
 * once its arguments are complete; Anthropic queues a block while another streams), or what a
 * stream stage holds before letting it go (reactToTools a tool call until its end, gateCompletion
 * the whole completion), so that an upstream that streams forever cannot grow it without bound. The limits are collect()'s
 * (COLLECT_LIMITS): the same answer is refused whether the client streams or not.
 *
 * ```ts
 * const held = new HeldOutput();
 * held.add('text', delta.length);   // throws LIP_ERR_RESPONSE_TOO_LARGE past 64 Mi characters
 * ```
 * @see spec/wire/held-output.spec.ts
 */
export class HeldOutput {
  private readonly held: Record<HeldKind, number> = { text: 0, reasoning: 0, args: 0 };

  constructor(private readonly limits: Readonly<Record<HeldKind, number>> = LIMITS) {}

  /** Counts `chars` more of `kind`. @throws LipError LIP_ERR_RESPONSE_TOO_LARGE (502) past the limit. */
  add(kind: HeldKind, chars: number): void {
    const total = (this.held[kind] += chars);
    if (total > this.limits[kind]) {
      throw new LipError('LIP_ERR_RESPONSE_TOO_LARGE', `the streamed response holds more than ${this.limits[kind]} characters of ${NAMES[kind]}`);
    }
  }

  /** Forgets what was counted: what was held has been let go (a stream stage released it). */
  clear(): void {
    this.held.text = this.held.reasoning = this.held.args = 0;
  }
}
