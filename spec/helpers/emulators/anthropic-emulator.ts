import { bearerKey, sse, startEmulator, type Emulator, type EmulatorProtocol, type RecordedRequest } from './emulator-server.js';
import { refuseAnthropic } from './wire-identifiers.js';
import { refuseAnthropicCache, refuseAnthropicCombination, refuseAnthropicText } from './anthropic-rules.js';
import { argumentsObject, deltas, finishOf, joined, type CitationScript, type Frame, type ReasoningScript, type Script, type SearchScript, type UsageScript } from './script.js';
import { signedTurnRefusal } from './state-check.js';

const STOP: Record<string, string> = { stop: 'end_turn', length: 'max_tokens', tool_calls: 'tool_use', content_filter: 'refusal', stop_sequence: 'stop_sequence' };
const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error', 401: 'authentication_error', 403: 'permission_error', 404: 'not_found_error',
  413: 'request_too_large', 429: 'rate_limit_error', 500: 'api_error', 529: 'overloaded_error',
};

export function anthropicErrorBody(status: number, error: { message: string; type?: string }): unknown {
  return { type: 'error', error: { type: error.type ?? ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error'), message: error.message }, request_id: 'req_emulator' };
}

/** Anthropic usage from canonical numbers: cache reads and writes are NOT inside input_tokens. */
export function anthropicUsageWire(u: UsageScript, output = u.output): Record<string, unknown> {
  const read = u.cacheRead ?? 0;
  const write = u.cacheWrite ?? 0;
  return {
    input_tokens: u.input - read - write, cache_creation_input_tokens: write, cache_read_input_tokens: read,
    output_tokens: output,
  };
}

/**
 * What a whole message's usage (`message_start`'s, a non-streamed answer's) adds to the counts,
 * and a `message_delta`'s has not: the cache writes by lifetime, the tier and region that served.
 */
function servedWire(u: UsageScript): Record<string, unknown> {
  const write = u.cacheWrite ?? 0;
  const long = u.cacheWrite1h ?? 0;
  return {
    cache_creation: { ephemeral_5m_input_tokens: write - long, ephemeral_1h_input_tokens: long },
    service_tier: u.serviceTier ?? 'standard', inference_geo: u.inferenceGeo ?? null,
  };
}

/** A search's `server_tool_use` id (the script's, else made up from its place). */
const searchId = (search: SearchScript, i: number) => search.id ?? `srvtoolu_emu${i + 1}`;

/** A search's `web_search_tool_result` content: its results, or the error it failed with. */
function searchContent(search: SearchScript): unknown {
  if (search.error !== undefined) return { type: 'web_search_tool_result_error', error_code: search.error };
  return (search.results ?? []).map((r) => ({ type: 'web_search_result', title: r.title, url: r.url, encrypted_content: r.encrypted ?? '', page_age: r.pageAge ?? null }));
}

/** A citation as Anthropic writes it (`cited_text`: the script's, else the cited delta itself). */
function citationWire(c: CitationScript, text: string): Record<string, unknown> {
  const r = c.searchResult;
  if (r !== undefined) {
    return { type: 'search_result_location', cited_text: c.citedText ?? text, source: c.url, title: c.title ?? null, search_result_index: r.index, start_block_index: r.start, end_block_index: r.end };
  }
  const d = c.document;
  if (d !== undefined) {
    const [type, from, to] = ({ char: ['char_location', 'start_char_index', 'end_char_index'], page: ['page_location', 'start_page_number', 'end_page_number'], block: ['content_block_location', 'start_block_index', 'end_block_index'] } as const)[d.kind];
    return { type, cited_text: c.citedText ?? text, document_index: d.index, document_title: d.title ?? null, [from]: d.start, [to]: d.end };
  }
  return { type: 'web_search_result_location', cited_text: c.citedText ?? text, url: c.url, title: c.title ?? null, encrypted_index: c.encryptedIndex ?? '' };
}

/**
 * The text deltas in text blocks: a cited delta (script `citations`) is a block of its own with
 * its citations; the deltas between cited ones share one block.
 */
function textBlocks(script: Script): { deltas: string[]; citations: Record<string, unknown>[] }[] {
  const blocks: { deltas: string[]; citations: Record<string, unknown>[] }[] = [];
  deltas(script.text).forEach((text, i) => {
    const cited = (script.citations ?? []).filter((c) => c.delta === i).map((c) => citationWire(c, text));
    const last = blocks[blocks.length - 1];
    if (cited.length === 0 && last && last.citations.length === 0) last.deltas.push(text);
    else blocks.push({ deltas: [text], citations: cited });
    if (cited.length > 0) blocks.push({ deltas: [], citations: [] }); // the deltas after a cited one start a new block
  });
  return blocks.filter((b) => b.deltas.length > 0);
}

/**
 * Anthropic's usage, with the searches and fetches the answer ran (`server_tool_use`) when it ran
 * any, and the iterations of an answer that compacted (`iterations`: the compaction's, then the
 * message's, whose counts are the top-level ones).
 */
function usageWire(script: Script, u: UsageScript, model: string, output?: number): Record<string, unknown> {
  const searches = script.searches?.length ?? 0;
  const fetches = (script.hosted ?? []).filter((b) => b.type === 'server_tool_use' && b.name === 'web_fetch').length;
  const used = searches > 0 || fetches > 0 ? { server_tool_use: { web_search_requests: searches, ...(fetches > 0 ? { web_fetch_requests: fetches } : {}) } } : {};
  const top = anthropicUsageWire(u, output);
  const compacted = script.compaction?.usage;
  const iterations = compacted === undefined ? {} : {
    iterations: [
      { type: 'compaction', ...anthropicUsageWire(compacted), cache_creation: null },
      { type: 'message', ...top, cache_creation: null, model },
    ],
  };
  return { ...top, ...used, ...iterations };
}

/**
 * A `compaction` block as Anthropic streams it: a start whose `content` (and `encrypted_content`)
 * are null, then one `compaction_delta` with the block's values, then the stop.
 */
function compactionFrames(block: Readonly<Record<string, unknown>>, index: number, frame: (type: string, data: Record<string, unknown>, output?: boolean) => Frame): Frame[] {
  const sealed = 'encrypted_content' in block;
  const { content, encrypted_content: encrypted, ...rest } = block;
  return [
    frame('content_block_start', { index, content_block: { ...rest, content: null, ...(sealed ? { encrypted_content: null } : {}) } }),
    frame('content_block_delta', { index, delta: { type: 'compaction_delta', content: content ?? null, ...(sealed ? { encrypted_content: encrypted ?? null } : {}) } }, true),
    frame('content_block_stop', { index }),
  ];
}

/**
 * A hosted tool's block (script `hosted`) as Anthropic streams it: a `server_tool_use` (or the MCP
 * connector's `mcp_tool_use`) starts with an empty `input` that follows as `input_json_delta`
 * fragments (the JSON cut in two, so that a reader must join them); every other block (the tools'
 * results, `container_upload`, `mcp_tool_result`, `mcp_tool_listing`) comes whole in its
 * `content_block_start`.
 */
function hostedFrames(block: Readonly<Record<string, unknown>>, index: number, frame: (type: string, data: Record<string, unknown>, output?: boolean) => Frame): Frame[] {
  if (block.type !== 'server_tool_use' && block.type !== 'mcp_tool_use') return [frame('content_block_start', { index, content_block: block }, true), frame('content_block_stop', { index })];
  const json = JSON.stringify(block.input ?? {});
  const cut = Math.ceil(json.length / 2);
  return [
    frame('content_block_start', { index, content_block: { ...block, input: {} } }, true),
    ...[json.slice(0, cut), json.slice(cut)].filter((part) => part.length > 0).map((partial_json) => frame('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json } }, true)),
    frame('content_block_stop', { index }),
  ];
}

/** A reasoning script's blocks in a whole answer: thinking (with its signature), then redacted thinking. */
function reasoningBlocks(r: ReasoningScript | undefined): Record<string, unknown>[] {
  const blocks: Record<string, unknown>[] = [];
  if (r?.text !== undefined || r?.signature !== undefined) blocks.push({ type: 'thinking', thinking: joined(r.text), signature: r.signature ?? '' });
  if (r?.redacted !== undefined) blocks.push({ type: 'redacted_thinking', data: r.redacted });
  return blocks;
}

/** A reasoning script's blocks as Anthropic streams them from `index` on: thinking deltas with the `signature_delta` before its stop, redacted thinking whole. */
function reasoningFrames(r: ReasoningScript | undefined, index: number, frame: (type: string, data: Record<string, unknown>, output?: boolean) => Frame): Frame[] {
  const frames: Frame[] = [];
  if (r && (r.text !== undefined || r.signature !== undefined)) {
    frames.push(frame('content_block_start', { index, content_block: { type: 'thinking', thinking: '', signature: '' } }));
    for (const text of deltas(r.text)) frames.push(frame('content_block_delta', { index, delta: { type: 'thinking_delta', thinking: text } }, true));
    if (r.signature !== undefined) frames.push(frame('content_block_delta', { index, delta: { type: 'signature_delta', signature: r.signature } }));
    frames.push(frame('content_block_stop', { index: index++ }));
  }
  if (r?.redacted !== undefined) {
    frames.push(frame('content_block_start', { index, content_block: { type: 'redacted_thinking', data: r.redacted } }, true));
    frames.push(frame('content_block_stop', { index }));
  }
  return frames;
}

function content(script: Script): Record<string, unknown>[] {
  const blocks: Record<string, unknown>[] = [];
  if (script.compaction !== undefined) blocks.push({ ...script.compaction.block });
  blocks.push(...reasoningBlocks(script.reasoning));
  (script.searches ?? []).forEach((search, i) => {
    blocks.push({ type: 'server_tool_use', id: searchId(search, i), name: 'web_search', input: { query: search.query } });
    blocks.push({ type: 'web_search_tool_result', tool_use_id: searchId(search, i), content: searchContent(search) });
  });
  for (const block of script.hosted ?? []) blocks.push({ ...block });
  for (const block of textBlocks(script)) {
    blocks.push({ type: 'text', text: block.deltas.join(''), ...(block.citations.length > 0 ? { citations: block.citations } : {}) });
  }
  (script.toolCalls ?? []).forEach((call, i) => {
    blocks.push(...reasoningBlocks(call.reasoning));
    blocks.push({ type: 'tool_use', id: call.id ?? `toolu_emu${i + 1}`, name: call.name, input: argumentsObject(call.args), ...(call.caller ? { caller: call.caller } : {}), ...(call.toolset ? { toolset_name: call.toolset } : {}) });
  });
  return blocks;
}

/**
 * The Anthropic Messages API as api.anthropic.com streams it: `event:` + `data:` frames,
 * `message_start` (input usage, cache counts separate), a `ping`, content blocks by index
 * (a server-side compaction's `compaction` block first: compactionFrames; thinking with
 * `signature_delta` before its stop, redacted thinking, a web search's
 * `server_tool_use` and `web_search_tool_result`, another server tool's blocks (script `hosted`:
 * hostedFrames), text (a cited delta in a block of its own, its `citations_delta` first),
 * tool_use with the script's `caller` and `toolset_name` and `input_json_delta`, after the
 * call's own thinking when it has some: interleaved thinking), `message_delta`
 * (stop reason, cumulative usage, the searches and fetches it ran, the iterations of a compacted
 * answer, the `container` of script `hostedMeta`),
 * `message_stop`. A whole answer has the same blocks in `content` and the container as its
 * top-level `container`. What each request carried (the tools as declared, the history, the
 * `container`) is in `requests`. A request the API would refuse for its text (blank text blocks, a
 * prefill ending with whitespace: refuseAnthropicText) or its cache breakpoints (more than 4, a
 * ttl other than 5m and 1h, a 1h one after a 5m one: refuseAnthropicCache) is refused the same way.
 */
export const anthropicProtocol: EmulatorProtocol = {
  refuse: (request) => refuseAnthropic(request.body) ?? refuseAnthropicCombination(request.body) ?? refuseAnthropicText(request.body) ?? refuseAnthropicCache(request.body),
  name: 'anthropic',
  basePath: '',
  match(method, path) {
    if (method === 'POST' && path === '/v1/messages') return { route: 'generate' };
    if (method === 'POST' && path === '/v1/messages/count_tokens') return { route: 'count_tokens' };
    if (method === 'GET' && path === '/v1/models') return { route: 'models' };
    return undefined;
  },
  keyOf: (headers) => (typeof headers['x-api-key'] === 'string' ? headers['x-api-key'] : bearerKey(headers)),
  errorBody: anthropicErrorBody,
  stateRefusal(request, issued) {
    const message = signedTurnRefusal(request.body?.messages, issued, {
      thinking: (b) => (b?.type === 'thinking' ? { text: b.thinking, signature: b.signature } : undefined),
      redacted: (b) => (b?.type === 'redacted_thinking' ? b.data : undefined),
      toolId: (b) => (b?.type === 'tool_use' ? b.id : undefined),
      defaultToolId: (i) => `toolu_emu${i + 1}`,
    });
    return message ? { status: 400, error: { message, type: 'invalid_request_error' } } : undefined;
  },
  count: {
    fields: ['model', 'messages', 'system', 'tools', 'tool_choice', 'thinking', 'output_config', 'cache_control', 'speed'],
    answer: (tokens) => ({ input_tokens: tokens }),
  },
  modelList: (models) => ({
    data: models.map((id) => ({ type: 'model', id, display_name: id, created_at: '2025-09-29T00:00:00Z' })),
    has_more: false, first_id: models[0] ?? null, last_id: models[models.length - 1] ?? null,
  }),

  frames(script: Script, request: RecordedRequest): Frame[] {
    const usage = script.usage ?? { input: 10, output: 5 };
    const model = script.model ?? request.model ?? 'claude-sonnet-4-6';
    const frame = (type: string, data: Record<string, unknown>, output = false): Frame => ({ text: sse({ type, ...data }, type), output });
    const frames: Frame[] = [frame('message_start', {
      message: {
        model, id: script.id ?? 'msg_emu0001', type: 'message', role: 'assistant',
        content: [], stop_reason: null, stop_sequence: null, usage: { ...anthropicUsageWire(usage, 1), ...servedWire(usage) },
      },
    })];
    frames.push({ text: sse({ type: 'ping' }, 'ping'), output: false });
    let index = 0;
    if (script.compaction !== undefined) frames.push(...compactionFrames(script.compaction.block, index++, frame));
    frames.push(...reasoningFrames(script.reasoning, index, frame));
    index += reasoningBlocks(script.reasoning).length;
    (script.searches ?? []).forEach((search, i) => {
      frames.push(frame('content_block_start', { index, content_block: { type: 'server_tool_use', id: searchId(search, i), name: 'web_search', input: {} } }));
      frames.push(frame('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: JSON.stringify({ query: search.query }) } }, true));
      frames.push(frame('content_block_stop', { index: index++ }));
      frames.push(frame('content_block_start', { index, content_block: { type: 'web_search_tool_result', tool_use_id: searchId(search, i), content: searchContent(search) } }, true));
      frames.push(frame('content_block_stop', { index: index++ }));
    });
    for (const block of script.hosted ?? []) frames.push(...hostedFrames(block, index++, frame));
    for (const block of textBlocks(script)) {
      frames.push(frame('content_block_start', { index, content_block: { type: 'text', text: '' } }));
      for (const citation of block.citations) frames.push(frame('content_block_delta', { index, delta: { type: 'citations_delta', citation } }));
      for (const t of block.deltas) frames.push(frame('content_block_delta', { index, delta: { type: 'text_delta', text: t } }, true));
      frames.push(frame('content_block_stop', { index: index++ }));
    }
    (script.toolCalls ?? []).forEach((call, i) => {
      frames.push(...reasoningFrames(call.reasoning, index, frame));
      index += reasoningBlocks(call.reasoning).length;
      frames.push(frame('content_block_start', { index, content_block: { type: 'tool_use', id: call.id ?? `toolu_emu${i + 1}`, name: call.name, input: {}, ...(call.caller ? { caller: call.caller } : {}), ...(call.toolset ? { toolset_name: call.toolset } : {}) } }, true));
      frames.push(frame('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: '' } }));
      for (const args of deltas(call.args)) frames.push(frame('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: args } }, true));
      frames.push(frame('content_block_stop', { index: index++ }));
    });
    if (script.streamError) {
      frames.push(frame('error', { error: { type: script.streamError.type ?? 'overloaded_error', message: script.streamError.message } }));
      return frames;
    }
    frames.push(frame('message_delta', {
      delta: {
        stop_reason: script.rawFinish ?? STOP[finishOf(script)]!, stop_sequence: script.stopSequence ?? null,
        ...(script.hostedMeta !== undefined ? { container: script.hostedMeta } : {}), ...(script.stopDetails !== undefined ? { stop_details: script.stopDetails } : {}),
      },
      ...(script.contextManagement !== undefined ? { context_management: script.contextManagement } : {}),
      usage: usageWire(script, usage, model),
    }));
    frames.push(frame('message_stop', {}));
    return frames;
  },

  json(script: Script, request: RecordedRequest): unknown {
    if (script.streamError) return anthropicErrorBody(500, { type: 'overloaded_error', ...script.streamError });
    const usage = script.usage ?? { input: 10, output: 5 };
    const model = script.model ?? request.model ?? 'claude-sonnet-4-6';
    return {
      id: script.id ?? 'msg_emu0001', type: 'message', role: 'assistant', model,
      content: content(script), stop_reason: script.rawFinish ?? STOP[finishOf(script)]!, stop_sequence: script.stopSequence ?? null, stop_details: script.stopDetails ?? null,
      context_management: script.contextManagement ?? null,
      usage: { ...usageWire(script, usage, model), ...servedWire(usage) },
      ...(script.hostedMeta !== undefined ? { container: script.hostedMeta } : {}),
    };
  },
};

/** An Anthropic Messages upstream on a free port; `url` is the origin (the API adds `/v1/...`). */
export function startAnthropicEmulator(): Promise<Emulator> {
  return startEmulator(anthropicProtocol);
}
