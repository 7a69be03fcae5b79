import type { Call, FilePart, ImagePart, Message, Part, ReasoningOptions, ReasoningPart, TextPart, ToolDefinition } from '../../canonical/index.js';
import { FILE_STORES, HOSTED_KNOB_DIALECTS, REASONING_DIALECTS, SEARCH_DIALECTS } from '../../canonical/index.js';
import { LipError } from '../../errors/index.js';
import { definedFields, sendKnobs, withBreakpoint } from '../provider-options.js';
import { hasBreakpointMarks } from '../cache-marks.js';
import { allowedNames, callableTools } from '../allowed-tools.js';
import { ownWebSearches, refuseWebSearch, webSearchTool } from '../web-search.js';
import { strictCompatible } from '../strict-schema.js';
import { limitStopSequences } from '../stop-sequences.js';
import { asksForReasoning, reasoningEffort, turnsThinkingOff } from '../thinking.js';
import { OPENAI_API, type ChatOptions } from './options.js';
import { replayedDetails } from './reasoning-details.js';
import { forHostedDialect } from '../hosted-tools.js';
import { foreignReference, mediaRefusal, refuseForeignMediaFields } from '../media-refusal.js';
import { mediaAsUser } from '../media-as-user.js';
import { audioOrVideo, inlineFileName } from '../../wire/index.js';
import { endUserId } from '../end-user-id.js';
import { failedOutput } from '../failed-tool-result.js';

type Json = Record<string, unknown>;


/**
 * Call -> Chat Completions request body: streamed with `stream_options.include_usage` (unless
 * the row turns it off), or `stream: false` for a whole answer (which carries its usage).
 * System parts lead as one system message; tool results become one `tool` message each, of
 * their text (their images and documents, and an assistant message's, a user message after
 * them: mediaAsUser);
 * earlier reasoning is replayed only when the row names a field for it, and only this dialect's
 * (`reasoning_content`) or plain reasoning text of another (no signature, no opaque payload: what
 * a client of another protocol hands back of a Chat server's reasoning; signed reasoning is its
 * provider's alone), on a tool-call turn with nothing to replay as an empty field when the row says
 * `reasoning_required` (DeepSeek); a row that reads OpenRouter's `reasoning_details` sends those of the
 * message's reasoning back as they came (reasoning-details.ts), in place of the text. Custom tools and their calls go out as Chat's own (`type: "custom"`);
 * a row with `custom_tools: function` never gets here with one (source.ts offers them as functions).
 * The client's OpenAI knobs (service_tier, prompt_cache_key, prompt_cache_retention,
 * prompt_cache_options, safety_identifier, logit_bias, prediction) go out unless the row turns
 * `provider_options` off; so do its cache marks as `prompt_cache_breakpoint`s, when the client
 * wrote any of the call's marks as such (hasBreakpointMarks: a stored turn's count).
 * A hosted web search is `web_search_options` (never one of `tools`): a Chat client's object as
 * it wrote it, else `search_context_size` and the `approximate` `user_location` of its options
 * (max uses, domain filters and live access have no Chat field); a row with `web_search: refuse`
 * refuses the call instead. Searches in the history are left out (Chat has no form for them).
 *
 * ```ts
 * encodeChatRequest(call, 'gpt-4o', options)
 * // { model: 'gpt-4o', messages: [...], stream: true, stream_options: { include_usage: true }, ... }
 * ```
 * @see spec/backends/openai-chat/encode-request.spec.ts
 */
export function encodeChatRequest(given: Call, model: string, o: ChatOptions, stream = true): Json {
  refuseForeignMediaFields(given, o.name);
  // A blocking moderation goes with the OpenAI knobs: a row that sends none refuses it.
  const call = forHostedDialect(given, o.name, undefined, o.providerOptions ? [HOSTED_KNOB_DIALECTS.openaiModeration] : []);
  const search = webSearchTool(call);
  if (search !== undefined && o.webSearch === 'refuse') refuseWebSearch(call, o.name);
  const messages: Json[] = [];
  const marks = o.providerOptions && hasBreakpointMarks(call);
  if (call.system.length > 0) messages.push({ role: 'system', content: textContent(call.system, marks) });
  // Tool messages and assistant messages take text only: their images and documents follow as a user message.
  for (const message of ownWebSearches(mediaAsUser(call.messages, { fromToolResults: true }), SEARCH_DIALECTS.openaiChat)) pushMessage(messages, message, o, marks);
  // A trailing assistant text is the start of the answer, where the server says how to mark it.
  const last = messages[messages.length - 1];
  if (o.prefill !== 'none' && call.messages.at(-1)?.role === 'assistant' && last?.role === 'assistant' && last.tool_calls === undefined && typeof last.content === 'string' && last.content.length > 0) {
    last[o.prefill] = true;
  }

  const body: Json = { model, messages, stream };
  if (stream && o.streamUsage) body.stream_options = { include_usage: true };
  const declared = o.allowedTools === 'native' ? call.tools : callableTools(call);
  const tools = search === undefined ? declared : declared.filter((t) => t.kind !== 'web_search');
  if (tools.length > 0) {
    body.tools = tools.map((t) => (t.kind === 'custom' ? { type: 'custom', custom: customTool(t) } : {
      type: 'function',
      function: {
        name: t.name,
        ...(t.description !== undefined ? { description: t.description } : {}),
        parameters: t.parameters,
        ...(t.strict !== undefined ? { strict: t.strict && strictCompatible(t.parameters) } : {}),
      },
    }));
    body.tool_choice = toolChoice(call, o.allowedTools === 'native');
    if (call.options.parallelToolCalls !== undefined) body.parallel_tool_calls = call.options.parallelToolCalls;
  } else if (call.toolChoice.type === 'none') {
    body.tool_choice = 'none';
  }
  if (search !== undefined) body.web_search_options = webSearchOptions(search);
  const opt = call.options;
  if (opt.temperature !== undefined) body.temperature = opt.temperature;
  if (opt.topP !== undefined) body.top_p = opt.topP;
  if (opt.maxOutputTokens !== undefined) body[o.maxTokensField] = opt.maxOutputTokens;
  if (opt.stopSequences && opt.stopSequences.length > 0) body.stop = limitStopSequences(opt.stopSequences, o.maxStopSequences, o.name);
  if (opt.presencePenalty !== undefined) body.presence_penalty = opt.presencePenalty;
  if (opt.frequencyPenalty !== undefined) body.frequency_penalty = opt.frequencyPenalty;
  if (opt.seed !== undefined) body.seed = opt.seed;
  if (opt.logprobs !== undefined) {
    body.logprobs = true;
    if (opt.logprobs > 0) body.top_logprobs = opt.logprobs;
  }
  if (opt.verbosity !== undefined) body.verbosity = opt.verbosity;
  Object.assign(body, reasoningFields(o.reasoningParam, opt.reasoning));
  const format = opt.responseFormat;
  if (format?.type === 'json_object') body.response_format = { type: 'json_object' };
  if (format?.type === 'json_schema') {
    body.response_format = {
      type: 'json_schema',
      json_schema: {
        name: format.name ?? 'response', ...(format.description !== undefined ? { description: format.description } : {}),
        schema: format.schema, ...(format.strict !== undefined ? { strict: format.strict } : {}),
      },
    };
  }
  // OpenAI's own API refuses `metadata` without `store: true` ("only allowed when 'store' is
  // enabled"), and lip sends no `store` (it keeps stored completions itself): the metadata goes to
  // every other server (a LiteLLM proxy reads its tags there), not to api.openai.com.
  if (Object.keys(call.metadata).length > 0 && !OPENAI_API.test(o.baseUrl)) body.metadata = call.metadata;
  // OpenAI refuses a `user` over 64 characters: a longer one goes as its digest (end-user-id.ts).
  if (call.user !== undefined) body.user = endUserId(call.user);
  return o.providerOptions ? sendKnobs(body, knobs(call)) : body;
}

/**
 * How the call's reasoning is asked for, per the row's `reasoning_param`: `reasoning_effort`
 * (OpenAI; the effort, or nothing); OpenRouter's `reasoning` object (`effort: "none"` for an
 * effort of none or a budget of 0, nothing for an Anthropic client's `disabled` alone, else the
 * budget as `max_tokens` or the effort); DeepSeek's `thinking`
 * switch (`{type: "disabled"}` when the call turns thinking off, `{type: "enabled"}` with the
 * `reasoning_effort` when it asks for reasoning); nothing for `none`. A call that says nothing
 * gets nothing: the model's default.
 *
 * ```ts
 * reasoningFields('thinking', { disabled: true }) // { thinking: { type: 'disabled' } }
 * ```
 */
function reasoningFields(param: ChatOptions['reasoningParam'], r: ReasoningOptions | undefined): Json {
  const effort = reasoningEffort(r);
  switch (param) {
    case 'reasoning_effort':
      return effort !== undefined ? { reasoning_effort: effort } : {};
    case 'reasoning':
      // An Anthropic client's `disabled` alone is what agents send routinely (Claude Code's
      // background calls), and OpenRouter refuses an off switch for a model whose reasoning is
      // mandatory ("Reasoning is mandatory for this endpoint and cannot be disabled"): it leaves
      // the model's default. An effort of none or a budget of 0 is a client naming the switch.
      if (r?.effort === 'none' || r?.budgetTokens === 0) return { reasoning: { effort: 'none' } };
      if (r?.disabled === true) return {};
      if (r?.budgetTokens !== undefined) return { reasoning: { max_tokens: r.budgetTokens } };
      return effort !== undefined ? { reasoning: { effort } } : {};
    case 'thinking':
      if (turnsThinkingOff(r)) return { thinking: { type: 'disabled' } };
      if (!asksForReasoning(r)) return {};
      return { thinking: { type: 'enabled' }, ...(effort !== undefined ? { reasoning_effort: effort } : {}) };
    default:
      return {};
  }
}

/** The call's OpenAI knobs in Chat Completions wire names (no truncation: a Responses field). */
function knobs(call: Call): Json {
  const k = call.providerOptions?.openai;
  if (!k) return {};
  return definedFields({
    service_tier: k.serviceTier, prompt_cache_key: k.promptCacheKey, prompt_cache_retention: k.promptCacheRetention,
    prompt_cache_options: k.promptCacheOptions, safety_identifier: k.safetyIdentifier, logit_bias: k.logitBias, prediction: k.prediction,
    moderation: k.moderation,
  });
}

function pushMessage(out: Json[], message: Message, o: ChatOptions, marks: boolean): void {
  switch (message.role) {
    case 'system':
      out.push({ role: 'system', content: textContent(message.parts.filter((p): p is TextPart => p.type === 'text'), marks) });
      return;
    case 'user':
      out.push(message.name === undefined ? { role: 'user', content: userContent(message.parts, marks) } : { role: 'user', name: message.name, content: userContent(message.parts, marks) });
      return;
    case 'assistant': {
      const text = message.parts.filter((p): p is TextPart => p.type === 'text').map((p) => p.text).join('');
      const calls = message.parts.filter((p) => p.type === 'tool_call');
      const assistant: Json = { role: 'assistant', content: text.length > 0 || calls.length === 0 ? text : null };
      if (message.name !== undefined) assistant.name = message.name;
      if (calls.length > 0) {
        assistant.tool_calls = calls.map((c) => (c.custom === true
          ? { id: c.id, type: 'custom', custom: { name: c.name, input: c.arguments } }
          : { id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } }));
      }
      if (o.reasoningDetails || o.reasoningField !== 'none') replayReasoning(assistant, message.parts, calls.length > 0, o);
      out.push(assistant);
      return;
    }
    case 'tool':
      for (const part of message.parts) {
        if (part.type !== 'tool_result') continue;
        const content = typeof part.content === 'string' ? part.content : textContent(part.content.filter((p): p is TextPart => p.type === 'text'), marks);
        out.push({ role: 'tool', tool_call_id: part.callId, content: failedOutput(content, part.isError, (text): Json => ({ type: 'text', text })) });
      }
      return;
  }
}

/**
 * An assistant message's reasoning on a row that sends it back: OpenRouter's details, which hold
 * the reasoning text too, else the text in the row's `reasoningField`.
 */
function replayReasoning(assistant: Json, messageParts: readonly Part[], calls: boolean, o: ChatOptions): void {
  const parts = messageParts.filter((p): p is ReasoningPart => p.type === 'reasoning');
  const details = o.reasoningDetails ? replayedDetails(parts) : undefined;
  if (details) assistant.reasoning_details = details;
  else if (o.reasoningField !== 'none') {
    const reasoning = parts.filter((p) => !!p.text && replaysAsChat(p)).map((p) => p.text).join('');
    // A server that wants the field on every tool-call turn gets it empty when there is nothing to replay.
    if (reasoning || (o.reasoningRequired && calls)) assistant[o.reasoningField] = reasoning;
  }
}

/** One text part as a plain string (what every compatible server reads), several as parts (or one carrying a breakpoint). */
function textContent(parts: readonly TextPart[], marks: boolean): string | Json[] {
  if (parts.length === 1 && !(marks && parts[0]!.cache)) return parts[0]!.text;
  if (parts.length === 0) return '';
  return parts.map((p) => withBreakpoint({ type: 'text', text: p.text }, p, marks));
}

function userContent(parts: readonly Part[], marks: boolean): string | Json[] {
  if (parts.length === 1 && parts[0]!.type === 'text' && !(marks && parts[0].cache)) return parts[0].text;
  const out: Json[] = [];
  for (const part of parts) {
    if (part.type === 'text') out.push(withBreakpoint({ type: 'text', text: part.text }, part, marks));
    else if (part.type === 'image') out.push(withBreakpoint(imagePart(part), part, marks));
    else if (part.type === 'file') out.push(withBreakpoint(filePart(part), part, marks));
  }
  return out;
}

/** Chat's audio `format` of a media type: `wav` (`audio/wav`, `audio/x-wav`, `audio/wave`), `mp3` (`audio/mpeg`, `audio/mp3`), else the subtype. */
function audioFormat(mediaType: string): string {
  const subtype = mediaType.slice('audio/'.length).toLowerCase();
  if (subtype === 'mpeg' || subtype === 'mp3') return 'mp3';
  return subtype === 'x-wav' || subtype === 'wave' || subtype === 'vnd.wave' ? 'wav' : subtype;
}

function imagePart(part: ImagePart): Json {
  const foreign = foreignReference('openai-chat', FILE_STORES.openai, part);
  if (foreign !== undefined) throw foreign;
  const url = part.url ?? `data:${part.mediaType ?? 'image/png'};base64,${part.data ?? ''}`;
  // Chat takes auto, low and high: the Responses API's `original` (full resolution) is the nearest, high.
  return { type: 'image_url', image_url: { url, ...(part.detail ? { detail: part.detail === 'original' ? 'high' : part.detail } : {}) } };
}

/**
 * A file: by id; inline audio as `input_audio`; other inline data as a `file` named for its media
 * type (a client's own name, else `document.txt`, `document.json`, ...: OpenAI tells the type by
 * the name). Chat takes no video, and audio only inline: video (inline or by URL) and audio by
 * URL are refused before sending, and so is a file OpenAI cannot read (Anthropic's file id, a
 * Gemini Files API or `gs://` URI: foreignReference).
 */
function filePart(part: FilePart): Json {
  const foreign = foreignReference('openai-chat', FILE_STORES.openai, part);
  if (foreign !== undefined) throw foreign;
  if (part.fileId) return { type: 'file', file: { file_id: part.fileId } };
  const media = audioOrVideo(part.mediaType);
  if (media === 'video') throw mediaRefusal('openai-chat', media, part.mediaType!, 'gemini');
  if (part.data !== undefined && media === 'audio') return { type: 'input_audio', input_audio: { data: part.data, format: audioFormat(part.mediaType!) } };
  if (media === 'audio') {
    throw new LipError('LIP_ERR_REQUEST_UNSUPPORTED', `openai-chat takes audio inline only, not by URL (${part.mediaType}); send it inline, or route it to a backend that takes it (gemini)`);
  }
  if (part.data !== undefined) {
    return { type: 'file', file: { file_data: `data:${part.mediaType ?? 'application/pdf'};base64,${part.data}`, filename: part.filename ?? inlineFileName(part.mediaType) } };
  }
  // Chat Completions takes no file URLs: name the document so the model at least knows of it.
  return { type: 'text', text: `[document: ${part.filename ?? part.url ?? 'attachment'}]` };
}

/** A custom tool in Chat's notation: the grammar of a grammar format nests in `grammar`. */
function customTool(t: ToolDefinition): Json {
  const f = t.format;
  const format = f?.type === 'grammar' ? { type: 'grammar', grammar: { syntax: f.syntax, definition: f.definition } } : f;
  return { name: t.name, ...(t.description !== undefined ? { description: t.description } : {}), ...(format !== undefined ? { format } : {}) };
}

/** A hosted web search as `web_search_options`: a Chat client's own object, else built from its options. */
function webSearchOptions(search: ToolDefinition): Json {
  if (search.providerTool?.dialect === SEARCH_DIALECTS.openaiChat) return { ...search.providerTool.definition };
  const o = search.webSearch ?? {};
  return {
    ...(o.contextSize !== undefined ? { search_context_size: o.contextSize } : {}),
    ...(o.userLocation !== undefined ? { user_location: { type: 'approximate', approximate: { ...o.userLocation } } } : {}),
  };
}

/**
 * Chat's `tool_choice` over its function and custom tools. The hosted web search is none of
 * them: the allowed list leaves it out, and a choice of it (or of it alone among the allowed)
 * lets the model call no function, `none` (a search model searches on its own).
 */
function toolChoice(call: Call, nativeAllowed: boolean): unknown {
  const choice = call.toolChoice;
  const custom = (name: string) => call.tools.some((t) => t.name === name && t.kind === 'custom');
  const search = (name: string) => call.tools.some((t) => t.name === name && t.kind === 'web_search');
  if (choice.type === 'tool' && custom(choice.name)) return { type: 'custom', custom: { name: choice.name } };
  if (choice.type === 'tool' && search(choice.name)) return 'none';
  const listed = allowedNames(call);
  const allowed = listed?.some(search) ? listed.filter((name) => !search(name)) : listed;
  if (allowed?.length === 0) return 'none';
  if (allowed && nativeAllowed) {
    const tools = allowed.map((name) => (custom(name) ? { type: 'custom', custom: { name } } : { type: 'function', function: { name } }));
    return { type: 'allowed_tools', allowed_tools: { mode: choice.type === 'any' ? 'required' : 'auto', tools } };
  }
  switch (choice.type) {
    case 'none': return 'none';
    case 'any': return 'required';
    case 'tool': return { type: 'function', function: { name: choice.name } };
    default: return 'auto';
  }
}

/**
 * Whether a reasoning part goes out as the Chat reasoning field: this dialect's, or plain text of
 * another (a signed or opaque block belongs to its provider; lip's own compaction summary is text).
 */
export function replaysAsChat(part: ReasoningPart): boolean {
  if (part.dialect === REASONING_DIALECTS.openaiChat) return true;
  return part.signature === undefined && part.opaque === undefined && part.dialect !== REASONING_DIALECTS.lipCompaction;
}
