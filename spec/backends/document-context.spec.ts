import { expect } from 'chai';
import { documentContextAsText } from '../../lib/backends/document-context.js';
import { emptyCall, validateCall, type FilePart, type Message } from '../../lib/canonical/index.js';

const doc: FilePart = { type: 'file', data: 'JVBERi0=', mediaType: 'application/pdf', filename: 'audit.pdf', context: 'Written by the security team in 2025.' };
const { context: _, ...plainDoc } = doc;
const about = { type: 'text', text: 'About the document that follows: Written by the security team in 2025.' };

describe('backends/document-context', () => {
  it('puts what the client says about a document before it as text, in a user turn and in a tool result', () => {
    const messages: Message[] = [
      { role: 'user', parts: [{ type: 'text', text: 'Summarise.' }, doc] },
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'c1', name: 'fetch', arguments: '{}' }] },
      { role: 'tool', parts: [{ type: 'tool_result', callId: 'c1', content: [doc] }] },
    ];
    const call = documentContextAsText(emptyCall({ model: 'm', messages }));
    expect(call.messages[0]!.parts).to.deep.equal([{ type: 'text', text: 'Summarise.' }, about, plainDoc]);
    expect(call.messages[1]).to.equal(messages[1]);
    expect(call.messages[2]!.parts).to.deep.equal([{ type: 'tool_result', callId: 'c1', content: [about, plainDoc] }]);
    expect(validateCall(call)).to.deep.equal([]);
  });

  it('is the same call when no document has a context', () => {
    const call = emptyCall({ model: 'm', messages: [{ role: 'user', parts: [plainDoc, { ...plainDoc, context: '' }] }] });
    expect(documentContextAsText(call)).to.equal(call);
  });
});
