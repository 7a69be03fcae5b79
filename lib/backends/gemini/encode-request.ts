import type { Call, ToolChoice, ToolDefinition } from '../../canonical/index.js';
import { HOSTED_DIALECTS, SEARCH_DIALECTS, TOOL_DIALECTS } from '../../canonical/index.js';
import { LipError } from '../../errors/index.js';
import { callableTools } from '../allowed-tools.js';
import { encodeContents, SKIP_SIGNATURE, wantsCallSignatures } from './encode-contents.js';
import { forHostedDialect } from '../hosted-tools.js';
import { limitStopSequences } from '../stop-sequences.js';

type Json = Record<string, unknown>;

/** The most stop sequences Gemini takes (`generationConfig.stopSequences`: "up to 5"). */
export const MAX_STOP_SEQUENCES = 5;

/** Thinking budgets for an OpenAI-style effort when the call gives no budget (a Map: an effort is any word a client wrote). */
const EFFORT_BUDGET: ReadonlyMap<string, number> = new Map(Object.entries({ none: 0, minimal: 512, low: 1024, medium: 8192, high: 24576, xhigh: 32768, max: 32768 }));

/**
 * The thinking budgets a Gemini 2.5 model takes (Google's thinking guide): Flash 0 to 24576,
 * Flash-Lite 0 or 512 to 24576, Pro 128 to 32768 (Pro cannot turn thinking off). The `-latest`
 * aliases are read by their family. Other models (Gemini 3, which thinks by level) are not capped.
 */
function thinkingBudgetRange(model: string | undefined): { min: number; max: number; off: boolean } | undefined {
  const family = model === undefined ? undefined : /(?:^|\/)gemini-(?:2\.5-)?(flash-lite|flash|pro)(?:-|$)/i.exec(model)?.[1]?.toLowerCase();
  if (family === 'flash-lite') return { min: 512, max: 24576, off: true };
  if (family === 'flash') return { min: 0, max: 24576, off: true };
  if (family === 'pro') return { min: 128, max: 32768, off: false };
  return undefined;
}

/**
 * An effort's thinking budget, within what `model` takes: `xhigh` and `max` are 24576 on a Flash
 * or Flash-Lite, `none` is Pro's least (128: it cannot think less), `minimal` is at least 512 on
 * a Flash-Lite.
 */
function effortBudget(effort: string, model: string | undefined): number | undefined {
  const budget = EFFORT_BUDGET.get(effort);
  const range = thinkingBudgetRange(model);
  if (budget === undefined || range === undefined || (budget === 0 && range.off)) return budget;
  return Math.min(range.max, Math.max(range.min, budget));
}

/**
 * Call -> `streamGenerateContent` request body. Tools are declared with their full JSON Schema
 * (`parametersJsonSchema`), structured output with `responseJsonSchema`; a reasoning request
 * becomes `thinkingConfig` (budget from the call, or from its effort) with `includeThoughts`
 * on unless the call turns thoughts off, so thought summaries and signatures come back. With
 * `knobs`, the client's Gemini knobs (safety settings, media resolution, and in `toolConfig` the
 * user's location and `includeServerSideToolInvocations`) go along. A hosted web search is a tool
 * entry of its own, `{googleSearch: {...}}` (see googleSearch), and so is each of Gemini's hosted
 * built-ins (`{codeExecution: {}}`, `{googleMaps: {...}}`, `{mcpServers: [...]}`, ...) and a Gemini
 * client's computer use (`{computerUse: {...}}`, once for all its predefined functions), as the client
 * declared it; the built-ins' parts in the history go back in place (encode-contents.ts). Under
 * tool choice `none` neither the search nor a built-in is declared. A Gemini client's
 * `modelArmorConfig` goes as written whatever `knobs` says (a hosted capability: a safety gate).
 *
 * ```ts
 * encodeGeminiRequest(call)
 * // { contents: [...], systemInstruction: { parts: [...] }, generationConfig: { ... } }
 * ```
 * @see spec/backends/gemini/encode-request.spec.ts
 */
export function encodeGeminiRequest(given: Call, knobs = true, model?: string): Json {
  const call = forHostedDialect(given, 'gemini', HOSTED_DIALECTS.gemini);
  const { contents, system } = encodeContents(call.messages, wantsCallSignatures(model) ? SKIP_SIGNATURE : undefined);
  const body: Json = { contents };
  const systemParts = [...call.system, ...system].filter((p) => p.text.length > 0);
  if (systemParts.length > 0) body.systemInstruction = { parts: systemParts.map((p) => ({ text: p.text })) };
  const k = knobs ? call.providerOptions?.gemini : undefined;
  const calling: Json = {};
  if (call.tools.length > 0) {
    // Gemini restricts the choice only under ANY: a restricted AUTO declares the allowed functions alone.
    const declared = call.toolChoice.type === 'auto' ? callableTools(call) : call.tools;
    const own = declared.filter(isComputerUse);
    const functions = declared.filter((t) => t.kind !== 'web_search' && t.kind !== 'hosted' && !isComputerUse(t));
    // Tool choice none forbids the search and the built-ins too: Gemini's NONE speaks of functions only, so they are left out.
    const none = call.toolChoice.type === 'none';
    const search = none ? undefined : declared.find((t) => t.kind === 'web_search');
    const hosted = none ? [] : declared.filter((t) => t.kind === 'hosted');
    const tools: Json[] = [];
    if (functions.length > 0) {
      tools.push({
        functionDeclarations: functions.map((t) => ({
          name: t.name, ...(t.description !== undefined ? { description: t.description } : {}), parametersJsonSchema: t.parameters,
        })),
      });
    }
    tools.push(...distinctDefinitions(own));
    if (search) tools.push({ googleSearch: googleSearch(search) });
    // One entry per built-in, each as the client declared it (forHostedDialect let only Gemini's through).
    for (const tool of hosted) tools.push({ ...tool.providerTool!.definition });
    if (tools.length > 0) body.tools = tools;
    // Function calling config speaks of functions only (computer use's are functions): none, none to configure.
    const builtins = new Set(declared.filter((t) => t.kind === 'web_search' || t.kind === 'hosted').map((t) => t.name));
    if (functions.length > 0 || own.length > 0) calling.functionCallingConfig = toolConfig(call.toolChoice, builtins);
  }
  if (k?.retrievalConfig !== undefined) calling.retrievalConfig = k.retrievalConfig;
  if (k?.includeServerSideToolInvocations !== undefined) calling.includeServerSideToolInvocations = k.includeServerSideToolInvocations;
  if (Object.keys(calling).length > 0) body.toolConfig = calling;
  const opt = call.options;
  const config: Json = {};
  if (opt.temperature !== undefined) config.temperature = opt.temperature;
  if (opt.topP !== undefined) config.topP = opt.topP;
  if (opt.topK !== undefined) config.topK = opt.topK;
  if (opt.maxOutputTokens !== undefined) config.maxOutputTokens = opt.maxOutputTokens;
  if (opt.stopSequences && opt.stopSequences.length > 0) config.stopSequences = limitStopSequences(opt.stopSequences, MAX_STOP_SEQUENCES, 'gemini');
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
  if (body.tools !== undefined && config.responseMimeType === 'application/json' && refusesToolsWithJson(model)) throw toolsWithJson(model!);
  const r = opt.reasoning;
  // Thinking off without a budget (an Anthropic client's): the model's default, as without reasoning options.
  if (r && r.disabled !== true) {
    // The client's own thinking level, unless it gave a budget (Gemini takes one or the other).
    const level = r.budgetTokens === undefined ? k?.thinkingLevel : undefined;
    const budget = level !== undefined ? undefined : r.budgetTokens ?? (r.effort !== undefined ? effortBudget(r.effort, model) : undefined);
    // Thinking off, whose budget a Pro raised to its least: thinking as little as it can, its thoughts not asked for.
    const off = budget === 0 || (budget !== undefined && r.budgetTokens === undefined && r.effort === 'none');
    const thinking: Json = {};
    if (level !== undefined) thinking.thinkingLevel = level;
    if (budget !== undefined) thinking.thinkingBudget = budget;
    if (r.includeThoughts !== false && !off) thinking.includeThoughts = true;
    if (Object.keys(thinking).length > 0) config.thinkingConfig = thinking;
  }
  if (k?.mediaResolution !== undefined) config.mediaResolution = k.mediaResolution;
  if (k?.enhancedCivicAnswers !== undefined) config.enableEnhancedCivicAnswers = k.enhancedCivicAnswers;
  if (k?.safetySettings !== undefined) body.safetySettings = k.safetySettings;
  if (k?.serviceTier !== undefined) body.serviceTier = k.serviceTier;
  if (Object.keys(config).length > 0) body.generationConfig = config;
  // Model Armor's screening, a hosted capability (a safety gate): sent whatever provider_options says.
  const armor = call.providerOptions?.gemini?.modelArmorConfig;
  if (armor !== undefined) body.modelArmorConfig = armor;
  // Resuming an answer Gemini stopped with a continuation token (continueResumedAnswers): lip's own, not a knob.
  const resumed = call.providerOptions?.gemini?.continuationToken;
  if (resumed !== undefined) body.continuationToken = resumed;
  return body;
}

/** A predefined function of a Gemini client's computer use (TOOL_DIALECTS.gemini), which Gemini declares itself. */
function isComputerUse(t: ToolDefinition): boolean {
  return t.kind === 'provider' && t.providerTool?.dialect === TOOL_DIALECTS.gemini;
}

/** Each declaration the tools share (computer use's predefined functions all have the one), once, as written. */
function distinctDefinitions(tools: readonly ToolDefinition[]): Json[] {
  const seen = new Map<string, Json>();
  for (const t of tools) {
    const text = JSON.stringify(t.providerTool!.definition);
    if (!seen.has(text)) seen.set(text, { ...t.providerTool!.definition });
  }
  return [...seen.values()];
}

/**
 * The hosted web search as Gemini's `googleSearch`: a Gemini client's own declaration as it was
 * written (`timeRangeFilter`, `excludeDomains`, ...), else `{}`. The canonical options have no
 * Gemini API form and are left out: `blockedDomains` would be `excludeDomains`, which only
 * Vertex AI takes (the Gemini API refuses it), and Google has no allowed domains, location,
 * context size, use limit or cache-only mode.
 */
function googleSearch(tool: ToolDefinition): Json {
  return tool.providerTool?.dialect === SEARCH_DIALECTS.gemini ? { ...tool.providerTool.definition } : {};
}

/**
 * The function calling mode. Gemini cannot force or forbid a search or a built-in: a choice of
 * one of them alone is `NONE` (no function; the tool stays declared), and their names are left
 * out of `allowedFunctionNames` (none left: `NONE`).
 */
function toolConfig(choice: ToolChoice, builtins: ReadonlySet<string>): Json {
  switch (choice.type) {
    case 'none': return { mode: 'NONE' };
    case 'any': {
      const allowed = choice.allowed?.filter((name) => !builtins.has(name));
      if (allowed === undefined) return { mode: 'ANY' };
      return allowed.length > 0 ? { mode: 'ANY', allowedFunctionNames: allowed } : { mode: 'NONE' };
    }
    case 'tool': return builtins.has(choice.name) ? { mode: 'NONE' } : { mode: 'ANY', allowedFunctionNames: [choice.name] };
    default: return { mode: 'AUTO' };
  }
}

/**
 * Whether the model refuses tools (functions, a search, a built-in) beside a JSON response
 * (`responseMimeType: application/json`): Gemini 2.x and older do ("Function calling with a
 * response mime type: 'application/json' is unsupported"), Gemini 3 takes both. An alias
 * (`gemini-flash-latest`) or another name is given the benefit of the doubt.
 */
export function refusesToolsWithJson(model: string | undefined): boolean {
  return model !== undefined && /(?:^|\/)gemini-(?:[12](?:[.-]|$)|pro(?:-vision)?$)/i.test(model);
}

/**
 * A 400 for tools beside a JSON response on a model that refuses the pair, before anything is
 * sent: retryable, so that a route moves on to a candidate that takes both (as for stop sequences).
 */
function toolsWithJson(model: string): LipError {
  return new LipError('LIP_ERR_REQUEST_UNSUPPORTED', `tools beside a JSON response format (response_format, text.format, output_config.format, responseMimeType): gemini model ${model} takes one or the other, not both (Gemini 3 takes both); send one, or route the request to a backend that takes both`, {
    retryable: true, detail: { model },
  });
}

