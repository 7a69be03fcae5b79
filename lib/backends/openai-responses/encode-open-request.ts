import type { Call, Message, Part, TextPart } from '../../canonical/index.js';
import { LipError } from '../../errors/index.js';
import { foreignReference, refuseForeignMediaFields } from '../media-refusal.js';
import { mediaAsUser } from '../media-as-user.js';
import { allowedNames } from '../allowed-tools.js';
import { forHostedDialect } from '../hosted-tools.js';
import { definedFields } from '../provider-options.js';
import { endUserId } from '../end-user-id.js';
import { refuseStopSequences } from '../stop-sequences.js';
import { inlineFileName } from '../../wire/index.js';
import { strictCompatible } from '../strict-schema.js';
import { ownWebSearches, refuseWebSearch, webSearchTool } from '../web-search.js';
import { inputText, reasoningField, textField } from './encode-request.js';
import { failedOutput } from '../failed-tool-result.js';
import type { ResponsesOptions } from './options.js';

type Json = Record<string, unknown>;

/** The Open Responses profile this encoder writes (openresponses.org, its OpenAPI of that date). */
export const OPEN_RESPONSES_PROFILE = '2026-04-24';

/** The profile's reasoning efforts (`ReasoningEffortEnum`); another (`minimal`) goes as the nearest. */
const EFFORTS: ReadonlySet<string> = new Set(['none', 'low', 'medium', 'high', 'xhigh']);

/** A search of nobody's dialect: an Open Responses endpoint gets no earlier hosted search items. */
const NO_SEARCH_DIALECT = 'openresponses';

/**
 * Call -> the create body of an Open Responses endpoint (profile 2026-04-24): only what the
 * specification defines, so that a server that refuses what it does not know takes it. Items:
 * `message` (user and system text, images, files; assistant text, its images and files a user
 * message after it: mediaAsUser), `function_call`,
 * `function_call_output` (a string, or text, image and file parts). Tools are functions:
 * custom tools, namespaces and tools added later are turned into functions before this runs
 * (the protocol declares none of them); a hosted tool of any provider and the hosted web search
 * are refused before sending (retryable: a route moves on to a backend of that provider), and
 * earlier hosted items are left out. Reasoning is asked for by `effort` (and `summary`) and never
 * replayed (its encrypted form would be another server's). Of the client's OpenAI knobs the
 * profile has `service_tier`, `prompt_cache_key`, `safety_identifier` and `truncation`; the end
 * user goes as `safety_identifier`. Seeds and logit biases do not exist there; nor do stop
 * sequences, and a call with some is refused, retryably (stop-sequences.ts).
 *
 * ```ts
 * encodeOpenResponsesRequest(call, 'my-model', options, 'row-id')
 * // { model, input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text }] }], stream: true, store: false, ... }
 * ```
 * @see spec/backends/openai-responses/encode-open-request.spec.ts
 */
export function encodeOpenResponsesRequest(given: Call, model: string, o: ResponsesOptions, backend: string, stream = true): Json {
  refuseForeignMediaFields(given, backend);
  refuseStopSequences(given, backend);
  const call = forHostedDialect(given, backend);
  if (webSearchTool(call) !== undefined) refuseWebSearch(call, backend);
  const input: Json[] = [];
  const part = (p: Part) => inputPart(p, backend);
  for (const message of ownWebSearches(mediaAsUser(call.messages), NO_SEARCH_DIALECT)) pushItems(input, message, part);
  const body: Json = { model, input, stream, store: o.store };
  const instructions = call.system.map((p) => p.text).join('\n\n');
  if (instructions.length > 0) body.instructions = instructions;

  const opt = call.options;
  if (opt.logprobs !== undefined) body.include = ['message.output_text.logprobs'];
  if (opt.logprobs !== undefined && opt.logprobs > 0) body.top_logprobs = opt.logprobs;
  const reasoning = reasoningField(opt, o, (effort) => (EFFORTS.has(effort) ? effort : 'low'));
  if (reasoning !== undefined) body.reasoning = reasoning;
  if (call.tools.length > 0) {
    body.tools = call.tools.map((t) => ({
      type: 'function', name: t.name, ...(t.description !== undefined ? { description: t.description } : {}),
      parameters: t.parameters, strict: t.strict === true && strictCompatible(t.parameters),
    }));
    body.tool_choice = toolChoice(call);
    if (opt.parallelToolCalls !== undefined) body.parallel_tool_calls = opt.parallelToolCalls;
  } else if (call.toolChoice.type === 'none') {
    body.tool_choice = 'none';
  }
  if (opt.temperature !== undefined) body.temperature = opt.temperature;
  if (opt.topP !== undefined) body.top_p = opt.topP;
  if (opt.presencePenalty !== undefined) body.presence_penalty = opt.presencePenalty;
  if (opt.frequencyPenalty !== undefined) body.frequency_penalty = opt.frequencyPenalty;
  if (opt.maxOutputTokens !== undefined) body.max_output_tokens = opt.maxOutputTokens;
  // The profile's formats are text and json_schema: JSON mode is the schema of any object.
  const text = textField(opt, { type: 'json_schema', name: 'json_object', schema: { type: 'object' }, strict: false });
  if (text !== undefined) body.text = text;
  if (Object.keys(call.metadata).length > 0) body.metadata = call.metadata;
  const k = o.providerOptions ? call.providerOptions?.openai : undefined;
  Object.assign(body, definedFields({
    service_tier: k?.serviceTier, prompt_cache_key: k?.promptCacheKey, truncation: k?.truncation,
    safety_identifier: k?.safetyIdentifier ?? (call.user !== undefined ? endUserId(call.user) : undefined),
  }));
  return body;
}

type PartOf = (part: Part) => Json | undefined;

function pushItems(out: Json[], message: Message, inputPart: PartOf): void {
  switch (message.role) {
    case 'system':
      // The profile's system message takes text only.
      pushMessage(out, 'system', message.parts.filter((p) => p.type === 'text').map(inputPart));
      return;
    case 'user':
      pushMessage(out, 'user', message.parts.map(inputPart));
      return;
    case 'assistant': {
      let text = '';
      const flush = () => {
        if (text.length > 0) out.push({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] });
        text = '';
      };
      for (const part of message.parts) {
        if (part.type === 'text') text += part.text;
        else if (part.type === 'tool_call') {
          flush();
          out.push({ type: 'function_call', call_id: part.id, name: part.name, arguments: part.arguments });
        }
      }
      flush();
      return;
    }
    case 'tool':
      for (const part of message.parts) {
        if (part.type !== 'tool_result') continue;
        const output = typeof part.content === 'string' ? part.content : part.content.map(inputPart).filter((p): p is Json => p !== undefined);
        out.push({ type: 'function_call_output', call_id: part.callId, output: failedOutput(output, part.isError, inputText) });
      }
      return;
  }
}

function pushMessage(out: Json[], role: 'system' | 'user', parts: readonly (Json | undefined)[]): void {
  const content = parts.filter((p): p is Json => p !== undefined);
  if (content.length > 0) out.push({ type: 'message', role, content });
}

/**
 * Text, an image or a file as the profile's input content; other parts have no form there. A file
 * known only by an upstream file id has none either: refused (retryable), never dropped; nor does
 * one in Google's storage (a Gemini Files API or `gs://` URI), which the server cannot read: refused
 * (foreignReference).
 */
function inputPart(part: Part, backend: string): Json | undefined {
  // A URL in Google's storage the server cannot read either (a file id is refused below).
  const foreign = part.type === 'image' || (part.type === 'file' && !part.fileId) ? foreignReference(backend, undefined, part) : undefined;
  if (foreign !== undefined) throw foreign;
  switch (part.type) {
    case 'text': return { type: 'input_text', text: (part as TextPart).text };
    // The specification's details are low, high and auto: OpenAI's `original` (full resolution) is the nearest, high.
    case 'image': return { type: 'input_image', image_url: part.url ?? `data:${part.mediaType ?? 'image/png'};base64,${part.data ?? ''}`, detail: part.detail === 'original' ? 'high' : part.detail ?? 'auto' };
    case 'file':
      if (part.data !== undefined) return { type: 'input_file', filename: part.filename ?? inlineFileName(part.mediaType), file_data: `data:${part.mediaType ?? 'application/pdf'};base64,${part.data}` };
      if (part.url !== undefined) return { type: 'input_file', ...(part.filename !== undefined ? { filename: part.filename } : {}), file_url: part.url };
      throw new LipError('LIP_ERR_REQUEST_UNSUPPORTED', `${backend} cannot send a file known only by its file id ("${String(part.fileId).slice(0, 64)}"): Open Responses files go as data or a URL; send the file itself, or route such requests to the provider that stores it`, {
        retryable: true, detail: { backend },
      });
    default: return undefined;
  }
}

function toolChoice(call: Call): unknown {
  const choice = call.toolChoice;
  const allowed = allowedNames(call);
  if (allowed) return { type: 'allowed_tools', mode: choice.type === 'any' ? 'required' : 'auto', tools: allowed.map((name) => ({ type: 'function', name })) };
  switch (choice.type) {
    case 'none': return 'none';
    case 'any': return 'required';
    case 'tool': return { type: 'function', name: choice.name };
    default: return 'auto';
  }
}
