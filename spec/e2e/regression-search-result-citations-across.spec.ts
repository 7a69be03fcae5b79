import type Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import { askAnthropic, plainBlocks, useUpstreams } from '../helpers/upstreams.js';

const RESULT = {
  type: 'search_result' as const, source: 'https://docs.example/api', title: 'API Reference',
  content: [{ type: 'text' as const, text: 'All requests need an API key.' }, { type: 'text' as const, text: 'Keys go in the x-api-key header.' }],
  citations: { enabled: true },
};
const OTHER = { ...RESULT, source: 'https://docs.example/limits', title: 'Rate limits', content: [{ type: 'text' as const, text: 'At most 50 requests a minute.' }] };
/** A RAG turn without a web search tool: the client put its search results in the user turn. */
const ASK: Anthropic.MessageCreateParamsNonStreaming = {
  max_tokens: 256, model: '',
  messages: [{ role: 'user', content: [OTHER, RESULT, { type: 'text', text: 'How do I authenticate?' }] }],
};
/** The model cites the second result's source on its middle sentence. */
const ANSWER = { text: ['Send ', 'your key in the x-api-key header', '.'], citations: [{ delta: 1, url: RESULT.source, title: RESULT.title }] };

/**
 * An Anthropic client's search results with citations enabled, served by a provider without
 * search-result blocks (they get each result as text): a citation of a result's source came back
 * as a `web_search_result_location` (a web search the client never asked for) with an empty
 * `cited_text`. It is now a `search_result_location` of that result (its index in the request,
 * all its blocks), `cited_text` the span of the answer it covers.
 */
describe('e2e regression: search-result citations from other providers', function () {
  this.timeout(20_000);
  const up = useUpstreams({ oc: { kind: 'openai-chat' }, or: { kind: 'openai-responses' } });

  for (const [row, model] of [['oc', 'oc:gpt-5.4'], ['or', 'or:gpt-5.4']] as const) {
    for (const stream of [false, true]) {
      const mode = stream ? 'streaming' : 'non-streaming';

      it(`${row}: a citation of a search result's source is its search_result_location, cited_text the cited span (${mode})`, async () => {
        up.emulators[row]!.enqueue(ANSWER);
        const message = await askAnthropic(up.anthropic(), { ...ASK, model }, stream);
        const text = plainBlocks(message.content).filter((b) => b.type === 'text');
        expect(text.map((b) => b.text).join('')).to.equal('Send your key in the x-api-key header.');
        expect(text.flatMap((b) => (b.citations as unknown[] | undefined) ?? [])).to.deep.equal([{
          type: 'search_result_location', cited_text: 'your key in the x-api-key header', source: RESULT.source, title: RESULT.title,
          search_result_index: 1, start_block_index: 0, end_block_index: 2,
        }]);
      });
    }
  }
});
