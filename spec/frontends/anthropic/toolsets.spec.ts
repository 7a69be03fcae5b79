import { Ajv } from 'ajv';
import { expect } from 'chai';
import { TOOL_DIALECTS, collectEvents, emptyCall, validateCall, type Call, type LipEvent, type ToolDefinition } from '../../../lib/canonical/index.js';
import { LipError } from '../../../lib/errors/index.js';
import { AnthropicStreamEncoder, decodeMessagesRequest, encodeMessagesResponse } from '../../../lib/frontends/anthropic/index.js';
import type { EncodeContext } from '../../../lib/frontends/protocol.js';
import { refusalOf } from '../../helpers/refusal.js';
import { accumulate, checkAnthropicWire } from './wire-check.js';

const base = { model: 'claude-x', max_tokens: 256, messages: [{ role: 'user', content: 'Open the docs and click Search.' }] };
const decode = (body: Record<string, unknown>): Call => decodeMessagesRequest({ ...base, ...body }).call;
const decodeError = (body: Record<string, unknown>): LipError => refusalOf(() => decodeMessagesRequest({ ...base, ...body }));
const COMPUTER = { type: 'computer_toolset_20260801' };
const BROWSER = { type: 'browser_toolset_20260801' };
const names = (call: Call) => call.tools.map((t) => t.name);
const tool = (call: Call, name: string): ToolDefinition => call.tools.find((t) => t.name === name)!;

const ajv = new Ajv({ strict: false });
/** Whether an input the model might send (the SDK's member Input types) matches the schema lip offers other providers' models. */
const accepts = (t: ToolDefinition, input: unknown) => ajv.validate(t.parameters, input);

/** The members as the SDK lists them (ComputerMemberName, BrowserMemberName). */
const COMPUTER_MEMBERS = ['key', 'hold_key', 'type', 'cursor_position', 'mouse_move', 'left_mouse_down', 'left_mouse_up', 'left_click', 'left_click_drag', 'right_click', 'middle_click', 'double_click', 'triple_click', 'scroll', 'wait', 'screenshot', 'zoom'];
const BROWSER_MEMBERS = [
  'navigate', 'list_tabs', 'new_tab', 'switch_tab', 'close_tab', 'read_page', 'get_page_text', 'read_console', 'read_network', 'find', 'form_input', 'file_upload', 'scroll_to', 'screenshot', 'zoom',
  'left_click', 'right_click', 'middle_click', 'double_click', 'triple_click', 'hover', 'left_click_drag', 'left_mouse_down', 'left_mouse_up', 'mouse_move', 'scroll', 'type', 'key', 'hold_key', 'wait', 'javascript_exec',
];
const BROWSER_OFF = ['read_console', 'read_network', 'file_upload', 'javascript_exec'];

/**
 * Anthropic's computer and browser toolsets: one declaration (no name) for a family of tools the
 * model calls each by its own name, its calls naming the family (`toolset_name`). lip decodes the
 * declaration into one provider tool per enabled member, all carrying the declaration for an
 * Anthropic backend, each with lip's schema for every other backend.
 */
describe('frontends/anthropic the computer and browser toolsets', () => {
  describe('declarations', () => {
    it('decodes a toolset into a provider tool per enabled member, each carrying the declaration as written less cache_control, the cache mark on the last member', () => {
      const declared = { ...COMPUTER, configs: { zoom: { enabled: false }, wait: null }, cache_control: { type: 'ephemeral', ttl: '1h' } };
      const call = decode({ tools: [{ name: 'get_weather', input_schema: { type: 'object' } }, declared] });
      expect(validateCall(call)).to.deep.equal([]);
      expect(names(call)).to.deep.equal(['get_weather', ...COMPUTER_MEMBERS.filter((n) => n !== 'zoom')]);
      const members = call.tools.slice(1);
      for (const m of members) {
        expect(m, m.name).to.deep.include({ kind: 'provider', toolset: 'computer', providerTool: { dialect: TOOL_DIALECTS.anthropic, definition: { type: 'computer_toolset_20260801', configs: { zoom: { enabled: false }, wait: null } } } });
        expect(m.description, m.name).to.be.a('string').and.not.equal('');
        expect(ajv.validateSchema(m.parameters), m.name).to.equal(true);
      }
      expect(members.map((m) => m.cache)).to.deep.equal([...members.slice(1).map(() => undefined), { ttl: '1h' }]);
    });

    it('takes the members\' defaults: every computer member on; the browser\'s console, network, JavaScript and upload members off until configs turns them on', () => {
      expect(names(decode({ tools: [COMPUTER] }))).to.deep.equal(COMPUTER_MEMBERS);
      expect(names(decode({ tools: [BROWSER] }))).to.deep.equal(BROWSER_MEMBERS.filter((n) => !BROWSER_OFF.includes(n)));
      const opened = decode({ tools: [{ ...BROWSER, configs: { javascript_exec: { enabled: true }, read_console: { enabled: null }, navigate: { enabled: false } } }] });
      expect(names(opened)).to.include('javascript_exec').and.not.include.members(['read_console', 'navigate']);
      expect(decode({ tools: [{ ...BROWSER, configs: null }] }).tools.length).to.equal(BROWSER_MEMBERS.length - BROWSER_OFF.length);
    });

    it('offers each member the input the SDK types give it (ComputerMemberInput, BrowserMemberInput), and refuses what they do not', () => {
      const computer = decode({ tools: [COMPUTER] });
      expect(accepts(tool(computer, 'left_click'), { coordinate: [10, 20], text: 'shift' })).to.equal(true);
      expect(accepts(tool(computer, 'left_click'), {})).to.equal(true);
      expect(accepts(tool(computer, 'left_click'), { coordinate: [10] })).to.equal(false);
      expect(accepts(tool(computer, 'left_click_drag'), { start_coordinate: [0, 0], coordinate: [5, 5] })).to.equal(true);
      expect(accepts(tool(computer, 'scroll'), { scroll_direction: 'down', scroll_amount: 3 })).to.equal(true);
      expect(accepts(tool(computer, 'scroll'), { scroll_direction: 'sideways', scroll_amount: 3 })).to.equal(false);
      expect(accepts(tool(computer, 'key'), { text: 'ctrl+s', repeat: 2 })).to.equal(true);
      expect(accepts(tool(computer, 'type'), {})).to.equal(false);
      expect(accepts(tool(computer, 'zoom'), { region: [0, 0, 100, 80] })).to.equal(true);
      expect(accepts(tool(computer, 'screenshot'), {})).to.equal(true);
      expect(tool(computer, 'screenshot').description).to.contain('coordinates are in its pixels');

      const browser = decode({ tools: [{ ...BROWSER, configs: { form_input: {}, file_upload: { enabled: true } } }] });
      expect(accepts(tool(browser, 'left_click'), { target: { type: 'ref', ref: 'ref_7' }, modifiers: 'shift' })).to.equal(true);
      expect(accepts(tool(browser, 'left_click'), { target: { type: 'coordinate', x: 10, y: 20 }, tab_id: 't1' })).to.equal(true);
      expect(accepts(tool(browser, 'left_click'), { target: { type: 'ref' } })).to.equal(false);
      expect(accepts(tool(browser, 'left_click_drag'), { from: { type: 'coordinate', x: 1, y: 2 }, target: { type: 'coordinate', x: 3, y: 4 } })).to.equal(true);
      expect(accepts(tool(browser, 'scroll'), { scroll_direction: 'up', target: { type: 'ref', ref: 'ref_1' } })).to.equal(false);
      expect(accepts(tool(browser, 'form_input'), { target: { type: 'ref', ref: 'ref_3' }, value: true })).to.equal(true);
      expect(accepts(tool(browser, 'file_upload'), { target: { type: 'ref', ref: 'ref_3' }, paths: ['/tmp/a.pdf'] })).to.equal(true);
      expect(accepts(tool(browser, 'navigate'), { url: 'back' })).to.equal(true);
      expect(accepts(tool(browser, 'switch_tab'), {})).to.equal(false);
      expect(accepts(tool(browser, 'read_page'), { filter: 'interactive', depth: 5 })).to.equal(true);
      expect(accepts(tool(browser, 'wait'), { duration: 31 })).to.equal(false);
    });

    it('gives a deferred toolset\'s members deferLoading (configs\' defer_loading, the same on every enabled member)', () => {
      const all = Object.fromEntries(COMPUTER_MEMBERS.map((n) => [n, { defer_loading: true }]));
      expect(decode({ tools: [{ ...COMPUTER, configs: all }] }).tools.every((t) => t.deferLoading === true)).to.equal(true);
      expect(decode({ tools: [COMPUTER] }).tools.some((t) => t.deferLoading !== undefined)).to.equal(false);
    });

    it('refuses a malformed toolset with a 400 naming the field', () => {
      const invalid = { status: 400, code: 'LIP_ERR_REQUEST_INVALID' };
      expect(decodeError({ tools: [{ ...COMPUTER, configs: { frobnicate: {} } }] })).to.deep.include({ ...invalid, param: 'tools[0].configs.frobnicate' });
      expect(decodeError({ tools: [{ ...BROWSER, configs: { cursor_position: {} } }] }).message).to.contain('tools[0].configs.cursor_position: is not a member of the browser toolset (members: navigate,');
      expect(decodeError({ tools: [{ ...COMPUTER, configs: { zoom: { enabled: 'no' } } }] })).to.deep.include({ ...invalid, param: 'tools[0].configs.zoom.enabled' });
      expect(decodeError({ tools: [{ ...COMPUTER, configs: { zoom: { enabled: false, display: 1 } } }] })).to.deep.include({ ...invalid, message: 'tools[0].configs.zoom.display: is not a known field' });
      expect(decodeError({ tools: [{ ...COMPUTER, configs: { zoom: false } }] })).to.deep.include({ ...invalid, param: 'tools[0].configs.zoom' });
      expect(decodeError({ tools: [{ ...COMPUTER, configs: [] }] })).to.deep.include({ ...invalid, param: 'tools[0].configs' });
      expect(decodeError({ tools: [{ ...COMPUTER, name: 'computer' }] })).to.deep.include({ ...invalid, param: 'tools[0].name' });
      expect(decodeError({ tools: [{ ...COMPUTER, display_width_px: 1024 }] }).message).to.match(/^tools\[0\]\.display_width_px: is not a field of a toolset/);
      const none = Object.fromEntries(COMPUTER_MEMBERS.map((n) => [n, { enabled: false }]));
      expect(decodeError({ tools: [{ ...COMPUTER, configs: none }] })).to.deep.include({ ...invalid, message: 'tools[0].configs: disables every member of the computer toolset' });
      expect(decodeError({ tools: [{ ...COMPUTER, configs: { zoom: { defer_loading: true } } }] })).to.deep.include({
        ...invalid, message: 'tools[0].configs.zoom.defer_loading: must be the same on every enabled member of the computer toolset',
      });
    });

    it('refuses a member whose name another tool or toolset member takes with a 400 naming both (other providers call members by name alone)', () => {
      const custom = { name: 'screenshot', input_schema: { type: 'object' } };
      expect(decodeError({ tools: [COMPUTER, custom] })).to.deep.include({
        code: 'LIP_ERR_REQUEST_INVALID', param: 'tools[1].name',
        message: 'tools[1].name: "screenshot" is already the name of a member of the computer toolset (tools[0]); rename the tool or disable the member in a toolset\'s configs',
      });
      expect(decodeError({ tools: [custom, COMPUTER] })).to.deep.include({ param: 'tools[0].name' });
      expect(decodeError({ tools: [{ type: 'bash_20250124', name: 'navigate' }, BROWSER] }).message).to.contain('"navigate" is the name of a member of the browser toolset (tools[1])');
      expect(decodeError({ tools: [COMPUTER, BROWSER] })).to.deep.include({ param: 'tools[1]' });
      expect(decodeError({ tools: [COMPUTER, COMPUTER] }).message).to.contain('"key" is already the name of a member of the computer toolset (tools[0])');
      // the member disabled, the name is free again
      expect(names(decode({ tools: [{ ...COMPUTER, configs: { screenshot: { enabled: false } } }, custom] }))).to.include('screenshot');
    });

    it('still refuses a toolset version it does not know, as an unsupported tool', () => {
      expect(decodeError({ tools: [{ type: 'computer_toolset_20270101' }] })).to.deep.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', param: 'tools[0].type' });
    });
  });

  describe('the history', () => {
    const use = { type: 'tool_use', id: 'toolu_1', name: 'left_click', input: { target: { type: 'ref', ref: 'ref_2' } }, toolset_name: 'browser' };
    const state = { type: 'browser_state', tabs: [{ tab_id: 't1', title: 'Docs', url: 'https://docs.example/', active: true }, { tab_id: 't2', title: '', url: '' }] };
    const history = (result: Record<string, unknown>) => [
      { role: 'user', content: 'Open the docs.' },
      { role: 'assistant', content: [use] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', ...result }] },
    ];

    it('decodes a member\'s tool_use with its toolset_name as a call of the toolset, and its result like any other', () => {
      const call = decode({ tools: [BROWSER], messages: history({ toolset_name: 'browser', content: [{ type: 'text', text: 'Clicked.' }] }) });
      expect(call.messages[1]!.parts[0]).to.deep.equal({ type: 'tool_call', id: 'toolu_1', name: 'left_click', arguments: JSON.stringify(use.input), toolset: 'browser' });
      expect(call.messages[2]!.parts[0]).to.deep.equal({ type: 'tool_result', callId: 'toolu_1', content: [{ type: 'text', text: 'Clicked.' }] });
      expect(decode({ messages: history({ content: 'ok' }) }).messages[1]!.parts[0]).to.have.property('toolset', 'browser');
      const plain = decode({ messages: [base.messages[0], { role: 'assistant', content: [{ ...use, toolset_name: null }] }] });
      expect(plain.messages[1]!.parts[0]).to.not.have.property('toolset');
    });

    it('refuses a result whose toolset_name is not its call\'s, and a malformed toolset_name, with a 400 naming it', () => {
      expect(decodeError({ messages: history({ toolset_name: 'computer', content: 'ok' }) })).to.deep.include({
        code: 'LIP_ERR_REQUEST_INVALID', message: 'messages[2].content[0].toolset_name: names the toolset "computer", but the tool_use it answers is of the toolset "browser"',
      });
      const unnamed = [{ role: 'user', content: 'x' }, { role: 'assistant', content: [{ ...use, toolset_name: undefined }] }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', toolset_name: 'browser' }] }];
      expect(decodeError({ messages: unnamed }).message).to.equal('messages[2].content[0].toolset_name: names the toolset "browser", but the tool_use it answers is of no toolset');
      expect(decodeError({ messages: [{ role: 'user', content: 'x' }, { role: 'assistant', content: [{ ...use, toolset_name: '' }] }] })).to.deep.include({ param: 'messages[1].content[0].toolset_name' });
      expect(decodeError({ messages: history({ toolset_name: 7 }) })).to.deep.include({ param: 'messages[2].content[0].toolset_name' });
    });

    it('reads a browser_state block as text for other providers\' models, and keeps the result as written for an Anthropic backend', () => {
      const withChanges = { ...state, state_changes: [{ type: 'tab_opened', tab_id: 't2' }, { type: 'download_completed', download_id: 'd1', url: 'https://docs.example/a.pdf', size_bytes: 1200, path: '/tmp/a.pdf' }, { type: 'download_failed', download_id: 'd2', url: 'https://x.example/b', error: 'cancelled' }] };
      const content = [{ type: 'text', text: 'Clicked.' }, withChanges];
      const call = decode({ messages: history({ toolset_name: 'browser', content, cache_control: { type: 'ephemeral' } }) });
      expect(validateCall(call)).to.deep.equal([]);
      expect(call.messages[2]!.parts[0]).to.deep.equal({
        type: 'tool_result', callId: 'toolu_1', cache: {},
        content: [
          { type: 'text', text: 'Clicked.' },
          {
            type: 'text',
            text: 'Browser tabs: t1 "Docs" https://docs.example/ (active); t2 about:blank.\n'
              + 'Changed by this action: tab t2 opened; download d1 completed: https://docs.example/a.pdf, 1200 bytes, saved as /tmp/a.pdf; download d2 failed: https://x.example/b (cancelled).',
          },
        ],
        written: { dialect: TOOL_DIALECTS.anthropic, item: { type: 'tool_result', content } },
      });
      const empty = decode({ messages: history({ content: [{ type: 'browser_state', tabs: [] }] }) }).messages[2]!.parts[0];
      expect(empty).to.deep.include({ content: [{ type: 'text', text: 'Browser tabs: none.' }] });
    });

    it('refuses a malformed browser_state with a 400 naming the field', () => {
      expect(decodeError({ messages: history({ content: [{ type: 'browser_state', tabs: [{ tab_id: 't1', url: '' }] }] }) })).to.deep.include({ param: 'messages[2].content[0].content[0].tabs[0].title' });
      expect(decodeError({ messages: history({ content: [{ ...state, state_changes: [{ tab_id: 't2' }] }] }) })).to.deep.include({ param: 'messages[2].content[0].content[0].state_changes[0].type' });
    });
  });

  describe('answers', () => {
    const declared = decode({ tools: [COMPUTER, { name: 'get_weather', input_schema: { type: 'object' } }] });
    const context: EncodeContext = { call: declared, model: undefined, hints: {}, requestId: 'r', created: 1700000000 };
    const call = (id: string, name: string, args: string, toolset?: string): LipEvent[] => [
      { type: 'tool_call_started', id, name, ...(toolset !== undefined ? { toolset } : {}) }, { type: 'tool_call_delta', id, args }, { type: 'tool_call_finished', id },
    ];
    const events: LipEvent[] = [
      { type: 'response_started' }, { type: 'message_started' },
      ...call('c1', 'screenshot', '{}'), // another provider's model called the member by name
      ...call('c2', 'left_click', '{"coordinate":[5,6]}', 'computer'), // an Anthropic backend named the toolset
      ...call('c3', 'get_weather', '{"city":"Paris"}'),
      { type: 'response_finished', reason: 'tool_calls' },
    ];

    it('writes a member\'s call with its toolset_name in a whole answer, whichever backend answered', () => {
      const body = encodeMessagesResponse(collectEvents(events), context);
      expect(body.content).to.deep.equal([
        { type: 'tool_use', id: 'c1', name: 'screenshot', input: {}, toolset_name: 'computer' },
        { type: 'tool_use', id: 'c2', name: 'left_click', input: { coordinate: [5, 6] }, toolset_name: 'computer' },
        { type: 'tool_use', id: 'c3', name: 'get_weather', input: { city: 'Paris' } },
      ]);
    });

    it('streams a member\'s call with its toolset_name on the tool_use block\'s content_block_start', () => {
      const encoder = new AnthropicStreamEncoder(context);
      const wire = checkAnthropicWire(events.map((e) => encoder.event(e)).join('') + encoder.end());
      const starts = wire.filter((e) => e.event === 'content_block_start').map((e) => e.data.content_block);
      expect(starts).to.deep.equal([
        { type: 'tool_use', id: 'c1', name: 'screenshot', input: {}, toolset_name: 'computer' },
        { type: 'tool_use', id: 'c2', name: 'left_click', input: {}, toolset_name: 'computer' },
        { type: 'tool_use', id: 'c3', name: 'get_weather', input: {} },
      ]);
      expect(accumulate(wire).map((b) => b.json)).to.deep.equal(['{}', '{"coordinate":[5,6]}', '{"city":"Paris"}']);
    });

    it('keeps an Anthropic backend\'s toolset_name also when the call declares no toolset (a call of no declared member)', () => {
      const bare: EncodeContext = { call: emptyCall({ model: 'claude-x' }), model: undefined, hints: {}, requestId: 'r', created: 1 };
      const body = encodeMessagesResponse(collectEvents([{ type: 'response_started' }, ...call('c9', 'navigate', '{"url":"x"}', 'browser'), { type: 'response_finished', reason: 'tool_calls' }]), bare);
      expect(body.content).to.deep.equal([{ type: 'tool_use', id: 'c9', name: 'navigate', input: { url: 'x' }, toolset_name: 'browser' }]);
    });
  });
});
