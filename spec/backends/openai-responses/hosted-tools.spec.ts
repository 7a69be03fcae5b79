import { expect } from 'chai';
import { codexOptions, encodeCodexRequest } from '../../../lib/backends/openai-codex/index.js';
import { ResponsesResponseDecoder, ResponsesStreamDecoder, encodeResponsesRequest, responsesOptions } from '../../../lib/backends/openai-responses/index.js';
import { HOSTED_DIALECTS, collectEvents, emptyCall, validateSequence, type Call, type HostedToolEvent, type LipEvent, type ToolDefinition } from '../../../lib/canonical/index.js';
import { LipError } from '../../../lib/errors/index.js';
import { openaiResponsesProtocol, type Script } from '../../helpers/emulators/index.js';
import { decodeBothWays, recorded, thrownBy } from '../decode-both-ways.js';
import { decodeResponsesFrames } from './decode-frames.js';

const OURS = HOSTED_DIALECTS.openaiResponses;
const options = responsesOptions({ id: 'b', kind: 'openai-responses', models: [] });
const hosted = (definition: Record<string, unknown>, name = String(definition.type)): ToolDefinition => ({ name, parameters: {}, kind: 'hosted', providerTool: { dialect: OURS, definition } });
const call = (overrides: Partial<Call>): Call => emptyCall({ model: 'x', messages: [{ role: 'user', parts: [{ type: 'text', text: 'plot it' }] }], ...overrides });
const part = (block: Record<string, unknown>, dialect: string = OURS) => ({ type: 'hosted_tool' as const, dialect, block });

const CODE = { type: 'code_interpreter', container: { type: 'auto', memory_limit: '4g' } };
const IMAGE = { type: 'image_generation', partial_images: 2, size: '1024x1024' };
const MCP = { type: 'mcp', server_label: 'deepwiki', server_url: 'https://mcp.deepwiki.example/mcp', require_approval: 'never' };
const FILES = { type: 'file_search', vector_store_ids: ['vs_1'], max_num_results: 4 };

/** Items as OpenAI writes them in a response's output. */
const CI_ITEM = {
  id: 'ci_1', type: 'code_interpreter_call', status: 'completed', container_id: 'cntr_1',
  code: 'import math\nprint(math.sqrt(2))\n', outputs: [{ type: 'logs', logs: '1.4142135623730951\n' }],
};
const FS_ITEM = { id: 'fs_1', type: 'file_search_call', status: 'completed', queries: ['refund policy'], results: [{ file_id: 'file_1', filename: 'policy.pdf', score: 0.9, text: 'Refunds within 30 days.' }] };
const IG_ITEM = { id: 'ig_1', type: 'image_generation_call', status: 'completed', result: 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB', revised_prompt: 'a red square', size: '1024x1024', output_format: 'png' };
const LIST_ITEM = { id: 'mcpl_1', type: 'mcp_list_tools', server_label: 'deepwiki', tools: [{ name: 'ask_question', input_schema: { type: 'object' }, description: 'Ask' }] };
const MCP_ITEM = { id: 'mcp_1', type: 'mcp_call', status: 'completed', server_label: 'deepwiki', name: 'ask_question', arguments: '{"repo":"a/b"}', output: 'It is a proxy.', error: null, approval_request_id: null };
const APPROVAL_ITEM = { id: 'mcpr_1', type: 'mcp_approval_request', server_label: 'deepwiki', name: 'ask_question', arguments: '{"repo":"a/b"}' };

const decode = decodeResponsesFrames;
const hostedOf = (events: readonly LipEvent[]) => events.filter((e): e is HostedToolEvent => e.type === 'hosted_tool');
const created = { type: 'response.created', response: { id: 'resp_1', model: 'gpt-5', status: 'in_progress' } };
const completed = (output: unknown[] = []) => ({ type: 'response.completed', response: { status: 'completed', output } });

describe('backends/openai-responses hosted tools', () => {
  describe('the request', () => {
    it('sends each hosted tool as declared, with the include values of their items', () => {
      const body = encodeResponsesRequest(call({
        tools: [hosted(CODE), hosted(FILES), hosted(IMAGE), hosted(MCP, 'mcp:deepwiki'), { name: 'f', parameters: { type: 'object' } }],
        providerOptions: { openai: { include: ['code_interpreter_call.outputs', 'file_search_call.results'] } },
        options: { logprobs: 0 },
      }), 'gpt-5', options);
      expect(body.tools).to.deep.equal([CODE, FILES, IMAGE, MCP, { type: 'function', name: 'f', parameters: { type: 'object' }, strict: false }]);
      expect(body.include).to.deep.equal(['message.output_text.logprobs', 'code_interpreter_call.outputs', 'file_search_call.results']);
      expect(body.tool_choice).to.equal('auto');
    });

    it('asks for hosted items\' include values only when the call declares a hosted tool', () => {
      const body = encodeResponsesRequest(call({ providerOptions: { openai: { include: ['code_interpreter_call.outputs'] } } }), 'gpt-5', options);
      expect(body).not.to.have.property('include');
    });

    it('writes a tool choice of a hosted tool back in OpenAI\'s form: by type, an MCP server by its label', () => {
      const tools = [hosted(CODE), hosted(MCP, 'mcp:deepwiki'), { name: 'f', parameters: { type: 'object' } }];
      const choice = (toolChoice: Call['toolChoice']) => encodeResponsesRequest(call({ tools, toolChoice }), 'gpt-5', options).tool_choice;
      expect(choice({ type: 'tool', name: 'code_interpreter' })).to.deep.equal({ type: 'code_interpreter' });
      expect(choice({ type: 'tool', name: 'mcp:deepwiki' })).to.deep.equal({ type: 'mcp', server_label: 'deepwiki' });
      expect(choice({ type: 'any', allowed: ['mcp:deepwiki', 'f'] })).to.deep.equal({
        type: 'allowed_tools', mode: 'required', tools: [{ type: 'mcp', server_label: 'deepwiki' }, { type: 'function', name: 'f' }],
      });
    });

    it('sends hosted items of the history as input items, as written and in place; the approval answer on the user side', () => {
      const body = encodeResponsesRequest(call({
        tools: [hosted(CODE), hosted(MCP, 'mcp:deepwiki')],
        messages: [
          { role: 'user', parts: [{ type: 'text', text: 'plot it' }] },
          { role: 'assistant', parts: [{ type: 'text', text: 'Running.' }, part(CI_ITEM), part(LIST_ITEM), part(APPROVAL_ITEM)] },
          { role: 'user', parts: [part({ type: 'mcp_approval_response', approval_request_id: 'mcpr_1', approve: true }), { type: 'text', text: 'go on' }] },
        ],
      }), 'gpt-5', options);
      expect(body.input).to.deep.equal([
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'plot it' }] },
        { type: 'message', role: 'assistant', content: 'Running.' },
        CI_ITEM, LIST_ITEM, APPROVAL_ITEM,
        { type: 'mcp_approval_response', approval_request_id: 'mcpr_1', approve: true },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'go on' }] },
      ]);
    });

    it('refuses another provider\'s hosted tool before sending, retryable, and leaves its history parts out', () => {
      const foreign: ToolDefinition = { name: 'code_execution', parameters: {}, kind: 'hosted', providerTool: { dialect: HOSTED_DIALECTS.anthropic, definition: { type: 'code_execution_20250825', name: 'code_execution' } } };
      const err = thrownBy(() => encodeResponsesRequest(call({ tools: [foreign] }), 'gpt-5', options));
      expect(err).to.be.instanceOf(LipError);
      expect(err).to.deep.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', retryable: true });
      const body = encodeResponsesRequest(call({
        messages: [{ role: 'user', parts: [{ type: 'text', text: 'a' }] }, { role: 'assistant', parts: [part({ type: 'server_tool_use', id: 'srvtoolu_1' }, HOSTED_DIALECTS.anthropic), { type: 'text', text: 'b' }] }],
      }), 'gpt-5', options);
      expect(body.input).to.deep.equal([
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'a' }] },
        { type: 'message', role: 'assistant', content: 'b' },
      ]);
    });

    it('the openai-codex backend still refuses them', () => {
      const err = thrownBy(() => encodeCodexRequest(call({ tools: [hosted(CODE)] }), 'gpt-5', codexOptions({ id: 'cx', kind: 'openai-codex', models: [] }), { conversationId: 'c', turn: 0, bump: false }));
      expect(err).to.deep.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', retryable: true });
    });
  });

  describe('the answer', () => {
    const families: [string, Script['hosted'], Record<string, unknown>[], string[]][] = [
      ['code interpreter', [CI_ITEM], [CODE], [
        'response.code_interpreter_call.in_progress', 'response.code_interpreter_call_code.delta', 'response.code_interpreter_call_code.delta',
        'response.code_interpreter_call_code.done', 'response.code_interpreter_call.interpreting', 'response.code_interpreter_call.completed',
      ]],
      ['file search', [FS_ITEM], [FILES], ['response.file_search_call.in_progress', 'response.file_search_call.searching', 'response.file_search_call.completed']],
      ['image generation', [IG_ITEM], [IMAGE], [
        'response.image_generation_call.in_progress', 'response.image_generation_call.generating', 'response.image_generation_call.partial_image',
        'response.image_generation_call.partial_image', 'response.image_generation_call.completed',
      ]],
      ['remote MCP', [LIST_ITEM, MCP_ITEM], [MCP], [
        'response.mcp_list_tools.in_progress', 'response.mcp_list_tools.completed',
        'response.mcp_call.in_progress', 'response.mcp_call_arguments.delta', 'response.mcp_call_arguments.done', 'response.mcp_call.completed',
      ]],
      ['an MCP approval request', [LIST_ITEM, APPROVAL_ITEM], [MCP], ['response.mcp_list_tools.in_progress', 'response.mcp_list_tools.completed']],
    ];
    for (const [family, items, tools, updates] of families) {
      it(`${family}: added, each of the item's own events as progress, done with the item; a whole answer only done, in output order`, () => {
        const request = recorded({ model: 'gpt-5', stream: true, tools, include: ['code_interpreter_call.outputs', 'file_search_call.results'] });
        const script: Script = { hosted: items, text: 'Done.' };
        const both = decodeBothWays(openaiResponsesProtocol, script, request, () => new ResponsesStreamDecoder('b', []), () => new ResponsesResponseDecoder('b', []));
        expect(both.violations).to.deep.equal([]);
        const streamed = hostedOf(both.streamed);
        const ids = items!.map((i) => i.id);
        expect(streamed.filter((e) => e.phase === 'added').map((e) => e.id)).to.deep.equal(ids);
        expect(streamed.filter((e) => e.phase === 'done').map((e) => [e.id, e.block])).to.deep.equal(items!.map((i) => [i.id, i]));
        const progress = streamed.filter((e) => e.phase === 'progress');
        expect(progress.map((e) => e.update!.type)).to.deep.equal(updates);
        for (const e of progress) {
          expect(e.update).not.to.have.any.keys('sequence_number', 'output_index');
          expect(e.update!.item_id).to.equal(e.id);
          expect(e.dialect).to.equal(OURS);
        }
        const whole = hostedOf(both.whole);
        expect(whole.map((e) => [e.phase, e.id, e.block])).to.deep.equal(items!.map((i) => ['done', i.id, i]));
        // Either way the collected response holds the items done, before the text.
        const collected = collectEvents(both.streamed);
        expect(collected.blocks.map((b) => b.type)).to.deep.equal([...items!.map(() => 'hosted_tool'), 'text']);
        expect(collected.blocks).to.deep.equal(collectEvents(both.whole).blocks);
      });
    }

    it('carries a code delta and a partial image in the update as the provider sent them', () => {
      const events = decode([
        created,
        { type: 'response.output_item.added', sequence_number: 2, output_index: 0, item: { id: 'ig_1', type: 'image_generation_call', status: 'in_progress', result: null } },
        { type: 'response.image_generation_call.partial_image', sequence_number: 3, output_index: 0, item_id: 'ig_1', partial_image_index: 0, partial_image_b64: 'iVBO' },
        { type: 'response.output_item.done', sequence_number: 4, output_index: 0, item: IG_ITEM },
        completed([IG_ITEM]),
      ]);
      expect(validateSequence(events)).to.deep.equal([]);
      expect(hostedOf(events)).to.deep.equal([
        { type: 'hosted_tool', id: 'ig_1', dialect: OURS, phase: 'added', block: { id: 'ig_1', type: 'image_generation_call', status: 'in_progress', result: null } },
        { type: 'hosted_tool', id: 'ig_1', dialect: OURS, phase: 'progress', update: { type: 'response.image_generation_call.partial_image', item_id: 'ig_1', partial_image_index: 0, partial_image_b64: 'iVBO' } },
        { type: 'hosted_tool', id: 'ig_1', dialect: OURS, phase: 'done', block: IG_ITEM },
      ]);
    });

    it('a malformed or stray hosted item crashes nothing: named by its place without an id, stray events dropped, an unknown item type left out', () => {
      const events = decode([
        created,
        { type: 'response.code_interpreter_call.in_progress', output_index: 0, item_id: 'ci_x' }, // before its item
        { type: 'response.output_item.added', output_index: 0, item: { type: 'code_interpreter_call', status: 'in_progress', code: 7 } },
        { type: 'response.code_interpreter_call_code.delta', output_index: 0, item_id: { not: 'an id' }, delta: 'x' },
        { type: 'response.output_item.added', output_index: 0, item: { type: 'code_interpreter_call' } }, // added twice
        { type: 'response.output_item.done', output_index: 0, item: { type: 'code_interpreter_call', status: 'completed', code: null, outputs: 'garbage' } },
        { type: 'response.code_interpreter_call.completed', output_index: 0, item_id: 'hosted_0' }, // after done
        { type: 'response.output_item.done', output_index: 0, item: { type: 'code_interpreter_call' } }, // done twice
        { type: 'response.output_item.added', output_index: 1, item: { id: 'fut_1', type: 'future_tool_call' } },
        { type: 'response.future_tool_call.searching', output_index: 1, item_id: 'fut_1' },
        { type: 'response.output_item.added', output_index: 2, item: 'not an item' },
        { type: 'response.mcp_call.completed', output_index: 9, item_id: 'mcp_unknown' },
        completed(),
      ]);
      expect(validateSequence(events)).to.deep.equal([]);
      expect(hostedOf(events).map((e) => [e.id, e.phase, e.update?.type])).to.deep.equal([
        ['hosted_0', 'added', undefined],
        ['hosted_0', 'progress', 'response.code_interpreter_call_code.delta'],
        ['hosted_0', 'done', undefined],
      ]);
    });

    it('an item still open at the end is done as the final response lists it', () => {
      const events = decode([
        created,
        { type: 'response.output_item.added', output_index: 0, item: { ...MCP_ITEM, status: 'in_progress', output: null } },
        completed([MCP_ITEM]),
      ]);
      expect(validateSequence(events)).to.deep.equal([]);
      expect(hostedOf(events).map((e) => [e.phase, e.block])).to.deep.equal([['added', { ...MCP_ITEM, status: 'in_progress', output: null }], ['done', MCP_ITEM]]);
    });

    it('a whole answer with a malformed hosted item is passed as data', () => {
      const out: LipEvent[] = [];
      new ResponsesResponseDecoder('b', []).decode({ id: 'r', status: 'completed', output: [null, { type: 'mcp_call', id: 5 }, { type: 'message', content: [{ type: 'output_text', text: 'ok' }] }] }, out);
      expect(validateSequence(out)).to.deep.equal([]);
      expect(hostedOf(out)).to.deep.equal([{ type: 'hosted_tool', id: '5', dialect: OURS, phase: 'done', block: { type: 'mcp_call', id: 5 } }]);
    });
  });
});
