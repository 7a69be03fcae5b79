import type Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import type { Script } from '../helpers/emulators/index.js';
import { askAnthropic, useUpstreams } from '../helpers/upstreams.js';

const RESULT = {
  type: 'search_result' as const, source: 'https://docs.example/api', title: 'API Reference',
  content: [{ type: 'text' as const, text: 'All requests need an API key.' }, { type: 'text' as const, text: 'Keys go in the x-api-key header.' }],
  citations: { enabled: true },
};
const TOOLS: Anthropic.Tool[] = [{ name: 'knowledge_search', description: 'Searches the docs', input_schema: { type: 'object', properties: { query: { type: 'string' } } } }];
/** A RAG turn as Anthropic documents it: the client's tool returned search results. */
const MESSAGES: Anthropic.MessageParam[] = [
  { role: 'user', content: 'How do I authenticate?' },
  { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'knowledge_search', input: { query: 'authentication' } }] },
  { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [RESULT] }] },
];
const ANSWER: Script = {
  text: ['Send ', 'your key in the x-api-key header', '.'],
  citations: [{ delta: 1, url: RESULT.source, title: RESULT.title, citedText: 'Keys go in the x-api-key header.', searchResult: { index: 0, start: 1, end: 2 } }],
};

/**
 * Anthropic search results (RAG results a client's tool retrieved, as `search_result` blocks in a
 * tool result or a user turn) through lip. They were a 400. Now they reach an Anthropic upstream
 * as written, its `search_result_location` citations come back on the text they cite (streamed
 * and not), and a provider without such blocks gets each as text in its place, nothing lost.
 */
describe('e2e: Anthropic search results', function () {
  this.timeout(20_000);
  const up = useUpstreams({ an: { kind: 'anthropic' }, oc: { kind: 'openai-chat' } });

  for (const stream of [false, true]) {
    const mode = stream ? 'streaming' : 'non-streaming';

    it(`search results reach an anthropic upstream as written; its search_result_location citations come back (${mode})`, async () => {
      up.emulators.an!.enqueue(ANSWER);
      const params = { model: 'an:claude-sonnet-4-6', max_tokens: 256, tools: TOOLS, messages: MESSAGES };
      const message = await askAnthropic(up.anthropic(), params, stream);
      const sent = up.emulators.an!.requests[0]!.body.messages[2].content[0];
      expect(sent).to.deep.equal({ type: 'tool_result', tool_use_id: 'toolu_1', content: [RESULT] });
      const text = message.content.filter((b): b is Anthropic.TextBlock => b.type === 'text');
      expect(text.map((b) => b.text).join('')).to.equal('Send your key in the x-api-key header.');
      expect(JSON.parse(JSON.stringify(text.flatMap((b) => b.citations ?? [])))).to.deep.equal([{
        type: 'search_result_location', cited_text: 'Keys go in the x-api-key header.', source: RESULT.source, title: RESULT.title,
        search_result_index: 0, start_block_index: 1, end_block_index: 2,
      }]);
    });
  }

  it('a provider without search-result blocks (openai-chat) gets each as text in the tool result, nothing lost', async () => {
    up.emulators.oc!.enqueue({ text: 'Use the header.' });
    const message = await up.anthropic().messages.create({ model: 'oc:gpt-5.4', max_tokens: 256, tools: TOOLS, messages: [...MESSAGES.slice(0, 2), { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [RESULT] }, { type: 'text', text: 'Thanks' }, { ...RESULT, title: 'Second' }] }] });
    expect((message.content[0] as Anthropic.TextBlock).text).to.equal('Use the header.');
    const sent = up.emulators.oc!.requests[0]!.body.messages as { role: string; content: unknown }[];
    const tool = sent.find((m) => m.role === 'tool')!;
    expect(tool.content).to.equal('Search result: API Reference\nSource: https://docs.example/api\n\nAll requests need an API key.\n\nKeys go in the x-api-key header.');
    expect(JSON.stringify(sent.at(-1)!.content)).to.contain('Search result: Second\\nSource: https://docs.example/api');
  });

  it('a search_result block without its content is a 400 naming the field', async () => {
    const err = await up.anthropic().messages.create({ model: 'an:claude-sonnet-4-6', max_tokens: 64, messages: [{ role: 'user', content: [{ type: 'search_result', source: 's', title: 't' } as unknown as Anthropic.SearchResultBlockParam] }] }).catch((e: unknown) => e);
    expect((err as { status: number }).status).to.equal(400);
    expect((err as Error).message).to.contain('content');
  });
});
