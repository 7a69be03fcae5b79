import { expect } from 'chai';
import { useUpstreams } from '../helpers/upstreams.js';

const NO_PARAMS = { type: 'object', properties: {} };

/**
 * A call of a tool without parameters from an OpenAI-compatible upstream that sends its arguments
 * as `""` (OpenAI itself sends `"{}"`) reached Chat and Responses clients as `""`, which the openai
 * SDK's `runTools()` and `parse()` JSON.parse and throw on; Anthropic and Gemini clients already
 * got `{}`. Blank arguments now reach them as `"{}"`, streamed and whole; a custom tool's blank
 * input stays blank.
 */
describe('e2e regression: blank tool-call arguments to Chat and Responses clients', function () {
  this.timeout(20_000);
  const up = useUpstreams({ oc: { kind: 'openai-chat' }, or: { kind: 'openai-responses' } });
  const script = { toolCalls: [{ id: 'call_z', name: 'now', args: '' }] };

  for (const [id, model] of [['oc', 'oc:gpt-4o'], ['or', 'or:gpt-5']] as const) {
    it(`a Chat client gets "{}" (${id} upstream, whole and streamed)`, async () => {
      const params = { model, messages: [{ role: 'user' as const, content: 'time' }], tools: [{ type: 'function' as const, function: { name: 'now', parameters: NO_PARAMS } }] };
      up.emulators[id]!.enqueue(script);
      const whole = await up.openai().chat.completions.create(params);
      expect(whole.choices[0]!.message.tool_calls?.map((c) => (c as { function: { arguments: string } }).function.arguments)).to.deep.equal(['{}']);
      up.emulators[id]!.enqueue(script);
      const streamed = await up.openai().chat.completions.stream(params).finalChatCompletion();
      expect(streamed.choices[0]!.message.tool_calls?.map((c) => (c as { function: { arguments: string } }).function.arguments)).to.deep.equal(['{}']);
      expect(streamed.choices[0]!.finish_reason).to.equal('tool_calls');
    });

    it(`a Responses client gets "{}" (${id} upstream, whole and streamed)`, async () => {
      const params = { model, input: 'time', tools: [{ type: 'function' as const, name: 'now', parameters: NO_PARAMS, strict: false }] };
      up.emulators[id]!.enqueue(script);
      const whole = await up.openai().responses.create(params);
      expect(whole.output.filter((o) => o.type === 'function_call').map((o) => o.arguments)).to.deep.equal(['{}']);
      up.emulators[id]!.enqueue(script);
      const done: string[] = [];
      const stream = up.openai().responses.stream(params);
      stream.on('response.function_call_arguments.done', (e) => done.push(e.arguments));
      const streamed = await stream.finalResponse();
      expect(done).to.deep.equal(['{}']);
      expect(streamed.output.filter((o) => o.type === 'function_call').map((o) => o.arguments)).to.deep.equal(['{}']);
    });
  }
});
