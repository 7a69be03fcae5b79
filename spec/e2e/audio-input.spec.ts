import { expect } from 'chai';
import OpenAI from 'openai';
import { useUpstreams } from '../helpers/upstreams.js';

const WAV = Buffer.from('RIFF0000WAVEfmt ').toString('base64');
const MP3 = Buffer.from('ID3\u0003\u0000\u0000\u0000').toString('base64');

/**
 * Audio input crosses protocols: a Chat client's `input_audio` part used to be a 400 (and a
 * Gemini client's audio `inlineData` reached an OpenAI upstream as a `file`, which it refuses).
 * Now audio is a canonical file part with an audio media type: OpenAI Chat upstreams get it as
 * `input_audio`, Gemini as `inlineData`, and a provider without audio input says so in a 400.
 */
describe('e2e: audio input across protocols', function () {
  this.timeout(20_000);
  const up = useUpstreams({ oc: { kind: 'openai-chat' }, gem: { kind: 'gemini' }, an: { kind: 'anthropic' } });
  const ask = (model: string) => up.openai().chat.completions.create({
    model,
    messages: [{ role: 'user', content: [{ type: 'text', text: 'What is said?' }, { type: 'input_audio', input_audio: { data: WAV, format: 'wav' } }] }],
  });

  it('a Chat client\'s input_audio reaches an openai-chat upstream as input_audio', async () => {
    up.emulators.oc!.enqueue({ text: 'Hello.' });
    expect((await ask('oc:gpt-audio')).choices[0]!.message.content).to.equal('Hello.');
    expect(up.emulators.oc!.requests[0]!.body.messages[0].content[1]).to.deep.equal({ type: 'input_audio', input_audio: { data: WAV, format: 'wav' } });
  });

  it('... and a gemini upstream as inlineData audio/wav', async () => {
    up.emulators.gem!.enqueue({ text: 'Hello.' });
    await ask('gem:gemini-2.5-flash');
    expect(up.emulators.gem!.requests[0]!.body.contents[0].parts[1]).to.deep.equal({ inlineData: { mimeType: 'audio/wav', data: WAV } });
  });

  it('... and an anthropic route is a 400 naming the missing audio input, before any upstream call', async () => {
    const err = await ask('an:claude-sonnet-4-6').catch((e: unknown) => e);
    expect(err).to.be.instanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).to.include('anthropic takes no audio input');
    expect(up.emulators.an!.requests).to.have.length(0);
  });

  it('a Gemini client\'s audio inlineData reaches an openai-chat upstream as input_audio mp3', async () => {
    up.emulators.oc!.enqueue({ text: 'Hello.' });
    await up.google().models.generateContent({ model: 'oc:gpt-audio', contents: [{ role: 'user', parts: [{ text: 'Transcribe.' }, { inlineData: { mimeType: 'audio/mpeg', data: MP3 } }] }] });
    expect(up.emulators.oc!.requests[0]!.body.messages[0].content[1]).to.deep.equal({ type: 'input_audio', input_audio: { data: MP3, format: 'mp3' } });
  });

  it('an input_audio part without its data is a 400 naming the field', async () => {
    const err = await up.openai().chat.completions.create({ model: 'oc:gpt-audio', messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { format: 'wav' } as never }] }] }).catch((e: unknown) => e);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).error).to.deep.include({ param: 'messages[0].content[0].input_audio.data' });
    expect(up.emulators.oc!.requests).to.have.length(0);
  });
});
