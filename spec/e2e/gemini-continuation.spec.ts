import { expect } from 'chai';
import { useUpstreams } from '../helpers/upstreams.js';

type Json = Record<string, any>;

/**
 * Gemini's continuation protocol: a long answer stops with `finishReason: CONTINUATION` and a
 * `continuationToken`, and the client sends the same request again with the token to get the rest
 * (Google's SDK does so by default). lip ended the answer there, so every client got it cut
 * short. Now the gemini backend resumes it for every client: the same request with the token, the
 * next part streamed on as the same answer, the usage summed; no client sees the stop or a token.
 */
describe('e2e: Gemini answers stopped for a continuation are resumed for every client', function () {
  this.timeout(20_000);
  const up = useUpstreams({ gem: { kind: 'gemini' } });
  const gemini = () => up.emulators.gem!;
  const parts = (checkpoints = false) => {
    gemini().enqueue({ text: ['The quick ', 'brown '], usage: { input: 10, output: 3 }, continuation: { token: 'tok-1', checkpoints } });
    gemini().enqueue({ text: ['fox ', 'jumps.'], usage: { input: 10, output: 4 } });
  };
  const resumedWith = () => {
    expect(gemini().requests).to.have.length(2);
    const [first, second] = gemini().requests.map((r) => r.body as Json);
    expect(first).to.not.have.property('continuationToken');
    expect(second!.continuationToken).to.equal('tok-1');
    expect(second!.contents).to.deep.equal(first!.contents);
  };

  for (const stream of [false, true]) {
    const mode = stream ? 'streaming' : 'non-streaming';

    it(`an OpenAI Chat client gets the whole answer, finished as a stop, its usage the parts' sum (${mode})`, async () => {
      parts(stream);
      const client = up.openai();
      if (stream) {
        const chunks = await client.chat.completions.create({ model: 'gem:gemini-3-pro', messages: [{ role: 'user', content: 'Tell me about the fox.' }], stream: true, stream_options: { include_usage: true } });
        let text = '';
        let finish: string | null | undefined;
        let usage: Json | undefined;
        for await (const chunk of chunks) {
          text += chunk.choices[0]?.delta.content ?? '';
          finish = chunk.choices[0]?.finish_reason ?? finish;
          if (chunk.usage) usage = chunk.usage;
        }
        expect(text).to.equal('The quick brown fox jumps.');
        expect(finish).to.equal('stop');
        expect(usage).to.deep.include({ prompt_tokens: 20, completion_tokens: 7 });
      } else {
        const answer = await client.chat.completions.create({ model: 'gem:gemini-3-pro', messages: [{ role: 'user', content: 'Tell me about the fox.' }] });
        expect(answer.choices[0]!.message.content).to.equal('The quick brown fox jumps.');
        expect(answer.choices[0]!.finish_reason).to.equal('stop');
        expect(answer.usage).to.deep.include({ prompt_tokens: 20, completion_tokens: 7 });
      }
      resumedWith();
    });

    it(`a Gemini client gets the whole answer with finishReason STOP and no token (${mode})`, async () => {
      parts(stream);
      const ai = up.google();
      const params = { model: 'gem:gemini-3-pro', contents: 'Tell me about the fox.' };
      let text = '';
      let finish: string | undefined;
      const tokens: unknown[] = [];
      if (stream) {
        for await (const chunk of await ai.models.generateContentStream(params)) {
          text += chunk.text ?? '';
          finish = chunk.candidates?.[0]?.finishReason ?? finish;
          tokens.push(chunk.candidates?.[0]?.continuationToken);
        }
      } else {
        const answer = await ai.models.generateContent(params);
        text = answer.text ?? '';
        finish = answer.candidates?.[0]?.finishReason;
        tokens.push(answer.candidates?.[0]?.continuationToken);
      }
      expect(text).to.equal('The quick brown fox jumps.');
      expect(finish).to.equal('STOP');
      expect(tokens.filter((t) => t !== undefined)).to.deep.equal([]);
      resumedWith();
    });
  }

  describe('finishMessage', () => {
    const said = 'Malformed function call: the arguments were not valid JSON.';
    for (const stream of [false, true]) {
      // Google's SDK reads no finishMessage from the Gemini API (only from Vertex AI): a client of the wire format does.
      it(`a Gemini wire client gets the candidate's finishMessage as Gemini wrote it; an OpenAI client nothing of it (${stream ? 'streaming' : 'non-streaming'})`, async () => {
        gemini().enqueue({ text: 'Calling.', rawFinish: 'MALFORMED_FUNCTION_CALL', finishMessage: said });
        const url = `${up.lip().url}/v1beta/models/gem:gemini-3-pro:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`;
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-goog-api-key': 'k' }, body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'Call it.' }] }] }) });
        const text = await res.text();
        const bodies = stream ? text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)) as Json) : [JSON.parse(text) as Json];
        const last = bodies.at(-1)!.candidates[0];
        expect([last.finishReason, last.finishMessage]).to.deep.equal(['MALFORMED_FUNCTION_CALL', said]);
        gemini().enqueue({ text: 'Calling.', rawFinish: 'MALFORMED_FUNCTION_CALL', finishMessage: said });
        const answer = await up.openai().chat.completions.create({ model: 'gem:gemini-3-pro', messages: [{ role: 'user', content: 'Call it.' }] });
        expect(JSON.stringify(answer)).to.not.contain('Malformed');
      });
    }
  });
});
