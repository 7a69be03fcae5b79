import { type GenerateContentResponse, type GroundingMetadata } from '@google/genai';
import { expect } from 'chai';
import { geminiProtocol, type RecordedRequest, type Script } from '../helpers/emulators/index.js';
import { useUpstreams } from '../helpers/upstreams.js';

const TEXT = ['Grüße aus ', 'Zürich 😀', ' und Köln.'];
const SCRIPT: Script = {
  text: TEXT,
  searches: [{ query: 'zürich grüße', results: [
    { url: 'https://vertexaisearch.cloud.google.com/grounding-api-redirect/AAA', title: 'zuerich.example' },
    { url: 'https://vertexaisearch.cloud.google.com/grounding-api-redirect/BBB', title: 'koeln.example' },
  ] }, { query: 'köln dom' }],
  citations: [
    { delta: 1, url: 'https://vertexaisearch.cloud.google.com/grounding-api-redirect/AAA' },
    { delta: 2, url: 'https://vertexaisearch.cloud.google.com/grounding-api-redirect/CCC', title: 'dom.example' },
  ],
};
const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/**
 * Google Search grounding through lip: a Gemini client's `googleSearch` tool reaches a gemini
 * upstream as `googleSearch`, and the grounding the upstream reports (queries, pages, supports in
 * UTF-8 byte offsets of a non-ASCII text) reaches the client as it was sent, through the
 * canonical web_search and citation events, streamed and not. Before, the tool was a 400.
 */
describe('e2e: Gemini Google Search grounding', function () {
  this.timeout(20_000);
  const up = useUpstreams({ gem: { kind: 'gemini' } });
  const emulators = up.emulators;

  /**
   * The groundingMetadata the upstream sent for `request` (the emulator's last frame, or its whole
   * answer), search suggestions (`searchEntryPoint`) included.
   */
  const upstreamGrounding = (request: RecordedRequest): GroundingMetadata => {
    const last = request.stream
      ? JSON.parse(geminiProtocol.frames(SCRIPT, request).at(-1)!.text.replace(/^data: /, ''))
      : geminiProtocol.json(SCRIPT, request);
    const grounding = (last as GenerateContentResponse).candidates![0]!.groundingMetadata!;
    expect(grounding.searchEntryPoint).to.have.property('renderedContent');
    return grounding;
  };

  const ask = async (stream: boolean, tools: object[] = [{ googleSearch: {} }]) => {
    const params = { model: 'gem:gemini-2.5-flash', contents: 'Grüße?', config: { tools } };
    if (!stream) {
      const answer = await up.google().models.generateContent(params);
      return { text: answer.text, candidates: [answer.candidates![0]!] };
    }
    const chunks: GenerateContentResponse[] = [];
    for await (const chunk of await up.google().models.generateContentStream(params)) chunks.push(chunk);
    return { text: chunks.map((c) => c.text ?? '').join(''), candidates: chunks.map((c) => c.candidates![0]!) };
  };

  for (const stream of [false, true]) {
    const mode = stream ? 'streaming' : 'non-streaming';

    it(`a googleSearch tool reaches the upstream as googleSearch; its groundingMetadata comes back as sent (${mode})`, async () => {
      emulators.gem!.enqueue(SCRIPT);
      const answer = await ask(stream);
      const request = emulators.gem!.requests[0]!;
      expect(request.body.tools).to.deep.equal([{ googleSearch: {} }]);
      expect(request.body).to.not.have.property('toolConfig');
      expect(answer.text).to.equal(TEXT.join(''));
      const grounded = answer.candidates.filter((c) => c.groundingMetadata !== undefined);
      expect(grounded).to.have.length(1);
      expect(grounded[0]).to.equal(answer.candidates.at(-1)); // on the last chunk, with the finish
      expect(grounded[0]!.finishReason).to.equal('STOP');
      expect(request.stream).to.equal(stream);
      expect(grounded[0]!.groundingMetadata).to.deep.equal(upstreamGrounding(request));
      // ... which is, written out by hand (Google's search suggestions, which it asks apps to show, as they came):
      expect(grounded[0]!.groundingMetadata).to.deep.equal({
        searchEntryPoint: upstreamGrounding(request).searchEntryPoint,
        webSearchQueries: ['zürich grüße', 'köln dom'],
        groundingChunks: [
          { web: { uri: 'https://vertexaisearch.cloud.google.com/grounding-api-redirect/AAA', title: 'zuerich.example' } },
          { web: { uri: 'https://vertexaisearch.cloud.google.com/grounding-api-redirect/BBB', title: 'koeln.example' } },
          { web: { uri: 'https://vertexaisearch.cloud.google.com/grounding-api-redirect/CCC', title: 'dom.example' } },
        ],
        groundingSupports: [
          { segment: { startIndex: bytes(TEXT[0]!), endIndex: bytes(TEXT[0]! + TEXT[1]!), text: TEXT[1] }, groundingChunkIndices: [0] },
          { segment: { startIndex: bytes(TEXT[0]! + TEXT[1]!), endIndex: bytes(TEXT.join('')), text: TEXT[2] }, groundingChunkIndices: [2] },
        ],
      });
    });

    it(`functions and the search go up as two tool entries, the client's googleSearch fields as written (${mode})`, async () => {
      emulators.gem!.enqueue({ text: 'ok' });
      const googleSearch = { timeRangeFilter: { startTime: '2025-01-01T00:00:00Z', endTime: '2025-02-01T00:00:00Z' } };
      const answer = await ask(stream, [{ functionDeclarations: [{ name: 'lookup', parametersJsonSchema: { type: 'object' } }], googleSearch }]);
      expect(emulators.gem!.requests[0]!.body.tools).to.deep.equal([
        { functionDeclarations: [{ name: 'lookup', parametersJsonSchema: { type: 'object' } }] }, { googleSearch },
      ]);
      expect(emulators.gem!.requests[0]!.body.toolConfig).to.deep.equal({ functionCallingConfig: { mode: 'AUTO' } });
      expect(answer.candidates.some((c) => c.groundingMetadata !== undefined)).to.equal(false); // nothing searched, nothing reported
    });
  }

  it('a built-in beside it (Google Maps, which used to be a 400) goes up as declared too', async () => {
    emulators.gem!.enqueue({ text: 'ok' });
    await up.google().models.generateContent({ model: 'gem:gemini-2.5-flash', contents: 'x', config: { tools: [{ googleSearch: {} }, { googleMaps: {} }] } });
    expect(emulators.gem!.requests[0]!.body.tools).to.deep.equal([{ googleSearch: {} }, { googleMaps: {} }]);
  });

});
