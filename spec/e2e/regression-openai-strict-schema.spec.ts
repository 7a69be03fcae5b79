import { expect } from 'chai';
import { useUpstreams } from '../helpers/upstreams.js';

/** Inside Anthropic's strict subset (pydantic's `$ref` wrapped in `allOf`), outside OpenAI's. */
const WRAPPED_REF = {
  type: 'object', $defs: { Unit: { type: 'string', enum: ['c', 'f'] } },
  properties: { city: { type: 'string' }, unit: { allOf: [{ $ref: '#/$defs/Unit' }], description: 'unit' } },
  required: ['city', 'unit'], additionalProperties: false,
};
/** A closed root holding an open map: Anthropic takes it without strict, OpenAI's strict mode refuses it. */
const OPEN_MAP = { type: 'object', properties: { tags: { type: 'object' } }, required: ['tags'], additionalProperties: false };
const CLOSED = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };

/**
 * A strict tool reaches an OpenAI upstream strict only when OpenAI's strict mode takes its schema.
 * An Anthropic client's strict tool with `allOf` (pydantic writes one around every described
 * `$ref`), or with an object nested open, went `strict: true`, and OpenAI refuses the whole
 * request for it ("'allOf' is not permitted", "'additionalProperties' is required to be supplied
 * and to be false"; the emulators refuse it likewise). Now such a tool goes `strict: false`, as
 * docs/backends/openai-chat.md promises, and a schema inside the subset still goes strict.
 */
describe('e2e: regression: strict tools reach OpenAI upstreams strict only inside its strict subset', function () {
  this.timeout(20_000);
  const up = useUpstreams({ oc: { kind: 'openai-chat' }, or: { kind: 'openai-responses' } });
  const strictOf = (id: string) => up.emulators[id]!.requests.map((r) => r.body.tools.map((t: any) => t.function?.strict ?? t.strict));

  for (const id of ['oc', 'or']) {
    it(`an Anthropic client's strict tools with allOf and an open object answer on ${id}, sent strict: false; a closed one stays strict`, async () => {
      for (const schema of [WRAPPED_REF, OPEN_MAP, CLOSED]) {
        up.emulators[id]!.enqueue({ text: 'ok' });
        const message = await up.anthropic().messages.create({
          model: `${id}:gpt-4o`, max_tokens: 50, messages: [{ role: 'user', content: 'Weather?' }],
          tools: [{ name: 'weather', input_schema: schema as never, strict: true }],
        });
        expect(message.content.map((b) => (b.type === 'text' ? b.text : b.type))).to.deep.equal(['ok']);
      }
      expect(strictOf(id)).to.deep.equal([[false], [false], [true]]);
    });
  }
});
