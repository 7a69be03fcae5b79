import { expect } from 'chai';
import { useUpstreams } from '../helpers/upstreams.js';

const TOOL = { type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } };
const ANTHROPIC_TOOL = { name: 'get_weather', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } } } };

/**
 * An upstream that finished for tool calls but made none (a compatible server whose tool parser
 * failed says `finish_reason: "tool_calls"` over text alone; Anthropic `stop_reason: "tool_use"`
 * without a tool_use block) reached Chat clients as `finish_reason: "tool_calls"` with no
 * `tool_calls`, and Anthropic clients as `stop_reason: "tool_use"` with no tool_use block: an agent
 * loop then looks for calls that are not there. Such an answer now ends as a natural stop.
 */
describe('e2e regression: a tool-call finish without tool calls', function () {
  this.timeout(20_000);
  const up = useUpstreams({ oc: { kind: 'openai-chat' }, an: { kind: 'anthropic' } });
  const scripts = {
    oc: { text: 'I will call get_weather now', finish: 'tool_calls' as const },
    an: { text: 'I will call get_weather now', rawFinish: 'tool_use' },
  };

  for (const [id, model] of [['oc', 'oc:gpt-4o'], ['an', 'an:claude-sonnet-4-6']] as const) {
    it(`reaches a Chat client as finish_reason stop (${id} upstream, whole and streamed)`, async () => {
      up.emulators[id]!.enqueue(scripts[id]);
      const whole = await up.openai().chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], tools: [TOOL] });
      expect(whole.choices[0]!.finish_reason).to.equal('stop');
      expect(whole.choices[0]!.message.tool_calls).to.equal(undefined);
      up.emulators[id]!.enqueue(scripts[id]);
      const streamed = await up.openai().chat.completions.stream({ model, messages: [{ role: 'user', content: 'hi' }], tools: [TOOL] }).finalChatCompletion();
      expect(streamed.choices[0]!.finish_reason).to.equal('stop');
      expect(streamed.choices[0]!.message.content).to.equal('I will call get_weather now');
    });

    it(`reaches an Anthropic client as stop_reason end_turn (${id} upstream, whole and streamed)`, async () => {
      const params = { model, max_tokens: 100, messages: [{ role: 'user' as const, content: 'hi' }], tools: [ANTHROPIC_TOOL] };
      up.emulators[id]!.enqueue(scripts[id]);
      const whole = await up.anthropic().messages.create(params);
      expect(whole.stop_reason).to.equal('end_turn');
      expect(whole.content.map((b) => b.type)).to.deep.equal(['text']);
      up.emulators[id]!.enqueue(scripts[id]);
      const streamed = await up.anthropic().messages.stream(params).finalMessage();
      expect(streamed.stop_reason).to.equal('end_turn');
    });
  }
});
