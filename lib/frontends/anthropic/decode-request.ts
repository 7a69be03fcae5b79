import type { AnthropicProviderOptions, Call, GenerationOptions, ReasoningOptions, ResponseFormat, TextPart, ToolChoice, ToolDefinition } from '../../canonical/index.js';
import { emptyCall } from '../../canonical/index.js';
import type { LipError } from '../../errors/index.js';
import { compileRequestValidator } from '../../wire/request-validator.js';
import { originsLater, type Continuation, type DecodedRequest, type MessageOrigin, type Origin, type OriginRecorder } from '../protocol.js';
import { cacheOf } from '../cache-control.js';
import { clientTool, isClientTool, toolFields } from './client-tools.js';
import { badField, decodeMessages } from './decode-content.js';
import { hostedTool, isHostedTool, MCP_TOOLSET, mcpToolsetTool } from './hosted-tools.js';
import { messagesRequestSchema } from './request-schema.js';
import { isToolset, toolsetTools } from './toolsets.js';
import { isWebSearchTool, webSearchTool } from './web-search-tool.js';
import { checkCacheBreakpoints } from './cache-breakpoints.js';
import { withAutomaticCache } from './with-automatic-cache.js';

type Json = Record<string, any>; // validated by messagesRequestSchema before any field is read

const validate = compileRequestValidator(messagesRequestSchema);

/**
 * Messages request -> Call. `system` (string or text blocks) becomes `system`; `cache_control`
 * on system blocks, content blocks and tools becomes the piece's cache mark (at most four, and a
 * `ttl` of `5m` or `1h`, as Anthropic takes them: cache-breakpoints.ts), a top-level one a
 * mark on the last cacheable block (with-automatic-cache.ts); messages fold into canonical
 * messages (decode-content.ts); `max_tokens`, `stop_sequences`, sampling, `thinking` (budget,
 * adaptive), `output_config.effort` and the structured-output format map onto the options;
 * custom tools, the client tools with Anthropic-defined schemas (bash, text editor, memory,
 * computer use), the computer and browser toolsets (one provider tool per enabled member:
 * toolsets.ts), the web search server tool (web-search-tool.ts), the server tools lip passes
 * through to an Anthropic backend (web fetch, code execution, tool search, the MCP connector's
 * `mcp_toolset`: hosted-tools.ts) and `tool_choice` (with `disable_parallel_tool_use`) onto tools;
 * `metadata.user_id` onto `user`; the `anthropic-beta` header's features onto `betas`;
 * `service_tier`, `inference_geo`, `speed`, `context_management` (its clearing edits and its
 * server-side compaction), the code execution `container`, the MCP connector's `mcp_servers` and
 * a compaction request's `compaction` onto `providerOptions.anthropic`.
 * `thread` (server-held conversation state) is held by lip, whatever backend answers: `create`
 * stores the answer under its message id, `continue` puts the stored conversation before the
 * request's messages (a continuation, as Responses' `previous_response_id` is) and takes the
 * `system` and `tools` the thread was created with, which it must not send itself. A
 * `billing_policy` that bills the customer behind a user profile is a 400: lip calls providers
 * with its own credentials and names no user profile, so it cannot bill that customer (and
 * Anthropic itself refuses such a request rather than bill the caller); so is a request made for a
 * user profile (`user_profile_id`, which the SDK sends as the `anthropic-user-profile-id` header:
 * refuseUserProfile), for the same reason.
 * `diagnostics` (a cache-miss report in the response) is ignored: it changes nothing the model
 * sees, and the previous message id it names is lip's, which no upstream knows. `fallbacks` and
 * `fallback_credit_token` (Anthropic's retry of a refused request on other models) are ignored
 * too: the request runs on the model it names, as on a model without fallbacks.
 * `recorder`, when given, gets where the call's messages, parts and tools came from (DecodedRequest.origins asks for them).
 */
export function decodeMessagesRequest(body: unknown, betas: readonly string[] = [], recorder?: OriginRecorder): DecodedRequest {
  validate(body);
  const b = body as Json;
  checkMcpServers(b);
  checkCacheBreakpoints(b);
  if (b.billing_policy?.bill_to === 'user_profile') {
    throw badField('billing_policy.bill_to', '"user_profile" cannot be honoured: lip calls providers with its own credentials and names no user profile, so the request would be billed to the proxy\'s account; leave billing_policy out or send "self"', true);
  }
  if (b.user_profile_id !== undefined && b.user_profile_id !== null) throw userProfileRefusal('user_profile_id');
  const continues = b.thread?.type === 'continue';
  if (continues) refuseThreadPrompt(b);
  const system: TextPart[] = typeof b.system === 'string'
    ? (b.system.length > 0 ? [{ type: 'text', text: b.system }] : [])
    : ((b.system ?? []) as Json[]).map((s) => ({ type: 'text', text: s.text as string, ...cacheOf(s) }));

  const toolOrigins = recorder && ([] as Origin[]);
  const tools = decodeTools((b.tools ?? []) as Json[], toolOrigins);
  const choice = toolChoice(b.tool_choice, tools);

  // System messages before the conversation's first turn join the top-level system, after it
  // (a thread's `continue` starts after the thread's turns: its system messages stay in place).
  const messageOrigins = recorder && ([] as MessageOrigin[]);
  const messages = decodeMessages(b.messages, messageOrigins);
  const leading = continues ? 0 : messages.findIndex((m) => m.role !== 'system');
  const lead = leading < 0 ? messages.length : leading;
  for (const m of messages.slice(0, lead)) system.push(...m.parts as TextPart[]);
  const prompt = { system, messages: lead === 0 ? messages : messages.slice(lead), tools };
  const automatic = cacheOf(b).cache;
  const call: Call = {
    ...emptyCall(),
    model: b.model,
    stream: b.stream === true,
    ...(automatic ? withAutomaticCache(prompt, automatic) : prompt),
    toolChoice: choice,
    options: options(b),
    metadata: {},
    ...(typeof b.metadata?.user_id === 'string' ? { user: b.metadata.user_id } : {}),
    ...(betas.length > 0 ? { betas } : {}),
    ...providerOptions(b),
  };
  const continuation = threadOf(b.thread);
  if (recorder) recorder.origins = { messages: messageOrigins!.slice(lead), tools: toolOrigins, toolChoice: { at: 'tool_choice' } };
  const origins = originsLater((again) => decodeMessagesRequest(body, betas, again));
  return { call, hints: {}, ...(continuation ? { continuation } : {}), origins };
}

/**
 * A thread as a continuation of lip's: stored under the answer's `msg_` id, continuing the one it
 * names, with the system and tools of the request that created it (keepsPrompt).
 */
function threadOf(thread: Json | null | undefined): Continuation | undefined {
  if (thread === undefined || thread === null) return undefined;
  const continued = thread.type === 'continue' ? { previousResponseId: thread.previous_message_id as string } : {};
  return { store: true, keepsPrompt: true, idPrefix: 'msg_', previousParam: 'thread.previous_message_id', ...continued };
}

/**
 * A thread keeps the `system` and `tools` it was created with: a `continue` that sends either is a
 * 400 naming it, as Anthropic refuses it (the SDK leaves both out of a `continue`, and refuses to
 * change them on a thread itself).
 */
function refuseThreadPrompt(b: Json): void {
  for (const field of ['system', 'tools'] as const) {
    if (b[field] === undefined || b[field] === null) continue;
    throw badField(field, `a thread keeps the ${field} it was created with, so a request with thread.type "continue" must not send ${field}; to change it, start a new thread (thread: {type: "create"}) with the whole conversation`);
  }
}

/**
 * The request's tools (tool), a toolset's members each a tool of its own. A member takes the name
 * of no other tool: another provider's model calls it by that name alone, so a custom or client
 * tool of the same name, or the same member of another toolset, is a 400 naming both.
 * `origins`, when given, gets each tool's declaration (a toolset's members the toolset), `input_schema` its parameters.
 */
function decodeTools(declared: readonly Json[], origins?: Origin[]): ToolDefinition[] {
  const tools: ToolDefinition[] = [];
  const members = new Map<string, { at: number; family: string }>();
  const others = new Map<string, number>();
  let search: number | undefined;
  declared.forEach((t, i) => {
    if (!isToolset(t.type)) {
      const decoded = tool(t, i);
      if (decoded.kind === 'web_search') {
        if (search !== undefined) throw badField(`tools[${i}].type`, `declares a second web search tool (tools[${search}] is one); a request takes one`);
        search = i;
      }
      const member = members.get(decoded.name);
      if (member !== undefined) throw nameTaken(`tools[${i}].name`, decoded.name, member);
      others.set(decoded.name, i);
      tools.push(decoded);
      origins?.push({ at: `tools[${i}]`, fields: { parameters: 'input_schema' } });
      return;
    }
    for (const decoded of toolsetTools(t, i)) {
      const member = members.get(decoded.name);
      if (member !== undefined) throw nameTaken(`tools[${i}]`, decoded.name, member);
      const other = others.get(decoded.name);
      if (other !== undefined) throw badField(`tools[${other}].name`, `"${decoded.name}" is the name of a member of the ${decoded.toolset!} toolset (tools[${i}]); rename the tool or disable the member in the toolset's configs`);
      members.set(decoded.name, { at: i, family: decoded.toolset! });
      tools.push(decoded);
      origins?.push({ at: `tools[${i}]`, fields: { parameters: 'input_schema' } });
    }
  });
  return tools;
}

/** A 400: the tool at `path` takes the name of a member of a toolset declared before it. */
function nameTaken(path: string, name: string, member: { at: number; family: string }) {
  return badField(path, `"${name}" is already the name of a member of the ${member.family} toolset (tools[${member.at}]); rename the tool or disable the member in a toolset's configs`);
}

/**
 * A tool declaration: a custom tool (no `type`, or `custom`) as a function tool; one of
 * Anthropic's client tools (`text_editor_20250728`, ...) as a provider tool (client-tools.ts);
 * the web search server tool (`web_search_20250305`, ...) as the hosted web search
 * (web-search-tool.ts); web fetch, code execution, tool search and the advisor as hosted tools,
 * which only an Anthropic backend sends (hosted-tools.ts), the MCP connector's `mcp_toolset` too;
 * any other server tool refused.
 * A custom, client or web search tool's `defer_loading`, `allowed_callers`, `input_examples` and
 * `eager_input_streaming` are its deferral and its Anthropic bag (toolFields); a hosted tool
 * keeps them in its declaration.
 */
function tool(t: Json, i: number): ToolDefinition {
  if (isClientTool(t.type)) return clientTool(t);
  if (isWebSearchTool(t.type)) return webSearchTool(t, i);
  if (isHostedTool(t.type)) return hostedTool(t);
  if (t.type === MCP_TOOLSET) return mcpToolsetTool(t);
  if (t.type !== undefined && t.type !== null && t.type !== 'custom') {
    throw badField(`tools[${i}].type`, `"${String(t.type)}" server tools are not supported (only the server tools web_search, web_fetch, code_execution, tool_search_tool_regex / _bm25, advisor and mcp_toolset, custom tools, the client tools bash, text_editor, memory and computer, and the toolsets computer_toolset_20260801 and browser_toolset_20260801)`, true);
  }
  if (t.input_schema === undefined) throw badField(`tools[${i}].input_schema`, 'is required');
  return {
    name: t.name, ...(typeof t.description === 'string' ? { description: t.description } : {}), parameters: t.input_schema,
    ...(t.strict === true ? { strict: true } : {}), ...toolFields(t), ...cacheOf(t),
  };
}

/**
 * The MCP connector's servers and toolsets, as Anthropic checks them, so that a request it would
 * refuse is a 400 naming the field before any route is tried: each server's `name` once, and each
 * `mcp_toolset` naming a declared server, at most one toolset a server. Servers without a toolset
 * are the older beta's form (`mcp-client-2025-04-04`): the servers alone enable their tools.
 */
function checkMcpServers(b: Json): void {
  const servers = new Set<string>();
  ((b.mcp_servers ?? []) as Json[]).forEach((server, i) => {
    if (servers.has(server.name)) throw badField(`mcp_servers[${i}].name`, `repeats the MCP server name ${JSON.stringify(String(server.name).slice(0, 64))}`);
    servers.add(server.name);
  });
  const toolsets = new Set<string>();
  ((b.tools ?? []) as Json[]).forEach((t, i) => {
    if (t.type !== MCP_TOOLSET) return;
    const name = JSON.stringify(String(t.mcp_server_name).slice(0, 64));
    if (!servers.has(t.mcp_server_name)) throw badField(`tools[${i}].mcp_server_name`, `names no server of mcp_servers (${name})`);
    if (toolsets.has(t.mcp_server_name)) throw badField(`tools[${i}].mcp_server_name`, `repeats the mcp_toolset of the MCP server ${name}`);
    toolsets.add(t.mcp_server_name);
  });
}

/**
 * The Anthropic request fields lip carries (wire name -> canonical name); null is "not set". The
 * `container` (its id, or `{id, skills}`) is the code execution container the hosted tools reuse;
 * `mcp_servers` the MCP connector's servers (an empty list is not set: it connects none);
 * `context_management` and `compaction` ask, among others, for server-side compaction, which only
 * an Anthropic backend runs (serverCompaction).
 */
const KNOBS = {
  service_tier: 'serviceTier', inference_geo: 'inferenceGeo', speed: 'speed', context_management: 'contextManagement', container: 'container',
  mcp_servers: 'mcpServers', compaction: 'compaction',
} as const satisfies Record<string, keyof AnthropicProviderOptions>;

function providerOptions(b: Json): Pick<Call, 'providerOptions'> {
  const set: [string, unknown][] = Object.entries(KNOBS)
    .filter(([wire]) => b[wire] !== undefined && b[wire] !== null && !(Array.isArray(b[wire]) && b[wire].length === 0))
    .map(([wire, name]) => [name, b[wire]]);
  // The thinking modes only an Anthropic model has: progress notes between tool calls with thinking
  // off, and the display as written (another protocol's client gets the closest canonical form).
  if (b.thinking?.type === 'between_tools') set.push(['thinkingType', 'between_tools']);
  if (typeof b.thinking?.display === 'string' && b.thinking.type !== 'disabled') set.push(['thinkingDisplay', b.thinking.display]);
  const binding = b.thinking?.block_binding;
  if (binding && Object.keys(binding).length > 0 && (b.thinking.type === 'enabled' || b.thinking.type === 'adaptive')) set.push(['thinkingBlockBinding', binding]);
  if (b.output_config?.task_budget) set.push(['taskBudget', b.output_config.task_budget]);
  return set.length > 0 ? { providerOptions: { anthropic: Object.fromEntries(set) } } : {};
}

/** The most beta names read from one request, and the longest name. */
const MAX_BETAS = 32;
const BETA_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * A request made for a user profile (the SDK's `user_profile_id`, sent as the
 * `anthropic-user-profile-id` header) is a 400: lip calls providers with its own credentials and
 * names no user profile, so it cannot act for one (as `billing_policy.bill_to: "user_profile"`).
 */
export function refuseUserProfile(headers: Readonly<Record<string, string | string[] | undefined>>): void {
  if (headers['anthropic-user-profile-id'] !== undefined) throw userProfileRefusal('anthropic-user-profile-id');
}

function userProfileRefusal(field: string): LipError {
  return badField(field, 'a request for a user profile cannot be honoured: lip calls providers with its own credentials and names no user profile, so the request would run and be billed as the proxy\'s account; leave the user profile out', true);
}

/**
 * The `anthropic-beta` header (comma-separated, possibly repeated) as a list of feature names;
 * a name that is not a plain token is a 400 naming the header, never sent on to a backend.
 */
export function betasOf(header: string | string[] | undefined): string[] {
  if (header === undefined) return [];
  const names = (Array.isArray(header) ? header : [header]).flatMap((h) => h.split(',')).map((n) => n.trim()).filter((n) => n.length > 0);
  const bad = names.find((n) => !BETA_NAME.test(n));
  if (bad !== undefined) throw badField('anthropic-beta', `not a beta feature name: ${JSON.stringify(bad.slice(0, 64))}`);
  if (names.length > MAX_BETAS) throw badField('anthropic-beta', `names more than ${MAX_BETAS} beta features`);
  return [...new Set(names)];
}

/**
 * `tool_choice` as the canonical choice, checked against the declared tools here, where the
 * client's field names are known (the canonical check would name `toolChoice`): `any` needs a
 * tool, `tool` one of the declared tools' names (a toolset's members by their own names).
 */
function toolChoice(choice: Json | undefined, tools: readonly ToolDefinition[]): ToolChoice {
  switch (choice?.type) {
    case 'any':
      if (tools.length === 0) throw badField('tool_choice.type', '"any" requires a tool call, but no tools are declared');
      return { type: 'any' };
    case 'none': return { type: 'none' };
    case 'tool':
      if (typeof choice.name !== 'string') throw badField('tool_choice.name', 'is required when type is "tool"');
      if (!tools.some((t) => t.name === choice.name && t.namespace === undefined)) {
        throw badField('tool_choice.name', `names the tool ${JSON.stringify(choice.name.slice(0, 128))}, which is not declared in tools`);
      }
      return { type: 'tool', name: choice.name };
    default: return { type: 'auto' };
  }
}

function options(b: Json): GenerationOptions {
  const o: { -readonly [K in keyof GenerationOptions]: GenerationOptions[K] } = { maxOutputTokens: b.max_tokens };
  if (typeof b.temperature === 'number') {
    // Anthropic's range, not the canonical one (to 2, OpenAI's): the Messages API refuses more.
    if (b.temperature < 0 || b.temperature > 1) throw badField('temperature', 'must be a number between 0 and 1');
    o.temperature = b.temperature;
  }
  if (typeof b.top_p === 'number') o.topP = b.top_p;
  if (typeof b.top_k === 'number') o.topK = b.top_k;
  if (Array.isArray(b.stop_sequences) && b.stop_sequences.length > 0) o.stopSequences = b.stop_sequences;
  if (b.tool_choice?.disable_parallel_tool_use === true) o.parallelToolCalls = false;
  const reasoning: { -readonly [K in keyof ReasoningOptions]: ReasoningOptions[K] } = {};
  if (b.thinking?.type === 'enabled') {
    if (typeof b.thinking.budget_tokens !== 'number') throw badField('thinking.budget_tokens', 'is required when thinking is enabled');
    reasoning.budgetTokens = b.thinking.budget_tokens;
  } else if (b.thinking?.type === 'adaptive') {
    reasoning.adaptive = true;
  } else if (b.thinking?.type === 'disabled') {
    reasoning.disabled = true;
  }
  // Whether the thinking text comes back: as the client said, else the model's default (left unset).
  const display = b.thinking?.type === 'enabled' || b.thinking?.type === 'adaptive' ? b.thinking.display : undefined;
  if (display === 'summarized' || display === 'omitted') reasoning.includeThoughts = display === 'summarized';
  if (typeof b.output_config?.effort === 'string') {
    reasoning.effort = b.output_config.effort;
    reasoning.outputEffort = true;
  }
  if (Object.keys(reasoning).length > 0) o.reasoning = reasoning;
  const format = responseFormat(b);
  if (format) o.responseFormat = format;
  return o;
}

/**
 * Structured output: `output_config.format` (what `messages.parse()` sends) or the beta's older
 * top-level `output_format`, never both (the SDK refuses that too). Anthropic's format has no
 * name and no strict switch: a backend that wants a name uses its own default, and `strict` is
 * left unset because OpenAI's strict mode refuses schemas Anthropic takes (optional properties).
 */
function responseFormat(b: Json): ResponseFormat | undefined {
  const current = b.output_config?.format ?? undefined;
  const legacy = b.output_format ?? undefined;
  if (current && legacy) throw badField('output_format', 'give the format once, as output_config.format (output_format is its deprecated name)');
  const format = current ?? legacy;
  return format ? { type: 'json_schema', schema: format.schema } : undefined;
}
