import type { Call, ReasoningOptions } from '../canonical/index.js';

/**
 * Thinking budgets for an OpenAI-style effort when the call gives no budget (`minimal`/`none`:
 * off). A Map: an effort is any word a client wrote (`?reasoning_effort=constructor`).
 */
const EFFORT_BUDGET: ReadonlyMap<string, number> = new Map(Object.entries({ low: 2048, medium: 8192, high: 16384, xhigh: 32768, max: 32768 }));
/** The smallest budget Anthropic's extended thinking takes. */
export const MIN_THINKING_BUDGET = 1024;
/** The efforts Anthropic's `output_config.effort` knows. */
const ANTHROPIC_EFFORTS: ReadonlySet<string> = new Set(['low', 'medium', 'high', 'max']);

/** How an Anthropic model (direct or on Bedrock) is asked to think. */
export type AnthropicThinking =
  | { readonly type: 'enabled'; readonly budget: number }
  /** The model decides (`thinking: {type: "adaptive"}`), at the effort of the call when Anthropic knows it. */
  | { readonly type: 'adaptive'; readonly effort?: string };

/**
 * The thinking a call asks an Anthropic model for, or undefined for none: a budget from the
 * call (0: none) or, when it asks for adaptive thinking, adaptive; otherwise a budget from its
 * effort (`minimal`/`none`: none), unless the effort is Anthropic's own, which asks for no
 * thinking (outputEffort: anthropicEffort sends it as is). None either when the call forces a tool call (forcesToolCall):
 * Anthropic refuses thinking beside a tool choice of `any` or one tool ("Thinking may not be
 * enabled when tool_choice forces tool use"), and the choice is what the client's code relies on
 * (an answer in text where it asked for a call breaks it), where thinking only helps the answer.
 *
 * ```ts
 * anthropicThinking(emptyCall({ options: { reasoning: { effort: 'high' } } })) // { type: 'enabled', budget: 16384 }
 * ```
 */
export function anthropicThinking(call: Call): AnthropicThinking | undefined {
  const r = call.options.reasoning;
  if (!r || forcesToolCall(call)) return undefined;
  if (r.budgetTokens !== undefined) return r.budgetTokens === 0 ? undefined : { type: 'enabled', budget: Math.max(MIN_THINKING_BUDGET, r.budgetTokens) };
  if (r.adaptive === true) return r.effort !== undefined && ANTHROPIC_EFFORTS.has(r.effort) ? { type: 'adaptive', effort: r.effort } : { type: 'adaptive' };
  const budget = r.effort !== undefined && r.outputEffort !== true ? EFFORT_BUDGET.get(r.effort) : undefined;
  return budget === undefined ? undefined : { type: 'enabled', budget };
}

/**
 * The effort an Anthropic model is given as `output_config.effort`, when Anthropic knows it: the
 * effort of adaptive thinking, or an Anthropic client's own effort (outputEffort), which works
 * with thinking or without it (an effort other clients name asks for thinking: anthropicThinking).
 *
 * ```ts
 * anthropicEffort(emptyCall({ options: { reasoning: { effort: 'low', outputEffort: true } } }), undefined) // 'low'
 * ```
 */
export function anthropicEffort(call: Call, thinking: AnthropicThinking | undefined): string | undefined {
  if (thinking?.type === 'adaptive') return thinking.effort;
  const r = call.options.reasoning;
  return r?.outputEffort === true && r.effort !== undefined && ANTHROPIC_EFFORTS.has(r.effort) ? r.effort : undefined;
}

type Json = Record<string, unknown>;

/** How a wire that carries Claude's turns (Anthropic's Messages, Bedrock's Converse) tells thinking and tool result blocks. */
export interface ThinkingBlocks {
  thinking(block: Json): boolean;
  toolResult(block: Json): boolean;
}

/**
 * Whether a request's encoded messages end in an open tool loop (the last turn a user's holding
 * tool results, after the assistant turn of the calls) whose assistant turn does not start with a
 * thinking block. Anthropic then refuses thinking ("When `thinking` is enabled, a final `assistant`
 * message must start with a thinking block ... To avoid this requirement, disable `thinking`"):
 * the calls came from another provider, whose reasoning is not replayed, or from a turn that did
 * not think, or the client left the thinking out. The request goes without thinking, as
 * Anthropic advises (thinking cannot begin within a turn); the turn after the loop thinks again.
 *
 * ```ts
 * const blocks = { thinking: (b) => b.type === 'thinking', toolResult: (b) => b.type === 'tool_result' };
 * loopWithoutThinking([..., { role: 'assistant', content: [{ type: 'tool_use', ... }] }, { role: 'user', content: [{ type: 'tool_result', ... }] }], blocks) // true
 * ```
 */
export function loopWithoutThinking(messages: readonly Json[], blocks: ThinkingBlocks): boolean {
  const [assistant, user] = messages.slice(-2);
  const content = (m: Json | undefined): Json[] => (Array.isArray(m?.content) ? (m.content as Json[]) : []);
  if (user?.role !== 'user' || assistant?.role !== 'assistant' || !content(user).some((b) => blocks.toolResult(b))) return false;
  const first = content(assistant)[0];
  return first !== undefined && !blocks.thinking(first);
}

/** Whether the call declares tools and makes the model call one (tool choice `any`, or one tool by name). */
function forcesToolCall(call: Call): boolean {
  return call.tools.length > 0 && (call.toolChoice.type === 'any' || call.toolChoice.type === 'tool');
}

/** The efforts of other vocabularies in OpenAI's: Anthropic's `max`, which the OpenAI API refuses, is its highest. */
const OPENAI_EFFORT: ReadonlyMap<string, string> = new Map(Object.entries({ max: 'xhigh' }));

/**
 * The effort a model that thinks by effort (OpenAI's) is asked for: the call's, in OpenAI's
 * words (OPENAI_EFFORT; another word as written). When the call names none, from its
 * thinking budget, the effort whose budget (EFFORT_BUDGET) is nearest on a ratio scale (a client's
 * "think" of 4,000 tokens is low, 10,000 medium, 31,999 high). No budget, or 0 (thinking off,
 * whose effort name differs between models): none, and the model's default applies.
 *
 * ```ts
 * reasoningEffort({ budgetTokens: 10000 }) // 'medium'
 * ```
 */
export function reasoningEffort(r: ReasoningOptions | undefined): string | undefined {
  if (r?.effort !== undefined) return OPENAI_EFFORT.get(r.effort) ?? r.effort;
  const budget = r?.budgetTokens;
  if (budget === undefined || budget <= 0) return undefined;
  const [low, medium, high] = [EFFORT_BUDGET.get('low')!, EFFORT_BUDGET.get('medium')!, EFFORT_BUDGET.get('high')!];
  if (budget < Math.sqrt(low * medium)) return 'low';
  return budget < Math.sqrt(medium * high) ? 'medium' : 'high';
}

/**
 * Whether a call puts reasoning in play: it names an effort, a thinking budget above 0 or adaptive
 * thinking, or asks for the thoughts without turning thinking off. A budget of 0 is thinking off
 * (a Gemini client's `thinkingBudget: 0`; an Anthropic client's `disabled` sets `disabled` and
 * nothing else, which asks for nothing), and `includeThoughts: false` alone only hides the thoughts: neither asks for
 * reasoning. What a backend asks for only when reasoning is in play (an OpenAI Responses summary
 * and encrypted reasoning, which some non-reasoning models refuse) it leaves out for those.
 *
 * ```ts
 * asksForReasoning({ budgetTokens: 0, includeThoughts: true }) // false
 * asksForReasoning({ includeThoughts: true })                  // true
 * ```
 */
export function asksForReasoning(r: ReasoningOptions | undefined): boolean {
  if (!r) return false;
  if (r.effort !== undefined || r.adaptive === true) return true;
  if (r.budgetTokens !== undefined) return r.budgetTokens > 0;
  return r.includeThoughts === true;
}

/**
 * Whether a call turns thinking off: an effort of `none`, a budget of 0 (a Gemini client's
 * `thinkingBudget: 0`) or thinking disabled (an Anthropic client's `thinking: {type: "disabled"}`).
 * For the backends whose off switch every model takes (openai-chat's `thinking` and `reasoning` parameters).
 *
 * ```ts
 * turnsThinkingOff({ disabled: true }) // true
 * ```
 */
export function turnsThinkingOff(r: ReasoningOptions | undefined): boolean {
  return r !== undefined && (r.disabled === true || r.budgetTokens === 0 || r.effort === 'none');
}

/** The output limit and extended-thinking budget an Anthropic model is sent (fitThinking). */
export interface ThinkingFit {
  /** `max_tokens` / `maxTokens`; undefined: none sent (the provider's default). */
  readonly maxTokens: number | undefined;
  /** `budget_tokens`; undefined: no extended thinking. */
  readonly budget: number | undefined;
}

/**
 * The output limit and extended-thinking budget an Anthropic model is sent (Messages and Converse
 * alike), the budget below the limit as the model requires it. A limit the call set is kept: a
 * budget at or over it is lowered to one token under it, or thinking is left out when that is
 * less than MIN_THINKING_BUDGET. Without one, the limit is lip's own `picked` (undefined: none,
 * the provider's default), raised to the budget plus `room` when the budget does not fit under
 * it, and held at the model's known output limit (`ceiling`, Target.outputCeiling), the budget
 * then lowered under it as under a call's limit.
 *
 * ```ts
 * fitThinking({ limit: 3000, budget: 16384, room: 4096 })                 // { maxTokens: 3000, budget: 2999 }
 * fitThinking({ limit: 1000, budget: 16384, room: 4096 })                 // { maxTokens: 1000, budget: undefined }
 * fitThinking({ budget: 16384, picked: 8192, room: 8192 })                // { maxTokens: 24576, budget: 16384 }
 * fitThinking({ budget: 32768, picked: 8192, room: 8192, ceiling: 32000 }) // { maxTokens: 32000, budget: 31999 }
 * ```
 */
export function fitThinking(fit: { readonly limit?: number; readonly picked?: number; readonly budget: number | undefined; readonly room: number; readonly ceiling?: number }): ThinkingFit {
  const { limit, picked, budget, room, ceiling } = fit;
  if (limit !== undefined) return kept(limit, budget);
  const own = budget === undefined ? picked : picked !== undefined && budget < picked ? picked : budget + room;
  return kept(own !== undefined && ceiling !== undefined ? Math.min(own, ceiling) : own, budget);
}

/** A limit with the budget under it: lowered to one token under it, or none under MIN_THINKING_BUDGET. */
function kept(maxTokens: number | undefined, budget: number | undefined): ThinkingFit {
  if (maxTokens === undefined || budget === undefined || budget < maxTokens) return { maxTokens, budget };
  return { maxTokens, budget: maxTokens - 1 >= MIN_THINKING_BUDGET ? maxTokens - 1 : undefined };
}

/** The extended-thinking budget a call adds to an Anthropic model's output (adaptive thinking stays within `max_tokens`). */
export function thinkingBudget(call: Call): number | undefined {
  const thinking = anthropicThinking(call);
  return thinking?.type === 'enabled' ? thinking.budget : undefined;
}
