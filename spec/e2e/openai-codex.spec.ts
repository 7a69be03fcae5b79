import { expect } from 'chai';
import OpenAI from 'openai';
import { startCodexEmulator, type CodexEmulator } from '../helpers/emulators/index.js';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const TOOLS = [{ type: 'function' as const, function: { name: 'read', description: 'Read a file', parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } } }];

/**
 * openai-codex behind lip, through the OpenAI SDK: a temperature the endpoint refuses is a
 * clear 400 for the client; with codex-client-compat, an OpenCode client (by its User-Agent)
 * gets it dropped and the bridge block in the instructions, on the codex backend only.
 */
describe('e2e: openai-codex and codex-client-compat through the OpenAI SDK', function () {
  this.timeout(30_000);
  let emu: CodexEmulator;
  let plain: RunningLip;
  let compat: RunningLip;
  before(async () => {
    emu = await startCodexEmulator();
    const rows = `  - { id: codex, kind: openai-codex, base_url: "${emu.url}", access_token: codex-token-1 }`;
    plain = await startLip(testConfig(rows, 'routing: { default_route: "codex:gpt-5.4" }'));
    compat = await startLip(testConfig(rows, 'routing: { default_route: "codex:gpt-5.4" }\nfeatures:\n  - { id: codex-client-compat }'));
  });
  after(async () => {
    await plain?.close();
    await compat?.close();
    await emu?.close();
  });
  beforeEach(() => emu.reset());
  const client = (lip: RunningLip, agent: string) => new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0, defaultHeaders: { 'user-agent': agent } });

  it('answers a refused generation parameter with a 400 that says what to do, before the upstream is asked', async () => {
    const err = await client(plain, 'opencode/0.9').chat.completions.create({ model: 'codex:gpt-5.4', temperature: 0.2, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).to.equal(400);
    expect((err as Error).message).to.contain('temperature').and.contain('ignore_unsupported_gen_params');
    expect(emu.requests).to.have.length(0);
  });

  for (const stream of [true, false]) it(`bridges an OpenCode client: parameters dropped, the block in the instructions once (${stream ? 'streaming' : 'non-streaming'})`, async () => {
    emu.enqueue({ toolCalls: [{ id: 'call_1', name: 'read', args: '{"path":"a.ts"}' }] });
    const c = client(compat, 'opencode/0.9.1 ai-sdk/5');
    const request = { model: 'codex:gpt-5.4', temperature: 0.2, max_tokens: 100, tools: TOOLS, messages: [{ role: 'system' as const, content: 'Keep it short.' }, { role: 'user' as const, content: 'open a.ts' }] };
    let name: string | undefined;
    if (stream) {
      for await (const chunk of await c.chat.completions.create({ ...request, stream: true })) name ??= chunk.choices[0]?.delta.tool_calls?.[0]?.function?.name;
    } else {
      name = (await c.chat.completions.create(request)).choices[0]!.message.tool_calls?.[0]?.type === 'function' ? 'read' : undefined;
    }
    expect(name).to.equal('read');
    const body = emu.requests[0]!.body;
    expect(body).not.to.have.any.keys('temperature', 'max_output_tokens');
    expect(body.instructions.startsWith('Keep it short.\n\nOpenCode compatibility mode:')).to.equal(true);
    expect(body.instructions.split('OpenCode compatibility mode:')).to.have.length(2);
    expect(body.input.every((i: { role?: string }) => i.role !== 'system')).to.equal(true);
  });

  it('answers every turn on a -codex model: no verbosity bump goes to a model the endpoint refuses it for', async () => {
    const c = client(plain, 'my-app/1.0');
    const responses = await c.responses.create({ model: 'codex:gpt-5.2-codex', input: 'write a function' });
    expect(responses.output_text).to.equal('Hello from the emulator.');
    const chat = await c.chat.completions.create({ model: 'codex:gpt-5.1-codex-max', messages: [{ role: 'user', content: 'write another function' }] });
    expect(chat.choices[0]!.message.content).to.equal('Hello from the emulator.');
    expect(emu.requests.map((r) => r.body.text?.verbosity)).to.deep.equal([undefined, undefined]);
    // gpt-5.4 takes it: its first turn is bumped as before.
    await c.responses.create({ model: 'codex:gpt-5.4', input: 'write a third function' });
    expect(emu.requests[2]!.body.text).to.deep.equal({ verbosity: 'high' });
  });

  it('leaves a client it does not know alone (the refusal stands)', async () => {
    const err = await client(compat, 'curl/8.5').chat.completions.create({ model: 'codex:gpt-5.4', temperature: 0.2, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).to.equal(400);
  });
});
