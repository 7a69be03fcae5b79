import { expect } from 'chai';
import { codexOptions, encodeCodexRequest } from '../../../lib/backends/openai-codex/index.js';
import { ResponsesResponseDecoder, ResponsesStreamDecoder, encodeResponsesRequest, responsesOptions } from '../../../lib/backends/openai-responses/index.js';
import {
  CALLER_DIALECTS, HOSTED_DIALECTS, TOOL_DIALECTS, collectEvents, emptyCall,
  type Call, type HostedToolEvent, type HostedToolPart, type LipEvent, type Message, type ToolCallStartedEvent, type ToolDefinition,
} from '../../../lib/canonical/index.js';
import { openaiResponsesProtocol, type Script } from '../../helpers/emulators/index.js';
import { decodeBothWays, recorded, thrownBy } from '../decode-both-ways.js';

type Json = Record<string, any>;

const OURS = HOSTED_DIALECTS.openaiResponses;
const options = responsesOptions({ id: 'b', kind: 'openai-responses', models: [] });
const codex = (c: Call) => encodeCodexRequest(c, 'gpt-5.4', codexOptions({ id: 'cx', kind: 'openai-codex', models: [] }), { conversationId: 'c', turn: 0, bump: false });
const ask: Message = { role: 'user', parts: [{ type: 'text', text: 'Paris minus Oslo?' }] };
const call = (overrides: Partial<Call>): Call => emptyCall({ model: 'x', messages: [ask], ...overrides });
const part = (block: Json, extra: Partial<HostedToolPart> = {}): HostedToolPart => ({ type: 'hosted_tool', dialect: OURS, block, ...extra });

const PTC: ToolDefinition = { name: 'programmatic_tool_calling', parameters: {}, kind: 'hosted', providerTool: { dialect: OURS, definition: { type: 'programmatic_tool_calling' } } };
const WEATHER: ToolDefinition = { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, providerOptions: { openai: { allowedCallers: ['programmatic'] } } };
const NOTE: ToolDefinition = { name: 'note', parameters: {}, kind: 'custom', providerOptions: { openai: { allowedCallers: ['direct', 'programmatic'] } } };
const BY_PROGRAM = { type: 'program', caller_id: 'call_prog1' };
const caller = { dialect: CALLER_DIALECTS.openaiResponses, value: BY_PROGRAM };
const PROGRAM = { id: 'prog_1', type: 'program', call_id: 'call_prog1', code: 'return (await get_weather({city: "Paris"})).temp;', fingerprint: 'fp_0123abcd' };
const PROGRAM_OUTPUT = { id: 'progo_1', type: 'program_output', call_id: 'call_prog1', result: '21', status: 'completed' };
const COMPACTION = { id: 'cmp_1', type: 'compaction', encrypted_content: 'gAAAAABo-openai-state' };

/** A program's turn: the program, its two calls (a function's and a shell's) and their answers, then its output. */
const programTurn: Message[] = [
  ask,
  { role: 'assistant', parts: [part(PROGRAM), { type: 'tool_call', id: 'call_w1', name: 'get_weather', arguments: '{"city":"Paris"}', caller }, { type: 'tool_call', id: 'call_sh', name: 'shell', arguments: '{"commands":["date"]}', caller }] },
  {
    role: 'tool', parts: [
      { type: 'tool_result', callId: 'call_w1', content: '{"temp":21}' },
      { type: 'tool_result', callId: 'call_sh', content: 'Mon', written: { dialect: TOOL_DIALECTS.openaiResponses, item: { type: 'shell_call_output', call_id: 'call_sh', output: [{ stdout: 'Mon', stderr: '', outcome: { type: 'exit', exit_code: 0 } }] } } },
    ],
  },
  { role: 'assistant', parts: [part(PROGRAM_OUTPUT), { type: 'text', text: 'It is 21 in Paris.' }] },
];
const SHELL: ToolDefinition = { name: 'shell', parameters: { type: 'object' }, kind: 'provider', providerTool: { dialect: TOOL_DIALECTS.openaiResponses, definition: { type: 'shell', allowed_callers: ['programmatic'] } } };

describe('backends/openai-responses programmatic tool calling, added tools and compaction', () => {
  describe('the request', () => {
    it('sends programmatic tool calling as declared, a tool choice of it by type, and each tool\'s allowed_callers', () => {
      const body = encodeResponsesRequest(call({
        tools: [PTC, WEATHER, NOTE, SHELL, { ...WEATHER, name: 'create_event', namespace: 'mcp__cal', namespaceDescription: 'Calendar' }],
        toolChoice: { type: 'tool', name: 'programmatic_tool_calling' },
      }), 'gpt-5.6', options);
      expect(body.tools).to.deep.equal([
        { type: 'programmatic_tool_calling' },
        { type: 'function', name: 'get_weather', parameters: WEATHER.parameters, strict: false, allowed_callers: ['programmatic'] },
        { type: 'custom', name: 'note', allowed_callers: ['direct', 'programmatic'] },
        { type: 'shell', allowed_callers: ['programmatic'] },
        { type: 'namespace', name: 'mcp__cal', description: 'Calendar', tools: [{ type: 'function', name: 'create_event', parameters: WEATHER.parameters, strict: false, allowed_callers: ['programmatic'] }] },
      ]);
      expect(body.tool_choice).to.deep.equal({ type: 'programmatic_tool_calling' });
    });

    it('sends the program\'s items in place, its calls with their caller, and the answers to them naming it too', () => {
      const body = encodeResponsesRequest(call({ tools: [PTC, WEATHER, SHELL], messages: programTurn }), 'gpt-5.6', options);
      expect(body.input).to.deep.equal([
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Paris minus Oslo?' }] },
        PROGRAM,
        { type: 'function_call', call_id: 'call_w1', name: 'get_weather', arguments: '{"city":"Paris"}', caller: BY_PROGRAM },
        { type: 'shell_call', call_id: 'call_sh', status: 'completed', action: { commands: ['date'] }, caller: BY_PROGRAM },
        { type: 'function_call_output', call_id: 'call_w1', output: '{"temp":21}', caller: BY_PROGRAM },
        { type: 'shell_call_output', call_id: 'call_sh', output: [{ stdout: 'Mon', stderr: '', outcome: { type: 'exit', exit_code: 0 } }], caller: BY_PROGRAM },
        PROGRAM_OUTPUT,
        { type: 'message', role: 'assistant', content: 'It is 21 in Paris.' },
      ]);
    });

    it('sends the caller the client wrote on an answer, even without its call in the history', () => {
      const body = encodeResponsesRequest(call({ messages: [ask, { role: 'tool', parts: [{ type: 'tool_result', callId: 'call_w1', content: '21', caller }] }] }), 'gpt-5.6', options);
      expect((body.input as Json[])[1]).to.deep.equal({ type: 'function_call_output', call_id: 'call_w1', output: '21', caller: BY_PROGRAM });
      const codexed = codex(call({ messages: [ask, { role: 'tool', parts: [{ type: 'tool_result', callId: 'call_w1', content: '21', caller }] }] }));
      expect(JSON.stringify(codexed)).to.not.contain('caller');
    });

    it('keeps the caller an answer names itself, and sends none of another dialect\'s', () => {
      const written = { type: 'shell_call_output', call_id: 'call_sh', output: [], caller: { type: 'direct' } };
      const body = encodeResponsesRequest(call({
        tools: [SHELL],
        messages: [
          ask,
          { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_sh', name: 'shell', arguments: '{}', caller }, { type: 'tool_call', id: 'call_an', name: 'f', arguments: '{}', caller: { dialect: CALLER_DIALECTS.anthropic, value: { type: 'code_execution_20250825', tool_id: 'srvtoolu_1' } } }] },
          { role: 'tool', parts: [{ type: 'tool_result', callId: 'call_sh', content: '', written: { dialect: TOOL_DIALECTS.openaiResponses, item: written } }, { type: 'tool_result', callId: 'call_an', content: 'ok' }] },
        ],
      }), 'gpt-5.6', options);
      const input = body.input as Json[];
      expect(input[3]).to.deep.include({ caller: { type: 'direct' } });
      expect(input[2]).to.deep.equal({ type: 'function_call', call_id: 'call_an', name: 'f', arguments: '{}' });
      expect(input[4]).to.deep.equal({ type: 'function_call_output', call_id: 'call_an', output: 'ok' });
    });

    it('sends OpenAI\'s compaction and an additional_tools item as written, in place, the added tools only there; a trigger last; context_management', () => {
      const added = { type: 'additional_tools', role: 'developer', tools: [{ type: 'function', name: 'write_file', parameters: { type: 'object' } }] };
      const body = encodeResponsesRequest(call({
        tools: [WEATHER],
        messages: [
          { role: 'assistant', parts: [part(COMPACTION, { compaction: {} })] },
          { role: 'user', parts: [part(added, { tools: [{ name: 'write_file', parameters: { type: 'object' } }] })] },
          ask,
        ],
        providerOptions: { openai: { contextManagement: [{ type: 'compaction', compact_threshold: 200_000 }], compactionTrigger: true } },
      }), 'gpt-5.6', options);
      expect(body.input).to.deep.equal([COMPACTION, added, { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Paris minus Oslo?' }] }, { type: 'compaction_trigger' }]);
      expect((body.tools as Json[]).map((t) => t.name)).to.deep.equal(['get_weather']);
      expect(body.context_management).to.deep.equal([{ type: 'compaction', compact_threshold: 200_000 }]);
      // A hosted capability: sent by a row that sends no OpenAI knobs too.
      const quiet = encodeResponsesRequest(call({ providerOptions: { openai: { contextManagement: [{ type: 'compaction' }], compactionTrigger: true, serviceTier: 'flex' } } }), 'gpt-5.6', responsesOptions({ id: 'b', kind: 'openai-responses', models: [], provider_options: false } as never));
      expect(quiet).to.deep.include({ context_management: [{ type: 'compaction' }] });
      expect(quiet).to.not.have.property('service_tier');
      expect((quiet.input as Json[]).at(-1)).to.deep.equal({ type: 'compaction_trigger' });
    });

    it('openai-codex refuses programmatic tool calling and OpenAI\'s compaction, and sends a program\'s calls without callers or allowed_callers', () => {
      expect(thrownBy(() => codex(call({ tools: [PTC] })))).to.deep.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', retryable: true });
      const compacted = thrownBy(() => codex(call({ messages: [{ role: 'assistant', parts: [part(COMPACTION, { compaction: {} })] }, ask] })));
      expect(compacted).to.deep.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', retryable: true });
      expect(compacted.message).to.contain('compaction block');
      expect(thrownBy(() => codex(call({ providerOptions: { openai: { compactionTrigger: true } } })))).to.deep.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', retryable: true });
      const body = codex(call({ tools: [WEATHER, NOTE], messages: programTurn.slice(0, 3) }));
      const wire = JSON.stringify(body);
      expect(wire).to.not.contain('caller');
      expect(wire).to.not.contain('prog_1');
      // The shell is a function there, as OpenAI's client tools are.
      expect((body.input as Json[]).filter((i) => i.type === 'function_call')).to.deep.equal([
        { type: 'function_call', call_id: 'call_w1', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { type: 'function_call', call_id: 'call_sh', name: 'shell', arguments: '{"commands":["date"]}' },
      ]);
    });
  });

  describe('the answer', () => {
    const calls = (events: readonly LipEvent[]) => events.filter((e): e is ToolCallStartedEvent => e.type === 'tool_call_started');
    const hostedOf = (events: readonly LipEvent[]) => events.filter((e): e is HostedToolEvent => e.type === 'hosted_tool');

    it('a program and the calls it made: the program a hosted item, each call naming it, streamed and whole alike', () => {
      const script: Script = {
        hosted: [PROGRAM],
        toolCalls: [
          { id: 'call_w1', name: 'get_weather', args: ['{"city":', '"Paris"}'], caller: BY_PROGRAM },
          { id: 'call_n', name: 'note', args: 'x', custom: true, caller: BY_PROGRAM },
          { id: 'call_sh', name: 'shell', args: '{"commands":["date"]}', clientItem: 'shell_call', caller: BY_PROGRAM },
          { id: 'call_d', name: 'get_weather', args: '{}' },
        ],
      };
      const both = decodeBothWays(openaiResponsesProtocol, script, recorded({ model: 'gpt-5.6', stream: true }), () => new ResponsesStreamDecoder('b', []), () => new ResponsesResponseDecoder('b', []));
      expect(both.violations).to.deep.equal([]);
      for (const events of [both.streamed, both.whole]) {
        expect(hostedOf(events).filter((e) => e.phase === 'done').map((e) => e.block)).to.deep.equal([PROGRAM]);
        expect(calls(events).map((e) => [e.id, e.name, e.caller])).to.deep.equal([
          ['call_w1', 'get_weather', caller], ['call_n', 'note', caller], ['call_sh', 'shell', caller], ['call_d', 'get_weather', undefined],
        ]);
      }
      const collected = collectEvents(both.streamed);
      expect(collected.blocks.map((b) => b.type)).to.deep.equal(['hosted_tool', 'tool_call', 'tool_call', 'tool_call', 'tool_call']);
      expect(collected.toolCalls[0]).to.deep.include({ arguments: '{"city":"Paris"}', caller });
      expect(collected.finishReason).to.equal('tool_calls');
      expect(collectEvents(both.whole).blocks).to.deep.equal(collected.blocks);
    });

    it('an additional_tools item a catalog filter narrowed declares the tools left as tools does; one it did not is as written', () => {
      const spaced = { type: 'namespace', name: 'mcp__fs', description: 'Files', tools: [{ type: 'function', name: 'read', parameters: {} }, { type: 'function', name: 'rm', parameters: {} }] };
      const added = { id: 'at_1', type: 'additional_tools', role: 'developer', tools: [{ type: 'function', name: 'write_file', parameters: { type: 'object' } }, spaced] };
      const write: ToolDefinition = { name: 'write_file', parameters: { type: 'object' } };
      const read: ToolDefinition = { name: 'read', parameters: {}, namespace: 'mcp__fs', namespaceDescription: 'Files' };
      const rm: ToolDefinition = { ...read, name: 'rm' };
      const sent = (tools: ToolDefinition[]) => encodeResponsesRequest(call({ messages: [ask, { role: 'user', parts: [part(added, { tools })] }] }), 'gpt-5.6', options).input as Json[];
      expect(sent([write, read, rm])[1]).to.deep.equal(added);
      expect(sent([write, read])[1]).to.deep.equal({
        id: 'at_1', type: 'additional_tools', role: 'developer',
        tools: [{ type: 'function', name: 'write_file', parameters: { type: 'object' }, strict: false }, { type: 'namespace', name: 'mcp__fs', description: 'Files', tools: [{ type: 'function', name: 'read', parameters: {}, strict: false }] }],
      });
    });

    it('the program\'s output, OpenAI\'s compaction and an additional_tools item in an answer are hosted items as written', () => {
      const added = { id: 'at_1', type: 'additional_tools', role: 'developer', tools: [{ type: 'function', name: 'write_file', parameters: {} }] };
      const script: Script = { hosted: [COMPACTION, PROGRAM_OUTPUT, added], text: '21.' };
      const both = decodeBothWays(openaiResponsesProtocol, script, recorded({ model: 'gpt-5.6', stream: true }), () => new ResponsesStreamDecoder('b', []), () => new ResponsesResponseDecoder('b', []));
      expect(both.violations).to.deep.equal([]);
      expect(hostedOf(both.streamed).map((e) => [e.phase, e.id])).to.deep.equal([['added', 'cmp_1'], ['done', 'cmp_1'], ['added', 'progo_1'], ['done', 'progo_1'], ['added', 'at_1'], ['done', 'at_1']]);
      expect(hostedOf(both.whole).map((e) => [e.phase, e.block])).to.deep.equal([['done', COMPACTION], ['done', PROGRAM_OUTPUT], ['done', added]]);
      expect(collectEvents(both.streamed).blocks).to.deep.equal(collectEvents(both.whole).blocks);
    });

    it('a caller that is no object is left out, the call kept', () => {
      const out: LipEvent[] = [];
      new ResponsesResponseDecoder('b', []).decode({
        id: 'r', status: 'completed',
        output: [{ type: 'function_call', id: 'fc_1', call_id: 'c1', name: 'f', arguments: '{}', caller: 'program' }, { type: 'function_call', id: 'fc_2', call_id: 'c2', name: 'f', arguments: '{}', caller: { caller_id: 'x' } }],
      }, out);
      expect(calls(out).map((e) => e.caller)).to.deep.equal([undefined, undefined]);
    });
  });
});
