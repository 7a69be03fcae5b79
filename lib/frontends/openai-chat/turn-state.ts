import type { CollectedBlock, CollectedReasoning, LipEvent } from '../../canonical/index.js';
import { MAX_ID_STATE_CHARS, sealCallId, type CarriedState } from '../state-envelope.js';

/**
 * The provider state of one assistant turn, for a protocol whose only echoed slot is the tool
 * call id (Chat Completions has no field for signatures or opaque reasoning). It gathers the
 * turn's signed and opaque reasoning (a signature with the reasoning text it signs, which an
 * Anthropic follow-up must repeat exactly) and seals what came before a tool call into that
 * call's id: the first call carries the reasoning before it, each later one the reasoning since
 * the call before (Anthropic's interleaved thinking, which must come back too); each call also
 * carries its own signature (Gemini). Reasoning after the last call, or in a turn without a tool
 * call, has nowhere to go: it does not survive a Chat client (docs/frontends/openai-chat.md).
 * Nothing is kept for a turn without reasoning, and a reasoning text past MAX_ID_STATE_CHARS is
 * not kept.
 *
 * ```
 * reasoning_delta "plan" -> reasoning_signature s1 (anthropic.thinking) -> tool_call_started call_1
 *   -> reasoning_delta "next" -> reasoning_signature s2 (anthropic.thinking) -> tool_call_started call_2
 * call ids on the wire: call_1_lip1_<[["anthropic.thinking",{"t":"plan","s":"s1"}]]>
 *                       call_2_lip1_<[["anthropic.thinking",{"t":"next","s":"s2"}]]>
 * ```
 * @see spec/frontends/openai-chat/turn-state.spec.ts
 */
export class TurnState {
  private text = '';
  /** The state gathered since the last tool call. */
  private states: CarriedState[] = [];

  /** Notes what an event adds to the turn's state. */
  push(event: LipEvent): void {
    switch (event.type) {
      case 'reasoning_delta':
        if (this.text.length <= MAX_ID_STATE_CHARS) this.text += event.text;
        return;
      case 'reasoning_signature':
        if (event.standalone === true) this.text = ''; // the text after it is signed, not the reasoning before
        if (event.dialect !== undefined) this.states.push({ dialect: event.dialect, signature: event.signature, ...(this.text ? { text: this.text } : {}) });
        this.text = '';
        return;
      case 'reasoning_opaque':
        this.states.push({ dialect: event.dialect, opaque: event.data, ...(event.id !== undefined ? { id: event.id } : {}), ...(this.text ? { text: this.text } : {}) });
        this.text = '';
        return;
      default:
        return;
    }
  }

  /** The wire id of a starting tool call: it carries the state gathered since the call before, and its own signature. */
  callId(call: { readonly id: string; readonly signature?: string; readonly dialect?: string }): string {
    const reasoning = this.states;
    this.states = [];
    return sealCallId(call.id, { ...(call.signature && call.dialect ? { call: { dialect: call.dialect, signature: call.signature } } : {}), reasoning });
  }
}

/**
 * A collected response's tool-call wire ids: TurnState fed the events its blocks were folded from
 * (collect.ts), so that a whole answer's ids are a stream's.
 */
export function collectedCallIds(blocks: readonly CollectedBlock[]): Map<string, string> {
  const state = new TurnState();
  const ids = new Map<string, string>();
  for (const block of blocks) {
    if (block.type === 'tool_call') ids.set(block.id, state.callId(block));
    else if (block.type === 'reasoning') for (const event of reasoningEvents(block)) state.push(event);
  }
  return ids;
}

/**
 * The events a collected reasoning block was folded from. An unsigned block is only its text,
 * which a stream's opaque reasoning right after takes along (a Responses reasoning item: summary,
 * then encrypted content, two blocks when collected); a signature without text of its own is
 * standalone (it signed none of the text before it, or the collector would have put it there).
 */
function reasoningEvents(block: CollectedReasoning): LipEvent[] {
  const events: LipEvent[] = block.text ? [{ type: 'reasoning_delta', text: block.text }] : [];
  if (block.opaque !== undefined) events.push({ type: 'reasoning_opaque', dialect: block.dialect ?? '', data: block.opaque, ...(block.id ? { id: block.id } : {}) });
  else if (block.signature !== undefined) {
    events.push({ type: 'reasoning_signature', signature: block.signature, ...(block.dialect !== undefined ? { dialect: block.dialect } : {}), ...(block.text ? {} : { standalone: true as const }) });
  }
  return events;
}
