import { expect } from 'chai';
import { searchResultsAsText } from '../../lib/backends/search-results.js';
import { emptyCall, validateCall, type SearchResultPart } from '../../lib/canonical/index.js';

const RESULT: SearchResultPart = { type: 'search_result', source: 'https://a.example/x', title: 'X', content: [{ type: 'text', text: 'one' }, { type: 'text', text: 'two' }], citations: true, cache: {} };

describe('backends/search-results', () => {
  it('leaves a call without search results as it is (the same object)', () => {
    const call = emptyCall({ model: 'm', messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }] });
    expect(searchResultsAsText(call)).to.equal(call);
  });

  it('turns each search result into a text part in its place, in a user turn and in a tool result, keeping its cache mark', () => {
    const call = emptyCall({ model: 'm', messages: [
      { role: 'user', parts: [{ type: 'text', text: 'a' }, RESULT] },
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'c', name: 'f', arguments: '{}' }] },
      { role: 'tool', parts: [{ type: 'tool_result', callId: 'c', content: [{ type: 'text', text: 'before' }, RESULT] }] },
    ] });
    expect(validateCall(call)).to.deep.equal([]);
    const text = { type: 'text', text: 'Search result: X\nSource: https://a.example/x\n\none\n\ntwo', cache: {} };
    const sent = searchResultsAsText(call);
    expect(sent.messages[0]!.parts).to.deep.equal([{ type: 'text', text: 'a' }, text]);
    expect(sent.messages[1]).to.equal(call.messages[1]);
    expect(sent.messages[2]!.parts).to.deep.equal([{ type: 'tool_result', callId: 'c', content: [{ type: 'text', text: 'before' }, text] }]);
  });
});
