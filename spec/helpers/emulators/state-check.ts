import { isDeepStrictEqual } from 'node:util';
import { joined, type ReasoningScript, type Script } from './script.js';

/**
 * How the providers that sign turns refuse a follow-up whose opaque state was dropped or altered,
 * shared by the emulators of their wire formats (checked only when an emulator's `checkState` is
 * on, so that other scenarios are unaffected). Each returns the refusal message, or undefined.
 */
type Json = Record<string, any>;

/** How a two-role protocol with signed thinking (Anthropic Messages, Bedrock Converse) writes its blocks. */
export interface SignedTurnShape {
  thinking(block: Json): { text: string; signature: string } | undefined;
  redacted(block: Json): string | undefined;
  toolId(block: Json): string | undefined;
  defaultToolId(index: number): string;
}

/** A turn's signed or redacted reasoning: the script's own and its calls' (interleaved thinking). */
function signedReasoning(script: Script): ReasoningScript[] {
  return [script.reasoning, ...(script.toolCalls ?? []).map((c) => c.reasoning)]
    .filter((r): r is ReasoningScript => r?.signature !== undefined || r?.redacted !== undefined);
}

/**
 * Anthropic (and Claude on Bedrock): every thinking block sent back must carry a signature this
 * upstream issued over exactly that text, every redacted block data it issued; an assistant turn
 * holding a tool call it issued after signed thinking must hold all that turn's thinking (the
 * thinking between its calls too), unmodified, and start with thinking.
 */
export function signedTurnRefusal(messages: unknown, issued: readonly Script[], shape: SignedTurnShape): string | undefined {
  const turns = issued.filter((s) => signedReasoning(s).length > 0);
  const reasoning = turns.flatMap(signedReasoning);
  const signed = new Map(reasoning.flatMap((r) => (r.signature !== undefined ? [[r.signature, joined(r.text)] as const] : [])));
  const redacted = new Set(reasoning.flatMap((r) => (r.redacted !== undefined ? [r.redacted] : [])));
  const list = Array.isArray(messages) ? (messages as Json[]) : [];
  for (const [i, m] of list.entries()) {
    if (m?.role !== 'assistant' || !Array.isArray(m.content)) continue;
    const blocks = m.content as Json[];
    for (const [j, b] of blocks.entries()) {
      const thinking = shape.thinking(b);
      if (thinking && signed.get(thinking.signature) !== thinking.text) return `messages.${i}.content.${j}: Invalid \`signature\` in \`thinking\` block`;
      const data = shape.redacted(b);
      if (data !== undefined && !redacted.has(data)) return `messages.${i}.content.${j}: Invalid \`data\` in \`redacted_thinking\` block`;
    }
    for (const s of turns) {
      const ids = (s.toolCalls ?? []).map((c, k) => c.id ?? shape.defaultToolId(k));
      if (!blocks.some((b) => ids.includes(shape.toolId(b) ?? ''))) continue;
      const whole = signedReasoning(s).every((r) => (r.signature === undefined || blocks.some((b) => shape.thinking(b)?.signature === r.signature))
        && (r.redacted === undefined || blocks.some((b) => shape.redacted(b) === r.redacted)));
      // Anthropic's words when a turn's thinking was dropped (interleaved thinking between its calls).
      if (!whole) return `messages.${i}.content: \`thinking\` or \`redacted_thinking\` blocks in the latest assistant message cannot be modified. These blocks must remain as they were in the original response.`;
      const first = blocks[0] && (shape.thinking(blocks[0]) || shape.redacted(blocks[0]) !== undefined);
      if (!first) {
        return `messages.${i}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${String(blocks[0]?.type ?? Object.keys(blocks[0] ?? {})[0])}\`. When \`thinking\` is enabled, a final \`assistant\` message must start with a thinking block (preceeding the lastmost set of \`tool_use\` and \`tool_result\` blocks).`;
      }
    }
  }
  return undefined;
}

/**
 * The dummy signatures Google documents for a function call Gemini did not make (history from
 * another model, made up by the client): Gemini 3 takes either where a signature is required.
 */
export const GEMINI_SENTINEL_SIGNATURES: readonly string[] = ['skip_thought_signature_validator', 'context_engineering_is_the_way_to_go'];

/**
 * Gemini: every `thoughtSignature` sent back must be one this upstream issued (on a thought, a
 * text, a functionCall or a code execution part) or one of Google's documented sentinels, and a
 * functionCall part it issued with a signature (same name and args) must carry exactly that signature.
 */
export function thoughtSignatureRefusal(contents: unknown, issued: readonly Script[]): string | undefined {
  const hostedSignature = (part: Json) => (typeof part.thoughtSignature === 'string' ? part.thoughtSignature : undefined);
  const signatures = new Set([...GEMINI_SENTINEL_SIGNATURES, ...issued.flatMap((s) => [s.reasoning?.signature, s.textSignature, ...(s.toolCalls ?? []).map((c) => c.signature), ...(s.hosted ?? []).map(hostedSignature)]).filter((x): x is string => x !== undefined)]);
  const calls = issued.flatMap((s) => (s.toolCalls ?? []).filter((c) => c.signature !== undefined).map((c) => ({ name: c.name, args: JSON.parse(joined(c.args) || '{}') as unknown, signature: c.signature! })));
  const list = Array.isArray(contents) ? (contents as Json[]) : [];
  for (const [i, c] of list.entries()) {
    if (c?.role !== 'model' || !Array.isArray(c.parts)) continue;
    for (const [j, p] of (c.parts as Json[]).entries()) {
      if (p.thoughtSignature !== undefined && !signatures.has(p.thoughtSignature)) return `Corrupted thought signature. contents[${i}].parts[${j}].thought_signature`;
      const fc = p.functionCall;
      const mine = fc && calls.find((k) => k.name === fc.name && isDeepStrictEqual(k.args, fc.args ?? {}));
      if (mine && p.thoughtSignature !== mine.signature) {
        return `Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, and missing thought_signature may lead to degraded model performance. Additional data, function call \`default_api:${fc.name}\` , position ${j + 1}.`;
      }
    }
  }
  return undefined;
}

/**
 * A Chat Completions server that wants its reasoning back (DeepSeek's thinking mode, Kimi): an
 * assistant message holding a tool call this upstream issued after reasoning must carry that
 * reasoning, unchanged, in `reasoning_content`. (A turn without a tool call may leave it out.)
 */
export function chatReasoningRefusal(messages: unknown, issued: readonly Script[]): string | undefined {
  const turns = issued.filter((s) => s.reasoning?.text !== undefined && (s.toolCalls ?? []).length > 0)
    .map((s) => ({ reasoning: joined(s.reasoning!.text), calls: s.toolCalls!.map((c, k) => c.id ?? `call_emu${k + 1}`) }));
  const list = Array.isArray(messages) ? (messages as Json[]) : [];
  for (const [i, m] of list.entries()) {
    if (m?.role !== 'assistant' || !Array.isArray(m.tool_calls)) continue;
    const turn = turns.find((t) => (m.tool_calls as Json[]).some((c) => t.calls.includes(c?.id)));
    if (turn === undefined) continue;
    if (m.reasoning_content === undefined) return `Missing \`reasoning_content\` field in the assistant message at message index ${i}`;
    if (m.reasoning_content !== turn.reasoning) return `The \`reasoning_content\` of the assistant message at message index ${i} does not match`;
  }
  return undefined;
}

/**
 * OpenAI Responses (stateless): a reasoning item's `encrypted_content` must be what this upstream
 * issued under that item id, and a function call it issued after encrypted reasoning must come
 * with that reasoning item.
 */
export function encryptedReasoningRefusal(input: unknown, issued: readonly Script[]): string | undefined {
  const items = issued.filter((s) => s.reasoning?.encrypted !== undefined).map((s) => ({
    id: s.reasoning!.id ?? 'rs_emu0001', encrypted: s.reasoning!.encrypted!, calls: (s.toolCalls ?? []).map((c, k) => c.id ?? `call_emu${k + 1}`),
  }));
  const list = Array.isArray(input) ? (input as Json[]) : [];
  for (const item of list) {
    if (item?.type !== 'reasoning' || item.encrypted_content === undefined) continue;
    if (!items.some((x) => x.id === item.id && x.encrypted === item.encrypted_content)) return `The encrypted content for item ${String(item.id)} could not be verified.`;
  }
  for (const x of items) {
    const call = list.find((item) => item?.type === 'function_call' && x.calls.includes(item.call_id));
    if (call && !list.some((item) => item?.type === 'reasoning' && item.id === x.id && item.encrypted_content === x.encrypted)) {
      return `Item '${String(call.id ?? call.call_id)}' of type 'function_call' was provided without its required 'reasoning' item: '${x.id}'.`;
    }
  }
  return undefined;
}

/**
 * OpenAI Responses, programmatic tool calling and compaction: a `program` item sent back must be
 * one this upstream issued (in `hosted`), its `code` and `fingerprint` intact; a call it issued
 * naming a program as its `caller` must come with that program item; a `compaction` item must
 * carry encrypted content this upstream issued.
 */
export function responsesStateRefusal(input: unknown, issued: readonly Script[]): string | undefined {
  const hosted = issued.flatMap((s) => (s.hosted ?? []) as Json[]);
  const programs = hosted.filter((item) => item.type === 'program');
  const compactions = new Set(hosted.filter((item) => item.type === 'compaction').map((item) => item.encrypted_content));
  const list = Array.isArray(input) ? (input as Json[]) : [];
  for (const item of list) {
    if (item?.type === 'program' && !programs.some((p) => p.call_id === item.call_id && p.fingerprint === item.fingerprint && p.code === item.code)) {
      return `The fingerprint of program item ${String(item.id)} could not be verified.`;
    }
    if (item?.type === 'compaction' && !compactions.has(item.encrypted_content)) return `The encrypted content of compaction item ${String(item.id)} could not be verified.`;
  }
  const byProgram = issued.flatMap((s) => (s.toolCalls ?? []).map((c, k) => ({ id: c.id ?? `call_emu${k + 1}`, program: c.caller?.type === 'program' ? c.caller.caller_id : undefined })));
  for (const item of list) {
    const call = byProgram.find((c) => c.program !== undefined && c.id === item?.call_id && (item?.type === 'function_call' || item?.type === 'custom_tool_call'));
    if (call && !list.some((p) => p?.type === 'program' && p.call_id === call.program)) {
      return `Item '${String(item.call_id)}' of type '${String(item.type)}' was provided without its required 'program' item: '${String(call.program)}'.`;
    }
  }
  return undefined;
}
