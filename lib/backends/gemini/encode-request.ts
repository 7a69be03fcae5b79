import type { Call, ToolChoice } from '../../canonical/index.js';
import { callableTools } from '../allowed-tools.js';
import { encodeContents } from './encode-contents.js';

type Json = Record<string, unknown>;

/** Thinking budgets for an OpenAI-style effort when the call gives no budget. */
const EFFORT_BUDGET: Readonly<Record<string, number>> = { none: 0, minimal: 512, low: 1024, medium: 8192, high: 24576, xhigh: 32768, max: 32768 };

/**
 * Call -> `streamGenerateContent` request body. Tools are declared with their full JSON Schema
 * (`parametersJsonSchema`), structured output with `responseJsonSchema`; a reasoning request
 * becomes `thinkingConfig` (budget from the call, or from its effort) with `includeThoughts`
 * on unless the call turns thoughts off, so thought summaries and signatures come back. With
 * `knobs`, the client's Gemini knobs (safety settings, media resolution) go along.
 *
 * ```ts
 * encodeGeminiRequest(call)
 * // { contents: [...], systemInstruction: { parts: [...] }, generationConfig: { ... } }
 * ```
 * @see spec/backends/gemini/encode-request.spec.ts
 */
export function encodeGeminiRequest(call: Call, knobs = true): Json {
  const { contents, system } = encodeContents(call.messages);
  const body: Json = { contents };
  const systemParts = [...call.system, ...system].filter((p) => p.text.length > 0);
  if (systemParts.length > 0) body.systemInstruction = { parts: systemParts.map((p) => ({ text: p.text })) };
  if (call.tools.length > 0) {
    // Gemini restricts the choice only under ANY: a restricted AUTO declares the allowed functions alone.
    const tools = call.toolChoice.type === 'auto' ? callableTools(call) : call.tools;
    body.tools = [{
      functionDeclarations: tools.map((t) => ({
        name: t.name, ...(t.description !== undefined ? { description: t.description } : {}), parametersJsonSchema: t.parameters,
      })),
    }];
    body.toolConfig = { functionCallingConfig: toolConfig(call.toolChoice) };
  }
  const opt = call.options;
  const config: Json = {};
  if (opt.temperature !== undefined) config.temperature = opt.temperature;
  if (opt.topP !== undefined) config.topP = opt.topP;
  if (opt.topK !== undefined) config.topK = opt.topK;
  if (opt.maxOutputTokens !== undefined) config.maxOutputTokens = opt.maxOutputTokens;
  if (opt.stopSequences && opt.stopSequences.length > 0) config.stopSequences = opt.stopSequences;
  if (opt.presencePenalty !== undefined) config.presencePenalty = opt.presencePenalty;
  if (opt.frequencyPenalty !== undefined) config.frequencyPenalty = opt.frequencyPenalty;
  if (opt.seed !== undefined) config.seed = opt.seed;
  if (opt.logprobs !== undefined) {
    config.responseLogprobs = true;
    if (opt.logprobs > 0) config.logprobs = opt.logprobs;
  }
  const format = opt.responseFormat;
  if (format?.type === 'json_object') config.responseMimeType = 'application/json';
  if (format?.type === 'json_schema') {
    config.responseMimeType = 'application/json';
    config.responseJsonSchema = format.schema;
  }
  const k = knobs ? call.providerOptions?.gemini : undefined;
  const r = opt.reasoning;
  if (r) {
    // The client's own thinking level, unless it gave a budget (Gemini takes one or the other).
    const level = r.budgetTokens === undefined ? k?.thinkingLevel : undefined;
    const budget = level !== undefined ? undefined : r.budgetTokens ?? (r.effort !== undefined ? EFFORT_BUDGET[r.effort] : undefined);
    const thinking: Json = {};
    if (level !== undefined) thinking.thinkingLevel = level;
    if (budget !== undefined) thinking.thinkingBudget = budget;
    if (r.includeThoughts !== false && budget !== 0) thinking.includeThoughts = true;
    if (Object.keys(thinking).length > 0) config.thinkingConfig = thinking;
  }
  if (k?.mediaResolution !== undefined) config.mediaResolution = k.mediaResolution;
  if (k?.safetySettings !== undefined) body.safetySettings = k.safetySettings;
  if (Object.keys(config).length > 0) body.generationConfig = config;
  return body;
}

function toolConfig(choice: ToolChoice): Json {
  switch (choice.type) {
    case 'none': return { mode: 'NONE' };
    case 'any': return choice.allowed ? { mode: 'ANY', allowedFunctionNames: choice.allowed } : { mode: 'ANY' };
    case 'tool': return { mode: 'ANY', allowedFunctionNames: [choice.name] };
    default: return { mode: 'AUTO' };
  }
}
