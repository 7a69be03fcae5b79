import { expect } from 'chai';
import { HOSTED_DIALECTS, collectEvents, type LipEvent } from '../../../lib/canonical/index.js';
import { LipError } from '../../../lib/errors/index.js';
import { ResponsesStreamEncoder, decodeResponsesRequest, encodeInputItems, encodeResponsesResponse, responsesStoredRoutes } from '../../../lib/frontends/openai-responses/index.js';
import type { EncodeContext, StoredResponseView } from '../../../lib/frontends/protocol.js';
import { checkResponsesWire, sdkFinalResponse as sdkFinal } from './wire-check.js';
import { refusalOf } from '../../helpers/refusal.js';

const OURS = HOSTED_DIALECTS.openaiResponses;
const decode = (body: Record<string, unknown>) => decodeResponsesRequest({ model: 'gpt-x', input: 'plot it', ...body });

const refusal = (body: Record<string, unknown>): LipError => refusalOf(() => decode(body));

const CODE = { type: 'code_interpreter', container: { type: 'auto', file_ids: ['file_1'] } };
const FILES = { type: 'file_search', vector_store_ids: ['vs_1'] };
const IMAGE = { type: 'image_generation', partial_images: 1 };
const WIKI = { type: 'mcp', server_label: 'deepwiki', server_url: 'https://mcp.deepwiki.example/mcp', require_approval: 'never' };
const STRIPE = { type: 'mcp', server_label: 'stripe', server_url: 'https://mcp.stripe.example', headers: { Authorization: 'Bearer x' } };

const CI_ADDED = { id: 'ci_1', type: 'code_interpreter_call', status: 'in_progress', code: '', container_id: 'cntr_1', outputs: null };
const CI_ITEM = { id: 'ci_1', type: 'code_interpreter_call', status: 'completed', code: 'print(2)\n', container_id: 'cntr_1', outputs: [{ type: 'logs', logs: '2\n' }] };
const MCP_ITEM = { id: 'mcp_1', type: 'mcp_call', status: 'completed', server_label: 'deepwiki', name: 'ask', arguments: '{}', output: 'yes', error: null };
const APPROVAL = { type: 'mcp_approval_response', approval_request_id: 'mcpr_1', approve: true };

const RESPONSE_ID = 'resp_0123456789abcdef0123456789abcdef0123456789abcdef';
const start: LipEvent[] = [{ type: 'response_started' }, { type: 'message_started' }];
const finish: LipEvent = { type: 'response_finished', reason: 'stop' };
const ev = (phase: 'added' | 'progress' | 'done', fields: Record<string, unknown>, id = 'ci_1', dialect: string = OURS): LipEvent => ({ type: 'hosted_tool', id, dialect, phase, ...fields });

function contextOf(body: Record<string, unknown> = {}): EncodeContext {
  const decoded = decode({ tools: [CODE, WIKI], ...body });
  return { call: decoded.call, model: undefined, hints: decoded.hints!, requestId: 'r', created: 1_700_000_000, responseId: RESPONSE_ID };
}

function streamed(events: readonly LipEvent[]) {
  const encoder = new ResponsesStreamEncoder(contextOf());
  const wire = events.map((e) => encoder.event(e)).join('') + encoder.end();
  return { wire, events: checkResponsesWire(wire) };
}


describe('frontends/openai-responses hosted tools', () => {
  describe('the request', () => {
    it('decodes code_interpreter, file_search, image_generation and each MCP server into hosted tools, declarations as written', () => {
      const tools = decode({ tools: [CODE, FILES, IMAGE, WIKI, STRIPE, { type: 'function', name: 'f' }] }).call.tools;
      const hostedTool = (name: string, definition: Record<string, unknown>) => ({ name, parameters: {}, kind: 'hosted', providerTool: { dialect: OURS, definition } });
      expect(tools.slice(0, 5)).to.deep.equal([
        hostedTool('code_interpreter', CODE), hostedTool('file_search', FILES), hostedTool('image_generation', IMAGE),
        hostedTool('mcp:deepwiki', WIKI), hostedTool('mcp:stripe', STRIPE),
      ]);
      expect(tools[5]!.name).to.equal('f');
    });

    it('refuses a malformed hosted tool with a 400 naming the field, before anything else', () => {
      expect(refusal({ tools: [{ type: 'code_interpreter' }] })).to.deep.include({ code: 'LIP_ERR_REQUEST_INVALID', param: 'tools[0].container', message: 'tools[0].container: is required' });
      expect(refusal({ tools: [{ type: 'code_interpreter', container: { file_ids: [] } }] })).to.deep.include({ param: 'tools[0].container.type' });
      expect(refusal({ tools: [{ type: 'code_interpreter', container: 7 }] })).to.deep.include({ param: 'tools[0].container' });
      expect(refusal({ tools: [{ type: 'file_search', vector_store_ids: 'vs_1' }] })).to.deep.include({ param: 'tools[0].vector_store_ids' });
      expect(refusal({ tools: [{ type: 'image_generation', partial_images: 5 }] })).to.deep.include({ param: 'tools[0].partial_images' });
      expect(refusal({ tools: [{ type: 'mcp', server_url: 'https://x.example' }] })).to.deep.include({ param: 'tools[0].server_label', message: 'tools[0].server_label: is required' });
      expect(refusal({ tools: [{ type: 'mcp', server_label: ' wiki' }] })).to.deep.include({ param: 'tools[0].server_label' });
      expect(refusal({ tools: [{ type: 'mcp', server_label: 'w', headers: { a: 1 } }] })).to.deep.include({ param: 'tools[0].headers.a' });
    });

    it('one tool per hosted type and one per MCP label; no function under a hosted tool\'s name', () => {
      expect(refusal({ tools: [CODE, CODE] })).to.deep.include({ code: 'LIP_ERR_REQUEST_INVALID', param: 'tools[1].type' });
      expect(refusal({ tools: [WIKI, { ...STRIPE, server_label: 'deepwiki' }] })).to.deep.include({
        param: 'tools[1].server_label', message: 'tools[1].server_label: declares a second MCP server labelled "deepwiki"; labels must be unique',
      });
      expect(refusal({ tools: [{ type: 'function', name: 'code_interpreter' }, CODE] })).to.deep.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', param: 'tools[0].name' });
    });

    it('does not take computer use for a hosted tool: the client runs it (client tools: client-tools.spec.ts, computer-use.spec.ts)', () => {
      const computer = { type: 'computer_use_preview', display_width: 1024, display_height: 768, environment: 'browser' };
      expect(decode({ tools: [computer] }).call.tools[0]).to.deep.include({ name: 'computer', kind: 'provider' });
    });

    it('maps a tool_choice naming a hosted tool onto that tool; what has no canonical form is a precise 400', () => {
      const tools = [CODE, IMAGE, WIKI, { type: 'function', name: 'f' }];
      expect(decode({ tools, tool_choice: { type: 'code_interpreter' } }).call.toolChoice).to.deep.equal({ type: 'tool', name: 'code_interpreter' });
      expect(decode({ tools, tool_choice: { type: 'image_generation' } }).call.toolChoice).to.deep.equal({ type: 'tool', name: 'image_generation' });
      expect(decode({ tools, tool_choice: { type: 'mcp', server_label: 'deepwiki' } }).call.toolChoice).to.deep.equal({ type: 'tool', name: 'mcp:deepwiki' });
      const allowed = { type: 'allowed_tools', mode: 'auto', tools: [{ type: 'mcp', server_label: 'deepwiki' }, { type: 'code_interpreter' }, { type: 'function', name: 'f' }] };
      expect(decode({ tools, tool_choice: allowed }).call.toolChoice).to.deep.equal({ type: 'auto', allowed: ['mcp:deepwiki', 'code_interpreter', 'f'] });
      expect(refusal({ tools, tool_choice: { type: 'mcp', server_label: 'deepwiki', name: 'ask' } })).to.deep.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', param: 'tool_choice.name' });
      expect(refusal({ tools, tool_choice: { type: 'mcp', server_label: 'stripe' } })).to.deep.include({ code: 'LIP_ERR_REQUEST_INVALID', param: 'tool_choice.server_label' });
      expect(refusal({ tools, tool_choice: { type: 'mcp' } })).to.deep.include({ param: 'tool_choice.server_label', message: 'tool_choice.server_label: is required' });
      expect(refusal({ tools, tool_choice: { ...allowed, tools: [{ type: 'mcp' }] } })).to.deep.include({ param: 'tool_choice.tools[0].server_label', message: 'tool_choice.tools[0].server_label: is required' });
      expect(refusal({ tools, tool_choice: { type: 'file_search' } })).to.deep.include({ param: 'tool_choice.type', message: 'tool_choice.type: names the file_search tool, which is not in tools' });
      expect(decode({ tools, tool_choice: { type: 'mcp', server_label: 'deepwiki', name: null } }).call.toolChoice).to.deep.equal({ type: 'tool', name: 'mcp:deepwiki' });
    });

    it('carries the include values of hosted items for the backend, and only those', () => {
      const include = ['code_interpreter_call.outputs', 'reasoning.encrypted_content', 'file_search_call.results', 'message.input_image.image_url', 'code_interpreter_call.outputs'];
      expect(decode({ tools: [CODE], include }).call.providerOptions?.openai).to.deep.equal({ include: ['code_interpreter_call.outputs', 'file_search_call.results'] });
      expect(decode({ tools: [CODE], include: ['reasoning.encrypted_content'] }).call.providerOptions).to.equal(undefined);
      expect(decode({ tools: [CODE], include: ['file_search_call.results'], service_tier: 'flex' }).call.providerOptions?.openai).to.deep.equal({ serviceTier: 'flex', include: ['file_search_call.results'] });
    });

    it('turns hosted items of the history into hosted parts in place, and the approval answer into a user turn', () => {
      const list = { id: 'mcpl_1', type: 'mcp_list_tools', server_label: 'deepwiki', tools: [] };
      const request = { id: 'mcpr_1', type: 'mcp_approval_request', server_label: 'deepwiki', name: 'ask', arguments: '{}' };
      const image = { id: 'ig_1', type: 'image_generation_call', status: 'completed', result: 'iVBO' };
      const search = { id: 'fs_1', type: 'file_search_call', status: 'completed', queries: ['q'], results: null };
      const { call } = decode({
        tools: [CODE, WIKI],
        input: [
          { role: 'user', content: 'plot it' },
          CI_ITEM, { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Plotted.' }] }, image, search, list, MCP_ITEM, request,
          APPROVAL,
          { role: 'user', content: 'thanks' },
        ],
      });
      const part = (block: Record<string, unknown>) => ({ type: 'hosted_tool', dialect: OURS, block });
      expect(call.messages).to.deep.equal([
        { role: 'user', parts: [{ type: 'text', text: 'plot it' }] },
        { role: 'assistant', parts: [part(CI_ITEM), { type: 'text', text: 'Plotted.' }, part(image), part(search), part(list), part(MCP_ITEM), part(request)] },
        { role: 'user', parts: [part(APPROVAL)] },
        { role: 'user', parts: [{ type: 'text', text: 'thanks' }] },
      ]);
    });

    it('refuses a malformed hosted input item with a 400 naming the field', () => {
      expect(refusal({ input: [{ role: 'user', content: 'x' }, { ...CI_ITEM, id: 5 }] })).to.deep.include({ param: 'input[1].id' });
      expect(refusal({ input: [{ role: 'user', content: 'x' }, { type: 'mcp_call', id: 'mcp_1', name: 'ask' }] })).to.deep.include({ param: 'input[1].server_label', message: 'input[1].server_label: is required' });
      expect(refusal({ input: [{ ...APPROVAL, approve: 'yes' }] })).to.deep.include({ param: 'input[0].approve' });
      expect(refusal({ input: [{ role: 'user', content: 'x' }, { type: 'program', id: 'prog_1', call_id: 'c', code: 'return 1;' }] })).to.deep.include({ param: 'input[1].fingerprint' });
    });
  });

  describe('the response', () => {
    const progress = (update: Record<string, unknown>) => ev('progress', { update });

    it('streams a hosted item as the provider did: added, its own events at this stream\'s place, done; the SDK ends with the provider\'s item', async () => {
      const { wire, events } = streamed([
        ...start,
        ev('added', { block: CI_ADDED }),
        progress({ type: 'response.code_interpreter_call.in_progress', item_id: 'ci_1' }),
        progress({ type: 'response.code_interpreter_call_code.delta', item_id: 'ci_1', delta: 'print(2)\n' }),
        progress({ type: 'response.code_interpreter_call_code.done', item_id: 'ci_1', code: 'print(2)\n' }),
        progress({ type: 'response.code_interpreter_call.completed', item_id: 'ci_1' }),
        ev('done', { block: CI_ITEM }),
        { type: 'text_delta', text: 'It printed 2.' },
        finish,
      ]);
      expect(events.slice(2, 8).map((e) => [e.event, e.data.output_index])).to.deep.equal([
        ['response.output_item.added', 0], ['response.code_interpreter_call.in_progress', 0], ['response.code_interpreter_call_code.delta', 0],
        ['response.code_interpreter_call_code.done', 0], ['response.code_interpreter_call.completed', 0], ['response.output_item.done', 0],
      ]);
      expect(events[2]!.data.item).to.deep.equal(CI_ADDED);
      expect(events[4]!.data).to.deep.equal({ type: 'response.code_interpreter_call_code.delta', sequence_number: 4, output_index: 0, item_id: 'ci_1', delta: 'print(2)\n' });
      expect(events[7]!.data.item).to.deep.equal(CI_ITEM);
      expect(events[8]!.data).to.deep.include({ type: 'response.output_item.added', output_index: 1 });
      const final = await sdkFinal(wire);
      expect(final.output[0]).to.deep.equal(CI_ITEM);
      expect(final.output.map((i: { type: string }) => i.type)).to.deep.equal(['code_interpreter_call', 'message']);
      expect(final.output_text).to.equal('It printed 2.');
    });

    it('closes the text before a hosted item, and adds and does at once one reported only done', () => {
      const { events } = streamed([...start, { type: 'text_delta', text: 'Asking.' }, ev('done', { block: MCP_ITEM }, 'mcp_1'), finish]);
      expect(events.slice(2).map((e) => e.event)).to.deep.equal([
        'response.output_item.added', 'response.content_part.added', 'response.output_text.delta', 'response.output_text.done', 'response.content_part.done', 'response.output_item.done',
        'response.output_item.added', 'response.output_item.done', 'response.completed',
      ]);
      expect(events[8]!.data).to.deep.include({ output_index: 1, item: MCP_ITEM });
      expect(events[10]!.data.response.output[1]).to.deep.equal(MCP_ITEM);
    });

    it('an item the response ended before it was done is done as it stands; a failure shows it as added', () => {
      const ended = streamed([...start, ev('added', { block: CI_ADDED }), { type: 'response_finished', reason: 'length' }]).events;
      expect(ended.at(-2)!.data).to.deep.include({ type: 'response.output_item.done', item: CI_ADDED });
      const encoder = new ResponsesStreamEncoder(contextOf());
      const wire = [...start, ev('added', { block: CI_ADDED })].map((e) => encoder.event(e)).join('') + encoder.error(new LipError('LIP_ERR_UPSTREAM_RESET', 'cut'));
      const failed = checkResponsesWire(wire).find((e) => e.event === 'response.failed')!;
      expect(failed.data.response.output).to.deep.equal([CI_ADDED]);
    });

    it('writes nothing for another provider\'s hosted block, a record of the whole message, a stray or unsafe event', () => {
      const { events } = streamed([
        ...start,
        ev('done', { block: { type: 'server_tool_use', id: 'srvtoolu_1', name: 'code_execution', input: {} } }, 'srvtoolu_1', HOSTED_DIALECTS.anthropic),
        ev('done', { block: { type: 'container', id: 'cntr_1' }, scope: 'message' }, 'container'),
        progress({ type: 'response.code_interpreter_call.in_progress', item_id: 'ci_1' }), // before its item
        ev('added', { block: CI_ADDED }),
        progress({ type: 'response.code_interpreter_call.in_progress\nevent: error', item_id: 'ci_1' }),
        progress({ type: 42 }),
        ev('done', { block: CI_ITEM }),
        ev('done', { block: CI_ITEM }),
        finish,
      ]);
      expect(events.slice(2).map((e) => e.event)).to.deep.equal(['response.output_item.added', 'response.output_item.done', 'response.completed']);
    });

    it('puts the item in place in a whole response; later items are numbered after it', () => {
      const events = [...start, { type: 'text_delta', text: 'Plotting.' } as LipEvent, ev('done', { block: CI_ITEM }), ev('done', { block: { type: 'foreign' } }, 'x', HOSTED_DIALECTS.gemini), { type: 'text_delta', text: 'Done.' } as LipEvent, finish];
      const context = contextOf();
      const whole = encodeResponsesResponse(collectEvents(events), context) as { output: Record<string, unknown>[] };
      expect(whole.output.map((i) => i.type)).to.deep.equal(['message', 'code_interpreter_call', 'message']);
      expect(whole.output[1]).to.deep.equal(CI_ITEM);
      // The stream of the same response names the same item ids.
      const encoder = new ResponsesStreamEncoder(context);
      const wire = events.map((e) => encoder.event(e)).join('') + encoder.end();
      const completed = checkResponsesWire(wire).at(-1)!.data.response;
      expect(completed.output).to.deep.equal(whole.output);
    });

    it('keeps hosted items in a stored response and in its input items', () => {
      const input = decode({
        tools: [CODE, WIKI],
        input: [{ role: 'user', content: 'plot it' }, CI_ITEM, { type: 'message', role: 'assistant', content: 'Plotted.' }, APPROVAL, { role: 'user', content: 'and?' }],
      }).call.messages;
      const view: StoredResponseView = {
        id: RESPONSE_ID, previousResponseId: undefined, model: 'gpt-x', createdAt: 1_700_000_000_000, input, echo: {},
        output: collectEvents([...start, ev('done', { block: MCP_ITEM }, 'mcp_1'), { type: 'text_delta', text: 'Yes.' }, finish]),
      };
      const retrieved = responsesStoredRoutes.retrieve(new URLSearchParams())(view) as Record<string, any>;
      expect(retrieved.output[0]).to.deep.equal(MCP_ITEM);
      const items = encodeInputItems(RESPONSE_ID, input);
      expect(items.map((i) => i.type)).to.deep.equal(['message', 'code_interpreter_call', 'message', 'mcp_approval_response', 'message']);
      expect(items[1]).to.deep.equal(CI_ITEM);
      expect(items[3]).to.deep.include(APPROVAL);
      expect(items[3]!.id).to.be.a('string').and.match(/^hti_/);
      expect(new Set(items.map((i) => i.id)).size).to.equal(items.length);
    });
  });
});
