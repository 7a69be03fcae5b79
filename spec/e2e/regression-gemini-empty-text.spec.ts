import { expect } from 'chai';
import OpenAI from 'openai';
import { useUpstreams } from '../helpers/upstreams.js';

/**
 * A client's empty text (a Chat message of `content: ""`, an empty `input_text` part) reached
 * Gemini as a `{"text": ""}` part, which Gemini refuses with a 400 ("required oneof field 'data'
 * must have one initialized field"). Empty text is now left out of a user turn; a conversation of
 * nothing else is refused by lip before it calls Gemini.
 */
describe('e2e regression: empty user text to a Gemini upstream', function () {
  this.timeout(20_000);
  const up = useUpstreams({ ge: { kind: 'gemini' } });

  it('a Chat client\'s empty messages and parts are left out', async () => {
    up.emulators.ge!.enqueue({ text: 'fine' });
    const answer = await up.openai().chat.completions.create({ model: 'ge:gemini-2.5-flash', messages: [
      { role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' },
      { role: 'user', content: '' },
      { role: 'user', content: [{ type: 'text', text: '' }, { type: 'text', text: 'go on' }] },
    ] });
    expect(answer.choices[0]!.message.content).to.equal('fine');
    expect(up.emulators.ge!.requests[0]!.body.contents).to.deep.equal([
      { role: 'user', parts: [{ text: 'hi' }] }, { role: 'model', parts: [{ text: 'hello' }] }, { role: 'user', parts: [{ text: 'go on' }] },
    ]);
  });

  it('a Responses client\'s empty input_text is left out', async () => {
    up.emulators.ge!.enqueue({ text: 'fine' });
    await up.openai().responses.create({ model: 'ge:gemini-2.5-flash', input: [{ role: 'user', content: [{ type: 'input_text', text: '' }, { type: 'input_text', text: 'x' }] }] });
    expect(up.emulators.ge!.requests[0]!.body.contents).to.deep.equal([{ role: 'user', parts: [{ text: 'x' }] }]);
  });

  it('a conversation of empty text only is a 400 from lip, Gemini never called', async () => {
    const err = await up.openai().chat.completions.create({ model: 'ge:gemini-2.5-flash', messages: [{ role: 'user', content: '' }] }).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).to.equal(400);
    expect((err as Error).message).to.include('nothing to send');
    expect(up.emulators.ge!.requests).to.have.length(0);
  });
});
