import { expect } from 'chai';
import { anthropicOptions, AnthropicResponseDecoder, encodeAnthropicRequest } from '../../../lib/backends/anthropic/index.js';
import { emptyCall, type LipEvent } from '../../../lib/canonical/index.js';
import { encodeMessagesResponse } from '../../../lib/frontends/anthropic/encode-response.js';
import { collectEvents } from '../../../lib/canonical/index.js';

const o = anthropicOptions({ id: 'b', kind: 'anthropic', models: [] });

/** Anthropic document citations: the document's switch goes up; every location kind comes back as a citation and is written back as it came. */
describe('backends/anthropic document citations', () => {
  it('sends citations.enabled on a document part that asks for it, and nothing on one that does not', () => {
    const call = emptyCall({ model: 'x', messages: [{ role: 'user', parts: [
      { type: 'file', data: Buffer.from('Grass is green.').toString('base64'), mediaType: 'text/plain', filename: 'Doc', citations: true },
      { type: 'file', url: 'https://a.example/b.pdf', mediaType: 'application/pdf' },
      { type: 'text', text: 'Colors?' },
    ] }] });
    const content = (encodeAnthropicRequest(call, 'claude', o) as { messages: { content: unknown[] }[] }).messages[0]!.content;
    expect(content[0]).to.deep.equal({ type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'Grass is green.' }, title: 'Doc', citations: { enabled: true } });
    expect(content[1]).to.deep.equal({ type: 'document', source: { type: 'url', url: 'https://a.example/b.pdf' } });
  });

  const LOCATIONS = [
    { type: 'char_location', cited_text: 'Grass is green.', document_index: 0, document_title: 'Doc', start_char_index: 0, end_char_index: 15 },
    { type: 'page_location', cited_text: 'Page two says so.', document_index: 1, document_title: null, start_page_number: 2, end_page_number: 3 },
    { type: 'content_block_location', cited_text: 'Block one.', document_index: 2, document_title: 'Blocks', start_block_index: 0, end_block_index: 1, file_id: 'file_01' },
  ];

  it('decodes char, page, block and search-result locations as citations of the text block they ride on, and writes them back alike', () => {
    const out: LipEvent[] = [];
    new AnthropicResponseDecoder('b', []).decode({
      id: 'msg_1', type: 'message', role: 'assistant', model: 'claude', stop_reason: 'end_turn', usage: { input_tokens: 5, output_tokens: 5 },
      content: [{ type: 'text', text: 'Lead. ' }, { type: 'text', text: 'Cited.', citations: LOCATIONS }, { type: 'text', text: ' Tail.', citations: [{ type: 'search_result_location', cited_text: 'x', source: 's', search_result_index: 0, start_block_index: 0, end_block_index: 1 }] }],
    }, out);
    const citations = out.filter((e) => e.type === 'citation');
    expect(citations).to.deep.equal([
      { type: 'citation', citedText: 'Grass is green.', start: 6, end: 12, title: 'Doc', document: { index: 0, kind: 'char', start: 0, end: 15, title: 'Doc' } },
      { type: 'citation', citedText: 'Page two says so.', start: 6, end: 12, document: { index: 1, kind: 'page', start: 2, end: 3 } },
      { type: 'citation', citedText: 'Block one.', start: 6, end: 12, title: 'Blocks', document: { index: 2, kind: 'block', start: 0, end: 1, title: 'Blocks', fileId: 'file_01' } },
      // A search result of the request: its source is the url.
      { type: 'citation', url: 's', citedText: 'x', start: 12, end: 18, searchResult: { index: 0, start: 0, end: 1 } },
    ]);
    const written = encodeMessagesResponse(collectEvents(out), { call: emptyCall({ model: 'claude' }), model: undefined, hints: {}, requestId: 'r', created: 1 }) as { content: { citations?: unknown[] }[] };
    expect(written.content.flatMap((b) => b.citations ?? [])).to.deep.equal([
      ...LOCATIONS,
      { type: 'search_result_location', cited_text: 'x', source: 's', title: null, search_result_index: 0, start_block_index: 0, end_block_index: 1 },
    ]);
  });
});
