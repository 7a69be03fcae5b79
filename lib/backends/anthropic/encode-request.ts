import type { Call, ToolChoice, ToolDefinition } from '../../canonical/index.js';
import { HOSTED_DIALECTS, SEARCH_DIALECTS, serverCompaction, TOOL_DIALECTS, WEB_SEARCH_TOOL_NAME } from '../../canonical/index.js';
import { callableTools } from '../allowed-tools.js';
import { latestCacheMarks, MAX_CACHE_BREAKPOINTS } from '../cache-marks.js';
import { withoutBlankText } from '../blank-text.js';
import { anthropicEffort, anthropicThinking, fitThinking, loopWithoutThinking, type ThinkingBlocks } from '../thinking.js';
import { cached, encodeMessages } from './encode-messages.js';
import { definedFields, sendKnobs } from '../provider-options.js';
import type { AnthropicOptions } from './options.js';
import { forHostedDialect } from '../hosted-tools.js';
import { refuseForeignMediaFields } from '../media-refusal.js';
import { anthropicFormatSchema, anthropicStrictInput } from '../anthropic-strict-schema.js';

type Json = Record<string, unknown>;

/** The Messages API's thinking and tool result blocks (loopWithoutThinking). */
const THINKING_BLOCKS: ThinkingBlocks = {
  thinking: (b) => b.type === 'thinking' || b.type === 'redacted_thinking',
  toolResult: (b) => b.type === 'tool_result',
};

/**
 * Call -> Messages API request body (streamed unless `stream` is false). Text that is empty or
 * only whitespace is left out, its cache mark moved to the block before it (withoutBlankText), as
 * the API refuses such text blocks. `max_tokens` is mandatory: the call's
 * limit or the row's `default_max_tokens`, no more than `ceiling` (the model's known output limit,
 * Target.outputCeiling). Extended thinking (`thinking.budget_tokens`) comes
 * from the call's budget or effort and must stay below `max_tokens` (fitThinking: a limit lip
 * picks is raised above it up to the ceiling, the budget lowered under a call's limit or the ceiling); adaptive thinking asked for
 * by the call is `thinking: {type: "adaptive"}` with its effort as `output_config.effort`, as is an
 * Anthropic client's own effort, which turns no thinking on (anthropicEffort); none
 * when the call forces a tool call, which the API refuses beside thinking (anthropicThinking), nor
 * in an open tool loop whose assistant turn does not start with thinking (a call another provider
 * made, answered here after failover), which the API refuses too (loopWithoutThinking). While
 * thinking is on, the sampling options the API refuses with thinking (temperature, top_k, top_p
 * below 0.95) are left out. A `json_schema` response format is `output_config.format`, its schema
 * fitted to the subset the API compiles (anthropicStrictSchema: the keywords outside it go into
 * the description), as written where it has no fit (an open object); a recursive one is refused
 * before sending (anthropicFormatSchema), so that a route moves on. The client's
 * `service_tier`, `inference_geo` and `speed` go out unless the row turns `provider_options` off
 * (a `speed` some models take only with a beta feature: the client names it in its own
 * `anthropic-beta`, which is sent on). A client tool
 * with an Anthropic-defined schema goes back as the client declared it (computer use needs a
 * beta feature too, which the client's `anthropic-beta` names), and so does a computer or browser
 * toolset, once for all its members (declarations). A hosted web search is the
 * `web_search` server tool: an Anthropic client's declaration as written, another client's
 * `web_search_20250305` with the options Anthropic has; the searches of the history that
 * Anthropic ran go back with it (encode-messages.ts). The other server tools an Anthropic client
 * declared (web fetch, code execution, tool search: kind `hosted`) go back as declared, their
 * blocks of the history in place as written, and the client's `container` with them (with or
 * without `provider_options`: it is those tools' state, as their blocks are); so do the MCP
 * connector's `mcp_toolset` tools, blocks and `mcp_servers`, the advisor, and server-side
 * compaction's `context_management` edit or `compaction` request (compactionFields) with the
 * `compaction` blocks of the history. No beta header is added: these tools are in the Messages API
 * itself (the SDK's `messages.create` sends none for them), and the betas of the MCP connector
 * (`mcp-client-…`), the advisor (`advisor-tool-…`) and compaction (`compact-…`) are the client's
 * to name in its own `anthropic-beta`, which is sent on.
 *
 * ```ts
 * encodeAnthropicRequest(call, 'claude-sonnet-4-6', options)
 * // { model, max_tokens: 8192, stream: true, system: [...], messages: [...], ... }
 * ```
 * @see spec/backends/anthropic/encode-request.spec.ts
 */
export function encodeAnthropicRequest(given: Call, model: string, o: AnthropicOptions, stream = true, ceiling?: number): Json {
  refuseForeignMediaFields(given, 'anthropic');
  const call = withoutBlankText(fitCacheMarks(forHostedDialect(given, 'anthropic', HOSTED_DIALECTS.anthropic)));
  const { messages, system } = encodeMessages(call.messages);
  const systemParts = [...call.system, ...system];
  const opt = call.options;
  const thinking = loopWithoutThinking(messages, THINKING_BLOCKS) ? undefined : anthropicThinking(call);
  const fit = fitThinking({ limit: opt.maxOutputTokens, picked: o.defaultMaxTokens, budget: thinking?.type === 'enabled' ? thinking.budget : undefined, room: o.defaultMaxTokens, ceiling });
  const maxTokens = fit.maxTokens ?? o.defaultMaxTokens;
  const budget = fit.budget;
  const adaptive = thinking?.type === 'adaptive' ? thinking : undefined;
  const thinks = budget !== undefined || adaptive !== undefined;

  const body: Json = { model, max_tokens: maxTokens, stream, messages };
  if (systemParts.length > 0) body.system = systemParts.map((p) => cached({ type: 'text', text: p.text }, p));
  if (call.tools.length > 0) {
    body.tools = declarations(callableTools(call));
    const choice = toolChoice(call.toolChoice);
    if (opt.parallelToolCalls === false && choice.type !== 'none') choice.disable_parallel_tool_use = true;
    body.tool_choice = choice;
  }
  const shown = thinkingDisplay(call, o.providerOptions);
  if (budget !== undefined) body.thinking = { type: 'enabled', budget_tokens: budget, ...shown };
  else if (adaptive) body.thinking = { type: 'adaptive', ...shown };
  else if (o.providerOptions && call.providerOptions?.anthropic?.thinkingType === 'between_tools') body.thinking = { type: 'between_tools' };
  if (!thinks && opt.temperature !== undefined) body.temperature = Math.min(1, opt.temperature);
  // Current models refuse `temperature` and `top_p` together ("cannot both be specified for this
  // model"), and Anthropic advises one or the other on all: a call with both sends `temperature`.
  if (opt.topP !== undefined && body.temperature === undefined && (!thinks || opt.topP >= 0.95)) body.top_p = opt.topP;
  if (!thinks && opt.topK !== undefined) body.top_k = opt.topK;
  // The API refuses a stop sequence of white space alone ("each stop sequence must contain
  // non-whitespace"), which OpenAI and Gemini clients send (`stop: ["\n"]`): those are left out.
  const stops = opt.stopSequences?.filter((stop) => /\S/.test(stop));
  if (stops !== undefined && stops.length > 0) body.stop_sequences = stops;
  const outputConfig: Json = {};
  if (opt.responseFormat?.type === 'json_schema') outputConfig.format = { type: 'json_schema', schema: anthropicFormatSchema(opt.responseFormat.schema, 'anthropic') };
  const effort = anthropicEffort(call, thinking);
  if (effort !== undefined) outputConfig.effort = effort;
  const taskBudget = o.providerOptions ? call.providerOptions?.anthropic?.taskBudget : undefined;
  if (taskBudget !== undefined) outputConfig.task_budget = taskBudget;
  if (Object.keys(outputConfig).length > 0) body.output_config = outputConfig;
  if (call.user !== undefined) body.metadata = { user_id: call.user };
  const container = call.providerOptions?.anthropic?.container;
  if (container !== undefined) body.container = container;
  // The MCP connector's servers, as written (tokens included): the state of the mcp_toolset tools
  // and blocks, sent like them whatever the row's provider_options says.
  const mcpServers = call.providerOptions?.anthropic?.mcpServers;
  if (mcpServers !== undefined && mcpServers.length > 0) body.mcp_servers = mcpServers;
  Object.assign(body, compactionFields(call));
  return o.providerOptions ? sendKnobs(body, knobs(call)) : body;
}

/**
 * Server-side compaction, when the call asks for it (serverCompaction): the `context_management`
 * that holds its edit and a compaction request's `compaction`, as written. Hosted work, like the
 * MCP connector's servers: sent whatever the row's provider_options says (every other backend
 * refused the call), where the clearing edits alone are a knob that switch governs.
 */
function compactionFields(call: Call): Json {
  const a = call.providerOptions?.anthropic;
  if (a === undefined || serverCompaction(a).length === 0) return {};
  return definedFields({ context_management: a.contextManagement, compaction: a.compaction });
}

/** The call's Anthropic knobs in wire names. */
function knobs(call: Call): Json {
  const k = call.providerOptions?.anthropic;
  return k ? definedFields({ service_tier: k.serviceTier, inference_geo: k.inferenceGeo, speed: k.speed, context_management: k.contextManagement }) : {};
}

/**
 * The tools as the Messages API declares them, each with its cache mark. The members of a toolset
 * (ToolDefinition.toolset) are its one declaration, as the client wrote it, in the place of its
 * first member, with the latest cache mark of its members (the frontend puts the toolset's on its
 * last member).
 */
function declarations(tools: readonly ToolDefinition[]): Json[] {
  const out: Json[] = [];
  let toolsets: Set<string> | undefined;
  tools.forEach((t, i) => {
    if (t.toolset === undefined || t.providerTool?.dialect !== TOOL_DIALECTS.anthropic) {
      out.push(cached(withToolFields(toolDeclaration(t), t), t)!);
      return;
    }
    if (toolsets?.has(t.toolset)) return;
    (toolsets ??= new Set()).add(t.toolset);
    const marked = tools.slice(i).filter((m) => m.toolset === t.toolset && m.cache !== undefined).at(-1);
    out.push(cached({ ...t.providerTool.definition }, marked ?? {})!);
  });
  return out;
}

/**
 * A tool as the Messages API declares it: a client tool with an Anthropic-defined schema
 * (`text_editor_20250728`, ...) as the client wrote it, so that the model gets the tool it was
 * trained on; a hosted web search as the web search server tool; another server tool (a hosted
 * tool of Anthropic's dialect; forHostedDialect refused any other) as the client declared it;
 * every other tool (a function, a provider tool of another dialect) by its schema, `strict` when
 * the call asks for it and the schema lies inside the subset Anthropic takes as strict
 * (anthropicStrictInput: a root `$schema` left out; outside it the API refuses the whole request,
 * so such a tool goes without it, its schema as written, constraints and all, for the model to read).
 */
function toolDeclaration(t: ToolDefinition): Json {
  if (t.kind === 'web_search') return webSearchDeclaration(t);
  if (t.kind === 'hosted' && t.providerTool?.dialect === HOSTED_DIALECTS.anthropic) return { ...t.providerTool.definition };
  if (t.providerTool?.dialect === TOOL_DIALECTS.anthropic) return { ...t.providerTool.definition };
  const strict = t.strict === true ? anthropicStrictInput(t.parameters) : undefined;
  return { name: t.name, ...(t.description !== undefined ? { description: t.description } : {}), input_schema: strict ?? t.parameters, ...(strict !== undefined ? { strict: true } : {}) };
}

/**
 * A declaration with the fields Anthropic reads on any tool beside its schema: `defer_loading`
 * (the call's `deferLoading`: the model gets the tool once a tool search found it) and an
 * Anthropic client's `allowed_callers`, `input_examples` and `eager_input_streaming`
 * (`providerOptions.anthropic` of the tool). They belong to the tool as the client declared it,
 * so they go with it also on a row with `provider_options: false` (that switch is about the
 * request's knobs). A hosted tool's declaration is the client's as written, those fields in it.
 */
function withToolFields(declaration: Json, t: ToolDefinition): Json {
  if (t.kind === 'hosted') return declaration;
  const a = t.providerOptions?.anthropic;
  return {
    ...declaration,
    ...definedFields({ defer_loading: t.deferLoading, allowed_callers: a?.allowedCallers, input_examples: a?.inputExamples, eager_input_streaming: a?.eagerInputStreaming }),
  };
}

/**
 * The web search server tool: an Anthropic client's declaration as it wrote it (its version and
 * every field), else `web_search_20250305` with the options Anthropic has (`max_uses`, the domain
 * lists, the approximate `user_location`). The search context size and OpenAI's live-access
 * switch have no Anthropic counterpart and are left out.
 */
function webSearchDeclaration(t: ToolDefinition): Json {
  if (t.providerTool?.dialect === SEARCH_DIALECTS.anthropic) return { ...t.providerTool.definition };
  const o = t.webSearch ?? {};
  return definedFields({
    type: 'web_search_20250305', name: WEB_SEARCH_TOOL_NAME, max_uses: o.maxUses, allowed_domains: o.allowedDomains, blocked_domains: o.blockedDomains,
    user_location: o.userLocation !== undefined ? { type: 'approximate', ...o.userLocation } : undefined,
  });
}

/**
 * `thinking.display`: an Anthropic client's as written (with the row's `provider_options`), else
 * from whether the call wants the thinking text (`summarized`) or not (`omitted`); nothing when it
 * does not say, so the model's default applies (newer models omit the text by default).
 */
function thinkingDisplay(call: Call, knobs: boolean): { display?: string; block_binding?: Readonly<Record<string, unknown>> } {
  const anthropic = knobs ? call.providerOptions?.anthropic : undefined;
  const binding = anthropic?.thinkingBlockBinding !== undefined ? { block_binding: anthropic.thinkingBlockBinding } : {};
  const written = anthropic?.thinkingDisplay;
  if (written !== undefined) return { display: written, ...binding };
  const wanted = call.options.reasoning?.includeThoughts;
  return wanted === undefined ? binding : { display: wanted ? 'summarized' : 'omitted', ...binding };
}

function toolChoice(choice: ToolChoice): Json {
  switch (choice.type) {
    case 'none': return { type: 'none' };
    case 'any': return { type: 'any' };
    case 'tool': return { type: 'tool', name: choice.name };
    default: return { type: 'auto' };
  }
}

/**
 * The call with at most MAX_CACHE_BREAKPOINTS cache marks (this provider takes four), the latest
 * kept, whatever wrote them: OpenAI breakpoints (OpenAI counts the latest 80), OpenRouter-style
 * `cache_control` on Chat parts (no limit checked there), a continued conversation's stored turns.
 * An Anthropic client's own are at most four already (its frontend refuses a fifth).
 */
function fitCacheMarks(call: Call): Call {
  return latestCacheMarks(call, MAX_CACHE_BREAKPOINTS);
}
