import { expect } from 'chai';
import { TOOL_DIALECTS, collectEvents, type LipEvent } from '../../../lib/canonical/index.js';
import { ResponsesStreamEncoder, decodeResponsesRequest, encodeInputItems, encodeResponsesResponse, responsesStoredRoutes } from '../../../lib/frontends/openai-responses/index.js';
import type { EncodeContext, StoredResponseView } from '../../../lib/frontends/protocol.js';
import { checkResponsesWire, sdkFinalResponse as sdkFinal } from './wire-check.js';
import { refusalOf } from '../../helpers/refusal.js';

type Json = Record<string, any>;

const OURS = TOOL_DIALECTS.openaiResponses;
const COMPUTER = { type: 'computer' };
const PREVIEW = { type: 'computer_use_preview', display_width: 1024, display_height: 768, environment: 'browser' };
const FUNCTION = { type: 'function', name: 'f', parameters: { type: 'object' } };
const RESPONSE_ID = 'resp_0123456789abcdef0123456789abcdef0123456789abcdef';

const decode = (body: Json) => decodeResponsesRequest({ model: 'gpt-5.4', input: 'go', tools: [COMPUTER, FUNCTION], ...body });
const refusal = (body: Json) => refusalOf(() => decode(body));

function contextOf(body: Json = {}): EncodeContext {
  const decoded = decode(body);
  return { call: decoded.call, model: undefined, hints: decoded.hints!, requestId: 'r', created: 1_700_000_000, responseId: RESPONSE_ID };
}

const ACTIONS = [{ type: 'click', button: 'left', x: 120, y: 48 }, { type: 'type', text: 'weather in Oslo' }, { type: 'keypress', keys: ['ENTER'] }];
const CHECKS = [{ id: 'cu_sc_1', code: 'malicious_instructions', message: 'The page asks the agent to do something else.' }];
const SCREENSHOT = 'data:image/png;base64,iVBORw0KGgo=';

/** A model's computer call (as an openai-responses backend reports it: started when done, with its safety checks), then a function call. */
const CALLS: LipEvent[] = [
  { type: 'response_started' }, { type: 'message_started' },
  { type: 'tool_call_started', id: 'call_cu', name: 'computer', providerFields: { dialect: OURS, value: { pending_safety_checks: CHECKS } } },
  { type: 'tool_call_delta', id: 'call_cu', args: JSON.stringify({ actions: ACTIONS }) },
  { type: 'tool_call_finished', id: 'call_cu' },
  { type: 'tool_call_started', id: 'call_f', name: 'f' },
  { type: 'tool_call_delta', id: 'call_f', args: '{}' },
  { type: 'tool_call_finished', id: 'call_f' },
  { type: 'response_finished', reason: 'tool_calls' },
];


describe('frontends/openai-responses computer use (computer, computer_use_preview)', () => {
  describe('the request', () => {
    it('decodes the GA computer tool into the provider tool computer, offered elsewhere as a batch of actions', () => {
      const [tool] = decode({}).call.tools;
      expect(tool).to.deep.include({ name: 'computer', kind: 'provider', providerTool: { dialect: OURS, definition: COMPUTER } });
      const parameters = tool!.parameters as Json;
      expect(parameters.required).to.deep.equal(['actions']);
      const action = parameters.properties.actions.items;
      expect(action.required).to.deep.equal(['type']);
      expect(action.properties.type.enum).to.deep.equal(['click', 'double_click', 'drag', 'keypress', 'move', 'screenshot', 'scroll', 'type', 'wait']);
      expect(Object.keys(action.properties)).to.deep.equal(['type', 'x', 'y', 'button', 'keys', 'path', 'scroll_x', 'scroll_y', 'text']);
      expect(action.properties.button.enum).to.deep.equal(['left', 'right', 'wheel', 'back', 'forward']);
      expect(tool!.description).to.match(/screenshot/);
    });

    it('decodes the preview tool into the same tool, one action at a time, its display and environment in the description', () => {
      const [tool] = decode({ tools: [PREVIEW] }).call.tools;
      expect(tool).to.deep.include({ name: 'computer', kind: 'provider', providerTool: { dialect: OURS, definition: PREVIEW } });
      expect((tool!.parameters as Json).required).to.deep.equal(['type']);
      expect(tool!.description).to.contain('1024x768 pixels').and.to.contain('browser');
    });

    it('refuses a second computer tool, a function named computer beside one, and a malformed preview tool', () => {
      expect(refusal({ tools: [COMPUTER, PREVIEW] }).message).to.equal('tools[1].type: declares a second computer use tool; declare one');
      expect(refusal({ tools: [PREVIEW, { type: 'function', name: 'computer' }] })).to.deep.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', param: 'tools[1].name' });
      expect(refusal({ tools: [{ ...PREVIEW, display_width: undefined }] }).message).to.equal('tools[0].display_width: is required');
      expect(refusal({ tools: [{ ...PREVIEW, display_height: 0 }] }).param).to.equal('tools[0].display_height');
      expect(refusal({ tools: [{ ...PREVIEW, environment: 7 }] }).param).to.equal('tools[0].environment');
    });

    it('maps tool_choice computer, computer_use_preview and computer_use (and in allowed_tools) to the computer tool; one not declared is a 400', () => {
      for (const type of ['computer', 'computer_use_preview', 'computer_use']) {
        expect(decode({ tool_choice: { type } }).call.toolChoice).to.deep.equal({ type: 'tool', name: 'computer' });
      }
      expect(decode({ tool_choice: { type: 'allowed_tools', mode: 'auto', tools: [{ type: 'computer' }, { type: 'function', name: 'f' }] } }).call.toolChoice)
        .to.deep.equal({ type: 'auto', allowed: ['computer', 'f'] });
      expect(refusal({ tools: [FUNCTION], tool_choice: { type: 'computer' } }).message).to.equal('tool_choice.type: names the computer tool, which is not in tools');
    });

    it('decodes computer_call items into calls of computer (a batch as {actions}, one action as itself; safety checks as providerFields) and their outputs into results holding the screenshot', () => {
      const batchOut = { type: 'computer_call_output', call_id: 'call_1', output: { type: 'computer_screenshot', image_url: SCREENSHOT }, acknowledged_safety_checks: CHECKS };
      const oneOut = { type: 'computer_call_output', call_id: 'call_2', output: { type: 'computer_screenshot', image_url: 'https://shots.example/2.png' } };
      const { messages } = decode({
        input: [
          { role: 'user', content: 'Check the weather in Oslo.' },
          { type: 'computer_call', id: 'cu_1', call_id: 'call_1', status: 'completed', actions: ACTIONS, pending_safety_checks: CHECKS },
          batchOut,
          { type: 'computer_call', id: 'cu_2', call_id: 'call_2', status: 'completed', action: { type: 'screenshot' }, pending_safety_checks: [] },
          oneOut,
        ],
      }).call;
      expect(messages.slice(1)).to.deep.equal([
        { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_1', name: 'computer', arguments: JSON.stringify({ actions: ACTIONS }), providerFields: { dialect: OURS, value: { pending_safety_checks: CHECKS } } }] },
        { role: 'tool', parts: [{ type: 'tool_result', callId: 'call_1', content: [{ type: 'image', data: 'iVBORw0KGgo=', mediaType: 'image/png' }], written: { dialect: OURS, item: batchOut } }] },
        { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_2', name: 'computer', arguments: '{"type":"screenshot"}' }] },
        { role: 'tool', parts: [{ type: 'tool_result', callId: 'call_2', content: [{ type: 'image', url: 'https://shots.example/2.png' }], written: { dialect: OURS, item: oneOut } }] },
      ]);
    });

    it('refuses malformed computer items with the field named', () => {
      const item = (i: Json) => refusal({ input: [{ role: 'user', content: 'go' }, i] });
      const call = { type: 'computer_call', call_id: 'c', status: 'completed', pending_safety_checks: [] };
      const out = { type: 'computer_call_output', call_id: 'c', output: { type: 'computer_screenshot', image_url: SCREENSHOT } };
      expect(item(call).message).to.equal('input[1].action: is required (or a non-empty actions)');
      expect(item({ ...call, actions: [] }).param).to.equal('input[1].action');
      expect(item({ ...call, action: { x: 1 } }).message).to.equal('input[1].action.type: is required');
      expect(item({ ...call, action: { type: 'click', x: '1' } }).param).to.equal('input[1].action.x');
      expect(item({ ...call, actions: [{ type: 'drag', path: [{ x: 1 }] }] }).param).to.equal('input[1].actions[0].path[0].y');
      expect(item({ ...call, action: { type: 'wait' }, pending_safety_checks: [{ code: 'x' }] }).param).to.equal('input[1].pending_safety_checks[0].id');
      expect(item({ ...call, call_id: undefined, action: { type: 'wait' } }).message).to.equal('input[1].call_id: is required');
      expect(item({ ...out, output: { type: 'input_image', image_url: SCREENSHOT } }).param).to.equal('input[1].output.type');
      expect(item({ ...out, output: { type: 'computer_screenshot' } }).message).to.equal('input[1].output.image_url: is required');
      expect(item({ ...out, output: { type: 'computer_screenshot', file_id: 'file_1' } })).to.deep.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', param: 'input[1].output.file_id' });
      expect(item({ ...out, acknowledged_safety_checks: [{}] }).param).to.equal('input[1].acknowledged_safety_checks[0].id');
      expect(item({ ...out, output: undefined }).message).to.equal('input[1].output: is required');
    });
  });

  describe('the answer', () => {
    it('streams a computer call as a computer_call item (added in progress with its safety checks, done whole, no argument events); the SDK accumulates the same item', async () => {
      const encoder = new ResponsesStreamEncoder(contextOf());
      const wire = CALLS.map((e) => encoder.event(e)).join('') + encoder.end();
      const events = checkResponsesWire(wire).map((e) => e.data as Json);
      const added = events.filter((e) => e.type === 'response.output_item.added').map((e) => e.item);
      expect(added[0]).to.deep.equal({ id: added[0].id, type: 'computer_call', status: 'in_progress', call_id: 'call_cu', pending_safety_checks: CHECKS });
      expect(added[0].id).to.match(/^cu_/);
      expect(events.filter((e) => e.type.startsWith('response.function_call_arguments')).every((e) => e.item_id === added[1].id)).to.equal(true);
      const done = events.filter((e) => e.type === 'response.output_item.done').map((e) => e.item);
      expect(done[0]).to.deep.equal({ id: added[0].id, type: 'computer_call', status: 'completed', call_id: 'call_cu', actions: ACTIONS, pending_safety_checks: CHECKS });
      expect(done[1]).to.include({ type: 'function_call', name: 'f' });
      const final = await sdkFinal(wire);
      expect(final.output[0]).to.deep.equal(done[0]);
      expect(final.status).to.equal('completed');
    });

    it('writes the same item whole; a call another provider made (one action, no safety checks) has an action and an empty list', () => {
      const body = encodeResponsesResponse(collectEvents(CALLS), contextOf()) as Json;
      expect(body.output[0]).to.deep.include({ type: 'computer_call', status: 'completed', call_id: 'call_cu', actions: ACTIONS, pending_safety_checks: CHECKS });
      expect(body.output[0].id).to.match(/^cu_/);
      const other: LipEvent[] = [
        { type: 'tool_call_started', id: 'toolu_1', name: 'computer' }, { type: 'tool_call_delta', id: 'toolu_1', args: '{"type":"scroll","x":10,"y":20,"scroll_x":0,"scroll_y":300}' }, { type: 'tool_call_finished', id: 'toolu_1' },
        { type: 'response_finished', reason: 'tool_calls' },
      ];
      const preview = encodeResponsesResponse(collectEvents(other), contextOf({ tools: [PREVIEW] })) as Json;
      expect(preview.output[0]).to.deep.include({ type: 'computer_call', call_id: 'toolu_1', action: { type: 'scroll', x: 10, y: 20, scroll_x: 0, scroll_y: 300 }, pending_safety_checks: [] });
      expect(preview.output[0]).to.not.have.property('actions');
    });

    it('writes arguments a model bent into the item\'s form with what there is, and a call named computer as a function_call when the client declared no computer tool', () => {
      const bent: LipEvent[] = [
        { type: 'tool_call_started', id: 'x', name: 'computer' }, { type: 'tool_call_delta', id: 'x', args: '{"action":{"type":"wait"}}' }, { type: 'tool_call_finished', id: 'x' },
        { type: 'response_finished', reason: 'tool_calls' },
      ];
      expect((encodeResponsesResponse(collectEvents(bent), contextOf()) as Json).output[0]).to.deep.include({ type: 'computer_call', action: { type: 'wait' } });
      const plain = encodeResponsesResponse(collectEvents(bent), contextOf({ tools: [{ type: 'function', name: 'computer' }] })) as Json;
      expect(plain.output[0]).to.include({ type: 'function_call', name: 'computer' });
    });

    it('keeps a stored response\'s computer_call and its input\'s calls and outputs as they were written', () => {
      const out = { type: 'computer_call_output', call_id: 'call_1', output: { type: 'computer_screenshot', image_url: SCREENSHOT }, acknowledged_safety_checks: CHECKS };
      const { call } = decode({ input: [{ type: 'computer_call', call_id: 'call_1', actions: ACTIONS, pending_safety_checks: CHECKS }, out] });
      const items = encodeInputItems(RESPONSE_ID, call.messages);
      expect(items[0]).to.deep.include({ type: 'computer_call', call_id: 'call_1', actions: ACTIONS, pending_safety_checks: CHECKS });
      expect(items[1]).to.deep.include(out);
      expect(items[1]!.id).to.be.a('string');
      const view: StoredResponseView = { id: RESPONSE_ID, previousResponseId: undefined, model: 'gpt-5.4', createdAt: 1_700_000_000_000, input: call.messages, echo: { tools: [PREVIEW] }, output: collectEvents(CALLS) };
      const retrieved = responsesStoredRoutes.retrieve(new URLSearchParams())(view) as Json;
      expect(retrieved.output[0]).to.deep.include({ type: 'computer_call', call_id: 'call_cu', actions: ACTIONS, pending_safety_checks: CHECKS });
    });
  });
});
