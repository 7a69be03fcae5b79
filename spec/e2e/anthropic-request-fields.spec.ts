import Anthropic from '@anthropic-ai/sdk';
import { jsonSchemaOutputFormat } from '@anthropic-ai/sdk/helpers/json-schema';
import { expect } from 'chai';
import { testConfig } from '../helpers/config.js';
import { startAnthropicEmulator, startGeminiEmulator, startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const SCHEMA = {
  type: 'object', properties: { answer: { type: 'number' } }, required: ['answer'], additionalProperties: false,
} as const;

/**
 * Messages request fields lip used to accept and drop, so the model answered without what the
 * client asked for: structured output (`output_config.format`, what `messages.parse()` sends),
 * automatic prompt caching (a top-level `cache_control`), data residency (`inference_geo`) and
 * fast mode (`speed`). Through the official SDK they reach an Anthropic upstream; structured
 * output reaches other providers in their own terms; a code-execution `container`, which lip
 * cannot give, is refused in Anthropic's envelope instead of ignored.
 */
describe('e2e: Anthropic request fields reach the upstream', function () {
  this.timeout(20_000);
  const emulators: Record<string, Emulator> = {};
  let lip: RunningLip;
  let client: Anthropic;
  before(async () => {
    [emulators.an, emulators.oc, emulators.gem] = await Promise.all([startAnthropicEmulator(), startOpenAIChatEmulator(), startGeminiEmulator()]);
    lip = await startLip(testConfig([
      `  - { id: an, kind: anthropic, base_url: "${emulators.an.url}", api_key: k-0123456789 }`,
      `  - { id: oc, kind: openai-chat, base_url: "${emulators.oc.url}", api_key: k-0123456789 }`,
      `  - { id: gem, kind: gemini, base_url: "${emulators.gem.url}", api_key: k-0123456789 }`,
    ].join('\n')));
    client = new Anthropic({ baseURL: lip.url, apiKey: 'k', maxRetries: 0, openTelemetry: false } as never);
  });
  after(async () => {
    await lip?.close();
    for (const emu of Object.values(emulators)) await emu.close();
  });
  beforeEach(() => {
    for (const emu of Object.values(emulators)) emu.reset();
  });

  const params = (model: string) => ({
    model, max_tokens: 256,
    system: 'Answer in JSON.',
    messages: [
      { role: 'user' as const, content: 'What is 2 + 2?' },
      { role: 'assistant' as const, content: 'Let me think.' },
      { role: 'user' as const, content: [{ type: 'text' as const, text: 'Go on.' }] },
    ],
    output_config: { format: jsonSchemaOutputFormat(SCHEMA, { transform: false }) },
  });

  for (const stream of [false, true]) {
    const mode = stream ? 'streaming' : 'non-streaming';

    it(`output_config.format, a top-level cache_control (on the last block), inference_geo and speed reach an anthropic upstream (${mode})`, async () => {
      emulators.an!.enqueue({ text: '{"answer": 4}' });
      const p = { ...params('an:claude-sonnet-4-6'), cache_control: { type: 'ephemeral' as const, ttl: '1h' as const }, inference_geo: 'us', speed: 'fast' as const };
      const message = stream ? await client.messages.stream(p).finalMessage() : await client.messages.parse(p);
      expect(message.content.map((block) => (block.type === 'text' ? block.text : block.type))).to.deep.equal(['{"answer": 4}']);
      if (!stream) expect((message as { parsed_output?: unknown }).parsed_output).to.deep.equal({ answer: 4 });
      const sent = emulators.an!.requests[0]!.body;
      expect(sent.output_config).to.deep.equal({ format: { type: 'json_schema', schema: SCHEMA } });
      expect(sent).to.include({ inference_geo: 'us', speed: 'fast' }).and.not.to.have.property('cache_control');
      expect(sent.system).to.deep.equal([{ type: 'text', text: 'Answer in JSON.' }]);
      expect(sent.messages.slice(0, 2)).to.deep.equal([
        { role: 'user', content: [{ type: 'text', text: 'What is 2 + 2?' }] },
        { role: 'assistant', content: [{ type: 'text', text: 'Let me think.' }] },
      ]);
      expect(sent.messages[2]).to.deep.equal({ role: 'user', content: [{ type: 'text', text: 'Go on.', cache_control: { type: 'ephemeral', ttl: '1h' } }] });
    });

    it(`structured output becomes response_format json_schema on an openai-chat upstream (${mode})`, async () => {
      emulators.oc!.enqueue({ text: '{"answer": 4}' });
      const p = params('oc:gpt-5.4-mini');
      const message = stream ? await client.messages.stream(p).finalMessage() : await client.messages.parse(p);
      if (!stream) expect((message as { parsed_output?: unknown }).parsed_output).to.deep.equal({ answer: 4 });
      const sent = emulators.oc!.requests[0]!.body;
      expect(sent.response_format).to.deep.equal({ type: 'json_schema', json_schema: { name: 'response', schema: SCHEMA } });
    });
  }

  it('structured output becomes a response JSON schema on a gemini upstream', async () => {
    emulators.gem!.enqueue({ text: '{"answer": 4}' });
    const message = await client.messages.parse(params('gem:gemini-2.5-flash'));
    expect(message.parsed_output).to.deep.equal({ answer: 4 });
    expect(emulators.gem!.requests[0]!.body.generationConfig).to.deep.include({ responseMimeType: 'application/json', responseJsonSchema: SCHEMA });
  });

  it('the beta\'s output_format (moved to output_config.format by the SDK) arrives the same way', async () => {
    emulators.an!.enqueue({ text: '{"answer": 4}' });
    const { output_config: _, ...rest } = params('an:claude-sonnet-4-6');
    const message = await client.beta.messages.parse({ ...rest, output_format: jsonSchemaOutputFormat(SCHEMA, { transform: false }) });
    expect(message.parsed_output).to.deep.equal({ answer: 4 });
    expect(emulators.an!.requests[0]!.body.output_config).to.deep.equal({ format: { type: 'json_schema', schema: SCHEMA } });
  });

  it('a code-execution container reaches an anthropic upstream as written; one of a wrong type is a 400 in Anthropic\'s envelope naming container, nothing going upstream', async () => {
    emulators.an!.enqueue({ text: '{"answer": 4}' });
    const container = { id: 'container_011CZ', skills: [{ type: 'anthropic' as const, skill_id: 'xlsx', version: 'latest' }] };
    await client.messages.create({ ...params('an:claude-sonnet-4-6'), container });
    expect(emulators.an!.requests[0]!.body.container).to.deep.equal(container);
    emulators.an!.reset();
    const err = await client.messages.create({ ...params('an:claude-sonnet-4-6'), container: 7 as unknown as string }).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(Anthropic.BadRequestError);
    const body = (err as InstanceType<typeof Anthropic.BadRequestError>).error as { type: string; error: { type: string; message: string } };
    expect(body.type).to.equal('error');
    expect(body.error.type).to.equal('invalid_request_error');
    expect(body.error.message).to.match(/^container: /);
    expect(emulators.an!.requests).to.have.length(0);
  });

  it('a structured-output format that is not a JSON schema is a 400 naming output_config.format', async () => {
    const bad = { ...params('an:claude-sonnet-4-6'), output_config: { format: { type: 'json_object' } } } as never;
    const err = await client.messages.create(bad).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(Anthropic.BadRequestError);
    expect((err as Error).message).to.include('output_config.format');
    expect(emulators.an!.requests).to.have.length(0);
  });

  it('context_management (Claude Code clears old tool results with it) reaches an anthropic upstream with its beta; on another upstream the clearing edits are left out (spec/e2e/anthropic-compaction.spec.ts: compaction)', async () => {
    const edits = [{ type: 'clear_tool_uses_20250919' as const, trigger: { type: 'input_tokens' as const, value: 30_000 }, keep: { type: 'tool_uses' as const, value: 3 } }];
    await client.beta.messages.create({ ...params('an:claude-sonnet-4-6'), output_config: undefined, betas: ['context-management-2025-06-27'], context_management: { edits } } as never);
    const sent = emulators.an!.requests[0]!;
    expect(sent.body.context_management).to.deep.equal({ edits });
    expect(sent.headers['anthropic-beta']).to.contain('context-management-2025-06-27');
    await client.beta.messages.create({ ...params('oc:gpt-5.4-mini'), output_config: undefined, context_management: { edits } } as never);
    expect(emulators.oc!.requests[0]!.body).to.not.have.property('context_management');
  });
});

