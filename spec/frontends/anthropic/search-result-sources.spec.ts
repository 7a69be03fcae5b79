import { expect } from 'chai';
import { emptyCall, type Message, type SearchResultPart } from '../../../lib/canonical/index.js';
import { citingSearchResult, searchResultSources } from '../../../lib/frontends/anthropic/search-result-sources.js';

const result = (source: string, title: string, blocks: number): SearchResultPart => ({
  type: 'search_result', source, title, content: Array.from({ length: blocks }, (_, i) => ({ type: 'text' as const, text: `${title} ${i}` })), citations: true,
});
const call = (messages: Message[]) => ({ ...emptyCall(), messages });

describe('frontends/anthropic search-result sources (citations of a result\'s source from other providers)', () => {
  const sources = searchResultSources(call([
    { role: 'user', parts: [result('https://a.example', 'A', 1), { type: 'text', text: 'q' }] },
    { role: 'assistant', parts: [{ type: 'tool_call', id: 't1', name: 'search', arguments: '{}' }] },
    { role: 'tool', parts: [{ type: 'tool_result', callId: 't1', content: [result('https://b.example', 'B', 3), result('https://a.example', 'A again', 2)] }] },
  ]));

  it('indexes the request\'s search results in order, those of tool results too; the first of one source stands for it', () => {
    expect([...sources!]).to.deep.equal([['https://a.example', { index: 0, title: 'A', blocks: 1 }], ['https://b.example', { index: 1, title: 'B', blocks: 3 }]]);
    expect(searchResultSources(call([{ role: 'user', parts: [{ type: 'text', text: 'q' }] }]))).to.equal(undefined);
  });

  it('makes a citation of a result\'s source a citation of the result (all its blocks, its title); leaves any other as it is', () => {
    expect(citingSearchResult({ url: 'https://b.example', title: '', start: 4, end: 9 }, sources))
      .to.deep.equal({ url: 'https://b.example', title: 'B', searchResult: { index: 1, start: 0, end: 3 }, start: 4, end: 9 });
    const others = [
      { url: 'https://c.example', start: 0, end: 1 },
      { url: 'https://a.example', searchResult: { index: 0, start: 0, end: 1 }, start: 0, end: 1 },
      { url: 'https://a.example', document: { index: 0, kind: 'char' as const, start: 0, end: 1 }, start: 0, end: 1 },
    ];
    for (const c of others) expect(citingSearchResult(c, sources)).to.equal(c);
    expect(citingSearchResult(others[0]!, undefined)).to.equal(others[0]);
  });
});
