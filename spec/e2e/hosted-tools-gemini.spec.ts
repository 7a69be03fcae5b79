import { ApiError, type Candidate, type Content, type GenerateContentParameters, type GenerateContentResponse } from '@google/genai';
import { expect } from 'chai';
import { geminiProtocol, type RecordedRequest, type Script } from '../helpers/emulators/index.js';
import { useUpstreams } from '../helpers/upstreams.js';

const CODE = { executableCode: { language: 'PYTHON', code: 'print(2 ** 10)' }, thoughtSignature: 'Y29kZS1zaWduYXR1cmU=' };
const RESULT = { codeExecutionResult: { outcome: 'OUTCOME_OK', output: '1024\n' } };
const URLS = {
  urlMetadata: [
    { retrievedUrl: 'https://docs.example/pricing', urlRetrievalStatus: 'URL_RETRIEVAL_STATUS_SUCCESS' },
    { retrievedUrl: 'https://paywalled.example/article', urlRetrievalStatus: 'URL_RETRIEVAL_STATUS_PAYWALL' },
  ],
};
const TEXT = ['2 ** 10 is ', '1024.'];
const CODE_SCRIPT: Script = { hosted: [CODE, RESULT], text: TEXT };
const URL_SCRIPT: Script = { hostedMeta: URLS, text: ['The pricing page ', 'lists three plans.'] };
const MODEL = 'gem:gemini-2.5-flash';

/** The frames (streamed) or the answer (whole) the emulator sent for `request`, as Gemini candidates. */
function upstreamCandidates(script: Script, request: RecordedRequest): Candidate[] {
  const bodies = request.stream
    ? geminiProtocol.frames(script, request).map((f) => JSON.parse(f.text.replace(/^data: /, '')) as GenerateContentResponse)
    : [geminiProtocol.json(script, request) as GenerateContentResponse];
  return bodies.map((b) => b.candidates![0]!);
}

/**
 * Gemini's built-in tools through lip: a Gemini client's `codeExecution` and `urlContext` reach a
 * gemini upstream as declared, the `executableCode` / `codeExecutionResult` parts and the
 * candidate's `urlContextMetadata` come back exactly as the upstream wrote them (streamed: in the
 * chunk where they came), and the parts a client sends back in its history reach the upstream as
 * written. No other provider runs them: a route moves on to a gemini backend, and a route without
 * one is a 400. Before, both tools were a 400 everywhere.
 */
describe('e2e: Gemini code execution and URL context', function () {
  this.timeout(20_000);
  const up = useUpstreams({ gem: { kind: 'gemini' }, an: { kind: 'anthropic' }, or: { kind: 'openai-responses' } });
  const emulators = up.emulators;

  const ask = async (stream: boolean, params: Partial<GenerateContentParameters> & { config: GenerateContentParameters['config'] }, model = MODEL) => {
    const request = { model, contents: 'What is 2 ** 10? Check https://docs.example/pricing too.', ...params };
    if (!stream) return [(await up.google().models.generateContent(request)).candidates![0]!];
    const candidates: Candidate[] = [];
    for await (const chunk of await up.google().models.generateContentStream(request)) candidates.push(chunk.candidates![0]!);
    return candidates;
  };
  const plain = <T>(value: T): T => (value === undefined ? value : JSON.parse(JSON.stringify(value)) as T);
  /** The text of a response's parts (the SDK's `.text` warns about the code execution parts beside it). */
  const textOf = (r: GenerateContentResponse) => (r.candidates?.[0]?.content?.parts ?? []).map((p) => p.text ?? '').join('');

  for (const stream of [false, true]) {
    const mode = stream ? 'streaming' : 'non-streaming';

    it(`codeExecution reaches the upstream as declared; executableCode and codeExecutionResult come back as written, in place (${mode})`, async () => {
      emulators.gem!.enqueue(CODE_SCRIPT);
      const candidates = await ask(stream, { config: { tools: [{ codeExecution: {} }] } });
      const request = emulators.gem!.requests[0]!;
      expect(request.stream).to.equal(stream);
      expect(request.body.tools).to.deep.equal([{ codeExecution: {} }]);
      expect(request.body).to.not.have.property('toolConfig');
      const parts = candidates.flatMap((c) => plain(c.content!.parts!)).filter((p) => p.text !== '');
      expect(parts).to.deep.equal(stream ? [CODE, RESULT, ...TEXT.map((text) => ({ text }))] : [CODE, RESULT, { text: TEXT.join('') }]);
      // The parts are the upstream's, chunk for chunk where it streamed them (each part whole in a chunk of its own).
      const upstream = upstreamCandidates(CODE_SCRIPT, request).map((c) => c.content!.parts!);
      if (stream) expect(candidates.slice(0, 2).map((c) => plain(c.content!.parts))).to.deep.equal(upstream.slice(0, 2)).and.deep.equal([[CODE], [RESULT]]);
      else expect(parts.slice(0, 2)).to.deep.equal(upstream[0]!.slice(0, 2));
      expect(candidates.at(-1)!.finishReason).to.equal('STOP');
    });

    it(`urlContext reaches the upstream as declared; urlContextMetadata comes back as written, on the chunk it came with (${mode})`, async () => {
      emulators.gem!.enqueue(URL_SCRIPT);
      const candidates = await ask(stream, { config: { tools: [{ urlContext: {} }] } });
      const request = emulators.gem!.requests[0]!;
      expect(request.body.tools).to.deep.equal([{ urlContext: {} }]);
      const upstream = upstreamCandidates(URL_SCRIPT, request).map((c) => c.urlContextMetadata);
      expect(upstream[0]).to.deep.equal(URLS);
      expect(candidates.map((c) => plain(c.urlContextMetadata))).to.deep.equal(stream ? [...upstream, undefined] : upstream);
      expect(candidates.map((c) => c.content!.parts!.map((p) => p.text ?? '').join('')).join('')).to.equal((URL_SCRIPT.text as string[]).join(''));
      // No query was made: nothing is reported as a search.
      expect(candidates.some((c) => c.groundingMetadata !== undefined)).to.equal(false);
    });

    it(`both built-ins beside functions in one tools entry go up as an entry each (${mode})`, async () => {
      emulators.gem!.enqueue({ text: 'ok' });
      const functionDeclarations = [{ name: 'lookup', parametersJsonSchema: { type: 'object' } }];
      await ask(stream, { config: { tools: [{ functionDeclarations, codeExecution: {}, urlContext: {} }] } });
      expect(emulators.gem!.requests[0]!.body.tools).to.deep.equal([{ functionDeclarations }, { codeExecution: {} }, { urlContext: {} }]);
      expect(emulators.gem!.requests[0]!.body.toolConfig).to.deep.equal({ functionCallingConfig: { mode: 'AUTO' } });
    });

    it(`a chat's next turn sends the code execution parts back to the upstream as written, signature and all (${mode})`, async () => {
      const gem = emulators.gem!;
      gem.checkState = true; // the upstream refuses a signature it did not issue, as Gemini does
      gem.enqueue(CODE_SCRIPT);
      gem.enqueue({ text: '2 ** 11 is 2048.' });
      const chat = up.google().chats.create({ model: MODEL, config: { tools: [{ codeExecution: {} }] } });
      const send = async (message: string) => {
        if (!stream) return textOf(await chat.sendMessage({ message }));
        let text = '';
        for await (const chunk of await chat.sendMessageStream({ message })) text += textOf(chunk);
        return text;
      };
      expect(await send('2 ** 10?')).to.equal(TEXT.join(''));
      expect(await send('And 2 ** 11?')).to.equal('2 ** 11 is 2048.');
      const history = gem.requests[1]!.body.contents as Content[];
      expect(history.map((c) => c.role)).to.deep.equal(['user', 'model', 'user']);
      expect(history[1]!.parts).to.deep.equal(stream ? [CODE, RESULT, ...TEXT.map((text) => ({ text }))] : [CODE, RESULT, { text: TEXT.join('') }]);
      expect(gem.requests[1]!.body.tools).to.deep.equal([{ codeExecution: {} }]);
    });
  }

  it('history written by hand in snake_case (as the REST API takes it) reaches the upstream in the form Gemini answers with', async () => {
    emulators.gem!.enqueue({ text: 'fine' });
    const contents = [
      { role: 'user', parts: [{ text: '2 ** 10?' }] },
      { role: 'model', parts: [{ text: 'Let me run it.' }, { executable_code: { language: 'PYTHON', code: '1/0' }, thought_signature: 'c2ln' }, { code_execution_result: { outcome: 'OUTCOME_FAILED', output: 'ZeroDivisionError' } }, { text: 'It failed.' }] },
      { role: 'user', parts: [{ text: 'Try again.' }] },
    ];
    // A plain REST client (curl, or a tool that speaks protobuf JSON): the SDK itself writes camelCase only.
    const res = await fetch(`${up.lip().url}/v1beta/models/${MODEL}:generateContent`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-goog-api-key': 'k' }, body: JSON.stringify({ contents, tools: [{ code_execution: {} }] }),
    });
    expect(res.status).to.equal(200);
    const request = emulators.gem!.requests[0]!;
    expect(request.body.tools).to.deep.equal([{ codeExecution: {} }]);
    expect(request.body.contents[1]).to.deep.equal({
      role: 'model',
      parts: [{ text: 'Let me run it.' }, { executableCode: { language: 'PYTHON', code: '1/0' }, thoughtSignature: 'c2ln' }, { codeExecutionResult: { outcome: 'OUTCOME_FAILED', output: 'ZeroDivisionError' } }, { text: 'It failed.' }],
    });
  });

  for (const first of ['an:claude-sonnet-4-5', 'or:gpt-5.4']) {
    it(`a failover route [${first.split(':')[0]}, gem] serves a codeExecution request from the gemini backend; the first upstream sees nothing`, async () => {
      emulators.gem!.enqueue(CODE_SCRIPT);
      const candidates = await ask(false, { config: { tools: [{ codeExecution: {} }] } }, `${first}|${MODEL}`);
      expect(plain(candidates[0]!.content!.parts)).to.deep.equal([CODE, RESULT, { text: TEXT.join('') }]);
      expect(emulators[first.split(':')[0]!]!.requests).to.have.length(0);
      expect(emulators.gem!.requests).to.have.length(1);
    });
  }

  for (const stream of [false, true]) {
    it(`a route to another provider alone is a 400 LIP_ERR_REQUEST_UNSUPPORTED in Gemini's envelope, and nothing goes upstream (${stream ? 'streaming' : 'non-streaming'})`, async () => {
      const err = await ask(stream, { config: { tools: [{ urlContext: {} }] } }, 'an:claude-sonnet-4-5').catch((e: unknown) => e);
      expect(err).to.be.instanceOf(ApiError);
      expect((err as ApiError).status).to.equal(400);
      const body = JSON.parse((err as ApiError).message.replace(/^[^{]*/, '')) as { error: { code: number; status: string; message: string; details: { reason?: string }[] } };
      expect(body.error).to.include({ code: 400, status: 'INVALID_ARGUMENT' });
      expect(body.error.details.some((d) => d.reason === 'LIP_ERR_REQUEST_UNSUPPORTED')).to.equal(true);
      expect(body.error.message).to.include('"urlContext"');
      expect(emulators.an!.requests).to.have.length(0);
    });
  }
});
