import { expect } from 'chai';
import OpenAI from 'openai';
import { useUpstreams } from '../helpers/upstreams.js';

/**
 * A Chat client's history that holds an audio answer (`{role: "assistant", audio: {id}}`, as
 * OpenAI's audio models answer and clients hand back) lost that turn without a word: the decoder
 * never read `audio`, so the assistant turn was empty (content "" to openai-chat) or vanished
 * (its user turns around it merged, every other backend). lip gives no audio output and keeps no
 * audio answers, so such a message is now a 400 LIP_ERR_REQUEST_UNSUPPORTED naming
 * `messages[i].audio`, as a request's `audio` and `modalities` are; `audio: null` is still absent.
 */
describe('e2e regression: an assistant message holding audio is refused, not dropped', function () {
  this.timeout(20_000);
  const up = useUpstreams({ oc: { kind: 'openai-chat' }, an: { kind: 'anthropic' } });
  const history = (audio: { id: string } | null) => [
    { role: 'user', content: 'say hi' },
    { role: 'assistant', audio },
    { role: 'user', content: 'now say bye' },
  ] as OpenAI.ChatCompletionMessageParam[];

  for (const model of ['oc:gpt-4o-audio-preview', 'an:claude-sonnet-4-6']) {
    it(`audio {id} in an assistant message to ${model.split(':')[0]}: a 400 naming messages[1].audio, nothing sent`, async () => {
      const err = await up.openai().chat.completions.create({ model, messages: history({ id: 'audio_abc' }) }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(OpenAI.BadRequestError);
      const error = (err as InstanceType<typeof OpenAI.BadRequestError>).error as Record<string, unknown>;
      expect(error).to.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', param: 'messages[1].audio' });
      expect(up.emulators.oc!.requests.length + up.emulators.an!.requests.length).to.equal(0);
    });
  }

  it('audio: null in an assistant message is absent (openai-python dumps a text answer so)', async () => {
    up.emulators.oc!.enqueue({ text: 'bye' });
    await up.openai().chat.completions.create({ model: 'oc:gpt-4o', messages: [history(null)[0]!, { role: 'assistant', content: 'hi', audio: null }, history(null)[2]!] });
    expect(up.emulators.oc!.requests[0]!.body.messages[1]).to.deep.equal({ role: 'assistant', content: 'hi' });
  });
});
