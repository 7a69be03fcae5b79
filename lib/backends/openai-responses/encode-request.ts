import type { Call, FilePart, ImagePart, Message, Part, ReasoningPart, TextPart, ToolDefinition } from '../../canonical/index.js';
import { FILE_STORES, HOSTED_DIALECTS, HOSTED_KNOB_DIALECTS, REASONING_DIALECTS, SEARCH_DIALECTS } from '../../canonical/index.js';
import { definedFields, sendKnobs, withBreakpoint } from '../provider-options.js';
import { hasBreakpointMarks } from '../cache-marks.js';
import { allowedNames } from '../allowed-tools.js';
import { strictCompatible } from '../strict-schema.js';
import { ownWebSearches, webSearchTool } from '../web-search.js';
import { asksForReasoning, reasoningEffort } from '../thinking.js';
import type { ResponsesOptions } from './options.js';
import { SEARCH_SOURCES_INCLUDE, webSearchCallInput, webSearchToolBody } from './web-search-call.js';
import { forHostedDialect } from '../hosted-tools.js';
import { foreignReference, mediaRefusal, refuseForeignMediaFields } from '../media-refusal.js';
import { mediaAsUser } from '../media-as-user.js';
import { audioOrVideo, inlineFileName } from '../../wire/index.js';
import { hostedChoice, hostedIncludes, hostedItemInput, hostedToolBody } from './hosted-tools.js';
import { clientCallIds, clientCallInput, clientOutputInput, clientToolBody, isClientTool } from './client-tools.js';
import { declaredTools, sendsToolSearch, toolSearchCallIds, toolSearchCallInput, toolSearchOutputInput, toolSearchToolBody, toolsBody } from './tool-search.js';
import { allowedCallers, answerWithCaller, callersById, withCaller } from './programs.js';
import { endUserId } from '../end-user-id.js';
import { refuseStopSequences } from '../stop-sequences.js';
import { failedOutput } from '../failed-tool-result.js';

/** The least `max_output_tokens` the Responses API takes. */
const MIN_OUTPUT_TOKENS = 16;

type Json = Record<string, unknown>;

const own = (part: Part): boolean => part.type === 'reasoning' && part.dialect === REASONING_DIALECTS.openaiResponses;

/**
 * Whether a reasoning part goes back as a `reasoning` item: this dialect's, with its item id, and
 * with its encrypted content when the upstream keeps nothing (`store: false`), as the API looks an
 * item without it up by its id and refuses it then ("Item with id 'rs_…' not found. Items are not
 * persisted when `store` is set to false"). Such a part is reasoning nothing sealed: a Chat server's
 * text or a thought without signature that a stateless Responses client handed back as a reasoning
 * item, with lip's own item id. With `store: true` an item of summaries alone still goes, by its id.
 */
function replayed(part: Part, store: boolean): part is ReasoningPart {
  if (part.type !== 'reasoning' || !own(part) || !part.id) return false;
  return Boolean(part.opaque) || (store && Boolean(part.text));
}

/**
 * Call -> Responses API request body (streamed unless `stream` is false; stateless by default). Leading system
 * parts become `instructions`; messages become input items in order: user and system
 * messages, assistant text as assistant messages, tool calls as `function_call` items, tool
 * results as `function_call_output` items (a custom tool's as `custom_tool_call` and
 * `custom_tool_call_output`; custom tools are sent as such, with their format), earlier Responses reasoning (this dialect only,
 * with its item id) as `reasoning` items carrying `encrypted_content`, and earlier Responses web
 * searches as `web_search_call` items (web-search-call.ts; other providers' searches are left
 * out). The hosted web search goes as the client's own `web_search` declaration or one built from
 * its options, with `include: ["web_search_call.action.sources"]` so that its results come back.
 * OpenAI's other hosted tools (code interpreter, file search, image generation, remote MCP,
 * programmatic tool calling) go as the client declared them, with the client's `include` values
 * of their items (`code_interpreter_call.outputs`, ...); their items of earlier turns (a `program`
 * and its `program_output` among them), the client's `mcp_approval_response`, and OpenAI's other
 * own items (`compaction`, `additional_tools`) go back as input items as
 * written, in place (hosted-tools.ts); another provider's hosted tool is refused before sending,
 * its parts left out. The calls a program made go back with their `caller`, and the client's
 * answers to them name it too; a tool's `allowed_callers` is sent as written (programs.ts);
 * OpenAI's own compaction, a hosted capability, whatever `provider_options` says:
 * `context_management` as the client wrote it, a `compaction_trigger` item ending the input
 * when the client's did. Namespaced tools
 * go as `namespace` tools, the client's tool search as a `tool_search` tool, a deferred tool with
 * `defer_loading` beside a tool search, calls with their `namespace`, the client's searches as
 * `tool_search_call` and `tool_search_output` items (tool-search.ts). OpenAI's client-run tools
 * (shell, apply_patch, local_shell, computer use) go as declared, their calls and the client's
 * answers as their own items (client-tools.ts). Stop sequences do not
 * exist in this API: a call with some is refused, retryably (stop-sequences.ts). The client's OpenAI knobs (service_tier, prompt_cache_key,
 * prompt_cache_retention, prompt_cache_options, safety_identifier, truncation, moderation,
 * max_tool_calls) go out unless the
 * row turns `provider_options` off; so do its cache marks as `prompt_cache_breakpoint`s when the
 * client wrote any of the call's marks as such (hasBreakpointMarks: a stored turn's count, in a
 * `previous_response_id` chain), and then marked system parts
 * go first as a system message instead of `instructions` (a string, which cannot carry one).
 *
 * ```ts
 * encodeResponsesRequest(call, 'gpt-5', options)
 * // { model, input: [...], stream: true, store: false, include: ['reasoning.encrypted_content'], ... }
 * ```
 * @see spec/backends/openai-responses/encode-request.spec.ts
 */
export function encodeResponsesRequest(given: Call, model: string, o: ResponsesOptions, stream = true): Json {
  refuseForeignMediaFields(given, 'openai-responses');
  refuseStopSequences(given, 'openai-responses');
  // A blocking moderation goes with the OpenAI knobs: a row that sends none refuses it.
  const call = forHostedDialect(given, 'openai-responses', HOSTED_DIALECTS.openaiResponses, o.providerOptions ? [HOSTED_KNOB_DIALECTS.openaiModeration] : []);
  const input: Json[] = [];
  const custom = customCallIds(call);
  const searches = toolSearchCallIds(call);
  const clients = clientCallIds(call);
  const kinds: CallKinds = { custom, searches, clients, callers: callersById(call), declare: (tools) => declaredTools(tools, sendsToolSearch(call), toolBody) };
  const marks = o.providerOptions && hasBreakpointMarks(call);
  const markedSystem = marks && call.system.some((p) => p.cache !== undefined);
  if (markedSystem) pushItems(input, { role: 'system', parts: call.system }, kinds, marks, o.store);
  // An assistant message takes text only: its images and documents follow it as a user message.
  for (const message of ownWebSearches(mediaAsUser(call.messages), SEARCH_DIALECTS.openaiResponses)) pushItems(input, message, kinds, marks, o.store);
  // OpenAI's own compaction, a hosted capability: sent whatever provider_options says.
  const openai = call.providerOptions?.openai;
  if (openai?.compactionTrigger === true) input.push({ type: 'compaction_trigger' });
  const body: Json = { model, input, stream, store: o.store };
  const instructions = markedSystem ? '' : call.system.map((p) => p.text).join('\n\n');
  if (instructions.length > 0) body.instructions = instructions;

  const opt = call.options;
  const replaysReasoning = call.messages.some((m) => m.role === 'assistant' && m.parts.some((p) => replayed(p, o.store)));
  const wantsEncrypted = o.encryptedReasoning === 'always' || (o.encryptedReasoning === 'auto' && (asksForReasoning(opt.reasoning) || replaysReasoning));
  const search = webSearchTool(call);
  const include = [
    ...(!o.store && wantsEncrypted ? ['reasoning.encrypted_content'] : []), ...(opt.logprobs !== undefined ? ['message.output_text.logprobs'] : []),
    ...(search !== undefined ? [SEARCH_SOURCES_INCLUDE] : []),
  ];
  for (const value of hostedIncludes(call)) if (!include.includes(value)) include.push(value);
  if (include.length > 0) body.include = include;
  if (opt.logprobs !== undefined && opt.logprobs > 0) body.top_logprobs = opt.logprobs;
  const reasoning = reasoningField(opt, o, (effort) => effort);
  if (reasoning !== undefined) body.reasoning = reasoning;
  if (call.tools.length > 0) {
    body.tools = toolsBody(call, toolBody);
    body.tool_choice = toolChoice(call);
    if (opt.parallelToolCalls !== undefined) body.parallel_tool_calls = opt.parallelToolCalls;
  }
  if (opt.temperature !== undefined) body.temperature = opt.temperature;
  if (opt.topP !== undefined) body.top_p = opt.topP;
  // The API refuses fewer than 16 ("Expected a value >= 16"), which other protocols' clients ask
  // for (an Anthropic `max_tokens: 1` probe): such a call gets 16.
  if (opt.maxOutputTokens !== undefined) body.max_output_tokens = Math.max(MIN_OUTPUT_TOKENS, opt.maxOutputTokens);
  const text = textField(opt, { type: 'json_object' });
  if (text !== undefined) body.text = text;
  if (Object.keys(call.metadata).length > 0) body.metadata = call.metadata;
  // OpenAI refuses a `user` over 64 characters: a longer one goes as its digest (end-user-id.ts).
  if (call.user !== undefined) body.user = endUserId(call.user);
  if (openai?.contextManagement !== undefined) body.context_management = openai.contextManagement;
  return o.providerOptions ? sendKnobs(body, knobs(call)) : body;
}

/**
 * `reasoning` when the call asks for any (asksForReasoning): the effort (as `effortOf` maps it) and
 * the row's summary setting (none when the call turns thoughts off); undefined when it asks for
 * nothing, turns thinking off (a budget of 0) or only hides the thoughts (`includeThoughts: false`).
 */
export function reasoningField(opt: Call['options'], o: Pick<ResponsesOptions, 'reasoningSummary'>, effortOf: (effort: string) => string): Json | undefined {
  const r = opt.reasoning;
  if (!r || !asksForReasoning(r)) return undefined;
  // The client's own level, else the row's; the row's `none` turns summaries off for every client.
  const summary = r.includeThoughts === false || o.reasoningSummary === 'none' ? undefined : r.summary ?? o.reasoningSummary;
  const effort = reasoningEffort(r);
  return { ...(effort !== undefined ? { effort: effortOf(effort) } : {}), ...(summary ? { summary } : {}) };
}

/** `text`: the verbosity and the response format (JSON mode as `jsonMode`); undefined when neither is set. */
export function textField(opt: Call['options'], jsonMode: Json): Json | undefined {
  const text: Json = {};
  if (opt.verbosity !== undefined) text.verbosity = opt.verbosity;
  const format = opt.responseFormat;
  if (format?.type === 'json_object') text.format = jsonMode;
  if (format?.type === 'json_schema') {
    text.format = {
      type: 'json_schema', name: format.name ?? 'response', ...(format.description !== undefined ? { description: format.description } : {}),
      schema: format.schema, ...(format.strict !== undefined ? { strict: format.strict } : {}),
    };
  }
  return Object.keys(text).length > 0 ? text : undefined;
}

/** The call's OpenAI knobs in Responses wire names (no logit_bias, no prediction: the API has neither). */
function knobs(call: Call): Json {
  const k = call.providerOptions?.openai;
  if (!k) return {};
  return definedFields({
    service_tier: k.serviceTier, prompt_cache_key: k.promptCacheKey, prompt_cache_retention: k.promptCacheRetention,
    prompt_cache_options: k.promptCacheOptions, safety_identifier: k.safetyIdentifier, truncation: k.truncation,
    moderation: k.moderation, max_tool_calls: k.maxToolCalls,
  });
}

/** The ids of the custom tools' calls in the history: their results go back as custom_tool_call_output. */
export function customCallIds(call: Call): ReadonlySet<string> {
  const ids = new Set<string>();
  for (const m of call.messages) for (const p of m.parts) if (p.type === 'tool_call' && p.custom === true) ids.add(p.id);
  return ids;
}

/** A declared tool as the Responses API takes it (`deferred`: the request has a tool search, which loads deferred tools). */
export function toolBody(t: ToolDefinition, deferred: boolean): Json {
  if (t.kind === 'web_search') return webSearchToolBody(t);
  if (t.kind === 'hosted') return hostedToolBody(t);
  if (t.kind === 'tool_search') return toolSearchToolBody(t);
  if (isClientTool(t)) return clientToolBody(t);
  const defer = deferred && t.deferLoading === true ? { defer_loading: true } : {};
  if (t.kind === 'custom') {
    return { type: 'custom', name: t.name, ...(t.description !== undefined ? { description: t.description } : {}), ...(t.format !== undefined ? { format: t.format } : {}), ...defer, ...allowedCallers(t) };
  }
  // A Responses client's tool without strict keeps the API's own default (strict where the schema allows); any other unset strict is Chat's and Anthropic's false, which the API would not assume.
  const strict = t.strict === undefined && t.providerOptions?.openai?.strictOmitted === true ? {} : { strict: t.strict === true && strictCompatible(t.parameters) };
  return {
    type: 'function', name: t.name, ...(t.description !== undefined ? { description: t.description } : {}),
    parameters: t.parameters, ...strict, ...defer, ...allowedCallers(t),
  };
}

/**
 * The calls of the history whose items have a form of their own: custom tools', the client's tool
 * searches', client tools' (by tool name); and the callers of the calls a program made (by call id),
 * which their answers repeat.
 */
interface CallKinds {
  readonly custom: ReadonlySet<string>;
  readonly searches: ReadonlySet<string>;
  readonly clients: ReadonlyMap<string, string>;
  readonly callers: ReadonlyMap<string, Json>;
  /** Tools as `tools` declares them (an `additional_tools` item a catalog filter narrowed). */
  readonly declare: (tools: readonly ToolDefinition[]) => Json[];
}

function pushItems(out: Json[], message: Message, { custom, searches, clients, callers, declare }: CallKinds, marks: boolean, store: boolean): void {
  switch (message.role) {
    case 'system':
    case 'user': {
      // A hosted item of the turn (the client's mcp_approval_response) goes as an item of its own, in place.
      let content: Json[] = [];
      const flush = () => {
        if (content.length > 0) out.push({ type: 'message', role: message.role, content });
        content = [];
      };
      for (const part of message.parts) {
        if (part.type === 'hosted_tool') {
          flush();
          out.push(hostedItemInput(part, declare));
          continue;
        }
        const wire = inputPart(part, marks);
        if (wire !== undefined) content.push(wire);
      }
      flush();
      return;
    }
    case 'assistant': {
      let text = '';
      const flush = () => {
        if (text.length > 0) out.push({ type: 'message', role: 'assistant', content: text });
        text = '';
      };
      for (const part of message.parts) {
        if (part.type === 'text') text += part.text;
        else if (part.type === 'tool_call') {
          flush();
          const namespace = part.namespace !== undefined ? { namespace: part.namespace } : {};
          const client = clients.get(part.id);
          out.push(withCaller(searches.has(part.id) ? toolSearchCallInput(part) : client !== undefined ? clientCallInput(part, client) : part.custom === true
            ? { type: 'custom_tool_call', call_id: part.id, name: part.name, input: part.arguments, ...namespace }
            : { type: 'function_call', call_id: part.id, name: part.name, arguments: part.arguments, ...namespace }, part));
        } else if (part.type === 'web_search') {
          flush();
          out.push(webSearchCallInput(part));
        } else if (part.type === 'hosted_tool') {
          flush();
          out.push(hostedItemInput(part, declare));
        } else if (replayed(part, store)) {
          flush();
          out.push({
            type: 'reasoning', id: part.id,
            summary: (part.summary ?? (part.text ? [part.text] : [])).map((text) => ({ type: 'summary_text', text })),
            ...(part.opaque ? { encrypted_content: part.opaque } : {}),
          });
        }
      }
      flush();
      return;
    }
    case 'tool':
      for (const part of message.parts) {
        if (part.type !== 'tool_result') continue;
        const loaded = part.loaded !== undefined ? toolSearchOutputInput(part) : undefined;
        if (loaded !== undefined) {
          out.push(loaded);
          continue;
        }
        const client = clients.get(part.callId);
        const own = client !== undefined ? clientOutputInput(part, client) : undefined;
        if (own !== undefined) {
          out.push(answerWithCaller(own, part, callers));
          continue;
        }
        const output = typeof part.content === 'string' ? part.content : part.content.map((p) => inputPart(p, marks)).filter((p): p is Json => p !== undefined);
        out.push(answerWithCaller({ type: custom.has(part.callId) ? 'custom_tool_call_output' : 'function_call_output', call_id: part.callId, output: failedOutput(output, part.isError, inputText) }, part, callers));
      }
      return;
  }
}

/** Text as an input content part. */
export const inputText = (text: string): Json => ({ type: 'input_text', text });

function inputPart(part: Part, marks: boolean): Json | undefined {
  switch (part.type) {
    case 'text': return withBreakpoint({ type: 'input_text', text: (part as TextPart).text }, part, marks);
    case 'image': return withBreakpoint(imagePart(part), part, marks);
    case 'file': return withBreakpoint(filePart(part), part, marks);
    default: return undefined;
  }
}

function imagePart(part: ImagePart): Json {
  const foreign = foreignReference('openai-responses', FILE_STORES.openai, part);
  if (foreign !== undefined) throw foreign;
  const url = part.url ?? `data:${part.mediaType ?? 'image/png'};base64,${part.data ?? ''}`;
  return { type: 'input_image', image_url: url, detail: part.detail ?? 'auto' };
}

/**
 * A file as an `input_file`: by id, inline data named for its media type (a client's own name,
 * else `document.txt`, `document.json`, ...: OpenAI tells the type by the name), or by URL. The
 * Responses API takes no audio or video input: such a part is refused before sending, and so is
 * a file OpenAI cannot read (Anthropic's file id, a Gemini Files API or `gs://` URI: foreignReference).
 */
function filePart(part: FilePart): Json {
  const foreign = foreignReference('openai-responses', FILE_STORES.openai, part);
  if (foreign !== undefined) throw foreign;
  if (part.fileId) return { type: 'input_file', file_id: part.fileId };
  const media = audioOrVideo(part.mediaType);
  if (media !== undefined) throw mediaRefusal('openai-responses', media, part.mediaType!, media === 'audio' ? 'gemini, an openai-chat audio model' : 'gemini');
  if (part.data !== undefined) {
    return { type: 'input_file', filename: part.filename ?? inlineFileName(part.mediaType), file_data: `data:${part.mediaType ?? 'application/pdf'};base64,${part.data}` };
  }
  return { type: 'input_file', file_url: part.url ?? '' };
}

/** A tool as a tool choice names it: a function or custom tool by name, the web search and other hosted tools by their type (an MCP server by its label too). */
function choiceOf(call: Call, name: string): Json {
  const tool = call.tools.find((t) => t.name === name);
  if (tool?.kind === 'web_search') return { type: webSearchToolBody(tool).type };
  if (tool?.kind === 'hosted') return hostedChoice(tool);
  if (tool !== undefined && isClientTool(tool)) return { type: tool.providerTool!.definition.type };
  return { type: tool?.kind === 'custom' ? 'custom' : 'function', name };
}

function toolChoice(call: Call): unknown {
  const choice = call.toolChoice;
  const allowed = allowedNames(call);
  if (allowed) return { type: 'allowed_tools', mode: choice.type === 'any' ? 'required' : 'auto', tools: allowed.map((name) => choiceOf(call, name)) };
  switch (choice.type) {
    case 'none': return 'none';
    case 'any': return 'required';
    case 'tool': return choiceOf(call, choice.name);
    default: return 'auto';
  }
}
