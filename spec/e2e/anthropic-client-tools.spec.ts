import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import { useUpstreams } from '../helpers/upstreams.js';

const EDITOR = { type: 'text_editor_20250728', name: 'str_replace_based_edit_tool', max_characters: 10000 } as const;
const VIEW = { command: 'view', path: '/repo/app.py' };
const EDIT = { command: 'str_replace', path: '/repo/app.py', old_str: 'retries = 1', new_str: 'retries = 3' };

/**
 * Anthropic's client tools (text editor, bash, memory, computer use: the schema is Anthropic's,
 * the client runs them) through the official SDK. They were refused as server tools (400), so a
 * coding agent built on them could not use lip at all. Now an Anthropic upstream gets the tool
 * as the client declared it, another provider a function tool of the same name with lip's
 * schema, and either way the model's call is an ordinary `tool_use` the client answers with a
 * `tool_result`.
 */
describe('e2e: Anthropic client tools (text editor, bash, memory, computer use)', function () {
  this.timeout(20_000);
  const up = useUpstreams({ an: { kind: 'anthropic' }, oc: { kind: 'openai-chat' } });
  const emulators = up.emulators;
  const client = () => up.anthropic();

  const first = (model: string) => ({
    model, max_tokens: 256, tools: [EDITOR],
    messages: [{ role: 'user' as const, content: 'Raise the retries in /repo/app.py to 3.' }],
  });
  /** The next turn: the model's view call and the client's result, as the client sends them back. */
  const second = (model: string, id: string) => ({
    ...first(model),
    messages: [
      ...first(model).messages,
      { role: 'assistant' as const, content: [{ type: 'tool_use' as const, id, name: EDITOR.name, input: VIEW }] },
      { role: 'user' as const, content: [{ type: 'tool_result' as const, tool_use_id: id, content: '1: retries = 1' }] },
    ],
  });
  const toolUses = (message: Anthropic.Message) => message.content.flatMap((b) => (b.type === 'tool_use' ? [{ id: b.id, name: b.name, input: b.input }] : []));

  for (const stream of [false, true]) {
    const mode = stream ? 'streaming' : 'non-streaming';
    const ask = (p: Anthropic.MessageCreateParamsNonStreaming) => (stream ? client().messages.stream(p).finalMessage() : client().messages.create(p));

    it(`a text editor tool reaches an anthropic upstream as declared; its tool_use comes back, and the tool_result goes up (${mode})`, async () => {
      emulators.an!.enqueue({ toolCalls: [{ id: 'toolu_1', name: EDITOR.name, args: JSON.stringify(VIEW) }], finish: 'tool_calls' });
      const message = await ask(first('an:claude-sonnet-4-6'));
      expect(message.stop_reason).to.equal('tool_use');
      expect(toolUses(message)).to.deep.equal([{ id: 'toolu_1', name: EDITOR.name, input: VIEW }]);
      expect(emulators.an!.requests[0]!.body.tools).to.deep.equal([EDITOR]);

      emulators.an!.enqueue({ toolCalls: [{ id: 'toolu_2', name: EDITOR.name, args: JSON.stringify(EDIT) }], finish: 'tool_calls' });
      const next = await ask(second('an:claude-sonnet-4-6', 'toolu_1'));
      expect(toolUses(next)).to.deep.equal([{ id: 'toolu_2', name: EDITOR.name, input: EDIT }]);
      const sent = emulators.an!.requests[1]!.body;
      expect(sent.tools).to.deep.equal([EDITOR]);
      expect(sent.messages.slice(1)).to.deep.equal([
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: EDITOR.name, input: VIEW }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '1: retries = 1' }] },
      ]);
    });

    it(`on an openai-chat upstream it is a function of the same name with lip's schema; the call comes back as a tool_use with its input (${mode})`, async () => {
      emulators.oc!.enqueue({ toolCalls: [{ id: 'call_1', name: EDITOR.name, args: ['{"command":"view",', '"path":"/repo/app.py"}'] }], finish: 'tool_calls' });
      const message = await ask(first('oc:gpt-5.4-mini'));
      expect(message.stop_reason).to.equal('tool_use');
      expect(toolUses(message)).to.deep.equal([{ id: 'call_1', name: EDITOR.name, input: VIEW }]);
      const [tool] = emulators.oc!.requests[0]!.body.tools as { type: string; function: { name: string; description: string; parameters: Record<string, any> } }[];
      expect(tool!.type).to.equal('function');
      expect(tool!.function.name).to.equal(EDITOR.name);
      expect(tool!.function.description).to.match(/^Views, creates and edits text files/);
      expect(tool!.function.parameters).to.deep.include({ type: 'object', required: ['command', 'path'] });
      expect(tool!.function.parameters.properties.command.enum).to.deep.equal(['view', 'create', 'str_replace', 'insert']);
      expect(tool!.function.parameters.properties).to.include.keys('path', 'old_str', 'new_str', 'insert_line', 'view_range', 'file_text');

      emulators.oc!.enqueue({ toolCalls: [{ id: 'call_2', name: EDITOR.name, args: JSON.stringify(EDIT) }], finish: 'tool_calls' });
      const next = await ask(second('oc:gpt-5.4-mini', 'call_1'));
      expect(toolUses(next)).to.deep.equal([{ id: 'call_2', name: EDITOR.name, input: EDIT }]);
      const history = (emulators.oc!.requests[1]!.body.messages as Record<string, unknown>[]).slice(1);
      expect(history).to.deep.equal([
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: EDITOR.name, arguments: JSON.stringify(VIEW) } }] },
        { role: 'tool', tool_call_id: 'call_1', content: '1: retries = 1' },
      ]);
    });
  }

  it('computer use reaches an anthropic upstream as declared, with the client\'s anthropic-beta', async () => {
    emulators.an!.enqueue({ toolCalls: [{ name: 'computer', args: '{"action":"screenshot"}' }], finish: 'tool_calls' });
    const computer = { type: 'computer_20250124', name: 'computer', display_width_px: 1024, display_height_px: 768, display_number: 1 } as const;
    const message = await client().beta.messages.create({
      model: 'an:claude-sonnet-4-6', max_tokens: 256, betas: ['computer-use-2025-01-24'], tools: [computer],
      messages: [{ role: 'user', content: 'Open the settings.' }],
    });
    expect(message.content.flatMap((b) => (b.type === 'tool_use' ? [[b.name, b.input]] : []))).to.deep.equal([['computer', { action: 'screenshot' }]]);
    const sent = emulators.an!.requests[0]!;
    expect(sent.body.tools).to.deep.equal([computer]);
    expect(sent.headers['anthropic-beta']).to.contain('computer-use-2025-01-24');
  });

  it('bash and memory reach an openai-chat upstream as functions named bash and memory', async () => {
    emulators.oc!.enqueue({ toolCalls: [{ id: 'call_1', name: 'bash', args: '{"command":"ls"}' }], finish: 'tool_calls' });
    const message = await client().messages.create({
      model: 'oc:gpt-5.4-mini', max_tokens: 256, tools: [{ type: 'bash_20250124', name: 'bash' }, { type: 'memory_20250818', name: 'memory' }],
      messages: [{ role: 'user', content: 'What is here?' }],
    });
    expect(toolUses(message)).to.deep.equal([{ id: 'call_1', name: 'bash', input: { command: 'ls' } }]);
    const tools = emulators.oc!.requests[0]!.body.tools as { function: { name: string } }[];
    expect(tools.map((t) => t.function.name)).to.deep.equal(['bash', 'memory']);
  });

  it('a server tool lip does not pass is still a 400 in Anthropic\'s envelope naming tools[i].type; nothing goes upstream', async () => {
    const err = await client().messages.create({
      ...first('an:claude-sonnet-4-6'), tools: [EDITOR, { type: 'imaginary_tool_20991231', name: 'imaginary' } as unknown as Anthropic.ToolUnion],
    }).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(Anthropic.BadRequestError);
    expect((err as Error).message).to.include('tools[1].type');
    expect(emulators.an!.requests).to.have.length(0);
  });
});
