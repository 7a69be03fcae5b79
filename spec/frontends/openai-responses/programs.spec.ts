import { expect } from 'chai';
import { CALLER_DIALECTS, HOSTED_DIALECTS, collectEvents, validateCall, type LipEvent } from '../../../lib/canonical/index.js';
import { ResponsesStreamEncoder, decodeResponsesRequest, encodeInputItems, encodeResponsesResponse } from '../../../lib/frontends/openai-responses/index.js';
import type { EncodeContext } from '../../../lib/frontends/protocol.js';
import { checkResponsesWire, sdkFinalResponse } from './wire-check.js';
import { refusalOf } from '../../helpers/refusal.js';

type Json = Record<string, any>;

const PTC = { type: 'programmatic_tool_calling' };
const WEATHER = { type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, allowed_callers: ['programmatic'] };
const NOTE = { type: 'custom', name: 'note', allowed_callers: ['direct', 'programmatic'] };
const SHELL = { type: 'shell', allowed_callers: ['programmatic'] };
const TOOLS = [PTC, WEATHER, NOTE, SHELL];
const OURS = HOSTED_DIALECTS.openaiResponses;
const BY_PROGRAM = { type: 'program', caller_id: 'call_prog1' };

/** Items as OpenAI writes them (SDK types: ResponseOutputItem.Program / ProgramOutput). */
const PROGRAM = { id: 'prog_1', type: 'program', call_id: 'call_prog1', code: 'const [a, b] = await Promise.all([get_weather({city: "Paris"}), get_weather({city: "Oslo"})]);\nreturn a.temp - b.temp;', fingerprint: 'fp_0123abcd' };
const PROGRAM_OUTPUT = { id: 'progo_1', type: 'program_output', call_id: 'call_prog1', result: '9', status: 'completed' };

const decode = (body: Json) => decodeResponsesRequest({ model: 'gpt-5.6', input: 'Paris minus Oslo?', tools: TOOLS, ...body });
const refusal = (body: Json) => refusalOf(() => decode(body));

const RESPONSE_ID = 'resp_0123456789abcdef0123456789abcdef0123456789abcdef';
function contextOf(body: Json = {}): EncodeContext {
  const decoded = decode(body);
  return { call: decoded.call, model: undefined, hints: decoded.hints!, requestId: 'r', created: 1_700_000_000, responseId: RESPONSE_ID };
}

const caller = { dialect: CALLER_DIALECTS.openaiResponses, value: BY_PROGRAM };
/** What an openai-responses backend emits for a program that called get_weather twice (and the shell once). */
const ANSWER: LipEvent[] = [
  { type: 'response_started' }, { type: 'message_started' },
  { type: 'hosted_tool', id: 'prog_1', dialect: OURS, phase: 'added', block: PROGRAM },
  { type: 'hosted_tool', id: 'prog_1', dialect: OURS, phase: 'done', block: PROGRAM },
  { type: 'tool_call_started', id: 'call_w1', name: 'get_weather', caller },
  { type: 'tool_call_delta', id: 'call_w1', args: '{"city":"Paris"}' },
  { type: 'tool_call_finished', id: 'call_w1' },
  { type: 'tool_call_started', id: 'call_w2', name: 'get_weather', caller },
  { type: 'tool_call_delta', id: 'call_w2', args: '{"city":"Oslo"}' },
  { type: 'tool_call_finished', id: 'call_w2' },
  { type: 'tool_call_started', id: 'call_sh', name: 'shell', caller },
  { type: 'tool_call_delta', id: 'call_sh', args: '{"commands":["date"]}' },
  { type: 'tool_call_finished', id: 'call_sh' },
  { type: 'tool_call_started', id: 'call_d', name: 'get_weather', caller: { dialect: CALLER_DIALECTS.openaiResponses, value: { type: 'direct' } } },
  { type: 'tool_call_delta', id: 'call_d', args: '{"city":"Rome"}' },
  { type: 'tool_call_finished', id: 'call_d' },
  { type: 'tool_call_started', id: 'call_an', name: 'note', custom: true, caller: { dialect: CALLER_DIALECTS.anthropic, value: { type: 'code_execution_20250825', tool_id: 'srvtoolu_1' } } },
  { type: 'tool_call_delta', id: 'call_an', args: 'hi' },
  { type: 'tool_call_finished', id: 'call_an' },
  { type: 'response_finished', reason: 'tool_calls' },
];

describe('frontends/openai-responses programmatic tool calling', () => {
  describe('the request', () => {
    it('declares programmatic_tool_calling as a hosted tool of the Responses dialect, as written', () => {
      const { tools } = decode({}).call;
      expect(tools[0]).to.deep.equal({ name: 'programmatic_tool_calling', parameters: {}, kind: 'hosted', providerTool: { dialect: OURS, definition: PTC } });
    });

    it('keeps a tool\'s allowed_callers: a function\'s and a custom tool\'s as OpenAI options, a client tool\'s in its declaration', () => {
      const { tools } = decode({}).call;
      expect(tools[1]).to.deep.include({ name: 'get_weather', providerOptions: { openai: { allowedCallers: ['programmatic'], strictOmitted: true } } });
      expect(tools[2]).to.deep.include({ name: 'note', kind: 'custom', providerOptions: { openai: { allowedCallers: ['direct', 'programmatic'] } } });
      expect(tools[3]!.providerTool!.definition).to.deep.equal(SHELL);
      const namespaced = decode({ tools: [{ type: 'namespace', name: 'mcp__wx', description: 'Weather', tools: [{ ...WEATHER }] }] }).call.tools[0]!;
      expect(namespaced).to.deep.include({ namespace: 'mcp__wx', providerOptions: { openai: { allowedCallers: ['programmatic'], strictOmitted: true } } });
      expect(decode({ tools: [{ type: 'function', name: 'f', strict: false }] }).call.tools[0]).to.not.have.property('providerOptions');
    });

    it('maps a tool_choice of programmatic tool calling onto the tool', () => {
      expect(decode({ tool_choice: { type: 'programmatic_tool_calling' } }).call.toolChoice).to.deep.equal({ type: 'tool', name: 'programmatic_tool_calling' });
      const allowed = { type: 'allowed_tools', mode: 'required', tools: [{ type: 'programmatic_tool_calling' }, { type: 'function', name: 'get_weather' }] };
      expect(decode({ tool_choice: allowed }).call.toolChoice).to.deep.equal({ type: 'any', allowed: ['programmatic_tool_calling', 'get_weather'] });
      expect(refusal({ tools: [WEATHER], tool_choice: { type: 'programmatic_tool_calling' } })).to.deep.include({
        code: 'LIP_ERR_REQUEST_INVALID', param: 'tool_choice.type', message: 'tool_choice.type: names the programmatic_tool_calling tool, which is not in tools',
      });
    });

    it('turns program items into hosted parts in place, and the calls a program made into calls naming it', () => {
      const { call } = decode({
        input: [
          { role: 'user', content: 'Paris minus Oslo?' },
          PROGRAM,
          { type: 'function_call', call_id: 'call_w1', name: 'get_weather', arguments: '{"city":"Paris"}', caller: BY_PROGRAM },
          { type: 'shell_call', call_id: 'call_sh', action: { commands: ['date'] }, caller: BY_PROGRAM },
          { type: 'custom_tool_call', call_id: 'call_n', name: 'note', input: 'x', caller: { type: 'direct' } },
          { type: 'function_call_output', call_id: 'call_w1', output: '{"temp":21}', caller: BY_PROGRAM },
          { type: 'shell_call_output', call_id: 'call_sh', output: [{ stdout: 'Mon', stderr: '', outcome: { type: 'exit', exit_code: 0 } }], caller: BY_PROGRAM },
          { type: 'custom_tool_call_output', call_id: 'call_n', output: 'ok' },
          PROGRAM_OUTPUT,
          { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: '9 degrees.' }] },
        ],
      });
      expect(validateCall(call)).to.deep.equal([]);
      expect(call.messages.map((m) => m.role)).to.deep.equal(['user', 'assistant', 'tool', 'assistant']);
      const [program, weather, shell, note] = call.messages[1]!.parts as unknown as Json[];
      expect(program).to.deep.equal({ type: 'hosted_tool', dialect: OURS, block: PROGRAM });
      expect(weather).to.deep.include({ type: 'tool_call', id: 'call_w1', name: 'get_weather', caller });
      expect(shell).to.deep.include({ type: 'tool_call', id: 'call_sh', name: 'shell', caller });
      expect(note).to.deep.include({ custom: true, caller: { dialect: CALLER_DIALECTS.openaiResponses, value: { type: 'direct' } } });
      // A result's caller as the client wrote it (a shell's output as written, caller and all).
      expect(call.messages[2]!.parts[0]).to.deep.equal({ type: 'tool_result', callId: 'call_w1', content: '{"temp":21}', caller });
      expect(call.messages[2]!.parts[2]).to.deep.equal({ type: 'tool_result', callId: 'call_n', content: 'ok' });
      expect(call.messages[2]!.parts[1]).to.deep.nested.include({ 'written.item.caller': BY_PROGRAM });
      expect(call.messages[3]!.parts[0]).to.deep.equal({ type: 'hosted_tool', dialect: OURS, block: PROGRAM_OUTPUT });
    });

    it('refuses a malformed program item, caller or allowed_callers with a 400 naming the field', () => {
      const input = (item: Json) => ({ input: [{ role: 'user', content: 'x' }, item] });
      const { fingerprint: _f, ...unprinted } = PROGRAM;
      expect(refusal(input(unprinted))).to.deep.include({ code: 'LIP_ERR_REQUEST_INVALID', param: 'input[1].fingerprint', message: 'input[1].fingerprint: is required' });
      expect(refusal(input({ ...PROGRAM, code: 7 }))).to.deep.include({ param: 'input[1].code' });
      expect(refusal(input({ ...PROGRAM_OUTPUT, status: 'failed' }))).to.deep.include({ param: 'input[1].status' });
      const { result: _r, ...resultless } = PROGRAM_OUTPUT;
      expect(refusal(input(resultless))).to.deep.include({ param: 'input[1].result' });
      const fc = { type: 'function_call', call_id: 'c', name: 'get_weather', arguments: '{}' };
      expect(refusal(input({ ...fc, caller: { type: 'program' } }))).to.deep.include({ param: 'input[1].caller.caller_id', message: 'input[1].caller.caller_id: is required' });
      expect(refusal(input({ ...fc, caller: { type: 'robot' } }))).to.deep.include({ param: 'input[1].caller.type' });
      expect(refusal(input({ type: 'function_call_output', call_id: 'c', output: 'x', caller: 'program' }))).to.deep.include({ param: 'input[1].caller' });
      expect(refusal({ tools: [{ ...WEATHER, allowed_callers: ['sometimes'] }] })).to.deep.include({ param: 'tools[0].allowed_callers[0]' });
      expect(refusal({ tools: [{ type: 'apply_patch', allowed_callers: 'direct' }] })).to.deep.include({ param: 'tools[0].allowed_callers' });
      expect(decode(input({ ...fc, caller: null })).call.messages[1]!.parts[0]).to.not.have.property('caller');
    });
  });

  describe('the response', () => {
    it('streams the program as the provider wrote it and each call it made as a call naming it; the SDK ends with those items', async () => {
      const context = contextOf();
      const encoder = new ResponsesStreamEncoder(context);
      const wire = ANSWER.map((e) => encoder.event(e)).join('') + encoder.end();
      const events = checkResponsesWire(wire);
      const added = events.filter((e) => e.event === 'response.output_item.added').map((e) => e.data.item);
      expect(added[0]).to.deep.equal(PROGRAM);
      expect(added[1]).to.deep.include({ type: 'function_call', status: 'in_progress', caller: BY_PROGRAM });
      expect(added[3]).to.deep.include({ type: 'shell_call', caller: BY_PROGRAM });
      const final = await sdkFinalResponse(wire);
      expect(final.output.map((i: Json) => i.type)).to.deep.equal(['program', 'function_call', 'function_call', 'shell_call', 'function_call', 'custom_tool_call']);
      expect(final.output[0]).to.deep.equal(PROGRAM);
      expect(final.output[1]).to.deep.include({ name: 'get_weather', arguments: '{"city":"Paris"}', call_id: 'call_w1', caller: BY_PROGRAM, status: 'completed' });
      expect(final.output[3]).to.deep.include({ call_id: 'call_sh', caller: BY_PROGRAM, action: { commands: ['date'], timeout_ms: null, max_output_length: null } });
      expect(final.output[4]).to.deep.include({ caller: { type: 'direct' } });
      // Anthropic's caller has no place in this protocol.
      expect(final.output[5]).to.not.have.property('caller');
      // A whole response of the same events is the same output.
      const whole = encodeResponsesResponse(collectEvents(ANSWER), context) as Json;
      expect(whole.output).to.deep.equal(events.at(-1)!.data.response.output);
    });

    it('lists a program\'s calls and their answers with the caller among a stored response\'s input items', () => {
      const input = decode({
        input: [
          { role: 'user', content: 'x' }, PROGRAM,
          { type: 'function_call', call_id: 'call_w1', name: 'get_weather', arguments: '{}', caller: BY_PROGRAM },
          { type: 'function_call_output', call_id: 'call_w1', output: '21' },
        ],
      }).call.messages;
      const items = encodeInputItems(RESPONSE_ID, input);
      expect(items.map((i) => i.type)).to.deep.equal(['message', 'program', 'function_call', 'function_call_output']);
      expect(items[1]).to.deep.equal(PROGRAM);
      expect(items[2]).to.deep.include({ caller: BY_PROGRAM });
      expect(items[3]).to.deep.include({ call_id: 'call_w1', caller: BY_PROGRAM });
    });
  });
});
