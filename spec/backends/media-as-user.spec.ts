import { expect } from 'chai';
import { mediaAsUser } from '../../lib/backends/media-as-user.js';
import { emptyCall, validateCall, type FilePart, type ImagePart, type Message } from '../../lib/canonical/index.js';

const cat: ImagePart = { type: 'image', data: 'iVBORw0KGgo=', mediaType: 'image/png', cache: {} };
const pdf: FilePart = { type: 'file', data: 'JVBERi0=', mediaType: 'application/pdf', filename: 'plan.pdf' };
const user = (text: string): Message => ({ role: 'user', parts: [{ type: 'text', text }] });
const valid = (messages: readonly Message[]) => validateCall(emptyCall({ model: 'm', messages }));

describe('backends/media-as-user', () => {
  it("keeps an assistant turn of media alone, saying what it held, and gives its media in a user message after it named as the assistant's", () => {
    const messages = mediaAsUser([user('draw a cat'), { role: 'assistant', name: 'artist', parts: [cat] }, user('make it blue')]);
    expect(messages).to.deep.equal([
      user('draw a cat'),
      { role: 'assistant', name: 'artist', parts: [{ type: 'text', text: '[image]' }] },
      { role: 'user', parts: [{ type: 'text', text: 'The assistant gave this image in its message above:' }, cat] },
      user('make it blue'),
    ]);
    expect(valid(messages)).to.deep.equal([]);
  });

  it('leaves the text and calls of the turn in place, with no placeholder, and its media after the results of its calls', () => {
    const given: Message[] = [
      user('plan it'),
      { role: 'assistant', parts: [{ type: 'reasoning', dialect: 'gemini.thought', text: 'drawing' }, { type: 'text', text: 'Here:' }, cat, pdf, { type: 'tool_call', id: 'c1', name: 'save', arguments: '{}' }] },
      { role: 'tool', parts: [{ type: 'tool_result', callId: 'c1', content: [cat] }] },
    ];
    const messages = mediaAsUser(given);
    expect(messages).to.deep.equal([
      given[0],
      { role: 'assistant', parts: [{ type: 'reasoning', dialect: 'gemini.thought', text: 'drawing' }, { type: 'text', text: 'Here:' }, { type: 'tool_call', id: 'c1', name: 'save', arguments: '{}' }] },
      given[2],
      { role: 'user', parts: [{ type: 'text', text: 'The assistant gave these images and files in its message above:' }, cat, pdf] },
    ]);
    expect(valid(messages)).to.deep.equal([]);
  });

  it("fromToolResults: the media of tool results too, in a user message after the run of results (before the assistant's own), unnamed", () => {
    const shot: ImagePart = { type: 'image', url: 'https://x/2.png' };
    const given: Message[] = [
      user('screenshot both'),
      { role: 'assistant', parts: [cat, { type: 'tool_call', id: 'c1', name: 'shot', arguments: '{}' }, { type: 'tool_call', id: 'c2', name: 'shot', arguments: '{}' }] },
      { role: 'tool', parts: [{ type: 'tool_result', callId: 'c1', content: [{ type: 'text', text: 'first' }, shot] }] },
      { role: 'tool', parts: [{ type: 'tool_result', callId: 'c2', content: [pdf], isError: true }] },
      user('compare them'),
    ];
    const messages = mediaAsUser(given, { fromToolResults: true });
    expect(messages).to.deep.equal([
      given[0],
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'c1', name: 'shot', arguments: '{}' }, { type: 'tool_call', id: 'c2', name: 'shot', arguments: '{}' }] },
      { role: 'tool', parts: [{ type: 'tool_result', callId: 'c1', content: [{ type: 'text', text: 'first' }] }] },
      { role: 'tool', parts: [{ type: 'tool_result', callId: 'c2', content: [], isError: true }] },
      { role: 'user', parts: [shot, pdf] },
      { role: 'user', parts: [{ type: 'text', text: 'The assistant gave this image in its message above:' }, cat] },
      given[4],
    ]);
    expect(valid(messages)).to.deep.equal([]);
  });

  it('are the same messages when there is nothing to move', () => {
    const given: Message[] = [{ role: 'user', parts: [cat] }, { role: 'assistant', parts: [{ type: 'text', text: 'a cat' }] }, { role: 'tool', parts: [{ type: 'tool_result', callId: 'c', content: [cat] }] }];
    expect(mediaAsUser(given)).to.equal(given);
    const plain = given.slice(0, 2);
    expect(mediaAsUser(plain, { fromToolResults: true })).to.equal(plain);
  });
});
