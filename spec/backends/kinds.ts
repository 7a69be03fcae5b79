import { REASONING_DIALECTS, type LipEvent, type Message, type Usage } from '../../lib/canonical/index.js';
import {
  EMULATOR_AWS, startAnthropicEmulator, startBedrockEmulator, startCodexEmulator, startGeminiEmulator, startOpenAIChatEmulator, startOpenAIResponsesEmulator,
  type CodexEmulator, type Emulator, type RecordedRequest, type Script,
} from '../helpers/emulators/index.js';

/**
 * The four HTTP backend kinds as the shared backend suite sees them: how to start their
 * emulator, how to configure a row against it, and what differs per protocol (reasoning
 * events, usage terms, how a replayed turn looks on the wire).
 */
export interface KindCase {
  readonly kind: string;
  start(): Promise<Emulator>;
  /** The YAML row (list item) for a backend of this kind against the emulator. */
  row(id: string, emu: Emulator, keys?: string): string;
  /** Which upstream path a generation goes to. */
  readonly path: (model: string) => string;
  readonly reasoning: Script['reasoning'];
  /** The reasoning events the kind produces for `reasoning` (in order). */
  readonly reasoningEvents: readonly LipEvent[];
  /** The canonical usage the kind reports for SHARED_USAGE. */
  readonly usage: Usage;
  /** An assistant turn carrying this kind's own reasoning and a tool call, for replay tests. */
  readonly history: readonly Message[];
  /** Asserts how the recorded request replayed that history. */
  checkReplay(request: RecordedRequest): void;
  /** The tool calls (name, parsed args) and tool results (content text) an upstream request carries. */
  toolHistory(request: RecordedRequest): { calls: { name: string; args: unknown }[]; results: string[] };
  /** The reasoning payloads (text, signatures, opaque data) an upstream request replays. */
  replayedReasoning(request: RecordedRequest): string[];
  /** What `replayedReasoning` finds when a client sent back this kind's own `reasoning` script. */
  readonly ownReplay: readonly string[];
  /** Whether the upstream names its response id and model (Converse reports neither); default yes. */
  readonly identity?: boolean;
  /** The `Accept` of a streamed request (default `text/event-stream`). */
  readonly streamAccept?: string;
  /** The key the emulator records for the default row (default the shared test key). */
  readonly recordedKey?: string;
  /** The upstream streams every answer (the Codex endpoint): a whole answer is the stream collected. */
  readonly streamsOnly?: boolean;
  /** False when the kind has no model-list call (`lip inventory --live` shows its configured models). */
  readonly liveModels?: false;
  /**
   * The status a client is told for an emulated upstream status, where the kind's error behind it
   * is not the client's fault (Bedrock's 408 is a ModelTimeoutException: 504); default the same.
   */
  readonly clientStatus?: (status: number) => number;
}

type Json = Record<string, any>;
const text = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

export const SHARED_USAGE = { input: 100, output: 20, cacheRead: 60, cacheWrite: 10, reasoning: 5 } as const;

const toolTurn = (reasoning: Message['parts']): Message[] => [
  { role: 'user', parts: [{ type: 'text', text: 'weather in Paris?' }] },
  { role: 'assistant', parts: [...reasoning, { type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }] },
  { role: 'tool', parts: [{ type: 'tool_result', callId: 'call_1', content: '{"temp":21}' }] },
];

const keyYaml = (keys?: string) => (keys ? `, ${keys}` : ', api_key: test-key-0123456789');

const OPENAI_RESPONSES: KindCase = {
  kind: 'openai-responses',
  start: startOpenAIResponsesEmulator,
  row: (id, emu, keys) => `  - { id: ${id}, kind: openai-responses, base_url: "${emu.url}"${keyYaml(keys)} }`,
  path: () => '/v1/responses',
  reasoning: { text: ['Think', 'ing'], encrypted: 'enc-opaque' },
  reasoningEvents: [
    { type: 'reasoning_delta', text: 'Think' }, { type: 'reasoning_delta', text: 'ing' },
    { type: 'reasoning_opaque', dialect: REASONING_DIALECTS.openaiResponses, data: 'enc-opaque', id: 'rs_emu0001' },
  ],
  usage: { inputTokens: 100, outputTokens: 20, totalTokens: 120, cacheReadTokens: 60, cacheWriteTokens: 10, reasoningTokens: 5 },
  history: toolTurn([{ type: 'reasoning', dialect: REASONING_DIALECTS.openaiResponses, text: 'Look it up.', opaque: 'enc-1', id: 'rs_1' }]),
  checkReplay(request) {
    const items = request.body.input as Record<string, unknown>[];
    const types = items.map((i) => i.type);
    if (JSON.stringify(types) !== JSON.stringify(['message', 'reasoning', 'function_call', 'function_call_output'])) throw new Error(`items: ${types.join(',')}`);
    const reasoning = items[1]!;
    if (reasoning.encrypted_content !== 'enc-1' || reasoning.id !== 'rs_1') throw new Error(`reasoning not replayed: ${JSON.stringify(reasoning)}`);
    if (!(request.body.include as string[] | undefined)?.includes('reasoning.encrypted_content')) throw new Error('include missing');
    if (request.body.store !== false) throw new Error('store must be false');
  },
  toolHistory: (request) => ({
    calls: (request.body.input as Json[]).filter((i) => i.type === 'function_call').map((i) => ({ name: i.name, args: JSON.parse(i.arguments) })),
    results: (request.body.input as Json[]).filter((i) => i.type === 'function_call_output').map((i) => text(i.output)),
  }),
  replayedReasoning: (request) => (request.body.input as Json[]).filter((i) => i.type === 'reasoning').flatMap((i) => (i.encrypted_content ? [i.encrypted_content] : [])),
  ownReplay: ['enc-opaque'],
};


/**
 * The reasoning fixture of the two kinds that speak Anthropic's thinking dialect (Anthropic and
 * Bedrock): the same scripted thinking, signature and redacted block, and the same history.
 */
const ANTHROPIC_THINKING = {
  reasoning: { text: ['Think', 'ing'], signature: 'sig-1', redacted: 'redacted-blob' },
  reasoningEvents: [
    { type: 'reasoning_delta', text: 'Think' }, { type: 'reasoning_delta', text: 'ing' },
    { type: 'reasoning_signature', signature: 'sig-1', dialect: REASONING_DIALECTS.anthropicThinking },
    { type: 'reasoning_opaque', dialect: REASONING_DIALECTS.anthropicRedacted, data: 'redacted-blob' },
  ],
  usage: { inputTokens: 100, outputTokens: 20, totalTokens: 120, cacheReadTokens: 60, cacheWriteTokens: 10 },
  history: toolTurn([
    { type: 'reasoning', dialect: REASONING_DIALECTS.anthropicThinking, text: 'Look it up.', signature: 'sig-9' },
    { type: 'reasoning', dialect: REASONING_DIALECTS.anthropicRedacted, opaque: 'blob-9' },
  ]),
} satisfies Partial<KindCase>;

export const KINDS: readonly KindCase[] = [
  {
    kind: 'openai-chat',
    start: startOpenAIChatEmulator,
    row: (id, emu, keys) => `  - { id: ${id}, kind: openai-chat, base_url: "${emu.url}", reasoning_field: reasoning_content${keyYaml(keys)} }`,
    path: () => '/v1/chat/completions',
    reasoning: { text: ['Think', 'ing'] },
    reasoningEvents: [{ type: 'reasoning_delta', text: 'Think' }, { type: 'reasoning_delta', text: 'ing' }],
    usage: { inputTokens: 100, outputTokens: 20, totalTokens: 120, cacheReadTokens: 60, cacheWriteTokens: 10, reasoningTokens: 5 },
    history: toolTurn([{ type: 'reasoning', dialect: REASONING_DIALECTS.openaiChat, text: 'I should look it up.' }]),
    checkReplay(request) {
      const [, assistant, tool] = request.body.messages;
      if (assistant.reasoning_content !== 'I should look it up.') throw new Error(`reasoning_content not replayed: ${JSON.stringify(assistant)}`);
      if (assistant.tool_calls[0].function.arguments !== '{"city":"Paris"}') throw new Error('tool call not replayed');
      if (tool.role !== 'tool' || tool.tool_call_id !== 'call_1') throw new Error('tool result not replayed');
    },
    toolHistory: (request) => ({
      calls: (request.body.messages as Json[]).flatMap((m) => (m.tool_calls ?? []).map((c: Json) => ({ name: c.function.name, args: JSON.parse(c.function.arguments) }))),
      results: (request.body.messages as Json[]).filter((m) => m.role === 'tool').map((m) => text(m.content)),
    }),
    replayedReasoning: (request) => (request.body.messages as Json[]).flatMap((m) => (m.reasoning_content ? [m.reasoning_content] : [])),
    ownReplay: ['Thinking'],
  },
  OPENAI_RESPONSES,
  {
    // The Responses wire, with the Codex endpoint's rules (checked by its emulator on every request).
    ...OPENAI_RESPONSES,
    kind: 'openai-codex',
    start: startCodexEmulator,
    // The Anthropic SDK always sends max_tokens, which the endpoint refuses: the matrix row drops such parameters.
    row: (id, emu, keys) => `  - { id: ${id}, kind: openai-codex, base_url: "${emu.url}", oauth_token_url: "${(emu as CodexEmulator).tokenUrl}", ignore_unsupported_gen_params: true${keyYaml(keys)} }`,
    path: () => '/backend-api/codex/responses',
    streamsOnly: true,
    liveModels: false,
  },
  {
    kind: 'anthropic',
    start: startAnthropicEmulator,
    row: (id, emu, keys) => `  - { id: ${id}, kind: anthropic, base_url: "${emu.url}"${keyYaml(keys)} }`,
    path: () => '/v1/messages',
    ...ANTHROPIC_THINKING,
    // Anthropic's whole-message usage also splits the cache writes by lifetime (none for an hour) and names the tier.
    usage: { ...ANTHROPIC_THINKING.usage, cacheWrite1hTokens: 0, serviceTier: 'standard' },
    checkReplay(request) {
      const [, assistant, user] = request.body.messages;
      const expected = [
        { type: 'thinking', thinking: 'Look it up.', signature: 'sig-9' },
        { type: 'redacted_thinking', data: 'blob-9' },
        { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } },
      ];
      if (JSON.stringify(assistant.content) !== JSON.stringify(expected)) throw new Error(`assistant: ${JSON.stringify(assistant.content)}`);
      if (user.role !== 'user' || user.content[0].type !== 'tool_result' || user.content[0].tool_use_id !== 'call_1') throw new Error('tool result not replayed');
    },
    toolHistory: (request) => {
      const blocks = (request.body.messages as Json[]).flatMap((m) => (Array.isArray(m.content) ? m.content as Json[] : []));
      return {
        calls: blocks.filter((b) => b.type === 'tool_use').map((b) => ({ name: b.name, args: b.input })),
        results: blocks.filter((b) => b.type === 'tool_result').map((b) => text(b.content)),
      };
    },
    replayedReasoning: (request) => (request.body.messages as Json[])
      .flatMap((m) => (Array.isArray(m.content) ? m.content as Json[] : []))
      .flatMap((b) => (b.type === 'thinking' ? [b.signature] : b.type === 'redacted_thinking' ? [b.data] : [])),
    ownReplay: ['sig-1', 'redacted-blob'],
  },
  {
    kind: 'gemini',
    start: startGeminiEmulator,
    row: (id, emu, keys) => `  - { id: ${id}, kind: gemini, base_url: "${emu.url}"${keyYaml(keys)} }`,
    path: (model) => `/v1beta/models/${model}:streamGenerateContent`,
    reasoning: { text: 'Pondering', signature: 'ts-1' },
    reasoningEvents: [{ type: 'reasoning_delta', text: 'Pondering' }, { type: 'reasoning_signature', signature: 'ts-1', dialect: 'gemini.thought' }],
    usage: { inputTokens: 100, outputTokens: 20, totalTokens: 120, cacheReadTokens: 60, reasoningTokens: 5 },
    history: [
      { role: 'user', parts: [{ type: 'text', text: 'weather in Paris?' }] },
      {
        role: 'assistant', parts: [
          { type: 'reasoning', dialect: REASONING_DIALECTS.geminiThought, text: 'Look it up.' },
          { type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}', signature: 'ts-9' },
        ],
      },
      { role: 'tool', parts: [{ type: 'tool_result', callId: 'call_1', content: '{"temp":21}' }] },
    ],
    checkReplay(request) {
      const [, model, user] = request.body.contents;
      const expected = [{ text: 'Look it up.', thought: true }, { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'ts-9' }];
      if (JSON.stringify(model.parts) !== JSON.stringify(expected)) throw new Error(`model: ${JSON.stringify(model.parts)}`);
      if (JSON.stringify(user.parts) !== JSON.stringify([{ functionResponse: { name: 'get_weather', response: { temp: 21 } } }])) throw new Error(`user: ${JSON.stringify(user.parts)}`);
    },
    toolHistory: (request) => {
      const parts = (request.body.contents as Json[]).flatMap((c) => c.parts as Json[]);
      return {
        calls: parts.filter((p) => p.functionCall).map((p) => ({ name: p.functionCall.name, args: p.functionCall.args })),
        results: parts.filter((p) => p.functionResponse).map((p) => text(p.functionResponse.response)),
      };
    },
    replayedReasoning: (request) => (request.body.contents as Json[])
      .flatMap((c) => c.parts as Json[]).flatMap((p) => (p.thoughtSignature ? [p.thoughtSignature] : [])),
    ownReplay: ['ts-1', 'ts-call'],
  },
  {
    kind: 'bedrock',
    start: startBedrockEmulator,
    // Static SigV4 keys by default, so that every matrix request proves its signature; `keys` (api_key...) switches to bearer keys.
    row: (id, emu, keys) => `  - { id: ${id}, kind: bedrock, base_endpoint: "${emu.origin}", disable_https: true, ${keys ?? `access_key_id: ${EMULATOR_AWS.accessKeyId}, secret_access_key: ${EMULATOR_AWS.secretAccessKey}`} }`,
    path: (model) => `/model/${encodeURIComponent(model)}/converse-stream`,
    ...ANTHROPIC_THINKING,
    checkReplay(request) {
      const [, assistant, user] = request.body.messages;
      const expected = [
        { reasoningContent: { reasoningText: { text: 'Look it up.', signature: 'sig-9' } } },
        { reasoningContent: { redactedContent: 'blob-9' } },
        { toolUse: { toolUseId: 'call_1', name: 'get_weather', input: { city: 'Paris' } } },
      ];
      if (JSON.stringify(assistant.content) !== JSON.stringify(expected)) throw new Error(`assistant: ${JSON.stringify(assistant.content)}`);
      if (user.role !== 'user' || user.content[0].toolResult?.toolUseId !== 'call_1') throw new Error('tool result not replayed');
    },
    toolHistory: (request) => {
      const blocks = (request.body.messages as Json[]).flatMap((m) => m.content as Json[]);
      return {
        calls: blocks.filter((b) => b.toolUse).map((b) => ({ name: b.toolUse.name, args: b.toolUse.input })),
        results: blocks.filter((b) => b.toolResult).map((b) => text((b.toolResult.content as Json[]).map((c) => c.text).join(''))),
      };
    },
    replayedReasoning: (request) => (request.body.messages as Json[])
      .flatMap((m) => m.content as Json[])
      .flatMap((b) => (b.reasoningContent?.reasoningText ? [b.reasoningContent.reasoningText.signature] : b.reasoningContent?.redactedContent ? [b.reasoningContent.redactedContent] : [])),
    ownReplay: ['sig-1', 'redacted-blob'],
    identity: false,
    streamAccept: 'application/vnd.amazon.eventstream',
    // The emulator answers a bare 408 as ModelTimeoutException, the model's failure: a 504 to clients.
    clientStatus: (status) => (status === 408 ? 504 : status),
    recordedKey: EMULATOR_AWS.accessKeyId,
  },
];
