import { expect } from 'chai';
import type { Response, ResponseStreamEvent } from 'openai/resources/responses/responses';
import { useUpstreams } from '../helpers/upstreams.js';

const TOOL = { type: 'function' as const, name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: false };

/** Each function_call item as [status, call_id]. */
const calls = (output: Response['output']) => output.filter((o) => o.type === 'function_call').map((o) => [o.status, o.call_id]);

/**
 * A tool call cut off by the output limit reached Responses clients as a function_call item of
 * status `completed` (the response itself `incomplete`, `max_output_tokens`), streamed and whole,
 * even when an OpenAI Responses upstream marked the item `incomplete`; with its arguments repaired
 * into valid JSON the client had no sign it was cut. The call the response ended in is now
 * `incomplete` as a cut message is (a call another item follows stays `completed`): a stream holds
 * back the last call's done events until the next item starts or the response ends, and a stored
 * response retrieved shows the same.
 */
describe('e2e regression: a tool call cut off by the output limit, to a Responses client', function () {
  this.timeout(20_000);
  const up = useUpstreams({ oc: { kind: 'openai-chat' }, or: { kind: 'openai-responses' }, an: { kind: 'anthropic' } });
  const script = {
    toolCalls: [{ id: 'call_1', name: 'get_weather', args: '{"city":"Rome"}' }, { id: 'call_2', name: 'get_weather', args: ['{"city":', '"Par'] }],
    finish: 'length' as const,
  };
  const expected = [['completed', 'call_1'], ['incomplete', 'call_2']];

  for (const [id, model] of [['oc', 'oc:gpt-4o'], ['or', 'or:gpt-5'], ['an', 'an:claude-sonnet-4-6']] as const) {
    it(`whole: the cut call is incomplete, and so is it retrieved (${id} upstream)`, async () => {
      up.emulators[id]!.enqueue(script);
      const whole = await up.openai().responses.create({ model, input: 'hi', tools: [TOOL] });
      expect([whole.status, whole.incomplete_details?.reason]).to.deep.equal(['incomplete', 'max_output_tokens']);
      expect(calls(whole.output)).to.deep.equal(expected);
      expect(calls((await up.openai().responses.retrieve(whole.id)).output)).to.deep.equal(expected);
    });

    it(`streamed: the cut call's output_item.done is incomplete, after the one before it; the final and retrieved responses agree (${id} upstream)`, async () => {
      up.emulators[id]!.enqueue(script);
      const events: ResponseStreamEvent[] = [];
      const stream = up.openai().responses.stream({ model, input: 'hi', tools: [TOOL] });
      stream.on('event', (e) => events.push(e));
      const final = await stream.finalResponse();
      const done = events.flatMap((e) => (e.type === 'response.output_item.done' && e.item.type === 'function_call' ? [[e.item.status, e.item.call_id]] : []));
      expect(done).to.deep.equal(expected);
      expect(events.at(-1)!.type).to.equal('response.incomplete');
      expect(calls(final.output)).to.deep.equal(expected);
      expect(calls((await up.openai().responses.retrieve(final.id)).output)).to.deep.equal(expected);
    });
  }
});
