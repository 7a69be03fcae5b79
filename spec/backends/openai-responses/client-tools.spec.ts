import { expect } from 'chai';
import { ResponsesResponseDecoder, encodeResponsesRequest, responsesOptions } from '../../../lib/backends/openai-responses/index.js';
import { codexOptions, encodeCodexRequest } from '../../../lib/backends/openai-codex/index.js';
import { TOOL_DIALECTS, emptyCall, validateSequence, type Call, type LipEvent, type ToolDefinition } from '../../../lib/canonical/index.js';
import { decodeResponsesFrames } from './decode-frames.js';

type Json = Record<string, any>;

const OURS = TOOL_DIALECTS.openaiResponses;
const schema = { type: 'object', properties: { commands: { type: 'array', items: { type: 'string' } } }, required: ['commands'] };
const shell: ToolDefinition = { name: 'shell', description: 'Runs commands', parameters: schema, kind: 'provider', providerTool: { dialect: OURS, definition: { type: 'shell', environment: { type: 'local' } } } };
const patch: ToolDefinition = { name: 'apply_patch', description: 'Patches', parameters: { type: 'object' }, kind: 'provider', providerTool: { dialect: OURS, definition: { type: 'apply_patch' } } };
const ACTION = { commands: ['ls'], timeout_ms: null, max_output_length: null };
const OPERATION = { type: 'create_file', path: 'a.txt', diff: '+hi\n' };
const SHELL_OUT = { type: 'shell_call_output', id: 'sho_1', call_id: 'call_sh', max_output_length: null, output: [{ stdout: 'a.txt\n', stderr: '', outcome: { type: 'exit', exit_code: 0 } }] };

const call = (tools: ToolDefinition[], choice?: string): Call => emptyCall({
  model: 'm', tools,
  ...(choice !== undefined ? { toolChoice: { type: 'tool', name: choice } } : {}),
  messages: [
    { role: 'user', parts: [{ type: 'text', text: 'go' }] },
    { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_sh', name: 'shell', arguments: JSON.stringify(ACTION) }, { type: 'tool_call', id: 'call_ap', name: 'apply_patch', arguments: JSON.stringify({ operation: OPERATION }) }] },
    {
      role: 'tool', parts: [
        { type: 'tool_result', callId: 'call_sh', content: 'exit code 0\nstdout:\na.txt\n', written: { dialect: OURS, item: SHELL_OUT } },
        { type: 'tool_result', callId: 'call_ap', content: 'conflict', isError: true },
      ],
    },
  ],
});
const encode = (c: Call) => encodeResponsesRequest(c, 'gpt-5.1', responsesOptions({ id: 'or', kind: 'openai-responses', models: [] })) as Json;

function decode(frames: Json[]): LipEvent[] {
  const out = decodeResponsesFrames([{ type: 'response.created', response: { id: 'r' } }, ...frames, { type: 'response.completed', response: { status: 'completed' } }]);
  expect(validateSequence(out)).to.deep.equal([]);
  return out;
}

const calls = (events: LipEvent[]) => events.filter((e) => e.type.startsWith('tool_call'));

describe('backends/openai-responses client tools (shell, apply_patch, local_shell)', () => {
  describe('the request', () => {
    it('sends the declarations as written, the calls and answers of the history as their own items, tool_choice by type', () => {
      const body = encode(call([shell, patch], 'shell'));
      expect(body.tools).to.deep.equal([{ type: 'shell', environment: { type: 'local' } }, { type: 'apply_patch' }]);
      expect(body.tool_choice).to.deep.equal({ type: 'shell' });
      expect(body.input.slice(1)).to.deep.equal([
        { type: 'shell_call', call_id: 'call_sh', status: 'completed', action: ACTION },
        { type: 'apply_patch_call', call_id: 'call_ap', status: 'completed', operation: OPERATION },
        { type: 'shell_call_output', call_id: 'call_sh', max_output_length: null, output: SHELL_OUT.output },
        { type: 'apply_patch_call_output', call_id: 'call_ap', status: 'failed', output: 'conflict' },
      ]);
    });

    it('sends calls and results of tools of that name as function items when no client tool is declared or answered', () => {
      const plain: Call = { ...call([{ name: 'shell', parameters: schema }, { name: 'apply_patch', parameters: {} }]), messages: call([]).messages.map((m) => (m.role !== 'tool' ? m : { ...m, parts: m.parts.map((p) => (p.type === 'tool_result' ? { ...p, written: undefined } : p)) })) };
      const body = encode(plain);
      expect(body.input.slice(1).map((i: Json) => i.type)).to.deep.equal(['function_call', 'function_call', 'function_call_output', 'function_call_output']);
    });

    it('openai-codex offers them as functions with lip\'s schema, their history as function items', () => {
      const body = encodeCodexRequest(call([shell, patch]), 'gpt-5.1-codex', codexOptions({ id: 'cx', kind: 'openai-codex', models: [] }), { conversationId: 'c', turn: 1, bump: false }) as Json;
      expect(body.tools[0]).to.deep.include({ type: 'function', name: 'shell', parameters: schema });
      expect(body.input.map((i: Json) => i.type)).to.deep.equal(['message', 'function_call', 'function_call', 'function_call_output', 'function_call_output']);
    });
  });

  describe('the answer', () => {
    const shellCall = { type: 'shell_call', id: 'sh_1', call_id: 'call_1', status: 'completed', action: ACTION, environment: null };
    const patchCall = { type: 'apply_patch_call', id: 'apc_1', call_id: 'call_2', status: 'completed', operation: OPERATION };
    const localCall = { type: 'local_shell_call', id: 'lsh_1', call_id: 'call_3', status: 'completed', action: { type: 'exec', command: ['ls'], env: {} } };
    const expected = [
      { type: 'tool_call_started', id: 'call_1', name: 'shell' }, { type: 'tool_call_delta', id: 'call_1', args: JSON.stringify(ACTION) }, { type: 'tool_call_finished', id: 'call_1' },
      { type: 'tool_call_started', id: 'call_2', name: 'apply_patch' }, { type: 'tool_call_delta', id: 'call_2', args: JSON.stringify({ operation: OPERATION }) }, { type: 'tool_call_finished', id: 'call_2' },
      { type: 'tool_call_started', id: 'call_3', name: 'local_shell' }, { type: 'tool_call_delta', id: 'call_3', args: JSON.stringify(localCall.action) }, { type: 'tool_call_finished', id: 'call_3' },
    ];

    it('decodes streamed shell_call, apply_patch_call and local_shell_call items into tool calls, arguments whole when done', () => {
      const frames = [shellCall, patchCall, localCall].flatMap((item, i) => [
        { type: 'response.output_item.added', output_index: i, item: { ...item, status: 'in_progress' } },
        { type: 'response.output_item.done', output_index: i, item },
      ]);
      expect(calls(decode(frames))).to.deep.equal(expected);
    });

    it('decodes them from a whole answer', () => {
      const out: LipEvent[] = [];
      new ResponsesResponseDecoder('b', []).decode({ id: 'r', status: 'completed', output: [shellCall, patchCall, localCall] }, out);
      expect(validateSequence(out)).to.deep.equal([]);
      expect(calls(out)).to.deep.equal(expected);
      expect(out.at(-1)).to.deep.include({ type: 'response_finished', reason: 'tool_calls' });
    });
  });
});
