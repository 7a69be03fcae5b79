import { expect } from 'chai';
import type { Response, ResponseCreateParamsNonStreaming, ResponseInputItem, Tool } from 'openai/resources/responses/responses';
import { askClientToolItems, useUpstreams } from '../helpers/upstreams.js';

type Json = Record<string, any>;

const SHELL: Tool = { type: 'shell' };
const APPLY_PATCH: Tool = { type: 'apply_patch' };
const TOOLS: Tool[] = [SHELL, APPLY_PATCH];

const ACTION = { commands: ['ls', 'cat lib/app.py'], timeout_ms: 10_000, max_output_length: 4096 };
const OPERATION = { type: 'update_file', path: 'lib/app.py', diff: '@@ def main():\n-    retries = 1\n+    retries = 3\n' };
const STDOUT = 'README.md\nlib\n';

/** The client's answers, as the Agents SDK writes them (no id: lip's client never had one). */
const shellOutput = (callId: string): ResponseInputItem => ({
  type: 'shell_call_output', call_id: callId, max_output_length: 4096,
  output: [{ stdout: STDOUT, stderr: '', outcome: { type: 'exit', exit_code: 0 } }, { stdout: 'retries = 1\n', stderr: '', outcome: { type: 'exit', exit_code: 0 } }],
});
const patchOutput = (callId: string): ResponseInputItem => ({ type: 'apply_patch_call_output', call_id: callId, status: 'completed', output: 'Updated lib/app.py' });

/** The items of the client tools' calls in a response, with the fields a client acts on. */
function calls(response: Response): Json[] {
  return response.output.flatMap((item: Json) => {
    if (item.type === 'shell_call') return [{ type: item.type, call_id: item.call_id, action: item.action }];
    if (item.type === 'apply_patch_call') return [{ type: item.type, call_id: item.call_id, operation: item.operation }];
    return [{ type: item.type }];
  });
}

/** A call item of a response, as the client sends it back on its next turn. */
function callItem(response: Response, type: string): ResponseInputItem {
  const item = response.output.find((i) => i.type === type);
  expect(item, `a ${type} item`).to.not.equal(undefined);
  return item as unknown as ResponseInputItem;
}

/**
 * OpenAI's client-run tools for Responses clients (the Agents SDK's `shell` and `apply_patch`:
 * OpenAI's schema, the client runs them), through the official SDK. They were refused (400),
 * so an agent built on them could not use lip. Now an openai-responses upstream gets them as
 * declared, and its `shell_call` / `apply_patch_call` items, the client's answers to them, go
 * back and forth as they are; another provider gets a function tool of the same name with lip's
 * schema, and its model's function call still reaches the client as the tool's own item, the
 * client's answer going up as a tool result whose text holds the output.
 */
describe('e2e: OpenAI client tools (shell, apply_patch) for Responses clients', function () {
  this.timeout(20_000);
  const up = useUpstreams({ or: { kind: 'openai-responses' }, an: { kind: 'anthropic' }, gem: { kind: 'gemini' } });
  const emulators = up.emulators;

  const turn = (model: string, more: ResponseInputItem[] = []): ResponseCreateParamsNonStreaming => ({
    model, tools: TOOLS,
    input: [{ role: 'user', content: 'Raise the retries in lib/app.py to 3.' }, ...more],
  });

  for (const stream of [false, true]) {
    const mode = stream ? 'streaming' : 'non-streaming';
    const ask = (params: ResponseCreateParamsNonStreaming) => askClientToolItems(up.openai(), params, stream, ['shell_call', 'apply_patch_call']);

    it(`openai-responses upstream: the tools go up as declared; shell_call and apply_patch_call come back, and the client's outputs go up as written (${mode})`, async () => {
      const or = emulators.or!;
      or.enqueue({ toolCalls: [{ id: 'call_sh1', name: 'shell', clientItem: 'shell_call', args: JSON.stringify(ACTION) }], finish: 'tool_calls' });
      const first = await ask(turn('or:gpt-5.4'));
      expect(or.requests[0]!.body.tools).to.deep.equal(TOOLS);
      expect(calls(first)).to.deep.equal([{ type: 'shell_call', call_id: 'call_sh1', action: ACTION }]);

      or.enqueue({ toolCalls: [{ id: 'call_ap1', name: 'apply_patch', clientItem: 'apply_patch_call', args: JSON.stringify({ operation: OPERATION }) }], finish: 'tool_calls' });
      const shelled = [callItem(first, 'shell_call'), shellOutput('call_sh1')];
      const second = await ask(turn('or:gpt-5.4', shelled));
      expect(calls(second)).to.deep.equal([{ type: 'apply_patch_call', call_id: 'call_ap1', operation: OPERATION }]);
      const sent = or.requests[1]!.body;
      expect(sent.tools).to.deep.equal(TOOLS);
      expect(sent.input.slice(1)).to.deep.equal([
        { type: 'shell_call', call_id: 'call_sh1', status: 'completed', action: ACTION },
        shellOutput('call_sh1'),
      ]);

      or.enqueue({ text: 'The retries are now 3.' });
      const third = await ask(turn('or:gpt-5.4', [...shelled, callItem(second, 'apply_patch_call'), patchOutput('call_ap1')]));
      expect(third.output_text).to.equal('The retries are now 3.');
      expect(or.requests[2]!.body.input.slice(3)).to.deep.equal([
        { type: 'apply_patch_call', call_id: 'call_ap1', status: 'completed', operation: OPERATION },
        patchOutput('call_ap1'),
      ]);
    });

    it(`anthropic upstream: functions named shell and apply_patch with lip's schema; the tool_use comes back as a shell_call, the shell_call_output goes up as a tool_result (${mode})`, async () => {
      const an = emulators.an!;
      an.enqueue({ toolCalls: [{ id: 'toolu_sh1', name: 'shell', args: '{"commands":["ls"]}' }], finish: 'tool_calls' });
      const first = await ask(turn('an:claude-sonnet-4-6'));
      const tools = an.requests[0]!.body.tools as Json[];
      expect(tools.map((t) => t.name)).to.deep.equal(['shell', 'apply_patch']);
      expect(tools[0]!.input_schema).to.deep.include({ type: 'object', required: ['commands'] });
      expect(tools[0]!.input_schema.properties.commands).to.deep.include({ type: 'array', items: { type: 'string' } });
      expect(tools[1]!.input_schema).to.deep.include({ type: 'object', required: ['operation'] });
      expect(tools[1]!.input_schema.properties.operation.properties.type.enum).to.deep.equal(['create_file', 'update_file', 'delete_file']);
      expect(calls(first)).to.deep.equal([{ type: 'shell_call', call_id: 'toolu_sh1', action: { commands: ['ls'], timeout_ms: null, max_output_length: null } }]);

      an.enqueue({ toolCalls: [{ id: 'toolu_ap1', name: 'apply_patch', args: JSON.stringify({ operation: OPERATION }) }], finish: 'tool_calls' });
      const shelled = [callItem(first, 'shell_call'), shellOutput('toolu_sh1')];
      const second = await ask(turn('an:claude-sonnet-4-6', shelled));
      expect(calls(second)).to.deep.equal([{ type: 'apply_patch_call', call_id: 'toolu_ap1', operation: OPERATION }]);
      const history = (an.requests[1]!.body.messages as Json[]).slice(1);
      expect(history).to.have.length(2);
      expect(history[0]).to.deep.equal({ role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_sh1', name: 'shell', input: { commands: ['ls'], timeout_ms: null, max_output_length: null } }] });
      expect(history[1].role).to.equal('user');
      const [result] = history[1].content as Json[];
      expect(result).to.deep.include({ type: 'tool_result', tool_use_id: 'toolu_sh1' });
      expect(resultText(result!.content)).to.contain(STDOUT).and.to.contain('exit code 0');

      an.enqueue({ text: 'Done.' });
      await ask(turn('an:claude-sonnet-4-6', [...shelled, callItem(second, 'apply_patch_call'), patchOutput('toolu_ap1')]));
      const last = (an.requests[2]!.body.messages as Json[]).slice(3);
      expect(last[0]).to.deep.equal({ role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_ap1', name: 'apply_patch', input: { operation: OPERATION } }] });
      expect(resultText(last[1].content[0].content)).to.equal('Updated lib/app.py');
    });

    it(`gemini upstream: function declarations named shell and apply_patch; the functionCall comes back as a shell_call, the shell_call_output goes up as a functionResponse (${mode})`, async () => {
      const gem = emulators.gem!;
      gem.enqueue({ toolCalls: [{ name: 'shell', args: '{"commands":["ls"]}' }], finish: 'tool_calls' });
      const first = await ask(turn('gem:gemini-2.5-pro'));
      const declared = (gem.requests[0]!.body.tools as Json[]).flatMap((t) => t.functionDeclarations ?? []);
      expect(declared.map((d) => d.name)).to.deep.equal(['shell', 'apply_patch']);
      expect(JSON.stringify(declared[0])).to.contain('"required":["commands"]');
      expect(JSON.stringify(declared[1])).to.contain('"required":["operation"]');
      const [shell] = calls(first);
      expect(shell).to.deep.include({ type: 'shell_call', action: { commands: ['ls'], timeout_ms: null, max_output_length: null } });
      expect(shell!.call_id).to.be.a('string').and.not.equal('');

      gem.enqueue({ toolCalls: [{ name: 'apply_patch', args: JSON.stringify({ operation: OPERATION }) }], finish: 'tool_calls' });
      const second = await ask(turn('gem:gemini-2.5-pro', [callItem(first, 'shell_call'), shellOutput(shell!.call_id)]));
      const [patch] = calls(second);
      expect(patch).to.deep.include({ type: 'apply_patch_call', operation: OPERATION });
      const parts = (gem.requests[1]!.body.contents as { parts: Json[] }[]).flatMap((c) => c.parts);
      expect(parts.filter((p) => p.functionCall).map((p) => p.functionCall)).to.deep.equal([{ name: 'shell', args: { commands: ['ls'], timeout_ms: null, max_output_length: null } }]);
      const responses = parts.filter((p) => p.functionResponse).map((p) => p.functionResponse);
      expect(responses).to.have.length(1);
      expect(responses[0].name).to.equal('shell');
      expect(responses[0].response.result).to.be.a('string').and.to.contain(STDOUT).and.to.contain('exit code 0');
    });
  }

  it('a shell in an OpenAI container is still a 400 naming tools[0].environment.type; nothing goes upstream', async () => {
    const err = await up.openai().responses.create({
      ...turn('or:gpt-5.4'), tools: [{ type: 'shell', environment: { type: 'container_auto' } } as Tool, APPLY_PATCH],
    }).then(() => undefined, (e: unknown) => e as { status?: number; message?: string });
    expect(err?.status).to.equal(400);
    expect(err?.message).to.include('tools[0].environment.type');
    expect(emulators.or!.requests).to.have.length(0);
  });
});

/** A tool_result's content as text (a string, or its text blocks). */
function resultText(content: unknown): string {
  return typeof content === 'string' ? content : (content as Json[]).map((b) => (b.type === 'text' ? b.text as string : '')).join('');
}
