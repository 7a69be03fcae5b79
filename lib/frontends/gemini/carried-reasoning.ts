import type { Part } from '../../canonical/index.js';
import { REASONING_DIALECTS } from '../../canonical/index.js';
import { carrySignature, sealTurnBase64, type CallSignature, type CarriedState } from '../state-envelope.js';

const NATIVE = REASONING_DIALECTS.geminiThought;

/**
 * Another provider's sealed reasoning (an Anthropic thinking signature, OpenAI encrypted
 * reasoning) a second time, on the first part after it that is not a thought. lip writes that
 * state on thought parts, and Gemini CLI keeps no thought part in its history (it keeps the
 * others, their `thoughtSignature` too, where Gemini puts its own signatures): without a copy the
 * next turn would reach the provider without its reasoning (OpenAI refuses a tool call without
 * its reasoning item; Anthropic's thinking is turned off for the loop). So each such state is
 * held, with its text (Anthropic checks the signature against it), until a text or `functionCall`
 * part is written, whose `thoughtSignature` then carries it in the turn form (state-envelope.ts),
 * beside the call's own signature; decode-contents.ts puts it back before that part, unless the
 * thought parts came back too. A part with Gemini's own signature carries nothing (Gemini's
 * signatures go back exactly as Gemini wrote them), and Gemini's own reasoning is never held.
 *
 * ```ts
 * const carried = new CarriedReasoning();
 * carried.hold({ dialect: 'anthropic.thinking', text: 'Plan.', signature: 'sig' });
 * carried.signatureFor()  // 'bGlwMSs…': the next text or functionCall part's thoughtSignature
 * ```
 * @see spec/frontends/gemini/carried-reasoning.spec.ts
 */
export class CarriedReasoning {
  private held: CarriedState[] = [];

  /** Holds a reasoning state of another dialect (Gemini's own and an unknown one are not held). */
  hold(state: CarriedState): void {
    if (state.dialect === NATIVE || state.dialect === '') return;
    if (state.signature === undefined && state.opaque === undefined) return;
    this.held.push(state);
  }

  /**
   * The `thoughtSignature` of a text or `functionCall` part with `own` signature (a call's):
   * Gemini's own (or one of no known dialect) verbatim, carrying nothing; else the held reasoning
   * and the call's signature in the turn form (then nothing is held), or the call's signature
   * sealed as before when nothing is held; undefined when there is neither.
   */
  signatureFor(own?: { readonly signature: string; readonly dialect?: string }): string | undefined {
    if (own !== undefined && (own.dialect === undefined || own.dialect === NATIVE)) return own.signature;
    if (this.held.length === 0) return own !== undefined ? carrySignature(own.signature, own.dialect, NATIVE, true) : undefined;
    const call: CallSignature | undefined = own !== undefined ? { dialect: own.dialect!, signature: own.signature } : undefined;
    const sealed = sealTurnBase64({ ...(call ? { call } : {}), reasoning: this.held });
    this.held = [];
    return sealed ?? (own !== undefined ? carrySignature(own.signature, own.dialect, NATIVE, true) : undefined);
  }
}

/**
 * The reasoning a turn-form signature carried, put back into a model turn's `parts` (before the
 * part that carried it): each state the turn does not hold already, as its reasoning part. A
 * client that kept the thought parts sent the same state there, and it is not doubled.
 */
export function restoreCarried(states: readonly CarriedState[], parts: Part[]): void {
  for (const state of states) {
    const present = parts.some((p) => p.type === 'reasoning' && p.dialect === state.dialect && p.signature === state.signature && p.opaque === state.opaque);
    if (!present) parts.push({ type: 'reasoning', ...state });
  }
}
