import type { Call, GenerationOptions, Message, ResponseFormat, TextPart, ToolChoice, ToolDefinition } from '../../canonical/index.js';
import { WEB_SEARCH_TOOL_NAME, emptyCall } from '../../canonical/index.js';
import { compileRequestValidator } from '../../wire/request-validator.js';
import { originsLater, type DecodedRequest, type MessageOrigin, type Origin, type OriginRecorder } from '../protocol.js';
import { allowedChoice } from '../allowed-tools.js';
import { checkMetadata } from '../metadata.js';
import { openaiKnobsOf } from '../provider-options.js';
import { badField, decodeInput } from './decode-input.js';
import { RESPONSES_KNOBS, responsesRequestSchema } from './request-schema.js';
import { WEB_SEARCH_TOOL_TYPES, includesSearchSources } from './web-search-call.js';
import { HOSTED_TOOL_TYPES, checkHostedTools, hostedChoice, hostedIncludes } from './hosted-tools.js';
import { checkNamespacesAndSearch } from './tool-search.js';
import { CLIENT_CHOICE_TYPES, checkClientTools, clientChoice } from './client-tools.js';
import { declaredTool } from './declared-tools.js';
import { CONVERSATION, type ResolvedConversation } from './conversation-marks.js';

type Json = Record<string, any>; // validated by responsesRequestSchema before any field is read

const validate = compileRequestValidator(responsesRequestSchema);

/**
 * The request fields a Responses object echoes back (`instructions`, `tools`, `text`, ...), as
 * the client sent them. The encoders put them in every response shell.
 */
export interface ResponsesEcho {
  readonly [field: string]: unknown;
}

/** Hints the Responses encoders and the server read (`DecodedRequest.hints`). */
export interface ResponsesHints {
  readonly echo: ResponsesEcho;
  /** `previous_response_id` (the server continues the stored conversation, see DecodedRequest.continuation). */
  readonly previousResponseId?: string;
  readonly store?: boolean;
  /** `include: ["reasoning.encrypted_content"]`. */
  readonly includeEncryptedReasoning: boolean;
  /** `include: ["web_search_call.action.sources"]`: web_search_call items list the URLs the search found. */
  readonly includeSearchSources?: boolean;
}

/**
 * Responses request -> Call. `instructions` and leading system/developer items become `system`
 * (on a continued request the items stay in place, after the stored turns; a stored response
 * keeps them in its input, `continuation.input`);
 * `input` items fold into canonical messages (decode-input.ts; an `additional_tools` item's tools
 * ride on its part, additional-tools.ts); function and custom tools, namespaces
 * and tool search (tool-search.ts), the hosted
 * web search (web-search-call.ts; `include: ["web_search_call.action.sources"]` lists its sources),
 * OpenAI's other hosted tools (code interpreter, file search, image generation, remote MCP,
 * programmatic tool calling: hosted-tools.ts; their `include` values go to
 * `providerOptions.openai.include`), the tools the client runs on OpenAI's schema (shell,
 * apply_patch, local_shell, computer use: client-tools.ts), tool choice,
 * `reasoning`, `text.verbosity`, `text.format` and the sampling options map onto the Call; the
 * OpenAI knobs of RESPONSES_KNOBS (service tier, prompt-cache key, `context_management`, ...) and
 * a `compaction_trigger` ending the input (`compactionTrigger`) onto `providerOptions.openai`; `user`, else `safety_identifier`, is the end user.
 * `recorder`, when given, gets where the call's messages, parts and tools came from (DecodedRequest.origins asks for them).
 */
export function decodeResponsesRequest(body: unknown, recorder?: OriginRecorder): DecodedRequest {
  validate(body);
  const b = body as Json;
  // A background response is polled and resumed by id later: it must be stored.
  if (b.background === true && b.store === false) throw badField('background', 'a background response is always stored: send store: true or leave store out');
  // Bounded as OpenAI bounds it (a resume token it carried was taken out before: session-identity.ts).
  checkMetadata(b.metadata);
  // A conversation is resolved from the stored responses before the body is decoded (resolve-stored.ts):
  // one left here was sent where nothing runs (a WebSocket turn with generate: false).
  if (b.conversation !== undefined && b.conversation !== null) throw badField('conversation', 'a conversation is resolved only in a request that runs; send its items in input', true);
  if (b.prompt !== undefined && b.prompt !== null) throw badField('prompt', 'stored prompt templates are not supported; send instructions and input', true);
  const conversation = (b as { [CONVERSATION]?: ResolvedConversation })[CONVERSATION];
  const previousResponseId = typeof b.previous_response_id === 'string' && b.previous_response_id.length > 0 ? b.previous_response_id : undefined;
  if (b.input === undefined && previousResponseId === undefined) throw badField('input', 'is required');

  const declared = (b.tools ?? []) as Json[];
  const tools: ToolDefinition[] = [];
  // The checks below read tools by declaration index: a namespace (its tools checked apart) stands there as a nameless tool.
  const byDeclaration: ToolDefinition[] = [];
  const toolOrigins = recorder && ([] as Origin[]);
  declared.forEach((t, i) => {
    const decoded = declaredTool(t, `tools[${i}]`);
    if (Array.isArray(decoded)) {
      tools.push(...decoded);
      toolOrigins?.push(...decoded.map((_, j) => ({ at: `tools[${i}].tools[${j}]` })));
      byDeclaration.push({ name: '', parameters: {} });
    } else {
      tools.push(decoded);
      toolOrigins?.push({ at: `tools[${i}]` });
      byDeclaration.push(decoded);
    }
  });
  checkNamespacesAndSearch(declared);
  checkWebSearch(declared, byDeclaration);
  checkHostedTools(declared, byDeclaration);
  checkClientTools(declared);

  const system: TextPart[] = [];
  if (typeof b.instructions === 'string' && b.instructions.length > 0) system.push({ type: 'text', text: b.instructions });
  const leading: TextPart[] = [];
  // A conversation's items lead `input` (resolve-stored.ts): decoded as its stored turns, the request's own after them.
  const history = conversation === undefined ? [] : conversationMessages((b.input as Json[]).slice(0, conversation.items), tools);
  const own = conversation === undefined ? b.input : (b.input as Json[]).slice(conversation.items);
  // additional_tools items are checked against the declared tools (additional-tools.ts).
  const inputOrigins = recorder && ([] as MessageOrigin[]);
  const input = own === undefined ? [] : decodeInput(own, leading, tools, inputOrigins);
  // Leading system items of `input`, unlike `instructions`, are part of the conversation: a
  // continued request keeps them in place after the stored turns, a stored response keeps them.
  const inputSystem: Message[] = leading.length > 0 ? [{ role: 'system', parts: leading }] : [];
  const continued = previousResponseId !== undefined || conversation !== undefined;
  const messages = continued ? [...history, ...inputSystem, ...input] : input;
  if (!continued) system.push(...leading);

  const include = hostedIncludes(b.include);
  const optioned = openaiKnobsOf(b, RESPONSES_KNOBS);
  // An input ending with a compaction_trigger (decodeInput checked it is the last) asks OpenAI to compact.
  const triggered = Array.isArray(b.input) && (b.input as Json[]).at(-1)?.type === 'compaction_trigger';
  const knobs = include !== undefined || triggered ? { ...optioned, ...(include !== undefined ? { include } : {}), ...(triggered ? { compactionTrigger: true } : {}) } : optioned;
  const call: Call = {
    ...emptyCall(),
    model: b.model,
    stream: b.stream === true,
    system,
    messages,
    tools,
    toolChoice: toolChoice(b.tool_choice, tools),
    options: options(b),
    metadata: b.metadata ?? {},
    ...(typeof (b.user ?? b.safety_identifier) === 'string' ? { user: b.user ?? b.safety_identifier } : {}),
    ...(knobs ? { providerOptions: { openai: knobs } } : {}),
  };
  const echoed = conversation === undefined ? echo(b) : { ...echo(b), conversation: { id: conversation.id } };
  const background = b.background === true;
  const hints: ResponsesHints = {
    echo: echoed,
    ...(previousResponseId !== undefined ? { previousResponseId } : {}),
    ...(typeof b.store === 'boolean' ? { store: b.store } : {}),
    includeEncryptedReasoning: Array.isArray(b.include) && b.include.includes('reasoning.encrypted_content'),
    includeSearchSources: includesSearchSources(b.include),
  };
  // OpenAI stores responses unless told `store: false`; a stored one repeats its request fields when retrieved.
  // A turn of a conversation is kept in it, and keeps only its own input.
  const continuation = {
    store: conversation !== undefined || b.store !== false,
    echo: echoed,
    ...(previousResponseId !== undefined ? { previousResponseId } : {}),
    ...(conversation !== undefined ? { conversation: { id: conversation.id, ...(conversation.head !== undefined ? { head: conversation.head } : {}) } } : {}),
    ...(conversation !== undefined || (!continued && inputSystem.length > 0) ? { input: [...inputSystem, ...input] } : {}),
    ...(background ? { background } : {}),
  };
  // A conversation's items are its stored turns; the leading system items of a continued request one message.
  if (recorder) {
    recorder.origins = {
      messages: continued ? [...history.map(() => undefined), ...inputSystem.map(() => ({ at: 'input' })), ...inputOrigins!] : inputOrigins,
      tools: toolOrigins,
      toolChoice: { at: 'tool_choice' },
    };
  }
  const origins = originsLater((again) => decodeResponsesRequest(body, again));
  return { call, hints: hints as unknown as Record<string, unknown>, continuation, origins };
}

/**
 * One web search tool at most, and no function or custom tool under its canonical name (the
 * call names the search `web_search`, whatever its type).
 */
function checkWebSearch(declared: readonly Json[], tools: readonly ToolDefinition[]): void {
  const searches = tools.flatMap((t, i) => (t.kind === 'web_search' ? [i] : []));
  if (searches.length === 0) return;
  if (searches.length > 1) throw badField(`tools[${searches[1]}].type`, 'declares a second web search tool; declare one');
  const clash = tools.findIndex((t) => t.kind !== 'web_search' && t.name === WEB_SEARCH_TOOL_NAME);
  if (clash >= 0) throw badField(`tools[${clash}].name`, `"${WEB_SEARCH_TOOL_NAME}" is the name of the ${String(declared[searches[0]!]!.type)} tool here; give the ${String(declared[clash]!.type)} tool another name`, true);
}

/** The canonical name of the web search tool a choice names by type, if the call declares one (else a 400 at `path`). */
function webSearchChoice(tools: readonly ToolDefinition[], path: string): string {
  if (!tools.some((t) => t.kind === 'web_search')) throw badField(path, 'names the web search tool, which is not in tools');
  return WEB_SEARCH_TOOL_NAME;
}

function toolChoice(choice: unknown, tools: readonly ToolDefinition[]): ToolChoice {
  if (choice === 'none') return { type: 'none' };
  if (choice === 'required') return { type: 'any' };
  if (choice !== null && typeof choice === 'object') {
    const c = choice as Json;
    if (c.type === 'function' || c.type === 'custom') return { type: 'tool', name: c.name };
    if (WEB_SEARCH_TOOL_TYPES.has(c.type)) return { type: 'tool', name: webSearchChoice(tools, 'tool_choice.type') };
    if (HOSTED_TOOL_TYPES.has(c.type)) return { type: 'tool', name: hostedChoice(c, tools, 'tool_choice') };
    if (CLIENT_CHOICE_TYPES.has(c.type)) return { type: 'tool', name: clientChoice(c.type, tools, 'tool_choice.type') };
    if (c.type === 'allowed_tools') {
      const names = (c.tools as Json[]).map((t, i) => {
        const path = `tool_choice.tools[${i}]`;
        if (WEB_SEARCH_TOOL_TYPES.has(t.type)) return webSearchChoice(tools, `${path}.type`);
        if (HOSTED_TOOL_TYPES.has(t.type)) return hostedChoice(t, tools, path);
        if (CLIENT_CHOICE_TYPES.has(t.type)) return clientChoice(t.type, tools, `${path}.type`);
        if (t.type !== 'function' && t.type !== 'custom') throw badField(`${path}.type`, `"${String(t.type)}" tools are not supported (only function, custom, web_search, hosted and client tools: shell, apply_patch, local_shell, computer, computer_use_preview, computer_use)`, true);
        if (typeof t.name !== 'string' || !tools.some((d) => d.name === t.name)) throw badField(`${path}.name`, `names the tool "${String(t.name)}", which is not in tools`);
        return t.name as string;
      });
      return allowedChoice(c.mode === 'required', names);
    }
  }
  return { type: 'auto' };
}

function options(b: Json): GenerationOptions {
  const o: { -readonly [K in keyof GenerationOptions]: GenerationOptions[K] } = {};
  if (typeof b.temperature === 'number') o.temperature = b.temperature;
  if (typeof b.top_p === 'number') o.topP = b.top_p;
  if (typeof b.presence_penalty === 'number') o.presencePenalty = b.presence_penalty;
  if (typeof b.frequency_penalty === 'number') o.frequencyPenalty = b.frequency_penalty;
  if (typeof b.max_output_tokens === 'number') o.maxOutputTokens = b.max_output_tokens;
  // Log probabilities: asked for by `include`, or by a number of alternatives per token.
  const top = typeof b.top_logprobs === 'number' ? b.top_logprobs : 0;
  if ((Array.isArray(b.include) && b.include.includes('message.output_text.logprobs')) || top > 0) o.logprobs = top;
  const effort = b.reasoning?.effort;
  const summary = b.reasoning?.summary ?? b.reasoning?.generate_summary;
  if (typeof effort === 'string' || typeof summary === 'string') {
    o.reasoning = {
      ...(typeof effort === 'string' ? { effort } : {}),
      ...(typeof summary === 'string' ? { includeThoughts: true } : {}),
      ...(summary === 'auto' || summary === 'concise' || summary === 'detailed' ? { summary } : {}),
    };
  }
  if (typeof b.text?.verbosity === 'string') o.verbosity = b.text.verbosity;
  if (typeof b.parallel_tool_calls === 'boolean') o.parallelToolCalls = b.parallel_tool_calls;
  const format = responseFormat(b.text?.format);
  if (format) o.responseFormat = format;
  return o;
}

/** `text.format`, validated: a `json_schema` one always has its `name` and `schema`. */
function responseFormat(f: Json | undefined): ResponseFormat | undefined {
  if (!f) return undefined;
  if (f.type === 'text') return { type: 'text' };
  if (f.type === 'json_object') return { type: 'json_object' };
  return {
    type: 'json_schema',
    schema: f.schema,
    name: f.name,
    ...(typeof f.description === 'string' ? { description: f.description } : {}),
    ...(typeof f.strict === 'boolean' ? { strict: f.strict } : {}),
  };
}

/**
 * A tool as the Response object lists it: a function tool with every field of its object
 * (`description`, `parameters` and `strict` null when the client left them out), others as sent.
 */
function echoedTool(t: Json): Json {
  if (t.type !== 'function') return t;
  return { ...t, description: t.description ?? null, parameters: t.parameters ?? null, strict: t.strict ?? null };
}

/** The request fields every Response object repeats, with the API's defaults. */
function echo(b: Json): ResponsesEcho {
  return {
    instructions: b.instructions ?? null,
    max_output_tokens: b.max_output_tokens ?? null,
    max_tool_calls: b.max_tool_calls ?? null,
    parallel_tool_calls: b.parallel_tool_calls ?? true,
    reasoning: { effort: b.reasoning?.effort ?? null, summary: b.reasoning?.summary ?? null },
    temperature: b.temperature ?? null,
    presence_penalty: b.presence_penalty ?? null,
    frequency_penalty: b.frequency_penalty ?? null,
    text: { format: b.text?.format ?? { type: 'text' }, verbosity: b.text?.verbosity ?? 'medium' },
    tool_choice: b.tool_choice ?? 'auto',
    tools: Array.isArray(b.tools) ? (b.tools as Json[]).map(echoedTool) : [],
    top_logprobs: b.top_logprobs ?? 0,
    top_p: b.top_p ?? null,
    truncation: b.truncation ?? 'disabled',
    service_tier: b.service_tier ?? 'default',
    prompt_cache_key: b.prompt_cache_key ?? null,
    prompt_cache_retention: b.prompt_cache_retention ?? null,
    ...(b.prompt_cache_options != null ? { prompt_cache_options: b.prompt_cache_options } : {}),
    safety_identifier: b.safety_identifier ?? null,
    user: b.user ?? null,
    metadata: b.metadata ?? {},
    ...(b.background === true ? { background: true } : {}),
  };
}

/** A conversation's items as the stored turns they are: its leading system items stay in place, as a system message. */
export function conversationMessages(items: Json[], tools: readonly ToolDefinition[]): Message[] {
  const leading: TextPart[] = [];
  const messages = decodeInput(items, leading, tools);
  return leading.length > 0 ? [{ role: 'system', parts: leading }, ...messages] : messages;
}
