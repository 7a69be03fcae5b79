import { expect } from 'chai';
import OpenAI from 'openai';
import { useUpstreams } from '../helpers/upstreams.js';

const DELTAS = ['Hel', 'lo', ' there'];
/** What the emulators report for the i-th delta (spec/helpers/emulators/script.ts). */
const logprobOf = (i: number) => -(i + 1) / 8;
const bytesOf = (token: string) => [...Buffer.from(token, 'utf8')];

/**
 * Token log probabilities, asked for in the client's protocol (Chat `logprobs` / `top_logprobs`,
 * Responses `include: ["message.output_text.logprobs"]`, Gemini `responseLogprobs` / `logprobs`),
 * reach a provider that has them in its own terms and come back in the client's, streamed and
 * not. Before, lip read the fields and dropped them: the answer never had log probabilities. A
 * provider without them (Anthropic) answers without, as a model that has none would.
 */
describe('e2e: token log probabilities across protocols', function () {
  this.timeout(20_000);
  const up = useUpstreams({ oc: { kind: 'openai-chat' }, or: { kind: 'openai-responses' }, gem: { kind: 'gemini' }, an: { kind: 'anthropic' } });
  const emulators = up.emulators;
  const openai = () => up.openai();
  const google = () => up.google();

  /** The Chat / Responses wire entries the client should see: one token per delta, `top` alternatives each. */
  const expected = (top: number) => DELTAS.map((token, i) => ({
    token, logprob: logprobOf(i), bytes: bytesOf(token),
    top_logprobs: Array.from({ length: top }, (_, k) => (k === 0 ? { token, logprob: logprobOf(i), bytes: bytesOf(token) } : { token: `${token}~${k}`, logprob: logprobOf(i) - k, bytes: bytesOf(`${token}~${k}`) })),
  }));

  const chat = async (model: string, stream: boolean, ask = true) => {
    const params = { model, messages: [{ role: 'user' as const, content: 'hi' }], ...(ask ? { logprobs: true, top_logprobs: 2 } : {}) };
    if (!stream) {
      const completion = await openai().chat.completions.create(params);
      return { text: completion.choices[0]!.message.content, logprobs: completion.choices[0]!.logprobs };
    }
    let text = '';
    const tokens: unknown[] = [];
    let sawLogprobs = false;
    for await (const chunk of await openai().chat.completions.create({ ...params, stream: true })) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.choices[0]?.logprobs) {
        sawLogprobs = true;
        tokens.push(...(chunk.choices[0].logprobs.content ?? []));
      }
    }
    return { text, logprobs: sawLogprobs ? { content: tokens, refusal: null } : null };
  };

  for (const stream of [false, true]) {
    const mode = stream ? 'streaming' : 'non-streaming';

    it(`a Chat client's logprobs and top_logprobs reach an openai-chat upstream and come back (${mode})`, async () => {
      emulators.oc!.enqueue({ text: DELTAS });
      const answer = await chat('oc:gpt-5.4-mini', stream);
      expect(answer).to.deep.equal({ text: DELTAS.join(''), logprobs: { content: expected(2), refusal: null } });
      expect(emulators.oc!.requests[0]!.body).to.include({ logprobs: true, top_logprobs: 2 });
    });

    it(`... from a gemini upstream as responseLogprobs, its logprobsResult in Chat's shape (${mode})`, async () => {
      emulators.gem!.enqueue({ text: DELTAS });
      const answer = await chat('gem:gemini-2.5-flash', stream);
      expect(answer.text).to.equal(DELTAS.join(''));
      expect(answer.logprobs).to.deep.equal({ content: expected(2), refusal: null });
      expect(emulators.gem!.requests[0]!.body.generationConfig).to.include({ responseLogprobs: true, logprobs: 2 });
    });

    it(`... and an anthropic upstream, which has none, answers without them (${mode})`, async () => {
      emulators.an!.enqueue({ text: DELTAS });
      const answer = await chat('an:claude-sonnet-4-6', stream);
      expect(answer).to.deep.equal({ text: DELTAS.join(''), logprobs: null });
      expect(JSON.stringify(emulators.an!.requests[0]!.body)).not.to.include('logprob');
    });

    it(`a Chat client that does not ask gets no logprobs, and the upstream is not asked (${mode})`, async () => {
      emulators.oc!.enqueue({ text: DELTAS });
      expect(await chat('oc:gpt-5.4-mini', stream, false)).to.deep.equal({ text: DELTAS.join(''), logprobs: null });
      expect(emulators.oc!.requests[0]!.body).not.to.have.any.keys('logprobs', 'top_logprobs');
    });

    it(`a Responses client's include of message.output_text.logprobs reaches an openai-responses upstream; the output text carries them (${mode})`, async () => {
      emulators.or!.enqueue({ text: DELTAS });
      const params = { model: 'or:gpt-5.4-mini', input: 'hi', include: ['message.output_text.logprobs' as const], top_logprobs: 1 };
      let output: OpenAI.Responses.Response;
      const deltas: unknown[] = [];
      if (stream) {
        const events = await openai().responses.create({ ...params, stream: true });
        let completed: OpenAI.Responses.Response | undefined;
        for await (const event of events) {
          if (event.type === 'response.output_text.delta') deltas.push(...event.logprobs);
          if (event.type === 'response.completed') completed = event.response;
        }
        output = completed!;
        expect(deltas).to.deep.equal(expected(1));
      } else {
        output = await openai().responses.create(params);
      }
      const message = output.output.find((item) => item.type === 'message') as OpenAI.Responses.ResponseOutputMessage;
      expect((message.content[0] as OpenAI.Responses.ResponseOutputText).logprobs).to.deep.equal(expected(1));
      expect(output.top_logprobs).to.equal(1);
      expect(emulators.or!.requests[0]!.body).to.deep.include({ include: ['message.output_text.logprobs'], top_logprobs: 1 });
    });

    it(`a Gemini client's responseLogprobs reaches an openai-chat upstream as logprobs; the candidates carry logprobsResult (${mode})`, async () => {
      emulators.oc!.enqueue({ text: DELTAS });
      const params = { model: 'oc:gpt-5.4-mini', contents: 'hi', config: { responseLogprobs: true, logprobs: 2 } };
      const chosen: unknown[] = [];
      const top: unknown[] = [];
      if (stream) {
        for await (const chunk of await google().models.generateContentStream(params)) {
          const result = chunk.candidates?.[0]?.logprobsResult;
          if (result) {
            chosen.push(...(result.chosenCandidates ?? []));
            top.push(...(result.topCandidates ?? []));
          }
        }
      } else {
        const answer = await google().models.generateContent(params);
        const candidate = answer.candidates![0]!;
        chosen.push(...(candidate.logprobsResult!.chosenCandidates ?? []));
        top.push(...(candidate.logprobsResult!.topCandidates ?? []));
        expect(candidate.avgLogprobs).to.be.closeTo((logprobOf(0) + logprobOf(1) + logprobOf(2)) / 3, 1e-9);
      }
      expect(chosen).to.deep.equal(DELTAS.map((token, i) => ({ token, logProbability: logprobOf(i) })));
      expect(top).to.deep.equal(DELTAS.map((token, i) => ({ candidates: [{ token, logProbability: logprobOf(i) }, { token: `${token}~1`, logProbability: logprobOf(i) - 1 }] })));
      expect(emulators.oc!.requests[0]!.body).to.include({ logprobs: true, top_logprobs: 2 });
    });
  }

  it('top_logprobs out of range is a 400 naming the field', async () => {
    const err = await openai().chat.completions.create({ model: 'oc:gpt-5.4-mini', messages: [{ role: 'user', content: 'hi' }], logprobs: true, top_logprobs: 21 }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).error).to.deep.include({ param: 'top_logprobs' });
    expect(emulators.oc!.requests).to.have.length(0);
  });
});
