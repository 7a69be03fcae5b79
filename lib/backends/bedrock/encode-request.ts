import type { Call, ToolChoice } from '../../canonical/index.js';
import { callableTools } from '../allowed-tools.js';
import { refuseWebSearch } from '../web-search.js';
import { LipError } from '../../errors/index.js';
import { enrollInCache, latestCacheMarks, MAX_CACHE_BREAKPOINTS, withoutToolCacheMarks } from '../cache-marks.js';
import { anthropicThinking, fitThinking, loopWithoutThinking, type ThinkingBlocks } from '../thinking.js';
import { withoutBlankText } from '../blank-text.js';
import { CACHE_POINT, encodeMessages } from './encode-messages.js';
import { forHostedDialect } from '../hosted-tools.js';
import { refuseForeignMediaFields } from '../media-refusal.js';
import { anthropicFormatSchema, anthropicStrictInput } from '../anthropic-strict-schema.js';
import type { BedrockFamily } from './model-family.js';

type Json = Record<string, unknown>;
/** The JSON Pointer of the matched stop sequence in a model's own answer (`additionalModelResponseFields`). */
const STOP_SEQUENCE_PATH = '/stop_sequence';
/** Output room left beside a thinking budget when the call sets no limit. */
const ANSWER_ROOM = 4096;
/** Converse's reasoning and tool result blocks (loopWithoutThinking). */
const THINKING_BLOCKS: ThinkingBlocks = { thinking: (b) => b.reasoningContent !== undefined, toolResult: (b) => b.toolResult !== undefined };

/**
 * Where Converse takes `cachePoint` blocks for the family: Anthropic's models in the system, the
 * messages and the tools; Amazon Nova's in the system and the messages only; others nowhere.
 */
function cachePointsOf(family: BedrockFamily): { readonly any: boolean; readonly tools: boolean } {
  return { any: family !== 'other', tools: family === 'anthropic' };
}

/**
 * Call -> Converse / ConverseStream request body for a model of `family` (the row's
 * `model_families`, else what the model id names: BedrockOptions.familyOf; the model goes in the
 * path). Text that is empty
 * or only whitespace is left out, its cache mark moved to the block before it (withoutBlankText),
 * as Converse refuses such text blocks. Instructions and system messages become `system` text blocks; `inferenceConfig` carries only what the call
 * sets, the temperature capped at 1 (Converse's range for every model) and, for a Claude model, no
 * top-p beside a temperature (which it refuses); tools become `toolConfig` with their full JSON Schema, a provider-defined tool too (an
 * Anthropic client's text editor, bash, memory or computer tool, even for a Claude model: Converse
 * declares tools by `toolSpec` only), as a function of its name with the schema and description
 * the frontend wrote for it. A reasoning request reaches
 * Anthropic models as `additionalModelRequestFields.thinking` (budget from the call or its
 * effort, not an Anthropic client's own effort; below `maxTokens` as the model requires: a limit
 * the call set stays, the budget lowered under it or thinking left out when less than the
 * smallest budget fits, and a call without one gets the budget plus ANSWER_ROOM, no more than
 * `ceiling` (the model's known output limit, Target.outputCeiling; the budget then under it: fitThinking);
 * temperature and top-p left out, as the model requires; adaptive thinking as `{type: "adaptive"}`; none beside a forced tool choice,
 * which the model refuses: anthropicThinking, nor in an open tool loop whose assistant turn does
 * not start with reasoning, which it refuses too: loopWithoutThinking); other families take no reasoning switch through Converse. `tool_choice:
 * none` with tools has no Converse form and is refused (400) rather than ignored. A call that
 * declares no tools but whose history holds tool calls or results gets a `toolConfig` of the
 * history's tools, each with any input (`{type: "object"}`), which Converse requires beside such
 * blocks (historyToolNames); without `toolChoice`, as Converse has no "none". Cache marks
 * (system parts, message parts, tools) become `cachePoint` blocks after them, for the models
 * that cache prompts (Anthropic's; Amazon Nova's, not after a tool: Nova takes cache points in
 * the system and the messages only); the others take none. `enrolled` (the row's
 * `cache_enrollment: automatic`) adds one after the last cacheable block (enrollInCache; for
 * Nova never a tool). Stop
 * sequences ask for `/stop_sequence` in `additionalModelResponseFieldPaths`, so that the answer
 * names the one that matched.
 *
 * ```ts
 * encodeBedrockRequest(call, 'anthropic')
 * // { messages: [...], system: [{ text }], inferenceConfig: { maxTokens: 512 }, toolConfig: {...} }
 * ```
 * @see spec/backends/bedrock/encode-request.spec.ts
 */
export function encodeBedrockRequest(given: Call, family: BedrockFamily, enrolled = false, ceiling?: number): Json {
  refuseWebSearch(given, 'bedrock');
  refuseForeignMediaFields(given, 'bedrock');
  const own = forHostedDialect(given, 'bedrock');
  const claude = family === 'anthropic';
  const where = cachePointsOf(family);
  const cachePoints = where.any;
  const writable = cachePoints ? writableMarks(own, where) : own;
  const call = withoutBlankText(cachePoints ? fitCacheMarks(enrolled ? enrollInCache(writable, undefined, { tools: where.tools }) : writable) : own);
  const { messages, system } = encodeMessages(call.messages, cachePoints);
  const body: Json = { messages };
  const systemParts = [...call.system, ...system];
  if (systemParts.length > 0) body.system = systemParts.flatMap((p) => (cachePoints && p.cache ? [{ text: p.text }, CACHE_POINT] : [{ text: p.text }]));
  const opt = call.options;
  const asked = claude && !loopWithoutThinking(messages, THINKING_BLOCKS) ? anthropicThinking(call) : undefined;
  const { maxTokens, budget } = fitThinking({ limit: opt.maxOutputTokens, budget: asked?.type === 'enabled' ? asked.budget : undefined, room: ANSWER_ROOM, ceiling });
  // A budget that did not fit under the call's limit leaves thinking out.
  const thinking = asked?.type === 'adaptive' || budget !== undefined ? asked : undefined;
  const inference: Json = {};
  if (maxTokens !== undefined) inference.maxTokens = maxTokens;
  // Converse takes a temperature from 0 to 1 for every model (Chat and Gemini clients may send up to 2).
  if (opt.temperature !== undefined && thinking === undefined) inference.temperature = Math.min(1, opt.temperature);
  // Claude models after Claude 3 refuse `temperature` and `top_p` together, as on the anthropic
  // backend: a call with both sends the temperature. Other families take both.
  const nucleus = !claude || inference.temperature === undefined;
  if (opt.topP !== undefined && nucleus && (thinking === undefined || opt.topP >= 0.95)) inference.topP = opt.topP;
  if (opt.stopSequences && opt.stopSequences.length > 0) inference.stopSequences = [...opt.stopSequences];
  if (Object.keys(inference).length > 0) body.inferenceConfig = inference;
  // Converse names the stop sequence that matched only in the model's own fields, and only those
  // asked for: Claude's `stop_sequence` (a model whose answer has no such field ignores the path).
  if (inference.stopSequences !== undefined) body.additionalModelResponseFieldPaths = [STOP_SEQUENCE_PATH];
  const additional: Json = {};
  if (thinking !== undefined) additional.thinking = budget !== undefined ? { type: 'enabled', budget_tokens: budget } : { type: 'adaptive' };
  if (opt.topK !== undefined && thinking === undefined && claude) additional.top_k = opt.topK;
  if (Object.keys(additional).length > 0) body.additionalModelRequestFields = additional;
  if (call.tools.length > 0) {
    if (call.toolChoice.type === 'none') throw new LipError('LIP_ERR_REQUEST_UNSUPPORTED', 'bedrock (Converse) has no tool_choice "none" while tools are declared: leave the tools out instead (a history with tool calls then declares only the tools it used, as Converse requires)');
    body.toolConfig = {
      tools: callableTools(call).flatMap((t) => {
        const json = Object.keys(t.parameters).length > 0 ? t.parameters : { type: 'object', properties: {} };
        const strict = t.strict === true ? anthropicStrictInput(json) : undefined;
        const spec = { toolSpec: { name: t.name, ...(t.description ? { description: t.description } : {}), inputSchema: { json: strict ?? json }, ...(strict !== undefined ? { strict: true } : {}) } };
        return where.tools && t.cache ? [spec, CACHE_POINT] : [spec];
      }),
      ...toolChoice(call.toolChoice),
    };
  } else {
    // Converse refuses toolUse / toolResult blocks without a toolConfig: the history's tools, any input.
    const used = historyToolNames(call, messages);
    if (used.length > 0) body.toolConfig = { tools: used.map((name) => ({ toolSpec: { name, inputSchema: { json: { type: 'object' } } } })) };
  }
  const format = opt.responseFormat;
  if (format?.type === 'json_schema') {
    // Converse takes the schema as a JSON string; a Claude model compiles it as Anthropic does, so
    // it is fitted to that subset (and a recursive one refused before sending, as on anthropic).
    const schema = claude ? anthropicFormatSchema(format.schema, 'bedrock') : format.schema;
    const definition = { schema: JSON.stringify(schema), ...(format.name !== undefined ? { name: format.name } : {}), ...(format.description !== undefined ? { description: format.description } : {}) };
    body.outputConfig = { textFormat: { type: 'json_schema', structure: { jsonSchema: definition } } };
  }
  return body;
}

/**
 * The names of the tools a conversation's `toolUse` and `toolResult` blocks belong to, each once in
 * order of appearance (a result's own name when its call is not in the history); none when the
 * messages hold no such block.
 */
function historyToolNames(call: Call, messages: readonly Json[]): string[] {
  const blocks = messages.flatMap((m) => (Array.isArray(m.content) ? (m.content as Json[]) : []));
  if (!blocks.some((b) => b.toolUse !== undefined || b.toolResult !== undefined)) return [];
  const names = new Set<string>();
  for (const b of blocks) {
    const name = (b.toolUse as { name?: unknown } | undefined)?.name;
    if (typeof name === 'string') names.add(name);
  }
  for (const m of call.messages) for (const p of m.parts) if (p.type === 'tool_result' && p.name !== undefined) names.add(p.name);
  return [...names];
}

function toolChoice(choice: ToolChoice): Json {
  switch (choice.type) {
    case 'any': return { toolChoice: { any: {} } };
    case 'tool': return { toolChoice: { tool: { name: choice.name } } };
    default: return { toolChoice: { auto: {} } };
  }
}

/** The call with only the marks the model takes a cache point for: a Nova model's without its tools' (withoutToolCacheMarks). */
function writableMarks(call: Call, where: { readonly tools: boolean }): Call {
  return where.tools ? call : withoutToolCacheMarks(call);
}

/**
 * The call with at most MAX_CACHE_BREAKPOINTS cache marks (Converse takes four), the latest kept,
 * whatever wrote them: OpenAI breakpoints (OpenAI counts the latest 80), OpenRouter-style
 * `cache_control` on Chat parts, a continued conversation's stored turns. Counted before the
 * marks Converse has no place for (inside a tool result or a search result) are left out, so a
 * request may hold fewer than four.
 */
function fitCacheMarks(call: Call): Call {
  return latestCacheMarks(call, MAX_CACHE_BREAKPOINTS);
}
