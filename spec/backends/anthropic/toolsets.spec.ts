import { expect } from 'chai';
import { AnthropicResponseDecoder, AnthropicStreamDecoder, anthropicOptions, encodeAnthropicRequest } from '../../../lib/backends/anthropic/index.js';
import { TOOL_DIALECTS, emptyCall, validateSequence, type Call, type LipEvent, type Message } from '../../../lib/canonical/index.js';
import { decodeMessagesRequest } from '../../../lib/frontends/anthropic/index.js';

const o = anthropicOptions({ id: 'b', kind: 'anthropic', models: [] });
const COMPUTER = { type: 'computer_toolset_20260801', configs: { zoom: { enabled: false } } };
const BROWSER = { type: 'browser_toolset_20260801', configs: { javascript_exec: { enabled: true }, screenshot: { enabled: false }, zoom: { enabled: false }, left_click: { enabled: false } } };
const COMPUTER_MEMBERS = ['key', 'hold_key', 'type', 'cursor_position', 'mouse_move', 'left_mouse_down', 'left_mouse_up', 'left_click', 'left_click_drag', 'right_click', 'middle_click', 'double_click', 'triple_click', 'scroll', 'wait', 'screenshot', 'zoom'];
const WEATHER = { name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } };
/** A call as the Anthropic frontend decodes it (the members as provider tools of their toolset). */
const decoded = (body: Record<string, unknown>): Call => decodeMessagesRequest({ model: 'claude-x', max_tokens: 64, messages: [{ role: 'user', content: 'Go.' }], ...body }).call;
const STATE = { type: 'browser_state', tabs: [{ tab_id: 't1', title: 'Docs', url: 'https://docs.example/', active: true }], state_changes: [{ type: 'tab_opened', tab_id: 't1' }] };

/**
 * The computer and browser toolsets through an anthropic backend: each toolset goes up once, as
 * the client declared it, whatever members lip offers other providers; the calls of its members
 * and their results name the toolset both ways.
 */
describe('backends/anthropic the computer and browser toolsets', () => {
  describe('encode', () => {
    it('declares each toolset once, as written, in the place of its first member, with its cache mark; the other tools around it by their schema', () => {
      const call = decoded({ tools: [WEATHER, { ...COMPUTER, cache_control: { type: 'ephemeral', ttl: '1h' } }, { ...WEATHER, name: 'get_time' }] });
      expect(call.tools.length).to.equal(18);
      expect(encodeAnthropicRequest(call, 'claude', o).tools).to.deep.equal([
        { name: 'get_weather', input_schema: WEATHER.input_schema },
        { type: 'computer_toolset_20260801', configs: { zoom: { enabled: false } }, cache_control: { type: 'ephemeral', ttl: '1h' } },
        { name: 'get_time', input_schema: WEATHER.input_schema },
      ]);
    });

    it('declares two toolsets one entry each, without cache_control when the client set none, and sends a deferred toolset\'s defer_loading only inside its configs', () => {
      // the computer members the browser toolset also has are off (their names would clash), the others deferred
      const kept = ['cursor_position', 'zoom'];
      const configs = Object.fromEntries(COMPUTER_MEMBERS.map((n) => [n, kept.includes(n) ? { defer_loading: true } : { enabled: false }]));
      const computer = { type: 'computer_toolset_20260801', configs };
      const call = decoded({ tools: [computer, BROWSER] });
      expect(call.tools.filter((t) => t.toolset === 'computer').map((t) => [t.name, t.deferLoading])).to.deep.equal(kept.map((n) => [n, true]));
      expect(encodeAnthropicRequest(call, 'claude', o).tools).to.deep.equal([computer, BROWSER]);
    });

    it('names the toolset on a member\'s tool_use and on the tool_result answering it (Anthropic requires both), whichever backend made the call', () => {
      const history: Message[] = [
        { role: 'user', parts: [{ type: 'text', text: 'Save it.' }] },
        { role: 'assistant', parts: [
          { type: 'tool_call', id: 'toolu_1', name: 'key', arguments: '{"text":"ctrl+s"}', toolset: 'computer' },
          { type: 'tool_call', id: 'toolu_2', name: 'get_weather', arguments: '{}' },
        ] },
        { role: 'tool', parts: [{ type: 'tool_result', callId: 'toolu_1', content: 'Pressed ctrl+s.' }, { type: 'tool_result', callId: 'toolu_2', content: 'sunny', isError: true }] },
      ];
      const body = encodeAnthropicRequest(emptyCall({ model: 'x', messages: history }), 'claude', o);
      expect(body.messages).to.deep.equal([
        { role: 'user', content: [{ type: 'text', text: 'Save it.' }] },
        { role: 'assistant', content: [
          { type: 'tool_use', id: 'toolu_1', name: 'key', input: { text: 'ctrl+s' }, toolset_name: 'computer' },
          { type: 'tool_use', id: 'toolu_2', name: 'get_weather', input: {} },
        ] },
        { role: 'user', content: [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: 'Pressed ctrl+s.', toolset_name: 'computer' },
          { type: 'tool_result', tool_use_id: 'toolu_2', content: 'sunny', is_error: true },
        ] },
      ]);
    });

    it('sends a browser member\'s result with its browser_state block as the client wrote it (screenshot and cache marks in it), under the call\'s id and toolset', () => {
      const image = { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' }, cache_control: { type: 'ephemeral' } };
      const call = decoded({
        tools: [BROWSER],
        messages: [
          { role: 'user', content: 'Open the docs.' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'navigate', input: { url: 'docs.example' }, toolset_name: 'browser' }] },
          { role: 'user', content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'Navigated.' }, image, STATE], cache_control: { type: 'ephemeral', ttl: '5m' } },
            { type: 'text', text: 'Now read it.' },
          ] },
        ],
      });
      const body = encodeAnthropicRequest(call, 'claude', o);
      expect((body.messages as Record<string, unknown>[])[2]).to.deep.equal({
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'Navigated.' }, image, STATE], toolset_name: 'browser', cache_control: { type: 'ephemeral', ttl: '5m' } },
          { type: 'text', text: 'Now read it.' },
        ],
      });
    });

    it('leaves the toolset out of the result of a call of no toolset, and reads the canonical content when the result was not written in Anthropic\'s form', () => {
      const written = { dialect: 'other.tool', item: { type: 'shell_call_output' } };
      const body = encodeAnthropicRequest(emptyCall({
        model: 'x',
        messages: [
          { role: 'user', parts: [{ type: 'text', text: 'q' }] },
          { role: 'assistant', parts: [{ type: 'tool_call', id: 'c1', name: 'shell', arguments: '{}' }] },
          { role: 'tool', parts: [{ type: 'tool_result', callId: 'c1', content: 'done', written }] },
        ],
      }), 'claude', o);
      expect((body.messages as { content: unknown[] }[])[2]!.content).to.deep.equal([{ type: 'tool_result', tool_use_id: 'c1', content: 'done' }]);
      expect(TOOL_DIALECTS.anthropic).to.not.equal(written.dialect);
    });
  });

  describe('decode', () => {
    const start = { type: 'message_start', message: { id: 'msg_1', model: 'claude', usage: { input_tokens: 10, output_tokens: 1 } } };
    const end = [{ type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 7 } }, { type: 'message_stop' }];
    const USE = { type: 'tool_use', id: 'toolu_1', name: 'left_click', caller: { type: 'direct' } };
    const streamed = (toolset: unknown): LipEvent[] => {
      const decoder = new AnthropicStreamDecoder('b', []);
      const out: LipEvent[] = [];
      const frames = [
        start,
        { type: 'content_block_start', index: 0, content_block: { ...USE, input: {}, ...(toolset !== undefined ? { toolset_name: toolset } : {}) } },
        { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{"coordinate":' } },
        { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '[5,6]}' } },
        { type: 'content_block_stop', index: 0 }, ...end,
      ];
      for (const f of frames) decoder.message({ event: f.type, data: JSON.stringify(f) }, out);
      expect(validateSequence(out)).to.deep.equal([]);
      return out;
    };
    const whole = (toolset: unknown): LipEvent[] => {
      const out: LipEvent[] = [];
      new AnthropicResponseDecoder('b', []).decode({
        id: 'msg_1', type: 'message', role: 'assistant', model: 'claude', stop_reason: 'tool_use', stop_sequence: null, usage: { input_tokens: 10, output_tokens: 7 },
        content: [{ ...USE, input: { coordinate: [5, 6] }, ...(toolset !== undefined ? { toolset_name: toolset } : {}) }],
      }, out);
      expect(validateSequence(out)).to.deep.equal([]);
      return out;
    };
    const started = (events: LipEvent[]) => events.find((e) => e.type === 'tool_call_started');

    for (const [mode, decode] of [['streamed', streamed], ['whole', whole]] as const) {
      it(`reads a member's tool_use with its toolset_name as a call of that toolset (${mode})`, () => {
        const events = decode('computer');
        expect(started(events)).to.deep.include({ type: 'tool_call_started', id: 'toolu_1', name: 'left_click', toolset: 'computer' });
        const args = events.filter((e) => e.type === 'tool_call_delta').map((e) => (e as { args: string }).args).join('');
        expect(JSON.parse(args)).to.deep.equal({ coordinate: [5, 6] });
      });

      it(`reads a tool_use without a toolset_name (absent, null, empty, not a string) as a call of no toolset (${mode})`, () => {
        for (const odd of [undefined, null, '', 7]) expect(started(decode(odd)), JSON.stringify(odd)).to.not.have.property('toolset');
      });
    }
  });
});
