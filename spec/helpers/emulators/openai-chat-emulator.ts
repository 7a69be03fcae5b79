import { bearerKey, sse, startEmulator, type Emulator, type EmulatorProtocol, type RecordedRequest } from './emulator-server.js';
import { refuseOpenAIChat } from './wire-identifiers.js';
import { refuseOpenAIChatSchemas } from './openai-rules.js';
import { chatReasoningRefusal } from './state-check.js';
import { deltas, emulatedEmbedding, emulatedLogprob, finishOf, joined, type CitationScript, type Frame, type Script, type UsageScript } from './script.js';

const CREATED = 1_767_225_600;
const FINISH: Record<string, string> = { stop: 'stop', length: 'length', tool_calls: 'tool_calls', content_filter: 'content_filter', stop_sequence: 'stop' };

/** OpenAI's error `type` for a status (401 carries code `invalid_api_key`, 429 `rate_limit_exceeded`). */
export function openaiErrorType(status: number): string {
  if (status === 429) return 'requests';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

export function openaiErrorBody(status: number, error: { message: string; type?: string; code?: string; param?: string }): unknown {
  const code = error.code ?? (status === 401 ? 'invalid_api_key' : status === 429 ? 'rate_limit_exceeded' : null);
  return { error: { message: error.message, type: error.type ?? openaiErrorType(status), param: error.param ?? null, code } };
}

export function openaiModelList(models: readonly string[]): unknown {
  return { object: 'list', data: models.map((id) => ({ id, object: 'model', created: CREATED, owned_by: 'system' })) };
}

/**
 * `POST /v1/embeddings` as api.openai.com answers it: one `embedding` object per input in order,
 * each vector a list of numbers or, with `encoding_format: "base64"`, its little-endian float32
 * bytes in base64; `dimensions` sets the length. `usage.prompt_tokens` is the script's input
 * usage, else a quarter of the characters.
 */
export const openaiEmbeddings: NonNullable<EmulatorProtocol['embeddings']> = {
  fields: ['model', 'input', 'encoding_format', 'dimensions', 'user'],
  answer(request, script) {
    const inputs: string[] = typeof request.body?.input === 'string' ? [request.body.input] : request.body?.input ?? [];
    const base64 = request.body?.encoding_format === 'base64';
    const data = inputs.map((text, index) => {
      const vector = emulatedEmbedding(text, request.body?.dimensions);
      const bytes = Buffer.alloc(vector.length * 4);
      vector.forEach((v, i) => bytes.writeFloatLE(v, i * 4));
      return { object: 'embedding', index, embedding: base64 ? bytes.toString('base64') : vector };
    });
    const tokens = script.usage?.input ?? Math.ceil(inputs.join('').length / 4);
    return { object: 'list', data, model: script.model ?? request.model, usage: { prompt_tokens: tokens, total_tokens: tokens } };
  },
};

/** Chat Completions `usage` from canonical numbers (cached tokens are inside prompt tokens). */
export function chatUsageWire(u: UsageScript): Record<string, unknown> {
  return {
    prompt_tokens: u.input, completion_tokens: u.output, total_tokens: u.input + u.output,
    prompt_tokens_details: { cached_tokens: u.cacheRead ?? 0, audio_tokens: 0, ...(u.cacheWrite !== undefined ? { cache_write_tokens: u.cacheWrite } : {}) },
    completion_tokens_details: { reasoning_tokens: u.reasoning ?? 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

/**
 * OpenAI Chat Completions as api.openai.com streams it: `data:` frames of
 * `chat.completion.chunk` (role chunk first, `usage: null` on every chunk when usage was asked
 * for, then a `choices: []` usage chunk), and `data: [DONE]`. Reasoning is streamed as
 * `delta.reasoning_content`, the way compatible servers (vLLM, DeepSeek, llama.cpp) do. A
 * script's citations are `url_citation` annotations (the cited delta's offsets in the content):
 * on the message, or streamed in one `delta: {annotations}` chunk before the finishing chunk, as
 * the search models send them; its searches have no form here.
 */
export const openaiChatProtocol: EmulatorProtocol = {
  refuse: (request) => refuseOpenAIChat(request.body) ?? refuseOpenAIChatSchemas(request.body),
  name: 'openai-chat',
  basePath: '/v1',
  match(method, path) {
    if (method === 'POST' && path === '/v1/chat/completions') return { route: 'generate' };
    if (method === 'POST' && path === '/v1/embeddings') return { route: 'embeddings' };
    if (method === 'GET' && path === '/v1/models') return { route: 'models' };
    return undefined;
  },
  keyOf: (headers) => bearerKey(headers),
  errorBody: openaiErrorBody,
  modelList: openaiModelList,
  embeddings: openaiEmbeddings,
  frameKey: (request) => `${request.model ?? ''}|${request.body?.stream_options?.include_usage === true}`,
  stateRefusal(request, issued) {
    const message = chatReasoningRefusal(request.body?.messages, issued);
    return message ? { status: 400, error: { message, type: 'invalid_request_error' } } : undefined;
  },

  frames(script: Script, request: RecordedRequest): Frame[] {
    const id = script.id ?? 'chatcmpl-emu0001';
    const model = script.model ?? request.model ?? 'gpt-4o';
    const withUsage = request.body?.stream_options?.include_usage === true;
    const chunk = (delta: Record<string, unknown>, finish: string | null = null, logprobs: unknown = null) => sse({
      id, object: 'chat.completion.chunk', created: CREATED, model, service_tier: 'default', system_fingerprint: 'fp_emulator',
      choices: [{ index: 0, delta, logprobs, finish_reason: finish }],
      ...(withUsage ? { usage: null } : {}),
    });
    const frames: Frame[] = [{ text: chunk({ role: 'assistant', content: '', refusal: null }), output: false }];
    for (const text of deltas(script.reasoning?.text)) frames.push({ text: chunk({ reasoning_content: text }), output: true });
    for (const entry of script.reasoning?.details ?? []) frames.push({ text: chunk({ reasoning_details: [entry] }), output: true });
    deltas(script.text).forEach((text, i) => frames.push({ text: chunk({ content: text }, null, chatLogprobs(request, [text], i)), output: true }));
    (script.toolCalls ?? []).forEach((call, index) => {
      const id = call.id ?? `call_emu${index + 1}`;
      if (call.custom) { // the shape OpenAI streams (the SDK's chunk type has only functions)
        frames.push({ text: chunk({ tool_calls: [{ index, id, type: 'custom', custom: { name: call.name, input: '' } }] }), output: true });
        for (const input of deltas(call.args)) frames.push({ text: chunk({ tool_calls: [{ index, custom: { input } }] }), output: true });
        return;
      }
      frames.push({ text: chunk({ tool_calls: [{ index, id, type: 'function', function: { name: call.name, arguments: '' } }] }), output: true });
      for (const args of deltas(call.args)) frames.push({ text: chunk({ tool_calls: [{ index, function: { arguments: args } }] }), output: true });
    });
    if (script.streamError) {
      frames.push({ text: sse({ error: { message: script.streamError.message, type: script.streamError.type ?? 'server_error', param: null, code: script.streamError.code ?? null } }), output: false });
      return frames;
    }
    if (script.citations?.length) frames.push({ text: chunk({ annotations: chatAnnotations(script.citations, deltas(script.text)) }), output: false });
    frames.push({ text: chunk({}, script.rawFinish ?? FINISH[finishOf(script)]!), output: false });
    if (withUsage && script.usage) {
      frames.push({ text: sse({ id, object: 'chat.completion.chunk', created: CREATED, model, service_tier: 'default', system_fingerprint: 'fp_emulator', choices: [], usage: chatUsageWire(script.usage) }), output: false });
    }
    frames.push({ text: 'data: [DONE]\n\n', output: false });
    return frames;
  },

  json(script: Script, request: RecordedRequest): unknown {
    // In-body error with status 200, as compatible servers (and gateways in front of them) answer.
    if (script.streamError) return { error: { message: script.streamError.message, type: script.streamError.type ?? 'server_error', param: null, code: script.streamError.code ?? null } };
    const calls = (script.toolCalls ?? []).map((call, index) => (call.custom
      ? { id: call.id ?? `call_emu${index + 1}`, type: 'custom', custom: { name: call.name, input: joined(call.args) } }
      : { id: call.id ?? `call_emu${index + 1}`, type: 'function', function: { name: call.name, arguments: joined(call.args) } }));
    const text = joined(script.text);
    return {
      id: script.id ?? 'chatcmpl-emu0001', object: 'chat.completion', created: CREATED, model: script.model ?? request.model ?? 'gpt-4o',
      choices: [{
        index: 0,
        message: {
          role: 'assistant', content: text.length > 0 || calls.length === 0 ? text : null, refusal: null,
          annotations: script.citations?.length ? chatAnnotations(script.citations, deltas(script.text)) : [],
          ...(script.reasoning?.text ? { reasoning_content: joined(script.reasoning.text) } : {}),
          ...(script.reasoning?.details ? { reasoning_details: script.reasoning.details } : {}),
          ...(calls.length > 0 ? { tool_calls: calls } : {}),
        },
        logprobs: chatLogprobs(request, deltas(script.text), 0),
        finish_reason: script.rawFinish ?? FINISH[finishOf(script)]!,
      }],
      ...(script.usage ? { usage: chatUsageWire(script.usage) } : {}),
      service_tier: 'default', system_fingerprint: 'fp_emulator',
    };
  },
};

/** Chat `url_citation` annotations: each cites its text delta, by that delta's offsets in the content. */
function chatAnnotations(citations: readonly CitationScript[], texts: readonly string[]): unknown[] {
  return citations.map((c) => {
    const start = texts.slice(0, c.delta).join('').length;
    return { type: 'url_citation', url_citation: { start_index: start, end_index: start + (texts[c.delta]?.length ?? 0), url: c.url, title: c.title ?? '' } };
  });
}

/** `choices[0].logprobs` for these deltas (the first at `from`) when the request asked for them (`logprobs: true`), else null. */
function chatLogprobs(request: RecordedRequest, texts: readonly string[], from: number): unknown {
  if (request.body?.logprobs !== true) return null;
  const top = typeof request.body.top_logprobs === 'number' ? request.body.top_logprobs : 0;
  return { content: texts.map((t, i) => { const { top: alternatives, ...token } = emulatedLogprob(t, from + i, top); return { ...token, top_logprobs: alternatives }; }), refusal: null };
}

/** An OpenAI Chat Completions upstream on a free port; `url` ends in `/v1`. */
export function startOpenAIChatEmulator(): Promise<Emulator> {
  return startEmulator(openaiChatProtocol);
}
