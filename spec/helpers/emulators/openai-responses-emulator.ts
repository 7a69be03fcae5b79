import { bearerKey, sse, startEmulator, type Emulator, type EmulatorProtocol, type RecordedRequest } from './emulator-server.js';
import { refuseOpenAIResponses } from './wire-identifiers.js';
import { refuseOpenAIResponsesSchemas } from './openai-rules.js';
import { openaiEmbeddings, openaiErrorBody, openaiModelList } from './openai-chat-emulator.js';
import { deltas, emulatedLogprob, joined, type Frame, type Script, type ToolCallScript, type UsageScript } from './script.js';
import { encryptedReasoningRefusal, responsesStateRefusal } from './state-check.js';

const CREATED = 1_767_225_600;
/** The output items made from a script's `hosted` (whatever their type), as opposed to those of its other fields. */
const HOSTED_OUTPUT = new WeakSet<object>();

export function responsesUsageWire(u: UsageScript): Record<string, unknown> {
  return {
    input_tokens: u.input, input_tokens_details: { cached_tokens: u.cacheRead ?? 0, cache_write_tokens: u.cacheWrite ?? 0 },
    output_tokens: u.output, output_tokens_details: { reasoning_tokens: u.reasoning ?? 0 },
    total_tokens: u.input + u.output,
  };
}

/** The response object as `response.created` / `response.completed` carry it. */
function shell(script: Script, request: RecordedRequest, status: string, output: unknown[], usage: unknown): Record<string, unknown> {
  const body = request.body ?? {};
  return {
    id: script.id ?? 'resp_emu0001', object: 'response', created_at: CREATED, status, background: false, error: null,
    incomplete_details: status === 'incomplete' ? { reason: script.finish === 'content_filter' ? 'content_filter' : 'max_output_tokens' } : null,
    instructions: body.instructions ?? null, max_output_tokens: body.max_output_tokens ?? null,
    model: script.model ?? request.model ?? 'gpt-5', output, parallel_tool_calls: true, previous_response_id: null,
    reasoning: { effort: body.reasoning?.effort ?? null, summary: body.reasoning?.summary ?? null }, store: body.store ?? true,
    temperature: 1, text: { format: { type: 'text' }, verbosity: 'medium' }, tool_choice: 'auto', tools: body.tools ?? [], top_p: 1,
    truncation: 'disabled', usage, user: null, metadata: {},
  };
}

/** The output items a script produces, complete (as `output_item.done` and `response.completed` show them). */
/** The Responses logprobs of these deltas (the first at `from`) when the request includes `message.output_text.logprobs`, else none. */
function textLogprobs(request: RecordedRequest | undefined, texts: readonly string[], from: number): unknown[] {
  const include: unknown = request?.body?.include;
  if (!Array.isArray(include) || !include.includes('message.output_text.logprobs')) return [];
  const top = typeof request!.body.top_logprobs === 'number' ? request!.body.top_logprobs : 0;
  return texts.map((t, i) => { const { top: alternatives, ...token } = emulatedLogprob(t, from + i, top); return { ...token, top_logprobs: alternatives }; });
}

/** The web_search_call items of the script's searches; their sources when the request includes `web_search_call.action.sources`. */
function searchItems(script: Script, request?: RecordedRequest): Record<string, unknown>[] {
  const include: unknown = request?.body?.include;
  const sources = Array.isArray(include) && include.includes('web_search_call.action.sources');
  return (script.searches ?? []).map((search, i) => ({
    id: search.id ?? `ws_emu${i + 1}`, type: 'web_search_call', status: search.error !== undefined ? 'failed' : 'completed',
    action: { type: 'search', query: search.query, ...(sources && search.error === undefined ? { sources: (search.results ?? []).map((r) => ({ type: 'url', url: r.url })) } : {}) },
  }));
}

/** Whether the request's `include` asks for `value`. */
function includes(request: RecordedRequest | undefined, value: string): boolean {
  const include: unknown = request?.body?.include;
  return Array.isArray(include) && include.includes(value);
}

/**
 * The script's hosted tool items (`script.hosted`, Responses output items as OpenAI writes
 * them), as the request gets them: a code_interpreter_call's `outputs` only when it includes
 * `code_interpreter_call.outputs`, a file_search_call's `results` only with `file_search_call.results`.
 */
function hostedItems(script: Script, request?: RecordedRequest): Record<string, unknown>[] {
  return (script.hosted ?? []).map((written) => {
    const item = { ...written };
    if (item.type === 'code_interpreter_call' && !includes(request, 'code_interpreter_call.outputs')) item.outputs = null;
    if (item.type === 'file_search_call' && !includes(request, 'file_search_call.results')) item.results = null;
    HOSTED_OUTPUT.add(item);
    return item;
  });
}

/** The partial images of an image generation: as many as the request's image_generation tool asks for (`partial_images`), each a longer prefix of the result. */
function partialImages(item: Record<string, unknown>, request: RecordedRequest): string[] {
  const tools: unknown = request.body?.tools;
  const tool = Array.isArray(tools) ? tools.find((t) => t?.type === 'image_generation') : undefined;
  const count = typeof tool?.partial_images === 'number' ? tool.partial_images : 0;
  const result = typeof item.result === 'string' ? item.result : '';
  return Array.from({ length: count }, (_, i) => result.slice(0, Math.ceil((result.length * (i + 1)) / (count + 1))));
}

/** A code interpreter's code as the deltas it streams in: a line each. */
function codeDeltas(code: unknown): string[] {
  return typeof code === 'string' ? code.match(/[^\n]*\n|[^\n]+/g) ?? [] : [];
}

/**
 * The events of one hosted item between its `output_item.added` (the item as it starts) and
 * `output_item.done` (the item), in the order OpenAI streams them.
 */
function hostedFrames(item: Record<string, unknown>, request: RecordedRequest, emit: (type: string, data: Record<string, unknown>, output?: boolean) => void, output_index: number): void {
  const at = { output_index, item_id: item.id };
  const added = (start: Record<string, unknown>) => emit('response.output_item.added', { output_index, item: { id: item.id, type: item.type, ...start } }, true);
  const failed = item.status === 'failed' || (typeof item.error === 'string' && item.error.length > 0);
  switch (item.type) {
    case 'code_interpreter_call':
      added({ status: 'in_progress', code: '', container_id: item.container_id, outputs: null });
      emit('response.code_interpreter_call.in_progress', at);
      for (const delta of codeDeltas(item.code)) emit('response.code_interpreter_call_code.delta', { ...at, delta });
      emit('response.code_interpreter_call_code.done', { ...at, code: item.code ?? '' });
      emit('response.code_interpreter_call.interpreting', at);
      emit('response.code_interpreter_call.completed', at);
      break;
    case 'file_search_call':
      added({ status: 'in_progress', queries: [], results: null });
      emit('response.file_search_call.in_progress', at);
      emit('response.file_search_call.searching', at);
      emit('response.file_search_call.completed', at);
      break;
    case 'image_generation_call':
      added({ status: 'in_progress', result: null });
      emit('response.image_generation_call.in_progress', at);
      emit('response.image_generation_call.generating', at);
      partialImages(item, request).forEach((partial_image_b64, partial_image_index) => emit('response.image_generation_call.partial_image', { ...at, partial_image_index, partial_image_b64 }));
      emit('response.image_generation_call.completed', at);
      break;
    case 'mcp_list_tools':
      added({ server_label: item.server_label, tools: [] });
      emit('response.mcp_list_tools.in_progress', at);
      emit(failed ? 'response.mcp_list_tools.failed' : 'response.mcp_list_tools.completed', at);
      break;
    case 'mcp_call': {
      added({ status: 'in_progress', server_label: item.server_label, name: item.name, arguments: '' });
      emit('response.mcp_call.in_progress', at);
      const args = typeof item.arguments === 'string' ? item.arguments : '';
      if (args.length > 0) emit('response.mcp_call_arguments.delta', { ...at, delta: args });
      emit('response.mcp_call_arguments.done', { ...at, arguments: args });
      emit(failed ? 'response.mcp_call.failed' : 'response.mcp_call.completed', at);
      break;
    }
    default: // an approval request, a program, its output, a compaction, and any other item (none has events of its own): added as it is
      emit('response.output_item.added', { output_index, item }, true);
  }
  emit('response.output_item.done', { output_index, item });
}

/** The `url_citation` annotations of the script's citations, in order: each the offsets of its delta in the text. */
function annotations(script: Script): { delta: number; annotation: Record<string, unknown> }[] {
  const texts = deltas(script.text);
  const starts = texts.map((_, i) => texts.slice(0, i).join('').length);
  return (script.citations ?? []).filter((c) => c.delta < texts.length).map((c) => ({
    delta: c.delta,
    annotation: { type: 'url_citation', start_index: starts[c.delta]!, end_index: starts[c.delta]! + texts[c.delta]!.length, url: c.url, title: c.title ?? '' },
  }));
}

function items(script: Script, request?: RecordedRequest): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const r = script.reasoning;
  if (r) {
    out.push({
      id: r.id ?? 'rs_emu0001', type: 'reasoning',
      ...(r.encrypted !== undefined ? { encrypted_content: r.encrypted } : {}),
      summary: r.text !== undefined ? [{ type: 'summary_text', text: joined(r.text) }] : [],
    });
  }
  out.push(...searchItems(script, request));
  out.push(...hostedItems(script, request));
  if (deltas(script.text).length > 0) {
    const cited = annotations(script).map((a) => a.annotation);
    out.push({ id: 'msg_emu0001', type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', annotations: cited, logprobs: textLogprobs(request, deltas(script.text), 0), text: joined(script.text) }] });
  }
  (script.toolCalls ?? []).forEach((call, i) => {
    const callId = call.id ?? `call_emu${i + 1}`;
    const namespace = call.namespace !== undefined ? { namespace: call.namespace } : {};
    // A call a program made names it (programmatic tool calling); a tool search's item takes no caller.
    const caller = call.caller !== undefined ? { caller: call.caller } : {};
    if (call.toolSearch) out.push({ id: `tsc_emu${i + 1}`, type: 'tool_search_call', status: 'completed', call_id: callId, execution: 'client', arguments: JSON.parse(joined(call.args)) as unknown });
    else if (call.clientItem !== undefined) out.push({ ...clientCallItem(call, callId, i), ...(call.clientItem === 'local_shell_call' ? {} : caller) });
    else out.push(call.custom
      ? { id: `ctc_emu${i + 1}`, type: 'custom_tool_call', status: 'completed', call_id: callId, input: joined(call.args), name: call.name, ...namespace, ...caller }
      : { id: `fc_emu${i + 1}`, type: 'function_call', status: 'completed', arguments: joined(call.args), call_id: callId, name: call.name, ...namespace, ...caller });
  });
  return out;
}

/**
 * A scripted call of a client-run tool as OpenAI writes its item (`clientItem`): the shell's
 * action, apply_patch's operation, the local shell's exec action, a computer call's actions (or
 * one action) with its pending safety checks.
 */
function clientCallItem(call: ToolCallScript, callId: string, i: number): Record<string, unknown> {
  const args = JSON.parse(joined(call.args)) as Record<string, unknown>;
  if (call.clientItem === 'computer_call') {
    const actions = Array.isArray(args.actions) ? { actions: args.actions } : { action: args };
    return { id: `cu_emu${i + 1}`, type: 'computer_call', status: 'completed', call_id: callId, ...actions, pending_safety_checks: call.safetyChecks ?? [] };
  }
  if (call.clientItem === 'apply_patch_call') return { id: `apc_emu${i + 1}`, type: 'apply_patch_call', status: 'completed', call_id: callId, operation: args.operation };
  if (call.clientItem === 'local_shell_call') return { id: `lsh_emu${i + 1}`, type: 'local_shell_call', status: 'completed', call_id: callId, action: { type: 'exec', env: {}, ...args } };
  return { id: `sh_emu${i + 1}`, type: 'shell_call', status: 'completed', call_id: callId, action: { timeout_ms: null, max_output_length: null, ...args }, environment: null };
}

/**
 * The OpenAI Responses API as api.openai.com streams it: named events with a running
 * `sequence_number`, `response.created` / `in_progress`, output items added and done (reasoning
 * with summary parts and `encrypted_content`, hosted web searches as `web_search_call` items with
 * their `web_search_call.*` events, messages with `output_text` parts and their `url_citation`
 * annotations (`output_text.annotation.added` right after the cited delta), function calls
 * with argument deltas, custom tool calls with `custom_tool_call_input` deltas), hosted tools' items
 * (`script.hosted`, before the text) with their own events (code deltas, partial images, MCP
 * argument deltas, ...; a `program`, its `program_output` and a `compaction` item added as they
 * are, then done), calls a program made naming it as their `caller`, then `response.completed`
 * (or `response.incomplete`, `response.failed`; a `streamError` with a `type` is an `error` event
 * instead, its details nested as the API writes them). No `[DONE]`. With `checkState` it refuses, as
 * OpenAI does, reasoning, a program or a compaction item sent back other than it issued them, and
 * a program's call sent back without its program (state-check.ts).
 */
export const openaiResponsesProtocol: EmulatorProtocol = {
  refuse: (request) => refuseOpenAIResponses(request.body) ?? refuseOpenAIResponsesSchemas(request.body),
  name: 'openai-responses',
  basePath: '/v1',
  match(method, path) {
    if (method === 'POST' && path === '/v1/responses') return { route: 'generate' };
    if (method === 'POST' && path === '/v1/responses/input_tokens') return { route: 'count_tokens' };
    if (method === 'POST' && path === '/v1/embeddings') return { route: 'embeddings' };
    if (method === 'GET' && path === '/v1/models') return { route: 'models' };
    return undefined;
  },
  keyOf: (headers) => bearerKey(headers),
  errorBody: openaiErrorBody,
  count: {
    fields: ['model', 'input', 'instructions', 'tools', 'tool_choice', 'parallel_tool_calls', 'reasoning', 'text', 'truncation', 'conversation', 'previous_response_id', 'personality'],
    answer: (tokens) => ({ object: 'response.input_tokens', input_tokens: tokens }),
  },
  modelList: openaiModelList,
  embeddings: openaiEmbeddings,
  stateRefusal(request, issued) {
    const message = encryptedReasoningRefusal(request.body?.input, issued) ?? responsesStateRefusal(request.body?.input, issued);
    return message ? { status: 400, error: { message, type: 'invalid_request_error', code: 'invalid_encrypted_content' } } : undefined;
  },

  frames(script: Script, request: RecordedRequest): Frame[] {
    let seq = 0;
    const frames: Frame[] = [];
    const emit = (type: string, data: Record<string, unknown>, output = false) => frames.push({ text: sse({ type, sequence_number: seq++, ...data }, type), output });
    emit('response.created', { response: shell(script, request, 'in_progress', [], null) });
    emit('response.in_progress', { response: shell(script, request, 'in_progress', [], null) });
    const done = items(script, request);
    let index = 0;
    for (const item of done) {
      const output_index = index++;
      if (item.type === 'reasoning') {
        emit('response.output_item.added', { output_index, item: { id: item.id, type: 'reasoning', summary: [] } });
        const texts = deltas(script.reasoning?.text);
        if (texts.length > 0) {
          emit('response.reasoning_summary_part.added', { item_id: item.id, output_index, summary_index: 0, part: { type: 'summary_text', text: '' } });
          for (const delta of texts) emit('response.reasoning_summary_text.delta', { item_id: item.id, output_index, summary_index: 0, delta }, true);
          emit('response.reasoning_summary_text.done', { item_id: item.id, output_index, summary_index: 0, text: texts.join('') });
          emit('response.reasoning_summary_part.done', { item_id: item.id, output_index, summary_index: 0, part: { type: 'summary_text', text: texts.join('') } });
        }
        emit('response.output_item.done', { output_index, item }, texts.length === 0);
      } else if (item.type === 'web_search_call') {
        const at = { output_index, item_id: item.id };
        emit('response.output_item.added', { output_index, item: { id: item.id, type: 'web_search_call', status: 'in_progress' } }, true);
        emit('response.web_search_call.in_progress', at);
        emit('response.web_search_call.searching', at);
        if (item.status === 'completed') emit('response.web_search_call.completed', at);
        emit('response.output_item.done', { output_index, item });
      } else if (HOSTED_OUTPUT.has(item)) {
        hostedFrames(item, request, emit, output_index);
      } else if (item.type === 'message') {
        const cited = annotations(script);
        emit('response.output_item.added', { output_index, item: { id: item.id, type: 'message', status: 'in_progress', content: [], role: 'assistant' } });
        emit('response.content_part.added', { item_id: item.id, output_index, content_index: 0, part: { type: 'output_text', annotations: [], logprobs: [], text: '' } });
        deltas(script.text).forEach((delta, i) => {
          emit('response.output_text.delta', { item_id: item.id, output_index, content_index: 0, delta, logprobs: textLogprobs(request, [delta], i) }, true);
          cited.forEach((c, annotation_index) => {
            if (c.delta === i) emit('response.output_text.annotation.added', { item_id: item.id, output_index, content_index: 0, annotation_index, annotation: c.annotation });
          });
        });
        const text = joined(script.text);
        emit('response.output_text.done', { item_id: item.id, output_index, content_index: 0, text, logprobs: textLogprobs(request, deltas(script.text), 0) });
        emit('response.content_part.done', { item_id: item.id, output_index, content_index: 0, part: { type: 'output_text', annotations: cited.map((c) => c.annotation), logprobs: [], text } });
        emit('response.output_item.done', { output_index, item });
      } else {
        const call = script.toolCalls![output_index - (done.length - script.toolCalls!.length)]!;
        if (call.toolSearch || call.clientItem !== undefined) {
          // A tool search call, and a client-run tool's, has no argument events: its arguments come with the done item.
          emit('response.output_item.added', { output_index, item: { ...item, status: 'in_progress', ...(call.toolSearch ? { arguments: {} } : {}) } }, true);
          emit('response.output_item.done', { output_index, item });
          continue;
        }
        const [field, events] = call.custom ? ['input', 'response.custom_tool_call_input'] : ['arguments', 'response.function_call_arguments'];
        emit('response.output_item.added', { output_index, item: { ...item, status: 'in_progress', [field]: '' } }, true);
        for (const delta of deltas(call.args)) emit(`${events}.delta`, { item_id: item.id, output_index, delta }, true);
        emit(`${events}.done`, { item_id: item.id, output_index, [field]: item[field] });
        emit('response.output_item.done', { output_index, item });
      }
    }
    if (script.streamError?.type !== undefined) {
      // The API's `error` event nests the details (the docs' flat form is read by lip too).
      emit('error', { error: { type: script.streamError.type, code: script.streamError.code ?? null, message: script.streamError.message, param: null } });
      return frames;
    }
    if (script.streamError) {
      emit('response.failed', { response: { ...shell(script, request, 'failed', done, null), error: { code: script.streamError.code ?? 'server_error', message: script.streamError.message } } });
      return frames;
    }
    const usage = script.usage ? responsesUsageWire(script.usage) : null;
    const incomplete = script.finish === 'length' || script.finish === 'content_filter';
    emit(incomplete ? 'response.incomplete' : 'response.completed', { response: shell(script, request, incomplete ? 'incomplete' : 'completed', done, usage) });
    return frames;
  },

  json(script: Script, request: RecordedRequest): unknown {
    if (script.streamError) {
      return { ...shell(script, request, 'failed', items(script, request), null), error: { code: script.streamError.code ?? 'server_error', message: script.streamError.message } };
    }
    const incomplete = script.finish === 'length' || script.finish === 'content_filter';
    return shell(script, request, incomplete ? 'incomplete' : 'completed', items(script, request), script.usage ? responsesUsageWire(script.usage) : null);
  },
};

/** An OpenAI Responses upstream on a free port; `url` ends in `/v1`. */
export function startOpenAIResponsesEmulator(): Promise<Emulator> {
  return startEmulator(openaiResponsesProtocol);
}
