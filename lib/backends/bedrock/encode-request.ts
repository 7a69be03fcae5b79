import type { Call, ToolChoice } from '../../canonical/index.js';
import { LipError } from '../../errors/index.js';
import { encodeMessages } from './encode-messages.js';

type Json = Record<string, unknown>;

/** Thinking budgets for an OpenAI-style effort when the call gives no budget (`none`/`minimal`: off). */
const EFFORT_BUDGET: Readonly<Record<string, number>> = { low: 2048, medium: 8192, high: 16384, xhigh: 32768, max: 32768 };
const MIN_BUDGET = 1024;
/** Output room left beside a thinking budget when the call sets no limit. */
const ANSWER_ROOM = 4096;

/** Whether the model id names an Anthropic model (foundation id, inference profile or ARN). */
export function isAnthropicModel(model: string): boolean {
  return /(^|[./:])anthropic\./.test(model);
}

/**
 * Call -> Converse / ConverseStream request body (the model goes in the path). Instructions and
 * system messages become `system` text blocks; `inferenceConfig` carries only what the call
 * sets; tools become `toolConfig` with their full JSON Schema. A reasoning request reaches
 * Anthropic models as `additionalModelRequestFields.thinking` (budget from the call or its
 * effort; `maxTokens` raised above it when needed, temperature and top-p left out, as the
 * model requires); other families take no reasoning switch through Converse. `tool_choice:
 * none` with tools has no Converse form and is refused (400) rather than ignored.
 *
 * ```ts
 * encodeBedrockRequest(call, 'anthropic.claude-sonnet-4-20250514-v1:0')
 * // { messages: [...], system: [{ text }], inferenceConfig: { maxTokens: 512 }, toolConfig: {...} }
 * ```
 * @see spec/backends/bedrock/encode-request.spec.ts
 */
export function encodeBedrockRequest(call: Call, model: string): Json {
  const { messages, system } = encodeMessages(call.messages);
  const body: Json = { messages };
  const systemParts = [...call.system, ...system].filter((p) => p.text.length > 0);
  if (systemParts.length > 0) body.system = systemParts.map((p) => ({ text: p.text }));
  const opt = call.options;
  const budget = isAnthropicModel(model) ? thinkingBudget(call) : undefined;
  const inference: Json = {};
  let maxTokens = opt.maxOutputTokens;
  if (budget !== undefined && (maxTokens === undefined || maxTokens <= budget)) maxTokens = budget + (maxTokens ?? ANSWER_ROOM);
  if (maxTokens !== undefined) inference.maxTokens = maxTokens;
  if (opt.temperature !== undefined && budget === undefined) inference.temperature = opt.temperature;
  if (opt.topP !== undefined && (budget === undefined || opt.topP >= 0.95)) inference.topP = opt.topP;
  if (opt.stopSequences && opt.stopSequences.length > 0) inference.stopSequences = [...opt.stopSequences];
  if (Object.keys(inference).length > 0) body.inferenceConfig = inference;
  const additional: Json = {};
  if (budget !== undefined) additional.thinking = { type: 'enabled', budget_tokens: budget };
  if (opt.topK !== undefined && budget === undefined && isAnthropicModel(model)) additional.top_k = opt.topK;
  if (Object.keys(additional).length > 0) body.additionalModelRequestFields = additional;
  if (call.tools.length > 0) {
    if (call.toolChoice.type === 'none') throw new LipError('LIP_ERR_REQUEST_UNSUPPORTED', 'bedrock (Converse) has no tool_choice "none" while tools are declared: leave the tools out instead');
    body.toolConfig = {
      tools: call.tools.map((t) => ({
        toolSpec: { name: t.name, ...(t.description ? { description: t.description } : {}), inputSchema: { json: Object.keys(t.parameters).length > 0 ? t.parameters : { type: 'object', properties: {} } } },
      })),
      ...toolChoice(call.toolChoice),
    };
  }
  return body;
}

/** The thinking budget of a call, or undefined for none. */
export function thinkingBudget(call: Call): number | undefined {
  const r = call.options.reasoning;
  if (!r) return undefined;
  if (r.budgetTokens !== undefined) return r.budgetTokens === 0 ? undefined : Math.max(MIN_BUDGET, r.budgetTokens);
  return r.effort !== undefined ? EFFORT_BUDGET[r.effort] : undefined;
}

function toolChoice(choice: ToolChoice): Json {
  switch (choice.type) {
    case 'any': return { toolChoice: { any: {} } };
    case 'tool': return { toolChoice: { tool: { name: choice.name } } };
    default: return { toolChoice: { auto: {} } };
  }
}
