import type { Call, ToolChoice } from '../../canonical/index.js';
import { encodeMessages } from './encode-messages.js';
import type { AnthropicOptions } from './options.js';

type Json = Record<string, unknown>;

/** Thinking budgets for an OpenAI-style effort when no budget is given (`minimal`/`none`: off). */
const EFFORT_BUDGET: Readonly<Record<string, number>> = { low: 2048, medium: 8192, high: 16384, xhigh: 32768, max: 32768 };
const MIN_BUDGET = 1024;

/** The thinking budget a call asks for, or undefined for no extended thinking. */
export function thinkingBudget(call: Call): number | undefined {
  const r = call.options.reasoning;
  if (!r) return undefined;
  if (r.budgetTokens !== undefined) return r.budgetTokens === 0 ? undefined : Math.max(MIN_BUDGET, r.budgetTokens);
  return r.effort !== undefined ? EFFORT_BUDGET[r.effort] : undefined;
}

/**
 * Call -> Messages API request body (streamed unless `stream` is false). `max_tokens` is mandatory: the call's
 * limit or the row's `default_max_tokens`. Extended thinking (`thinking.budget_tokens`) comes
 * from the call's budget or effort and must stay below `max_tokens`; while it is on, the
 * sampling options the API refuses with thinking (temperature, top_k, top_p below 0.95) are
 * left out.
 *
 * ```ts
 * encodeAnthropicRequest(call, 'claude-sonnet-4-6', options)
 * // { model, max_tokens: 8192, stream: true, system: [...], messages: [...], ... }
 * ```
 * @see spec/backends/anthropic/encode-request.spec.ts
 */
export function encodeAnthropicRequest(call: Call, model: string, o: AnthropicOptions, stream = true): Json {
  const { messages, system } = encodeMessages(call.messages);
  const systemParts = [...call.system, ...system].filter((p) => p.text.length > 0);
  const opt = call.options;
  let maxTokens = opt.maxOutputTokens ?? o.defaultMaxTokens;
  let budget = thinkingBudget(call);
  if (budget !== undefined && budget >= maxTokens) {
    if (opt.maxOutputTokens === undefined) maxTokens = budget + o.defaultMaxTokens;
    else budget = maxTokens - 1 >= MIN_BUDGET ? maxTokens - 1 : undefined;
  }

  const body: Json = { model, max_tokens: maxTokens, stream, messages };
  if (systemParts.length > 0) body.system = systemParts.map((p) => ({ type: 'text', text: p.text }));
  if (call.tools.length > 0) {
    body.tools = call.tools.map((t) => ({ name: t.name, ...(t.description !== undefined ? { description: t.description } : {}), input_schema: t.parameters }));
    const choice = toolChoice(call.toolChoice);
    if (opt.parallelToolCalls === false && choice.type !== 'none') choice.disable_parallel_tool_use = true;
    body.tool_choice = choice;
  }
  if (budget !== undefined) body.thinking = { type: 'enabled', budget_tokens: budget };
  if (budget === undefined && opt.temperature !== undefined) body.temperature = Math.min(1, opt.temperature);
  if (opt.topP !== undefined && (budget === undefined || opt.topP >= 0.95)) body.top_p = opt.topP;
  if (budget === undefined && opt.topK !== undefined) body.top_k = opt.topK;
  if (opt.stopSequences && opt.stopSequences.length > 0) body.stop_sequences = opt.stopSequences;
  if (opt.responseFormat?.type === 'json_schema') body.output_config = { format: { type: 'json_schema', schema: opt.responseFormat.schema } };
  if (call.user !== undefined) body.metadata = { user_id: call.user };
  return body;
}

function toolChoice(choice: ToolChoice): Json {
  switch (choice.type) {
    case 'none': return { type: 'none' };
    case 'any': return { type: 'any' };
    case 'tool': return { type: 'tool', name: choice.name };
    default: return { type: 'auto' };
  }
}
