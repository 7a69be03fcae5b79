import { expect } from 'chai';
import OpenAI from 'openai';
import { testConfig, bedrockRow } from '../helpers/config.js';
import { startBedrockEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { useUpstreams } from '../helpers/upstreams.js';

/** A tree: inside OpenAI's strict subset (which takes recursion), outside Anthropic's (which does not). */
const TREE = {
  type: 'object', properties: { root: { $ref: '#/$defs/Node' } }, required: ['root'], additionalProperties: false,
  $defs: { Node: { type: 'object', properties: { label: { type: 'string' }, children: { type: 'array', items: { $ref: '#/$defs/Node' } } }, required: ['label', 'children'], additionalProperties: false } },
};
/** The same through the root (`$ref: "#"`), as zod writes a recursive type. */
const LIST = { type: 'object', properties: { value: { type: 'string' }, next: { anyOf: [{ $ref: '#' }, { type: 'null' }] } }, required: ['value', 'next'], additionalProperties: false };

/**
 * Anthropic's structured outputs do not take recursive schemas (JSON Schema limitations: "Not
 * supported: recursive schemas"), and a strict tool or `output_config.format` with one fails the
 * whole request. lip sent a recursive strict tool with `strict: true`, and a recursive response
 * format as it was. Now such a tool goes without `strict` (its schema as written, as for any
 * schema outside the subset), and such a format, which has no unconstrained form there, is
 * refused before anything is sent, retryable, so that a route moves on to a candidate that takes
 * it (OpenAI's strict subset does).
 */
describe('e2e: regression: recursive schemas and Anthropic\'s structured outputs', function () {
  this.timeout(30_000);
  const up = useUpstreams({ an: { kind: 'anthropic' }, oc: { kind: 'openai-chat' } });

  for (const [name, schema] of [['a $defs tree', TREE], ['a list through #', LIST]] as const) {
    it(`a Chat client's strict function of ${name} reaches anthropic without strict, its schema as written`, async () => {
      up.emulators.an!.enqueue({ text: 'ok' });
      const completion = await up.openai().chat.completions.create({
        model: 'an:claude-sonnet-4-6', messages: [{ role: 'user', content: 'Build it' }],
        tools: [{ type: 'function', function: { name: 'build', parameters: schema, strict: true } }],
      });
      expect(completion.choices[0]!.message.content).to.equal('ok');
      expect(up.emulators.an!.requests[0]!.body.tools).to.deep.equal([{ name: 'build', input_schema: schema }]);
    });
  }

  it('the same tool keeps strict: true on OpenAI, whose strict subset takes recursion', async () => {
    up.emulators.oc!.enqueue({ text: 'ok' });
    await up.openai().chat.completions.create({
      model: 'oc:gpt-4o', messages: [{ role: 'user', content: 'Build it' }],
      tools: [{ type: 'function', function: { name: 'build', parameters: TREE, strict: true } }],
    });
    expect(up.emulators.oc!.requests[0]!.body.tools[0].function.strict).to.equal(true);
  });

  it('a recursive json_schema response format is refused before anything is sent to anthropic (400, naming it)', async () => {
    const err = await up.openai().chat.completions.create({
      model: 'an:claude-sonnet-4-6', messages: [{ role: 'user', content: 'Build it' }],
      response_format: { type: 'json_schema', json_schema: { name: 'tree', schema: TREE, strict: true } },
    }).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).to.include('recursive');
    expect(up.emulators.an!.requests).to.have.length(0);
  });

  it('a route moves on from anthropic to a candidate that takes the recursive format', async () => {
    up.emulators.oc!.enqueue({ text: '{"root":{"label":"a","children":[]}}' });
    const completion = await up.openai().chat.completions.create({
      model: 'an:claude-sonnet-4-6|oc:gpt-4o', messages: [{ role: 'user', content: 'Build it' }],
      response_format: { type: 'json_schema', json_schema: { name: 'tree', schema: TREE, strict: true } },
    });
    expect(completion.choices[0]!.message.content).to.equal('{"root":{"label":"a","children":[]}}');
    expect(up.emulators.an!.requests).to.have.length(0);
    expect(up.emulators.oc!.requests[0]!.body.response_format.json_schema.schema).to.deep.equal(TREE);
  });

  describe('bedrock (a Claude model, which Converse compiles as Anthropic does)', () => {
    let br: Emulator;
    let lip: RunningLip;
    let openai: OpenAI;
    before(async () => {
      br = await startBedrockEmulator();
      lip = await startLip(testConfig(bedrockRow('br', br)));
      openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
    });
    after(async () => {
      await lip?.close();
      await br?.close();
    });
    const model = 'br:anthropic.claude-sonnet-4-20250514-v1:0';

    it('a recursive strict tool goes without toolSpec.strict', async () => {
      br.enqueue({ text: 'ok' });
      await openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'Build it' }], tools: [{ type: 'function', function: { name: 'build', parameters: LIST, strict: true } }] });
      expect(br.requests.at(-1)!.body.toolConfig.tools).to.deep.equal([{ toolSpec: { name: 'build', inputSchema: { json: LIST } } }]);
    });

    it('a recursive response format is refused before sending', async () => {
      const before = br.requests.length;
      const err = await openai.chat.completions.create({
        model, messages: [{ role: 'user', content: 'Build it' }], response_format: { type: 'json_schema', json_schema: { name: 'list', schema: LIST, strict: true } },
      }).then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(OpenAI.BadRequestError);
      expect(br.requests.length).to.equal(before);
    });
  });
});
