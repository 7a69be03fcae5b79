import type {
  Call, FilePart, GenerationOptions, ImagePart, Message, Part, ResponseFormat, TextPart, ToolChoice, ToolDefinition, WebSearchOptions,
} from '../../canonical/index.js';
import { CUSTOM_TOOL_PARAMETERS, REASONING_DIALECTS, SEARCH_DIALECTS, WEB_SEARCH_TOOL_NAME, emptyCall } from '../../canonical/index.js';
import { LipError } from '../../errors/index.js';
import { requestArguments } from '../../wire/json-depth.js';
import { compileRequestValidator, parseDataUrl } from '../../wire/request-validator.js';
import { allowedChoice } from '../allowed-tools.js';
import { partCacheOf } from '../cache-control.js';
import { mediaUrl } from '../media-url.js';
import { originsLater, type DecodedRequest, type MessageOrigin, type Origin, type OriginRecorder } from '../protocol.js';
import { openaiKnobsOf } from '../provider-options.js';
import { openCallId, plainCallId } from '../state-envelope.js';
import { CHAT_KNOBS, chatRequestSchema } from './request-schema.js';
import { storedContinuation } from './stored-completions.js';

type Json = Record<string, any>; // validated by chatRequestSchema before any field is read

const validate = compileRequestValidator(chatRequestSchema);
/** A tool call's fields where Chat writes them. */
const FUNCTION_CALL_FIELDS = { name: 'function.name', arguments: 'function.arguments' };
const CUSTOM_CALL_FIELDS = { name: 'custom.name', arguments: 'custom.input' };


/**
 * Chat Completions request -> Call. Leading system/developer messages become `system`; later
 * ones stay in place as system messages. Assistant `tool_calls` become tool_call parts (custom
 * ones custom calls, their `input` the arguments), custom tools custom tool definitions,
 * `reasoning_content` (or `reasoning`) a reasoning part; `tool` messages tool_result parts.
 * A tool-call id that carries provider state (turn-state.ts) is opened: the plain id, the call's
 * signature, and the reasoning that came before the call: the first call's leads the turn (ahead
 * of its text, whose place among the reasoning Chat does not keep), a later call's goes right
 * before that call (interleaved thinking). The OpenAI knobs of
 * CHAT_KNOBS (service tier, prompt-cache key, ...) become `providerOptions.openai`; `user`, else
 * `safety_identifier`, is the end user. `web_search_options` is the hosted web search tool, after
 * the function tools (the object kept as its declaration); the `annotations` of an echoed answer
 * are dropped (citations do not travel in the history). `recorder`, when given, gets where the
 * call's messages, parts and tools came from (DecodedRequest.origins asks for them).
 */
export function decodeChatRequest(body: unknown, recorder?: OriginRecorder): DecodedRequest {
  validate(body);
  const b = body as Json;
  if (typeof b.n === 'number' && b.n > 1) throw new LipError('LIP_ERR_REQUEST_UNSUPPORTED', 'n: only one choice per request is supported (n must be 1)', { param: 'n' });
  // Alternatives per token come back only with the log probabilities (OpenAI refuses the pair too).
  if (typeof b.top_logprobs === 'number' && b.top_logprobs > 0 && b.logprobs !== true) {
    throw new LipError('LIP_ERR_REQUEST_INVALID', 'top_logprobs: needs logprobs: true (the alternatives come with the log probabilities)', { param: 'top_logprobs' });
  }
  refuseUnsupported(b);

  const system: TextPart[] = [];
  const messages: Message[] = [];
  // Where each message and part came from, when recording: lifted system messages shift the indexes.
  const messageOrigins = recorder && ([] as MessageOrigin[]);
  const add = (message: Message, at: string, parts?: readonly (Origin | undefined)[]) => {
    messages.push(message);
    messageOrigins?.push({ at, ...(parts ? { parts } : {}) });
  };
  let legacyCalls = 0;
  const legacyIds = new Map<string, string>(); // function name -> generated call id
  (b.messages as Json[]).forEach((m, i) => {
    const path = `messages[${i}]`;
    switch (m.role) {
      case 'system':
      case 'developer': {
        const parts = textParts(m.content, `${path}.content`);
        if (messages.length === 0) system.push(...parts);
        else add({ role: 'system', parts }, path, messageOrigins && contentOrigins(m.content, path));
        return;
      }
      case 'user':
        add({ role: 'user', parts: userParts(m.content, `${path}.content`), ...named(m) }, path, messageOrigins && contentOrigins(m.content, path));
        return;
      case 'assistant': {
        // An audio answer of OpenAI's, handed back by its id: lip gives no audio output and keeps none to read.
        if (m.audio !== undefined && m.audio !== null) {
          throw new LipError('LIP_ERR_REQUEST_UNSUPPORTED', `${path}.audio: an audio answer is not supported (lip gives no audio output); send what it said as content`, { param: `${path}.audio` });
        }
        const parts: Part[] = [];
        const from = messageOrigins && ([] as (Origin | undefined)[]); // the parts' origins, when recording
        const reasoning = m.reasoning_content ?? m.reasoning;
        if (typeof reasoning === 'string' && reasoning.length > 0) {
          parts.push({ type: 'reasoning', dialect: REASONING_DIALECTS.openaiChat, text: reasoning });
          from?.push({ at: path, fields: { text: m.reasoning_content !== undefined ? 'reasoning_content' : 'reasoning' } });
        }
        if (typeof m.content === 'string') {
          if (m.content.length > 0) {
            parts.push({ type: 'text', text: m.content });
            from?.push({ at: path, fields: { text: 'content' } });
          }
        } else if (Array.isArray(m.content)) {
          for (const p of m.content as Json[]) parts.push({ type: 'text', text: p.type === 'refusal' ? p.refusal : p.text });
          from?.push(...(m.content as Json[]).map((p, k) => ({ at: `${path}.content[${k}]`, fields: { text: p.type === 'refusal' ? 'refusal' : 'text' } })));
        }
        if (typeof m.refusal === 'string' && m.refusal.length > 0 && m.content == null) {
          parts.push({ type: 'text', text: m.refusal });
          from?.push({ at: path, fields: { text: 'refusal' } });
        }
        ((m.tool_calls ?? []) as Json[]).forEach((c, j) => {
          const at = `${path}.tool_calls[${j}]`;
          const { id, call, reasoning: state } = openCallId(c.id, `${at}.id`);
          // The reasoning before the call: the first call's (before any of it) leads the turn, a later call's goes right before it.
          if (state) {
            const where = j === 0 ? 0 : parts.length;
            parts.splice(where, 0, ...state.map((s): Part => ({ type: 'reasoning', ...s })));
            from?.splice(where, 0, ...state.map(() => ({ at: `${at}.id` })));
          }
          const signed = call ? { signature: call.signature, dialect: call.dialect } : {};
          if (c.type === 'custom') parts.push({ type: 'tool_call', id, name: c.custom.name, arguments: c.custom.input, custom: true, ...signed });
          else parts.push({ type: 'tool_call', id, name: c.function.name, arguments: requestArguments(c.function.arguments ?? '', `${at}.function.arguments`), ...signed });
          from?.push({ at, fields: c.type === 'custom' ? CUSTOM_CALL_FIELDS : FUNCTION_CALL_FIELDS });
        });
        if (m.function_call?.name) {
          const id = `call_legacy_${++legacyCalls}`;
          legacyIds.set(m.function_call.name, id);
          parts.push({ type: 'tool_call', id, name: m.function_call.name, arguments: requestArguments(m.function_call.arguments ?? '', `${path}.function_call.arguments`) });
          from?.push({ at: `${path}.function_call` });
        }
        add({ role: 'assistant', parts: parts.length > 0 ? parts : [{ type: 'text', text: '' }], ...named(m) }, path, from);
        return;
      }
      case 'tool':
        add({ role: 'tool', parts: [{ type: 'tool_result', callId: plainCallId(m.tool_call_id), content: toolContent(m.content) }] }, path, messageOrigins && [{ at: path, fields: { callId: 'tool_call_id' } }]);
        return;
      case 'function': {
        const callId = legacyIds.get(m.name);
        if (!callId) throw new LipError('LIP_ERR_REQUEST_INVALID', `${path}: no earlier assistant function_call named "${String(m.name)}"`, { param: `${path}.name` });
        add({ role: 'tool', parts: [{ type: 'tool_result', callId, name: m.name, content: m.content ?? '' }] }, path, messageOrigins && [{ at: path }]);
        return;
      }
    }
  });

  const declared = (b.tools ?? []) as Json[];
  const tools: ToolDefinition[] = declared.map((t) => (t.type === 'custom' ? customTool(t.custom) : {
    name: t.function.name,
    ...(typeof t.function.description === 'string' ? { description: t.function.description } : {}),
    parameters: t.function.parameters ?? { type: 'object', properties: {} },
    ...(typeof t.function.strict === 'boolean' ? { strict: t.function.strict } : {}),
  }));
  if (b.web_search_options !== undefined && b.web_search_options !== null) tools.push(webSearchTool(b.web_search_options, tools));

  const knobs = openaiKnobsOf(b, CHAT_KNOBS);
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
  // `store: true`: lip keeps the answer for the stored-completions endpoints (stored-completions.ts).
  const continuation = storedContinuation(b);
  if (recorder) {
    recorder.origins = {
      messages: messageOrigins,
      // web_search_options, after the declared tools, has no name of its own to name.
      tools: declared.map((t, i) => ({ at: `tools[${i}].${t.type === 'custom' ? 'custom' : 'function'}` })),
      toolChoice: { at: 'tool_choice' },
    };
  }
  const origins = originsLater((again) => decodeChatRequest(body, again));
  return { call, hints: { includeUsage: b.stream_options?.include_usage === true }, ...(continuation ? { continuation } : {}), origins };
}

/**
 * A custom (freeform) tool: its input is one raw string. The format is kept in the Responses
 * notation every backend reads (`{type: "grammar", syntax, definition}`; Chat nests the grammar).
 */
function customTool(c: Json): ToolDefinition {
  const f = c.format as Json | undefined;
  const format = f?.type === 'grammar' ? { type: 'grammar', syntax: f.grammar.syntax, definition: f.grammar.definition } : f;
  return {
    name: c.name,
    ...(typeof c.description === 'string' ? { description: c.description } : {}),
    parameters: CUSTOM_TOOL_PARAMETERS,
    kind: 'custom',
    ...(format ? { format } : {}),
  };
}

/**
 * `web_search_options` as the canonical hosted web search: `search_context_size` -> contextSize,
 * `user_location.approximate` -> userLocation, the object itself the declaration an openai-chat
 * backend sends as written. A function or custom tool named `web_search` would take its name: 400.
 */
function webSearchTool(o: Json, declared: readonly ToolDefinition[]): ToolDefinition {
  const clash = declared.findIndex((t) => t.name === WEB_SEARCH_TOOL_NAME);
  if (clash >= 0) {
    const param = `tools[${clash}].${declared[clash]!.kind === 'custom' ? 'custom' : 'function'}.name`;
    throw new LipError('LIP_ERR_REQUEST_INVALID', `${param}: "${WEB_SEARCH_TOOL_NAME}" is the name of the hosted web search web_search_options asks for; rename the tool`, { param });
  }
  const place = o.user_location?.approximate as Json | undefined;
  const userLocation: Record<string, string> = {};
  for (const key of ['city', 'region', 'country', 'timezone'] as const) if (typeof place?.[key] === 'string') userLocation[key] = place[key];
  const webSearch: WebSearchOptions = {
    ...(typeof o.search_context_size === 'string' ? { contextSize: o.search_context_size as WebSearchOptions['contextSize'] } : {}),
    ...(Object.keys(userLocation).length > 0 ? { userLocation } : {}),
  };
  return { name: WEB_SEARCH_TOOL_NAME, kind: 'web_search', parameters: {}, webSearch, providerTool: { dialect: SEARCH_DIALECTS.openaiChat, definition: o } };
}

/** The origins of a user or system message's parts: the string, or each entry of the list. */
function contentOrigins(content: string | Json[], path: string): Origin[] {
  return typeof content === 'string' ? [{ at: path, fields: { text: 'content' } }] : content.map((_, k) => ({ at: `${path}.content[${k}]` }));
}

function textParts(content: string | Json[], path: string): TextPart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (content.length === 0) throw new LipError('LIP_ERR_REQUEST_INVALID', `${path}: must not be an empty array`, { param: path });
  return content.map((p) => ({ type: 'text', text: p.text as string, ...partCacheOf(p) }));
}

function userParts(content: string | Json[], path: string): Part[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (content.length === 0) throw new LipError('LIP_ERR_REQUEST_INVALID', `${path}: must not be an empty array`, { param: path });
  return content.map((p, j): Part => {
    switch (p.type) {
      case 'text':
        return { type: 'text', text: p.text, ...partCacheOf(p) };
      case 'image_url': {
        const image = imagePart(p.image_url.url, `${path}[${j}].image_url.url`, p.image_url.detail);
        const mark = partCacheOf(p);
        return mark.cache ? { ...image, ...mark } : image;
      }
      case 'file':
        return { ...filePart(p.file, `${path}[${j}].file`), ...partCacheOf(p) };
      case 'input_audio':
        return { type: 'file', data: p.input_audio.data, mediaType: audioMediaType(p.input_audio.format), ...partCacheOf(p) };
      default:
        throw new LipError('LIP_ERR_REQUEST_UNSUPPORTED', `${path}[${j}]: ${String(p.type)} content is not supported`, { param: `${path}[${j}].type` });
    }
  });
}

function imagePart(url: string, param: string, detail?: string): ImagePart {
  const inline = parseDataUrl(url);
  const base = inline ? { type: 'image' as const, data: inline.data, mediaType: inline.mediaType } : { type: 'image' as const, url: mediaUrl(url, param) };
  return detail ? { ...base, detail } : base;
}

function filePart(f: Json, path: string): FilePart {
  const named = typeof f.filename === 'string' ? { filename: f.filename } : {};
  if (typeof f.file_data === 'string') {
    const inline = parseDataUrl(f.file_data);
    if (inline) return { type: 'file', data: inline.data, mediaType: inline.mediaType, ...named };
    return { type: 'file', data: f.file_data, mediaType: mediaTypeOf(f.filename), ...named };
  }
  if (typeof f.file_id === 'string') return { type: 'file', fileId: f.file_id, ...named };
  throw new LipError('LIP_ERR_REQUEST_INVALID', `${path}: needs file_data or file_id`, { param: path });
}

/** An audio `format` (`wav`, `mp3`, ...) as a media type. */
function audioMediaType(format: string): string {
  const f = format.toLowerCase();
  return f === 'mp3' ? 'audio/mpeg' : `audio/${f}`;
}

function mediaTypeOf(filename: unknown): string {
  return typeof filename === 'string' && filename.toLowerCase().endsWith('.pdf') ? 'application/pdf' : 'application/octet-stream';
}

function toolContent(content: string | Json[]): string | TextPart[] {
  return typeof content === 'string' ? content : content.map((p) => ({ type: 'text', text: p.text as string, ...partCacheOf(p) }));
}

/**
 * `tool_choice` names function and custom tools only: the hosted web search is no tool of
 * `tools`, so `required` needs one of those, and a choice naming `web_search` names nothing.
 * A named choice is checked against `tools` here, where the client's field names are known.
 */
function toolChoice(choice: unknown, tools: readonly ToolDefinition[]): ToolChoice {
  const callable = (name: string) => tools.some((d) => d.name === name && d.kind !== 'web_search');
  const searches = tools.some((d) => d.kind === 'web_search');
  const named = (name: string, param: string): ToolChoice => {
    if (searches && name === WEB_SEARCH_TOOL_NAME) throw new LipError('LIP_ERR_REQUEST_INVALID', `${param}: names the tool "${name}", which is not in tools (web_search_options is not a tool to choose)`, { param });
    if (!callable(name)) throw new LipError('LIP_ERR_REQUEST_INVALID', `${param}: names the tool ${JSON.stringify(name.slice(0, 128))}, which is not in tools`, { param });
    return { type: 'tool', name };
  };
  if (choice === 'none') return { type: 'none' };
  if (choice === 'required') {
    if (searches && !tools.some((d) => d.kind !== 'web_search')) throw new LipError('LIP_ERR_REQUEST_INVALID', 'tool_choice: "required" needs a function or custom tool in tools (web_search_options is not one)', { param: 'tool_choice' });
    return { type: 'any' };
  }
  if (choice !== null && typeof choice === 'object' && (choice as Json).type === 'function') return named((choice as Json).function.name, 'tool_choice.function.name');
  if (choice !== null && typeof choice === 'object' && (choice as Json).type === 'custom') return named((choice as Json).custom.name, 'tool_choice.custom.name');
  if (choice !== null && typeof choice === 'object' && (choice as Json).type === 'allowed_tools') {
    const { mode, tools: entries } = (choice as Json).allowed_tools as Json;
    const names = (entries as Json[]).map((t, i) => {
      const name: string = t.type === 'custom' ? t.custom.name : t.function.name;
      if (!callable(name)) throw new LipError('LIP_ERR_REQUEST_INVALID', `tool_choice.allowed_tools.tools[${i}]: names the tool "${name}", which is not in tools`, { param: `tool_choice.allowed_tools.tools[${i}]` });
      return name;
    });
    return allowedChoice(mode === 'required', names);
  }
  return { type: 'auto' };
}

function options(b: Json): GenerationOptions {
  const o: { -readonly [K in keyof GenerationOptions]: GenerationOptions[K] } = {};
  if (typeof b.temperature === 'number') o.temperature = b.temperature;
  if (typeof b.top_p === 'number') o.topP = b.top_p;
  const max = b.max_completion_tokens ?? b.max_tokens;
  if (typeof max === 'number') o.maxOutputTokens = max;
  if (typeof b.stop === 'string') o.stopSequences = [b.stop];
  else if (Array.isArray(b.stop) && b.stop.length > 0) o.stopSequences = b.stop;
  if (typeof b.presence_penalty === 'number') o.presencePenalty = b.presence_penalty;
  if (typeof b.frequency_penalty === 'number') o.frequencyPenalty = b.frequency_penalty;
  if (typeof b.seed === 'number') o.seed = b.seed;
  if (b.logprobs === true) o.logprobs = typeof b.top_logprobs === 'number' ? b.top_logprobs : 0;
  if (typeof b.reasoning_effort === 'string') o.reasoning = { effort: b.reasoning_effort };
  if (typeof b.verbosity === 'string') o.verbosity = b.verbosity as GenerationOptions['verbosity'];
  if (typeof b.parallel_tool_calls === 'boolean') o.parallelToolCalls = b.parallel_tool_calls;
  const format = responseFormat(b.response_format);
  if (format) o.responseFormat = format;
  return o;
}

/** A message's participant `name`, when it has one. */
function named(m: Json): { name?: string } {
  return typeof m.name === 'string' && m.name !== '' ? { name: m.name } : {};
}

/** `response_format`, validated: a `json_schema` one always has its `json_schema` object (never plain text). */
function responseFormat(f: Json | null | undefined): ResponseFormat | undefined {
  if (!f) return undefined;
  if (f.type === 'text') return { type: 'text' };
  if (f.type === 'json_object') return { type: 'json_object' };
  const s = f.json_schema as Json;
  return {
    type: 'json_schema',
    schema: s.schema ?? {},
    ...(s.name ? { name: s.name } : {}),
    ...(typeof s.description === 'string' ? { description: s.description } : {}),
    ...(typeof s.strict === 'boolean' ? { strict: s.strict } : {}),
  };
}

/**
 * Fields that ask for something lip cannot give: answered with a 400 naming the field rather
 * than ignored (a legacy client would wait for a `function_call` that never comes, an audio
 * client for audio).
 */
function refuseUnsupported(b: Json): void {
  const refuse = (param: string, message: string) => {
    throw new LipError('LIP_ERR_REQUEST_UNSUPPORTED', `${param}: ${message}`, { param });
  };
  if (Array.isArray(b.functions) && b.functions.length > 0) refuse('functions', 'the deprecated functions list is not supported; declare them as tools ({type: "function", function: {...}})');
  if (b.function_call !== undefined && b.function_call !== null) refuse('function_call', 'the deprecated function_call choice is not supported; use tools and tool_choice');
  if (Array.isArray(b.modalities) && b.modalities.includes('audio')) refuse('modalities', 'audio output is not supported');
  if (b.audio !== undefined && b.audio !== null) refuse('audio', 'audio output is not supported');
}
