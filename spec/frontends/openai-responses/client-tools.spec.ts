import { expect } from 'chai';
import { TOOL_DIALECTS, collectEvents, type LipEvent } from '../../../lib/canonical/index.js';
import { ResponsesStreamEncoder, decodeResponsesRequest, encodeInputItems, encodeResponsesResponse } from '../../../lib/frontends/openai-responses/index.js';
import type { EncodeContext } from '../../../lib/frontends/protocol.js';
import { checkResponsesWire, sdkFinalResponse as sdkFinal } from './wire-check.js';
import { refusalOf } from '../../helpers/refusal.js';

type Json = Record<string, any>;

const SHELL = { type: 'shell', environment: { type: 'local' } };
const PATCH = { type: 'apply_patch' };
const LOCAL = { type: 'local_shell' };
const TOOLS = [SHELL, PATCH, LOCAL, { type: 'function', name: 'f', parameters: { type: 'object' } }];
const OURS = TOOL_DIALECTS.openaiResponses;

const decode = (body: Json) => decodeResponsesRequest({ model: 'gpt-5.1', input: 'go', tools: TOOLS, ...body });
const refusal = (body: Json) => refusalOf(() => decode(body));

function contextOf(body: Json = {}): EncodeContext {
  const decoded = decode(body);
  return { call: decoded.call, model: undefined, hints: decoded.hints!, requestId: 'r', created: 1_700_000_000, responseId: 'resp_0123456789abcdef0123456789abcdef0123456789abcdef' };
}

const SHELL_ARGS = { commands: ['ls -la', 'pwd'], timeout_ms: 5000, max_output_length: null };
const OPERATION = { type: 'update_file', path: 'src/a.ts', diff: '@@\n-old\n+new\n' };
const CALLS: LipEvent[] = [
  { type: 'response_started' }, { type: 'message_started' },
  { type: 'tool_call_started', id: 'call_sh', name: 'shell' },
  { type: 'tool_call_delta', id: 'call_sh', args: JSON.stringify(SHELL_ARGS).slice(0, 10) }, { type: 'tool_call_delta', id: 'call_sh', args: JSON.stringify(SHELL_ARGS).slice(10) },
  { type: 'tool_call_finished', id: 'call_sh' },
  { type: 'tool_call_started', id: 'call_ap', name: 'apply_patch' },
  { type: 'tool_call_delta', id: 'call_ap', args: JSON.stringify({ operation: OPERATION }) },
  { type: 'tool_call_finished', id: 'call_ap' },
  { type: 'tool_call_started', id: 'call_ls', name: 'local_shell' },
  { type: 'tool_call_delta', id: 'call_ls', args: '{"command":["ls"],"working_directory":"/tmp"}' },
  { type: 'tool_call_finished', id: 'call_ls' },
  { type: 'tool_call_started', id: 'call_f', name: 'f' },
  { type: 'tool_call_delta', id: 'call_f', args: '{}' },
  { type: 'tool_call_finished', id: 'call_f' },
  { type: 'response_finished', reason: 'tool_calls' },
];


describe('frontends/openai-responses client tools (shell, apply_patch, local_shell)', () => {
  describe('the request', () => {
    it('decodes each into a provider tool of the Responses dialect named after its type, with lip\'s schema and the declaration as written', () => {
      const tools = decode({}).call.tools;
      expect(tools.map((t) => [t.name, t.kind, t.providerTool?.dialect])).to.deep.equal([
        ['shell', 'provider', OURS], ['apply_patch', 'provider', OURS], ['local_shell', 'provider', OURS], ['f', undefined, undefined],
      ]);
      expect(tools[0]!.providerTool!.definition).to.deep.equal(SHELL);
      expect(tools[0]!.parameters).to.deep.include({ required: ['commands'] });
      expect((tools[1]!.parameters as Json).properties.operation.properties.type.enum).to.deep.equal(['create_file', 'update_file', 'delete_file']);
      expect(tools[2]!.parameters).to.deep.include({ required: ['command'] });
      for (const t of tools.slice(0, 3)) expect(t.description).to.be.a('string').and.not.empty;
    });

    it('refuses a shell in an OpenAI container, a second declaration and a function under a client tool\'s name', () => {
      const container = refusal({ tools: [{ type: 'shell', environment: { type: 'container_auto' } }] });
      expect(container.code).to.equal('LIP_ERR_REQUEST_UNSUPPORTED');
      expect(container.message).to.match(/^tools\[0\]\.environment\.type: /);
      expect(refusal({ tools: [PATCH, PATCH] }).message).to.match(/^tools\[1\]\.type: declares a second apply_patch tool/);
      const clash = refusal({ tools: [SHELL, { type: 'function', name: 'shell' }] });
      expect(clash.message).to.match(/^tools\[1\]\.name: "shell" is the name of the shell tool here/);
    });

    it('maps tool_choice {type: "shell"} and {type: "apply_patch"} (and in allowed_tools) to the tool; refuses one not declared', () => {
      expect(decode({ tool_choice: { type: 'shell' } }).call.toolChoice).to.deep.equal({ type: 'tool', name: 'shell' });
      expect(decode({ tool_choice: { type: 'apply_patch' } }).call.toolChoice).to.deep.equal({ type: 'tool', name: 'apply_patch' });
      expect(decode({ tool_choice: { type: 'allowed_tools', mode: 'required', tools: [{ type: 'shell' }, { type: 'function', name: 'f' }] } }).call.toolChoice)
        .to.deep.include({ type: 'any' });
      const missing = refusal({ tools: [PATCH], tool_choice: { type: 'shell' } });
      expect(missing.message).to.equal('tool_choice.type: names the shell tool, which is not in tools');
    });

    it('decodes shell_call, apply_patch_call and local_shell_call items into tool calls and their outputs into results, the outputs kept as written', () => {
      const shellOut = { type: 'shell_call_output', call_id: 'call_sh', max_output_length: null, output: [{ stdout: 'a.txt\n', stderr: '', outcome: { type: 'exit', exit_code: 0 } }, { stdout: '', stderr: 'boom', outcome: { type: 'timeout' } }] };
      const patchOut = { type: 'apply_patch_call_output', call_id: 'call_ap', status: 'failed', output: 'hunk did not apply' };
      const localOut = { type: 'local_shell_call_output', id: 'call_ls', output: '{"output":"x"}' };
      const { messages } = decode({
        input: [
          { role: 'user', content: 'go' },
          { type: 'shell_call', id: 'sh_1', call_id: 'call_sh', status: 'completed', action: SHELL_ARGS },
          { type: 'apply_patch_call', id: 'apc_1', call_id: 'call_ap', status: 'completed', operation: OPERATION },
          { type: 'local_shell_call', id: 'lsh_1', call_id: 'call_ls', status: 'completed', action: { type: 'exec', command: ['ls'], env: {} } },
          shellOut, patchOut, localOut,
        ],
      }).call;
      expect(messages[1]).to.deep.equal({
        role: 'assistant', parts: [
          { type: 'tool_call', id: 'call_sh', name: 'shell', arguments: JSON.stringify(SHELL_ARGS) },
          { type: 'tool_call', id: 'call_ap', name: 'apply_patch', arguments: JSON.stringify({ operation: OPERATION }) },
          { type: 'tool_call', id: 'call_ls', name: 'local_shell', arguments: '{"type":"exec","command":["ls"],"env":{}}' },
        ],
      });
      expect(messages[2]).to.deep.equal({
        role: 'tool', parts: [
          { type: 'tool_result', callId: 'call_sh', content: 'exit code 0\nstdout:\na.txt\n\n\ntimed out\nstderr:\nboom', written: { dialect: OURS, item: shellOut } },
          { type: 'tool_result', callId: 'call_ap', content: 'hunk did not apply', isError: true, written: { dialect: OURS, item: patchOut } },
          { type: 'tool_result', callId: 'call_ls', content: '{"output":"x"}', written: { dialect: OURS, item: localOut } },
        ],
      });
    });

    it('refuses malformed items with the field named', () => {
      const item = (i: Json) => refusal({ input: [i] });
      expect(item({ type: 'shell_call', call_id: 'c', action: { commands: 'ls' } }).message).to.match(/input\/0\/action\/commands|input\[0\]\.action\.commands/);
      expect(item({ type: 'apply_patch_call', call_id: 'c', status: 'completed', operation: { type: 'update_file', path: 'a' } }).message).to.match(/diff/);
      expect(item({ type: 'apply_patch_call', call_id: 'c', status: 'completed', operation: { type: 'rename_file', path: 'a' } }).message).to.match(/operation.*type/);
      expect(item({ type: 'apply_patch_call_output', call_id: 'c', status: 'ok' }).message).to.match(/status/);
      expect(item({ type: 'shell_call_output', call_id: 'c', output: [{ stdout: '', stderr: '' }] }).message).to.match(/outcome/);
      expect(item({ type: 'local_shell_call_output', output: 'x' }).message).to.equal('input[0].call_id: is required');
    });
  });

  describe('the answer', () => {
    it('streams each client tool\'s call as its own item (added in progress, done whole, no argument events); the SDK accumulates the same items', async () => {
      const encoder = new ResponsesStreamEncoder(contextOf());
      const wire = CALLS.map((e) => encoder.event(e)).join('') + encoder.end();
      const events = checkResponsesWire(wire).map((e) => e.data as Json);
      const added = events.filter((e) => e.type === 'response.output_item.added').map((e) => e.item);
      expect(added.map((i) => [i.type, i.status])).to.deep.equal([['shell_call', 'in_progress'], ['apply_patch_call', 'in_progress'], ['local_shell_call', 'in_progress'], ['function_call', 'in_progress']]);
      const argEvents = events.filter((e) => e.type.startsWith('response.function_call_arguments'));
      expect(argEvents.every((e) => e.item_id === added[3].id)).to.equal(true);
      const done = events.filter((e) => e.type === 'response.output_item.done').map((e) => e.item);
      expect(done[0]).to.deep.equal({ id: done[0].id, type: 'shell_call', status: 'completed', call_id: 'call_sh', action: SHELL_ARGS, environment: null });
      expect(done[0].id).to.match(/^sh_/);
      expect(done[1]).to.deep.equal({ id: done[1].id, type: 'apply_patch_call', status: 'completed', call_id: 'call_ap', operation: OPERATION });
      expect(done[2]).to.deep.equal({ id: done[2].id, type: 'local_shell_call', status: 'completed', call_id: 'call_ls', action: { type: 'exec', command: ['ls'], env: {}, working_directory: '/tmp' } });
      const final = await sdkFinal(wire);
      expect(final.output.slice(0, 3)).to.deep.equal(done.slice(0, 3));
      expect(final.status).to.equal('completed');
    });

    it('writes the same items whole', () => {
      const body = encodeResponsesResponse(collectEvents(CALLS), contextOf()) as Json;
      expect(body.output.map((i: Json) => i.type)).to.deep.equal(['shell_call', 'apply_patch_call', 'local_shell_call', 'function_call']);
      expect(body.output[0]).to.deep.include({ call_id: 'call_sh', action: SHELL_ARGS, status: 'completed' });
      expect(body.output[1]).to.deep.include({ call_id: 'call_ap', operation: OPERATION });
    });

    it('writes a call named shell as a function_call when the client declared no shell tool', () => {
      const body = encodeResponsesResponse(collectEvents(CALLS), contextOf({ tools: [{ type: 'function', name: 'shell' }, { type: 'function', name: 'f' }] })) as Json;
      expect(body.output[0]).to.include({ type: 'function_call', name: 'shell' });
    });

    it('writes arguments a model bent into the item\'s form with what there is', () => {
      const bent: LipEvent[] = [
        { type: 'tool_call_started', id: 'x', name: 'shell' }, { type: 'tool_call_delta', id: 'x', args: '{"command":"ls"}' }, { type: 'tool_call_finished', id: 'x' },
        { type: 'tool_call_started', id: 'y', name: 'apply_patch' }, { type: 'tool_call_delta', id: 'y', args: 'not json' }, { type: 'tool_call_finished', id: 'y' },
        { type: 'response_finished', reason: 'tool_calls' },
      ];
      const body = encodeResponsesResponse(collectEvents(bent), contextOf()) as Json;
      expect(body.output[0].action).to.deep.equal({ command: 'ls', commands: ['ls'], timeout_ms: null, max_output_length: null });
      expect(body.output[1]).to.deep.include({ type: 'apply_patch_call', operation: {} });
    });

    it('lists a stored input\'s client tool calls and outputs as they were written', () => {
      const shellOut = { type: 'shell_call_output', call_id: 'call_sh', output: [{ stdout: 'x', stderr: '', outcome: { type: 'exit', exit_code: 0 } }] };
      const { call } = decode({ input: [{ type: 'shell_call', call_id: 'call_sh', action: SHELL_ARGS }, shellOut, { type: 'function_call', call_id: 'c', name: 'f', arguments: '{}' }] });
      const items = encodeInputItems('resp_1', call.messages);
      expect(items[0]).to.deep.include({ type: 'shell_call', call_id: 'call_sh', action: SHELL_ARGS });
      expect(items[1]).to.deep.include(shellOut);
      expect(items[1]!.id).to.be.a('string');
      expect(items[2]).to.include({ type: 'function_call', name: 'f' });
    });
  });
});
