import type Anthropic from '@anthropic-ai/sdk';
import type { Part } from '@google/genai';
import { expect } from 'chai';
import { useUpstreams } from '../helpers/upstreams.js';

type Json = Record<string, any>;

/**
 * An OpenAI Responses reasoning item reaches an Anthropic client as a thinking block (its summary)
 * and a redacted_thinking block (its encrypted content and id, sealed), a Gemini client as thought
 * parts and an empty thought part whose thoughtSignature seals them. Handed back on the next
 * turn, the item was replayed with `summary: []`: the sealed state had no text, and the summary
 * before it was dropped as unsigned thinking of another provider. The sealed state now takes the
 * unsigned thinking text written just before it, so the item goes back with its summary.
 */
describe('e2e: regression: a Responses reasoning summary survives a round trip through Anthropic and Gemini clients', function () {
  this.timeout(20_000);
  const up = useUpstreams({ or: { kind: 'openai-responses' } });
  const script = () => {
    up.emulators.or!.enqueue({ reasoning: { text: ['Think', 'ing'], encrypted: 'enc-R', id: 'rs_abc' }, toolCalls: [{ id: 'call_1', name: 'get_weather', args: '{"city":"Paris"}' }] });
    up.emulators.or!.enqueue({ text: 'done' });
  };
  const replayed = () => (up.emulators.or!.requests.at(-1)!.body as Json).input.find((item: Json) => item.type === 'reasoning');
  const item = { type: 'reasoning', id: 'rs_abc', summary: [{ type: 'summary_text', text: 'Thinking' }], encrypted_content: 'enc-R' };

  for (const stream of [true, false]) {
    it(`through an Anthropic client (${stream ? 'streamed' : 'not streamed'})`, async () => {
      script();
      const client = up.anthropic();
      const tools = [{ name: 'get_weather', description: 'w', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } } } }];
      const params = { model: 'or:gpt-5', max_tokens: 4000, thinking: { type: 'enabled' as const, budget_tokens: 2000 }, tools, messages: [{ role: 'user' as const, content: 'weather?' }] };
      const first = stream ? await client.messages.stream(params).finalMessage() : await client.messages.create(params);
      const call = first.content.find((b) => b.type === 'tool_use') as Anthropic.ToolUseBlock;
      await client.messages.create({ ...params, messages: [
        ...params.messages, { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: '21C' }] },
      ] });
      expect(replayed()).to.deep.equal(item);
    });

    it(`through a Gemini client (${stream ? 'streamed' : 'not streamed'})`, async () => {
      script();
      const ai = up.google();
      const config = { tools: [{ functionDeclarations: [{ name: 'get_weather', description: 'w', parametersJsonSchema: { type: 'object', properties: { city: { type: 'string' } } } }] }], thinkingConfig: { includeThoughts: true } };
      const parts: Part[] = [];
      if (stream) for await (const chunk of await ai.models.generateContentStream({ model: 'or:gpt-5', contents: 'weather?', config })) parts.push(...(chunk.candidates?.[0]?.content?.parts ?? []));
      else parts.push(...((await ai.models.generateContent({ model: 'or:gpt-5', contents: 'weather?', config })).candidates?.[0]?.content?.parts ?? []));
      const call = parts.find((p) => p.functionCall)!.functionCall!;
      await ai.models.generateContent({ model: 'or:gpt-5', config, contents: [
        { role: 'user', parts: [{ text: 'weather?' }] }, { role: 'model', parts },
        { role: 'user', parts: [{ functionResponse: { name: 'get_weather', id: call.id, response: { t: 21 } } }] },
      ] });
      expect(replayed()).to.deep.equal(item);
    });
  }
});
