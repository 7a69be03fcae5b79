import { expect } from 'chai';
import { useUpstreams } from '../helpers/upstreams.js';

/** A closed object `levels` objects deep below the root: inside Anthropic's strict subset at any depth. */
const nested = (levels: number): Record<string, unknown> => (levels === 0
  ? { type: 'string' }
  : { type: 'object', properties: { x: nested(levels - 1) }, required: ['x'], additionalProperties: false });

/**
 * OpenAI's structured outputs take a strict schema up to 10 levels of nesting (and 5,000
 * properties, 1,000 enum values, 120,000 characters of names and values); past a limit the API
 * refuses the whole request ("6 levels of nesting exceeds limit of 5", when the limit was 5; the
 * emulators refuse it likewise). An Anthropic client's strict tool 12 objects deep, inside
 * Anthropic's subset, went strict: true to an OpenAI upstream. Now it goes strict: false, as any
 * schema outside the strict subset does, and one 10 deep stays strict.
 */
describe('e2e: regression: a strict tool past OpenAI\'s strict schema limits goes strict: false', function () {
  this.timeout(20_000);
  const up = useUpstreams({ oc: { kind: 'openai-chat' }, or: { kind: 'openai-responses' } });
  const strictOf = (id: string) => up.emulators[id]!.requests.map((r) => r.body.tools.map((t: any) => t.function?.strict ?? t.strict));

  for (const id of ['oc', 'or']) {
    it(`an Anthropic client's strict tools 10 and 12 levels deep answer on ${id}: the first strict, the second not`, async () => {
      for (const levels of [10, 12]) {
        up.emulators[id]!.enqueue({ text: 'ok' });
        const message = await up.anthropic().messages.create({
          model: `${id}:gpt-4o`, max_tokens: 50, messages: [{ role: 'user', content: 'Fill it' }],
          tools: [{ name: 'fill', input_schema: nested(levels) as never, strict: true }],
        });
        expect(message.content.map((b) => (b.type === 'text' ? b.text : b.type))).to.deep.equal(['ok']);
      }
      expect(strictOf(id)).to.deep.equal([[true], [false]]);
    });
  }
});
