import { expect } from 'chai';
import { AnthropicResponseDecoder, AnthropicStreamDecoder, anthropicOptions, encodeAnthropicRequest } from '../../../lib/backends/anthropic/index.js';
import { CALLER_DIALECTS, HOSTED_DIALECTS, SEARCH_DIALECTS, TOOL_DIALECTS, emptyCall, validateSequence, type Call, type LipEvent, type ToolDefinition } from '../../../lib/canonical/index.js';

const o = anthropicOptions({ id: 'b', kind: 'anthropic', models: [] });
const noKnobs = anthropicOptions({ id: 'b', kind: 'anthropic', models: [], provider_options: false });
const SCHEMA = { type: 'object', properties: { title: { type: 'string' } } };
const CALLER = { type: 'code_execution_20250825', tool_id: 'srvtoolu_01Code' };
const call = (overrides: Partial<Call>): Call => emptyCall({ model: 'x', messages: [{ role: 'user', parts: [{ type: 'text', text: 'Open an issue.' }] }], ...overrides });

describe('backends/anthropic deferred tools, tool references and callers', () => {
  describe('encode', () => {
    it('sends defer_loading and the tool\'s Anthropic bag on a function tool, also on a row without provider_options; nothing when unset', () => {
      const tools: ToolDefinition[] = [
        {
          name: 'mcp__github__create_issue', parameters: SCHEMA, deferLoading: true, cache: {},
          providerOptions: { anthropic: { allowedCallers: ['code_execution_20250825'], inputExamples: [{ title: 'Flaky' }], eagerInputStreaming: false } },
        },
        { name: 'ToolSearch', parameters: SCHEMA, deferLoading: false },
        { name: 'plain', parameters: SCHEMA },
      ];
      const expected = [
        {
          name: 'mcp__github__create_issue', input_schema: SCHEMA, defer_loading: true,
          allowed_callers: ['code_execution_20250825'], input_examples: [{ title: 'Flaky' }], eager_input_streaming: false, cache_control: { type: 'ephemeral' },
        },
        { name: 'ToolSearch', input_schema: SCHEMA, defer_loading: false },
        { name: 'plain', input_schema: SCHEMA },
      ];
      expect(encodeAnthropicRequest(call({ tools }), 'claude', o).tools).to.deep.equal(expected);
      expect(encodeAnthropicRequest(call({ tools }), 'claude', noKnobs).tools).to.deep.equal(expected);
    });

    it('adds them to a client tool\'s and a web search tool\'s declaration; a hosted tool goes as declared', () => {
      const tools: ToolDefinition[] = [
        { name: 'bash', parameters: {}, kind: 'provider', deferLoading: true, providerTool: { dialect: TOOL_DIALECTS.anthropic, definition: { type: 'bash_20250124', name: 'bash' } } },
        { name: 'web_search', parameters: {}, kind: 'web_search', deferLoading: true, providerOptions: { anthropic: { allowedCallers: ['direct'] } }, providerTool: { dialect: SEARCH_DIALECTS.anthropic, definition: { type: 'web_search_20250305', name: 'web_search' } } },
        { name: 'code_execution', parameters: {}, kind: 'hosted', deferLoading: true, providerTool: { dialect: HOSTED_DIALECTS.anthropic, definition: { type: 'code_execution_20250825', name: 'code_execution' } } },
      ];
      expect(encodeAnthropicRequest(call({ tools }), 'claude', o).tools).to.deep.equal([
        { type: 'bash_20250124', name: 'bash', defer_loading: true },
        { type: 'web_search_20250305', name: 'web_search', defer_loading: true, allowed_callers: ['direct'] },
        { type: 'code_execution_20250825', name: 'code_execution' },
      ]);
    });

    it('sends tool_reference blocks in a tool result (with their cache mark) and a call\'s caller of Anthropic\'s dialect on its tool_use; another dialect\'s caller is left out', () => {
      const body = encodeAnthropicRequest(call({
        messages: [
          { role: 'user', parts: [{ type: 'text', text: 'Open an issue.' }] },
          {
            role: 'assistant', parts: [
              { type: 'tool_call', id: 'toolu_01S', name: 'ToolSearch', arguments: '{"query":"github"}', caller: { dialect: 'other.caller', value: { type: 'direct' } } },
              { type: 'tool_call', id: 'toolu_01P', name: 'list', arguments: '{}', caller: { dialect: CALLER_DIALECTS.anthropic, value: CALLER } },
            ],
          },
          {
            role: 'tool', parts: [
              { type: 'tool_result', callId: 'toolu_01S', content: [{ type: 'text', text: 'Found:' }, { type: 'tool_reference', name: 'mcp__github__create_issue', cache: { ttl: '1h' } }] },
              { type: 'tool_result', callId: 'toolu_01P', content: '3 issues' },
            ],
          },
        ],
      }), 'claude', o);
      expect(body.messages).to.deep.equal([
        { role: 'user', content: [{ type: 'text', text: 'Open an issue.' }] },
        {
          role: 'assistant', content: [
            { type: 'tool_use', id: 'toolu_01S', name: 'ToolSearch', input: { query: 'github' } },
            { type: 'tool_use', id: 'toolu_01P', name: 'list', input: {}, caller: CALLER },
          ],
        },
        {
          role: 'user', content: [
            { type: 'tool_result', tool_use_id: 'toolu_01S', content: [{ type: 'text', text: 'Found:' }, { type: 'tool_reference', tool_name: 'mcp__github__create_issue', cache_control: { type: 'ephemeral', ttl: '1h' } }] },
            { type: 'tool_result', tool_use_id: 'toolu_01P', content: '3 issues' },
          ],
        },
      ]);
    });
  });

  describe('decode', () => {
    const start = { type: 'message_start', message: { id: 'msg_1', model: 'claude', usage: { input_tokens: 10, output_tokens: 1 } } };
    const end = [{ type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 7 } }, { type: 'message_stop' }];
    const streamed = (caller: unknown): LipEvent[] => {
      const decoder = new AnthropicStreamDecoder('b', []);
      const out: LipEvent[] = [];
      const frames = [
        start,
        { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 'toolu_01P', name: 'list', input: {}, ...(caller !== undefined ? { caller } : {}) } },
        { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{"state":"open"}' } },
        { type: 'content_block_stop', index: 0 }, ...end,
      ];
      for (const f of frames) decoder.message({ event: f.type, data: JSON.stringify(f) }, out);
      expect(validateSequence(out)).to.deep.equal([]);
      return out;
    };
    const whole = (caller: unknown): LipEvent[] => {
      const out: LipEvent[] = [];
      new AnthropicResponseDecoder('b', []).decode({
        id: 'msg_1', type: 'message', role: 'assistant', model: 'claude', stop_reason: 'tool_use', stop_sequence: null, usage: { input_tokens: 10, output_tokens: 7 },
        content: [{ type: 'tool_use', id: 'toolu_01P', name: 'list', input: { state: 'open' }, ...(caller !== undefined ? { caller } : {}) }],
      }, out);
      expect(validateSequence(out)).to.deep.equal([]);
      return out;
    };
    const started = (events: LipEvent[]) => events.find((e) => e.type === 'tool_call_started');

    for (const [mode, decode] of [['streamed', streamed], ['whole', whole]] as const) {
      it(`reads a tool_use block's caller as the call's caller of Anthropic's dialect, as written (${mode})`, () => {
        expect(started(decode(CALLER))).to.deep.equal({ type: 'tool_call_started', id: 'toolu_01P', name: 'list', caller: { dialect: CALLER_DIALECTS.anthropic, value: CALLER } });
        expect(started(decode({ type: 'direct' }))).to.deep.include({ caller: { dialect: CALLER_DIALECTS.anthropic, value: { type: 'direct' } } });
        const args = decode(CALLER).filter((e) => e.type === 'tool_call_delta').map((e) => (e as { args: string }).args).join('');
        expect(JSON.parse(args)).to.deep.equal({ state: 'open' });
      });

      it(`leaves out a caller that is not an object with a string type, without failing the answer (${mode})`, () => {
        for (const odd of [undefined, null, 'code_execution', ['x'], { tool_id: 'x' }, { type: 7 }]) {
          expect(started(decode(odd)), JSON.stringify(odd)).to.deep.equal({ type: 'tool_call_started', id: 'toolu_01P', name: 'list' });
        }
      });
    }
  });
});
