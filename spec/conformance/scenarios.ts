import { HOSTED_DIALECTS, type FinishReason, type LipEvent, type Usage } from '../../lib/canonical/index.js';
import { LipError } from '../../lib/errors/index.js';
import type { ClientRequest } from '../helpers/clients/index.js';
import type { ScriptStep } from '../helpers/scripted-backend.js';

/**
 * The shared frontend conformance scenarios: canonical event scripts that a ScriptedBackend
 * plays, and what any client must read back from them through its official SDK, in canonical
 * terms. Protocol-specific expectations (block types, raw stop reasons, usage arithmetic) live in
 * the per-frontend spec files.
 */
export interface Expected {
  readonly text: string;
  /**
   * The part of `text` the model gave as its refusal, and `text` without it: an OpenAI client
   * reads the one as its refusal and the other as its text; the other protocols show it all as text.
   */
  readonly refusal?: { readonly refusal: string; readonly text: string };
  readonly reasoning: string;
  readonly toolCalls: readonly { id: string; name: string; args: unknown }[];
  readonly finishReason?: FinishReason;
  readonly usage?: Usage;
  /** A failure: its HTTP status when it is reported before the stream (undefined: in-band). */
  readonly error?: { readonly code: string; readonly message: string; readonly status?: number };
}

export interface Scenario {
  readonly name: string;
  readonly script: readonly ScriptStep[];
  readonly request?: Partial<ClientRequest>;
  /** Expected results; `nonStreaming` overrides fields for the non-streaming run. */
  readonly expect: Expected;
  readonly nonStreaming?: Partial<Expected>;
}

const start: LipEvent[] = [{ type: 'response_started' }, { type: 'message_started' }];
const usage = (u: Usage): LipEvent => ({ type: 'usage', usage: u });
const finish = (reason: FinishReason, extra: Partial<LipEvent & { type: 'response_finished' }> = {}): LipEvent => ({ type: 'response_finished', reason, ...extra });

export const TOOLS = [
  { name: 'get_weather', description: 'Weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
  { name: 'get_time', description: 'Time in a zone', parameters: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'] } },
];

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'text',
    script: [...start, { type: 'text_delta', text: 'Hello' }, { type: 'text_delta', text: ', world' }, usage({ inputTokens: 12, outputTokens: 3, totalTokens: 15 }), finish('stop')],
    expect: { text: 'Hello, world', reasoning: '', toolCalls: [], finishReason: 'stop', usage: { inputTokens: 12, outputTokens: 3, totalTokens: 15 } },
  },
  {
    name: 'reasoning then text',
    request: { reasoning: true },
    script: [
      ...start, { type: 'reasoning_delta', text: 'The user greets; ' }, { type: 'reasoning_delta', text: 'answer politely.' },
      { type: 'reasoning_signature', signature: 'sig-reasoning-1' }, { type: 'text_delta', text: 'Hi there.' },
      usage({ inputTokens: 20, outputTokens: 30, totalTokens: 50, reasoningTokens: 25 }), finish('stop'),
    ],
    expect: { text: 'Hi there.', reasoning: 'The user greets; answer politely.', toolCalls: [], finishReason: 'stop', usage: { inputTokens: 20, outputTokens: 30, totalTokens: 50, reasoningTokens: 25 } },
  },
  {
    name: 'two parallel tool calls with interleaved argument deltas',
    request: { tools: TOOLS },
    script: [
      ...start,
      { type: 'tool_call_started', id: 'call_a', name: 'get_weather' },
      { type: 'tool_call_started', id: 'call_b', name: 'get_time' },
      { type: 'tool_call_delta', id: 'call_a', args: '{"city":' },
      { type: 'tool_call_delta', id: 'call_b', args: '{"zone":' },
      { type: 'tool_call_delta', id: 'call_a', args: '"Paris"}' },
      { type: 'tool_call_delta', id: 'call_b', args: '"CET"}' },
      { type: 'tool_call_finished', id: 'call_a' }, { type: 'tool_call_finished', id: 'call_b' },
      finish('tool_calls'),
    ],
    expect: {
      text: '', reasoning: '', finishReason: 'tool_calls',
      toolCalls: [{ id: 'call_a', name: 'get_weather', args: { city: 'Paris' } }, { id: 'call_b', name: 'get_time', args: { zone: 'CET' } }],
    },
  },
  {
    name: 'text then tool',
    request: { tools: TOOLS },
    script: [
      ...start, { type: 'text_delta', text: 'Let me check.' },
      { type: 'tool_call_started', id: 'call_w', name: 'get_weather' }, { type: 'tool_call_delta', id: 'call_w', args: '{"city":"Oslo"}' },
      { type: 'tool_call_finished', id: 'call_w' },
      finish('stop'), // some upstreams say "stop" after tool calls: clients must still see a tool-call stop
    ],
    expect: { text: 'Let me check.', reasoning: '', finishReason: 'tool_calls', toolCalls: [{ id: 'call_w', name: 'get_weather', args: { city: 'Oslo' } }] },
  },
  {
    name: 'length stop',
    script: [...start, { type: 'text_delta', text: 'The answer is cut' }, usage({ inputTokens: 5, outputTokens: 4, totalTokens: 9 }), finish('length')],
    request: { maxOutputTokens: 4 },
    expect: { text: 'The answer is cut', reasoning: '', toolCalls: [], finishReason: 'length', usage: { inputTokens: 5, outputTokens: 4, totalTokens: 9 } },
  },
  {
    name: 'failure before output',
    // Not retryable, so that routing passes it on as it is (a retryable one would become "every candidate failed").
    script: [{ type: 'response_started' }, { fail: new LipError('LIP_ERR_UPSTREAM_STATUS', 'the model gpt-x does not exist', { status: 404, retryable: false }) }],
    expect: { text: '', reasoning: '', toolCalls: [], error: { code: 'LIP_ERR_UPSTREAM_STATUS', message: 'the model gpt-x does not exist', status: 404 } },
  },
  {
    name: 'failure after output',
    script: [...start, { type: 'text_delta', text: 'partial ' }, { type: 'text_delta', text: 'answer' }, { fail: new LipError('LIP_ERR_UPSTREAM_RESET', 'the upstream connection was reset') }],
    expect: { text: 'partial answer', reasoning: '', toolCalls: [], error: { code: 'LIP_ERR_UPSTREAM_RESET', message: 'the upstream connection was reset' } },
    nonStreaming: { text: '', error: { code: 'LIP_ERR_UPSTREAM_RESET', message: 'the upstream connection was reset', status: 502 } },
  },
  {
    name: 'usage with cache tokens',
    script: [
      ...start, usage({ inputTokens: 100, cacheReadTokens: 60, cacheWriteTokens: 10, cacheWrite1hTokens: 4, serviceTier: 'priority' }), { type: 'text_delta', text: 'cached' },
      usage({ outputTokens: 20, totalTokens: 120, reasoningTokens: 5 }), finish('stop'),
    ],
    expect: {
      text: 'cached', reasoning: '', toolCalls: [], finishReason: 'stop',
      usage: { inputTokens: 100, outputTokens: 20, totalTokens: 120, cacheReadTokens: 60, cacheWriteTokens: 10, reasoningTokens: 5, cacheWrite1hTokens: 4, serviceTier: 'priority' },
    },
  },
  {
    name: 'web search then cited text',
    script: [
      ...start,
      { type: 'web_search', id: 'ws_golden1', status: 'searching', dialect: 'golden.search' },
      { type: 'web_search', id: 'ws_golden1', status: 'completed', query: 'weather paris', results: [{ url: 'https://weather.example/paris', title: 'Paris weather', pageAge: '2 days ago' }], dialect: 'golden.search' },
      { type: 'text_delta', text: 'It rains' },
      { type: 'citation', url: 'https://weather.example/paris', title: 'Paris weather', citedText: 'Rain all day in Paris.', start: 3, end: 8, dialect: 'golden.search' },
      { type: 'text_delta', text: ' today.' },
      usage({ inputTokens: 30, outputTokens: 9, totalTokens: 39 }), finish('stop'),
    ],
    expect: { text: 'It rains today.', reasoning: '', toolCalls: [], finishReason: 'stop', usage: { inputTokens: 30, outputTokens: 9, totalTokens: 39 } },
  },
  {
    // Each provider's hosted tool in its own form: a client of that protocol sees its own
    // provider's blocks (only it can have declared the tool), every other client the text alone.
    name: 'hosted tools then text',
    script: [
      ...start,
      { type: 'hosted_tool', id: 'srvtoolu_golden2', dialect: HOSTED_DIALECTS.anthropic, phase: 'added', block: { type: 'server_tool_use', id: 'srvtoolu_golden2', name: 'bash_code_execution', input: {} } },
      { type: 'hosted_tool', id: 'srvtoolu_golden2', dialect: HOSTED_DIALECTS.anthropic, phase: 'progress', update: { type: 'content_block_delta', delta: { type: 'input_json_delta', partial_json: '{"command":"python -c \\"print(2**10)\\""}' } } },
      { type: 'hosted_tool', id: 'srvtoolu_golden2', dialect: HOSTED_DIALECTS.anthropic, phase: 'done', block: { type: 'server_tool_use', id: 'srvtoolu_golden2', name: 'bash_code_execution', input: { command: 'python -c "print(2**10)"' } } },
      { type: 'hosted_tool', id: 'srvtoolu_golden2:bash_code_execution_tool_result', dialect: HOSTED_DIALECTS.anthropic, phase: 'done', block: { type: 'bash_code_execution_tool_result', tool_use_id: 'srvtoolu_golden2', content: { type: 'bash_code_execution_result', stdout: '1024\n', stderr: '', return_code: 0, content: [] } } },
      { type: 'hosted_tool', id: 'ci_golden2', dialect: HOSTED_DIALECTS.openaiResponses, phase: 'added', block: { type: 'code_interpreter_call', id: 'ci_golden2', status: 'in_progress', code: '', container_id: 'cntr_golden', outputs: null } },
      { type: 'hosted_tool', id: 'ci_golden2', dialect: HOSTED_DIALECTS.openaiResponses, phase: 'progress', update: { type: 'response.code_interpreter_call_code.delta', item_id: 'ci_golden2', delta: 'print(2**10)' } },
      { type: 'hosted_tool', id: 'ci_golden2', dialect: HOSTED_DIALECTS.openaiResponses, phase: 'progress', update: { type: 'response.code_interpreter_call.interpreting', item_id: 'ci_golden2' } },
      { type: 'hosted_tool', id: 'ci_golden2', dialect: HOSTED_DIALECTS.openaiResponses, phase: 'done', block: { type: 'code_interpreter_call', id: 'ci_golden2', status: 'completed', code: 'print(2**10)', container_id: 'cntr_golden', outputs: [{ type: 'logs', logs: '1024\n' }] } },
      { type: 'hosted_tool', id: 'gh_golden_0', dialect: HOSTED_DIALECTS.gemini, phase: 'done', block: { executableCode: { language: 'PYTHON', code: 'print(2**10)' } } },
      { type: 'hosted_tool', id: 'gh_golden_1', dialect: HOSTED_DIALECTS.gemini, phase: 'done', block: { codeExecutionResult: { outcome: 'OUTCOME_OK', output: '1024\n' } } },
      { type: 'text_delta', text: '2**10 is 1024.' },
      { type: 'hosted_tool', id: 'container_golden', dialect: HOSTED_DIALECTS.anthropic, phase: 'done', block: { id: 'container_golden', expires_at: '2026-12-05T01:00:00Z' }, scope: 'message' },
      usage({ inputTokens: 40, outputTokens: 12, totalTokens: 52 }), finish('stop'),
    ],
    expect: { text: '2**10 is 1024.', reasoning: '', toolCalls: [], finishReason: 'stop', usage: { inputTokens: 40, outputTokens: 12, totalTokens: 52 } },
  },
];

/** Scripts by name for a ScriptedBackend (`script:<slug>` plays one). */
export function scenarioScripts(): Record<string, readonly ScriptStep[]> {
  return Object.fromEntries(SCENARIOS.map((s) => [slug(s.name), s.script]));
}

export function slug(name: string): string {
  return name.replace(/[^a-z0-9]+/g, '-');
}
