import type { CollectedResponse, CollectedWebSearch } from '../../canonical/index.js';
import { HOSTED_DIALECTS, REASONING_DIALECTS, hasUsage } from '../../canonical/index.js';
import type { EncodeContext } from '../protocol.js';
import { wireId } from '../protocol.js';
import { carryOpaque, carrySignature } from '../state-envelope.js';
import { CarriedReasoning } from './carried-reasoning.js';
import { groundingMetadata } from './encode-grounding.js';
import { geminiUsage } from './encode-usage.js';
import { functionArgs } from './function-args.js';
import { geminiLogprobsResult } from '../logprobs.js';
import { mapFinishReason } from './map-finish-reason.js';
import { groundingOf, mergedGrounding } from './grounding-record.js';
import { mergedUrlContext, urlContextOf } from './url-context.js';
import { candidateFieldsOf, promptFeedbackOf } from './finish-details.js';

const NATIVE = REASONING_DIALECTS.geminiThought;

/**
 * A collected response as one GenerateContentResponse. Blocks keep their order: reasoning as a
 * thought part with its `thoughtSignature`, text as a text part, tool calls as `functionCall`
 * parts (with `id`, and the call's signature). Gemini's own signature without thought text (a
 * text part's) goes on the text part right after it, as Gemini wrote it, or on an empty text part
 * of its own when no text follows: never on a thought part, so that the client sends it back
 * where Gemini put it. Other dialects' signatures travel sealed in the
 * `thoughtSignature`, opaque reasoning as an empty thought part whose signature seals it
 * (state-envelope.ts, base64 form), and both again on the next text or `functionCall` part, for
 * clients that drop thought parts (carried-reasoning.ts). A call with `includeThoughts: false` gets
 * no thought part (Gemini writes none then): Gemini's signatures go on the text part after them,
 * other dialects' state only on the next text or `functionCall` part, or on a last empty text
 * part when none follows. Hosted web searches and citations (any dialect) are the
 * candidate's `groundingMetadata` (encode-grounding.ts), unless a gemini backend reported the
 * grounding as written (a record of the message: the call declared Google Maps, File Search, ...),
 * which is then the candidate's. Gemini's own hosted tool parts (code execution, a built-in's
 * `toolCall` and `toolResponse`) are written in place as they came, once done, and its URL context
 * record is the candidate's `urlContextMetadata`; another provider's hosted blocks have no Gemini
 * form and are left out (only a Gemini client declares Gemini's tools). An empty answer still has
 * one empty text part, so that chat helpers accept the turn. A gemini backend's candidate fields
 * (`finishMessage`, `safetyRatings`, `citationMetadata`) are the candidate's, as written; a prompt
 * it blocked is answered as Gemini answers it: its `promptFeedback` and no candidate.
 */
export function encodeGenerateContentResponse(r: CollectedResponse, context: EncodeContext): Record<string, unknown> {
  const responseId = wireId(context, '', 22);
  const usageMetadata = hasUsage(r.usage) ? { usageMetadata: geminiUsage(r.usage) } : {};
  const promptFeedback = promptFeedbackOf(r.finishDetails);
  if (promptFeedback !== undefined) return { promptFeedback, ...usageMetadata, modelVersion: context.model ?? context.call.model, responseId };
  const parts: Record<string, unknown>[] = [];
  const searches: CollectedWebSearch[] = [];
  const urlContexts: unknown[] = [];
  const groundings: Record<string, unknown>[] = [];
  let held: string | undefined; // Gemini's signature of the text part to come
  const carried = new CarriedReasoning(); // other dialects' reasoning, for the next text or call part
  const hide = context.call.options.reasoning?.includeThoughts === false; // no thought part, signatures on the next part
  const push = (part: Record<string, unknown>) => {
    if (held === undefined) parts.push(part);
    else if (typeof part.text === 'string' && part.thought !== true) parts.push({ ...part, thoughtSignature: held });
    else parts.push({ text: '', thoughtSignature: held }, part);
    held = undefined;
  };
  for (const block of r.blocks) {
    if (block.type === 'text') {
      const signature = held === undefined ? carried.signatureFor() : undefined;
      push({ text: block.text, ...(signature !== undefined ? { thoughtSignature: signature } : {}) });
    } else if (block.type === 'tool_call') {
      const signature = carried.signatureFor(block.signature ? { signature: block.signature, ...(block.dialect !== undefined ? { dialect: block.dialect } : {}) } : undefined);
      push({ functionCall: { id: block.id, name: block.name, args: functionArgs(block.arguments) }, ...(signature !== undefined ? { thoughtSignature: signature } : {}) });
    } else if (block.type === 'web_search') {
      searches.push(block); // no part: Gemini reports its searches in groundingMetadata
    } else if (block.type === 'hosted_tool') {
      if (block.dialect !== HOSTED_DIALECTS.gemini || !block.done) continue;
      if (block.scope === undefined) push({ ...block.block });
      else if (groundingOf(block.block) !== undefined) groundings.push(groundingOf(block.block)!);
      else if (urlContextOf(block.block) !== undefined) urlContexts.push(urlContextOf(block.block));
    } else if (block.opaque === undefined && block.signature !== undefined && (hide ? block.dialect === undefined || block.dialect === NATIVE : block.dialect === NATIVE && block.text.length === 0)) {
      if (held !== undefined) push({ text: '' });
      held = block.signature; // Gemini's own signature without thought text (any, thoughts hidden): the next text part's
    } else if (hide) {
      // No thought part: another dialect's reasoning rides on the next text or call part only.
      const { type: _type, dialect, ...state } = block;
      if (dialect !== undefined) carried.hold({ dialect, ...state });
    } else if (block.opaque === undefined) {
      const signature = block.signature ? { thoughtSignature: carrySignature(block.signature, block.dialect, NATIVE, true) } : {};
      push({ text: block.text, thought: true, ...signature });
      if (block.signature !== undefined && block.dialect !== undefined) carried.hold({ dialect: block.dialect, signature: block.signature, ...(block.text ? { text: block.text } : {}) });
    } else {
      push({ text: '', thought: true, thoughtSignature: carryOpaque({ dialect: block.dialect ?? '', data: block.opaque, ...(block.id ? { id: block.id } : {}) }, undefined, true) });
      if (block.dialect !== undefined) carried.hold({ dialect: block.dialect, opaque: block.opaque, ...(block.id ? { id: block.id } : {}) });
    }
  }
  if (held !== undefined) push({ text: '' });
  const rest = hide ? carried.signatureFor() : undefined; // hidden thoughts' reasoning no part carried
  if (rest !== undefined) parts.push({ text: '', thoughtSignature: rest });
  if (parts.length === 0) parts.push({ text: '' });
  const logprobs = r.logprobs !== undefined && context.call.options.logprobs !== undefined
    ? { avgLogprobs: r.logprobs.reduce((sum, t) => sum + t.logprob, 0) / r.logprobs.length, logprobsResult: geminiLogprobsResult(r.logprobs) }
    : {};
  const metadata = groundings.length > 0 ? mergedGrounding(groundings)
    : searches.length > 0 || r.citations !== undefined ? groundingMetadata(searches, r.citations ?? [], r.text) : undefined;
  const grounding = metadata !== undefined ? { groundingMetadata: metadata } : {};
  const urlContext = urlContexts.length > 0 ? { urlContextMetadata: mergedUrlContext(urlContexts) } : {};
  return {
    candidates: [{
      content: { parts, role: 'model' }, finishReason: mapFinishReason(r.finishReason, r.rawFinishReason), ...candidateFieldsOf(r.finishDetails), ...grounding, ...urlContext, ...logprobs, index: 0,
    }],
    ...usageMetadata,
    modelVersion: context.model ?? context.call.model,
    responseId,
  };
}
