import { expect } from 'chai';
import { collectEvents, type Call, type LipEvent } from '../../../lib/canonical/index.js';
import type { LipError } from '../../../lib/errors/index.js';
import { AnthropicStreamEncoder, decodeMessagesRequest, encodeMessagesResponse } from '../../../lib/frontends/anthropic/index.js';
import type { EncodeContext } from '../../../lib/frontends/protocol.js';
import { refusalOf } from '../../helpers/refusal.js';
import { accumulate, checkAnthropicWire, type AnthropicEvent } from './wire-check.js';

const HOSTED = 'anthropic.server_tool';
const base = { model: 'claude-x', max_tokens: 256 };
const decode = (body: Record<string, unknown>): Call => decodeMessagesRequest({ ...base, messages: [{ role: 'user', content: 'q' }], ...body }).call;
const decodeError = (body: Record<string, unknown>): LipError => refusalOf(() => decode(body));

const CODE = { type: 'code_execution_20250825', name: 'code_execution' };
const FETCH = { type: 'web_fetch_20250910', name: 'web_fetch', max_uses: 2, allowed_domains: ['example.com'], citations: { enabled: true }, max_content_tokens: 5000 };
const USE = { type: 'server_tool_use', id: 'srvtoolu_01', name: 'bash_code_execution', input: { command: 'ls -la' } };
const RAN = { type: 'bash_code_execution_tool_result', tool_use_id: 'srvtoolu_01', content: { type: 'bash_code_execution_result', stdout: 'a.txt\n', stderr: '', return_code: 0, content: [] } };
const FETCH_USE = { type: 'server_tool_use', id: 'srvtoolu_02', name: 'web_fetch', input: { url: 'https://example.com/a' } };
const FETCHED = {
  type: 'web_fetch_tool_result', tool_use_id: 'srvtoolu_02',
  content: {
    type: 'web_fetch_result', url: 'https://example.com/a', retrieved_at: '2025-09-10T00:00:00Z',
    content: { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'Example page' }, title: 'A', citations: null },
  },
};
const CONTAINER = { id: 'container_011CQ', expires_at: '2025-09-10T01:00:00Z', skills: null };

const contextOf = (call: Call): EncodeContext => ({ call, model: undefined, hints: {}, requestId: 'r', created: 1700000000 });
const start: LipEvent[] = [{ type: 'response_started' }, { type: 'message_started' }];
const hosted = (id: string, phase: 'added' | 'progress' | 'done', fields: Record<string, unknown>): LipEvent => ({ type: 'hosted_tool', id, dialect: HOSTED, phase, ...fields });
const inputDelta = (partial_json: string) => ({ update: { type: 'content_block_delta', delta: { type: 'input_json_delta', partial_json } } });

/** The SSE a streaming client gets and the whole answer, for the same events. */
function both(events: readonly LipEvent[], call: Call = decode({ tools: [CODE] })) {
  const encoder = new AnthropicStreamEncoder(contextOf(call));
  const wire = checkAnthropicWire(events.map((e) => encoder.event(e)).join('') + encoder.end());
  const answer = encodeMessagesResponse(collectEvents(events), contextOf(call));
  return { wire, streamed: accumulate(wire), answer, content: answer.content as Record<string, unknown>[] };
}
const frames = (wire: readonly AnthropicEvent[], name: string) => wire.filter((e) => e.event === name).map((e) => e.data);

describe('frontends/anthropic hosted server tools (web fetch, code execution, tool search)', () => {
  describe('the tools', () => {
    it('declares each family as a hosted tool: the declaration as written less cache_control (the cache mark), later versions too', () => {
      const tools = [
        { ...CODE, cache_control: { type: 'ephemeral', ttl: '1h' } }, FETCH,
        { type: 'code_execution_20260521', name: 'code_execution', allowed_callers: ['direct'], defer_loading: false },
        { type: 'web_fetch_20260318', name: 'web_fetch', use_cache: true, response_inclusion: 'excluded' },
        { type: 'tool_search_tool_regex_20251119', name: 'tool_search_tool_regex' }, { type: 'tool_search_tool_bm25', name: 'tool_search_tool_bm25' },
        { type: 'tool_search_tool_bm25_20270101', name: 'tool_search_tool_bm25' },
      ];
      const declared = decode({ tools }).tools;
      expect(declared[0]).to.deep.equal({ name: 'code_execution', kind: 'hosted', parameters: {}, providerTool: { dialect: HOSTED, definition: CODE }, cache: { ttl: '1h' } });
      expect(declared.slice(1).map((t) => [t.kind, t.name, t.providerTool])).to.deep.equal(tools.slice(1).map((t) => ['hosted', t.name, { dialect: HOSTED, definition: t }]));
    });

    it('checks the types of web fetch options and the callers field with a 400 naming the field; other server tools stay refused', () => {
      expect(decodeError({ tools: [{ ...FETCH, max_uses: 'two' }] })).to.deep.include({ status: 400, code: 'LIP_ERR_REQUEST_INVALID', param: 'tools[0].max_uses' });
      expect(decodeError({ tools: [{ ...FETCH, allowed_domains: 'example.com' }] })).to.deep.include({ param: 'tools[0].allowed_domains' });
      expect(decodeError({ tools: [CODE, { ...FETCH, citations: true }] })).to.deep.include({ param: 'tools[1].citations' });
      expect(decodeError({ tools: [{ ...CODE, allowed_callers: 'direct' }] })).to.deep.include({ param: 'tools[0].allowed_callers' });
      expect(decodeError({ tools: [{ ...CODE, name: 7 }] })).to.deep.include({ param: 'tools[0].name' });
      const imaginary = decodeError({ tools: [CODE, { type: 'imaginary_tool_20991231', name: 'imaginary' }] });
      expect(imaginary).to.deep.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', param: 'tools[1].type' });
      expect(imaginary.message).to.contain('"imaginary_tool_20991231" server tools are not supported');
    });
  });

  describe('the history', () => {
    it('keeps the blocks of an assistant turn in place as hosted parts, as written (cache_control included)', () => {
      const marked = { ...RAN, cache_control: { type: 'ephemeral' } };
      const call = decode({
        tools: [CODE, FETCH],
        messages: [
          { role: 'user', content: 'List the files, then read example.com/a.' },
          { role: 'assistant', content: [{ type: 'text', text: 'Listing.' }, USE, marked, FETCH_USE, FETCHED, { type: 'text', text: 'Done.' }] },
          { role: 'user', content: 'Thanks' },
        ],
      });
      expect(call.messages[1]!.parts).to.deep.equal([
        { type: 'text', text: 'Listing.' },
        { type: 'hosted_tool', dialect: HOSTED, block: USE }, { type: 'hosted_tool', dialect: HOSTED, block: marked },
        { type: 'hosted_tool', dialect: HOSTED, block: FETCH_USE }, { type: 'hosted_tool', dialect: HOSTED, block: FETCHED },
        { type: 'text', text: 'Done.' },
      ]);
    });

    it('passes every result kind, a tool search result with its tool_reference blocks, and container_upload in either turn', () => {
      const search = { type: 'tool_search_tool_result', tool_use_id: 'srvtoolu_03', content: { type: 'tool_search_tool_search_result', tool_references: [{ type: 'tool_reference', tool_name: 'get_weather' }] } };
      const editor = { type: 'text_editor_code_execution_tool_result', tool_use_id: 'srvtoolu_04', content: { type: 'text_editor_code_execution_create_result', is_file_update: false } };
      const python = { type: 'code_execution_tool_result', tool_use_id: 'srvtoolu_05', content: { type: 'code_execution_tool_result_error', error_code: 'unavailable' } };
      const upload = { type: 'container_upload', file_id: 'file_011' };
      const call = decode({
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'Analyse this.' }, upload] },
          { role: 'assistant', content: [search, editor, python, upload] },
        ],
      });
      expect(call.messages.map((m) => [m.role, m.parts.map((p) => (p.type === 'hosted_tool' ? p.block.type : p.type))])).to.deep.equal([
        ['user', ['text', 'container_upload']],
        ['assistant', ['tool_search_tool_result', 'text_editor_code_execution_tool_result', 'code_execution_tool_result', 'container_upload']],
      ]);
      expect(call.messages[1]!.parts[0]).to.deep.equal({ type: 'hosted_tool', dialect: HOSTED, block: search });
    });

    it('refuses with a 400 naming the block: a result in a user turn, a result without its tool_use_id or content, an upload without its file; the blocks lip cannot carry keep their own 400', () => {
      const turn = (content: unknown[], role = 'assistant') => decodeError({ messages: [{ role: 'user', content: 'q' }, { role, content }] });
      expect(turn([RAN], 'user')).to.deep.include({ code: 'LIP_ERR_REQUEST_INVALID', message: 'messages[1].content[0].type: bash_code_execution_tool_result blocks belong in assistant messages' });
      expect(turn([{ ...RAN, tool_use_id: '' }])).to.deep.include({ code: 'LIP_ERR_REQUEST_INVALID', param: 'messages[1].content[0].tool_use_id' });
      expect(turn([{ type: 'web_fetch_tool_result', tool_use_id: 'x' }])).to.deep.include({ param: 'messages[1].content[0].content' });
      expect(turn([{ ...FETCHED, content: 'page' }])).to.deep.include({ param: 'messages[1].content[0].content' });
      expect(turn([{ type: 'container_upload' }], 'user')).to.deep.include({ param: 'messages[1].content[0].file_id' });
      expect(turn([{ ...USE, id: 7 }])).to.deep.include({ param: 'messages[1].content[0].id' });
      expect(turn([{ type: 'fallback', to: { model: 'claude-opus-4-6' } }])).to.deep.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', param: 'messages[1].content[0].type' });
      expect(turn([{ type: 'tool_reference', tool_name: 'f' }])).to.deep.include({ code: 'LIP_ERR_REQUEST_INVALID', message: 'messages[1].content[0].type: tool_reference blocks belong in the content of a tool_result' });
    });

    it('puts the automatic cache breakpoint on a trailing hosted block as its cache_control; one it already has counts as a breakpoint', () => {
      const upload = { type: 'container_upload', file_id: 'file_011' };
      const call = decode({ cache_control: { type: 'ephemeral', ttl: '5m' }, messages: [{ role: 'user', content: [{ type: 'text', text: 'Here.' }, upload] }] });
      expect(call.messages[0]!.parts).to.deep.equal([
        { type: 'text', text: 'Here.' },
        { type: 'hosted_tool', dialect: HOSTED, block: { ...upload, cache_control: { type: 'ephemeral', ttl: '5m' } } },
      ]);
      const own = { ...upload, cache_control: { type: 'ephemeral' } };
      expect(decode({ cache_control: { type: 'ephemeral' }, messages: [{ role: 'user', content: [own] }] }).messages[0]!.parts).to.deep.equal([{ type: 'hosted_tool', dialect: HOSTED, block: own }]);
      const marks = [1, 2, 3].map((n) => ({ type: 'text', text: `t${n}`, cache_control: { type: 'ephemeral' } }));
      expect(decodeError({ cache_control: { type: 'ephemeral' }, messages: [{ role: 'user', content: [...marks, own, { type: 'text', text: 'last' }] }] })).to.deep.include({ param: 'cache_control' });
    });
  });

  describe('the encoders', () => {
    const streamedUse: LipEvent[] = [
      hosted('srvtoolu_01', 'added', { block: { ...USE, input: {} } }),
      hosted('srvtoolu_01', 'progress', inputDelta('{"command":')), hosted('srvtoolu_01', 'progress', inputDelta('"ls -la"}')),
      hosted('srvtoolu_01', 'done', { block: USE }),
      hosted('srvtoolu_01:bash_code_execution_tool_result', 'added', { block: RAN }), hosted('srvtoolu_01:bash_code_execution_tool_result', 'done', { block: RAN }),
    ];

    it('streams the blocks as the upstream did (the start, its input deltas, the stop) and puts them in place in the whole answer, the container with both', () => {
      const { wire, streamed, content, answer } = both([
        ...start, { type: 'text_delta', text: 'Listing. ' }, ...streamedUse, { type: 'text_delta', text: 'One file.' },
        hosted(CONTAINER.id, 'done', { block: CONTAINER, scope: 'message' }), { type: 'response_finished', reason: 'stop' },
      ]);
      const expected = [{ type: 'text', text: 'Listing. ' }, USE, RAN, { type: 'text', text: 'One file.' }];
      expect(streamed).to.deep.equal(expected);
      expect(content).to.deep.equal(expected);
      expect(frames(wire, 'content_block_start')[1]).to.deep.equal({ type: 'content_block_start', index: 1, content_block: { ...USE, input: {} } });
      expect(frames(wire, 'content_block_delta').filter((d) => d.index === 1).map((d) => d.delta)).to.deep.equal([
        { type: 'input_json_delta', partial_json: '{"command":' }, { type: 'input_json_delta', partial_json: '"ls -la"}' },
      ]);
      expect(frames(wire, 'message_delta')[0]!.delta).to.deep.equal({ stop_reason: 'end_turn', stop_sequence: null, container: CONTAINER });
      expect(answer.container).to.deep.equal(CONTAINER);
      expect(answer.stop_reason).to.equal('end_turn');
    });

    it('writes a block that comes only done (a whole upstream answer) whole: a server_tool_use as an empty input and one input_json_delta', () => {
      const { wire, streamed, content } = both([
        ...start, hosted('srvtoolu_02', 'done', { block: FETCH_USE }), hosted('srvtoolu_02:web_fetch_tool_result', 'done', { block: FETCHED }),
        { type: 'text_delta', text: 'It says hello.' }, { type: 'usage', usage: { inputTokens: 9, outputTokens: 3 } }, { type: 'response_finished', reason: 'stop' },
      ], decode({ tools: [FETCH] }));
      expect(streamed).to.deep.equal([FETCH_USE, FETCHED, { type: 'text', text: 'It says hello.' }]);
      expect(content).to.deep.equal(streamed);
      expect(wire.slice(2, 7).map((e) => [e.event, e.data.content_block ?? e.data.delta])).to.deep.equal([
        ['content_block_start', { ...FETCH_USE, input: {} }], ['content_block_delta', { type: 'input_json_delta', partial_json: '{"url":"https://example.com/a"}' }],
        ['content_block_stop', undefined], ['content_block_start', FETCHED], ['content_block_stop', undefined],
      ]);
      // A fetched page counts as Anthropic counts it; without a container, no container field.
      const usage = {
        input_tokens: 9, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, cache_creation: null, output_tokens: 3, output_tokens_details: null,
        server_tool_use: { web_search_requests: 0, web_fetch_requests: 1 }, service_tier: null, inference_geo: null, speed: null,
      };
      expect(frames(wire, 'message_delta')[0]).to.deep.equal({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage });
      expect(both([...start, hosted('srvtoolu_02', 'done', { block: FETCH_USE }), hosted('r', 'done', { block: FETCHED }), { type: 'response_finished', reason: 'stop' }]).answer).to.not.have.property('container');
    });

    it('holds text that arrives while a hosted block is open until it stops, and sends an input only the done block carries', () => {
      const { wire, streamed } = both([
        ...start, hosted('srvtoolu_01', 'added', { block: { ...USE, input: {} } }), { type: 'text_delta', text: 'meanwhile' },
        hosted('srvtoolu_01', 'done', { block: USE }), { type: 'response_finished', reason: 'stop' },
      ]);
      expect(streamed).to.deep.equal([USE, { type: 'text', text: 'meanwhile' }]);
      expect(wire.map((e) => e.event).slice(2, 8)).to.deep.equal(['content_block_start', 'content_block_delta', 'content_block_stop', 'content_block_start', 'content_block_delta', 'content_block_stop']);
    });

    it('stops a block the answer ended inside (left out of the whole answer), and leaves out another provider\'s hosted blocks', () => {
      const foreign: LipEvent = { type: 'hosted_tool', id: 'ci_1', dialect: 'openai.responses.hosted_tool', phase: 'done', block: { type: 'code_interpreter_call', id: 'ci_1' } };
      const { streamed, content } = both([
        ...start, foreign, { type: 'text_delta', text: 'Running.' }, hosted('srvtoolu_01', 'added', { block: { ...USE, input: {} } }),
        hosted('srvtoolu_01', 'progress', inputDelta('{"command":"ls"}')), { type: 'response_finished', reason: 'length' },
      ]);
      expect(streamed).to.deep.equal([{ type: 'text', text: 'Running.' }, { ...USE, input: { command: 'ls' } }]);
      expect(content).to.deep.equal([{ type: 'text', text: 'Running.' }]);
    });

    it('ignores malformed hosted events (progress of a block never added, a delta that is not an object, a repeated add) without breaking the stream', () => {
      const { streamed } = both([
        ...start, hosted('x', 'progress', inputDelta('{}')), hosted('srvtoolu_01', 'added', { block: { ...USE, input: {} } }),
        hosted('srvtoolu_01', 'added', { block: { ...USE, input: {} } }), hosted('srvtoolu_01', 'progress', { update: { type: 'content_block_delta', delta: 'oops' } }),
        hosted('srvtoolu_01', 'progress', { update: { type: 'something_else' } }), hosted('srvtoolu_01', 'done', { block: USE }), { type: 'response_finished', reason: 'stop' },
      ]);
      expect(streamed).to.deep.equal([USE]);
    });
  });
});
