import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import { testConfig, bedrockRow } from '../helpers/config.js';
import { startBedrockEmulator, type Emulator, type Script } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { askAnthropic, useUpstreams } from '../helpers/upstreams.js';

const DOC = 'The grass is green. The sky is blue.';
const DOCUMENT = {
  type: 'document' as const, source: { type: 'text' as const, media_type: 'text/plain' as const, data: DOC }, title: 'My Document', citations: { enabled: true },
};
const QUESTION: Anthropic.MessageParam = { role: 'user', content: [DOCUMENT, { type: 'text', text: 'What color is the grass and sky?' }] };
/** What the upstream answers: the second and fourth deltas cite the document's two sentences. */
const ANSWER: Script = {
  text: ['According to the document, ', 'the grass is green', ' and ', 'the sky is blue', '.'],
  citations: [
    { delta: 1, citedText: 'The grass is green. ', document: { index: 0, title: 'My Document', kind: 'char', start: 0, end: 20 } },
    { delta: 3, citedText: 'The sky is blue.', document: { index: 0, title: 'My Document', kind: 'char', start: 20, end: 36 } },
  ],
};

/**
 * Anthropic's document citations through lip: a document block's `citations: {enabled: true}`
 * reaches an Anthropic upstream (it was dropped, so the answer cited nothing), and the
 * `char_location` citations of its answer come back on the text they cite, streamed and not.
 * A client of another protocol served by Anthropic gets the text without them (its protocol has
 * no form for a document's citation).
 */
describe('e2e: Anthropic document citations', function () {
  this.timeout(20_000);
  const up = useUpstreams({ an: { kind: 'anthropic' } });
  const emulator = () => up.emulators.an!;

  for (const stream of [false, true]) {
    const mode = stream ? 'streaming' : 'non-streaming';

    it(`citations.enabled reaches the upstream; its char_location citations come back on the cited text (${mode})`, async () => {
      emulator().enqueue(ANSWER);
      const params = { model: 'an:claude-sonnet-4-6', max_tokens: 256, messages: [QUESTION] };
      const message = await askAnthropic(up.anthropic(), params, stream);
      const sent = emulator().requests[0]!.body.messages[0].content[0];
      expect(sent).to.deep.equal(DOCUMENT);
      const text = message.content.filter((b): b is Anthropic.TextBlock => b.type === 'text');
      expect(text.map((b) => b.text).join('')).to.equal('According to the document, the grass is green and the sky is blue.');
      const citations = text.flatMap((b) => b.citations ?? []);
      expect(JSON.parse(JSON.stringify(citations))).to.deep.equal([
        { type: 'char_location', cited_text: 'The grass is green. ', document_index: 0, document_title: 'My Document', start_char_index: 0, end_char_index: 20 },
        { type: 'char_location', cited_text: 'The sky is blue.', document_index: 0, document_title: 'My Document', start_char_index: 20, end_char_index: 36 },
      ]);
      // Each citation rides on a text block that holds the text it cites.
      for (const block of text) for (const c of block.citations ?? []) expect(block.text).to.match(/grass is green|sky is blue/);

      // The answer sent back as history is taken (its citations, which every provider takes the text without, left out).
      emulator().enqueue({ text: 'Yes.' });
      await up.anthropic().messages.create({ model: 'an:claude-sonnet-4-6', max_tokens: 64, messages: [QUESTION, { role: 'assistant', content: message.content as unknown as Anthropic.ContentBlockParam[] }, { role: 'user', content: 'Sure?' }] });
      const history = emulator().requests[1]!.body.messages[1];
      expect(history.role).to.equal('assistant');
      expect(history.content.map((b: { text: string }) => b.text).join('')).to.equal('According to the document, the grass is green and the sky is blue.');
    });
  }

  it('a Responses client served by anthropic gets the text, without the document citations it has no form for', async () => {
    emulator().enqueue(ANSWER);
    const response = await up.openai().responses.create({ model: 'an:claude-sonnet-4-6', input: 'What color is the grass?' });
    expect(response.output_text).to.equal('According to the document, the grass is green and the sky is blue.');
    const message = response.output[0] as { content: { annotations: unknown[] }[] };
    expect(message.content[0]!.annotations).to.deep.equal([]);
  });

  describe('served by bedrock (Converse document citations)', () => {
    let bedrock: Emulator;
    let lip: RunningLip;
    before(async () => {
      bedrock = await startBedrockEmulator();
      lip = await startLip(testConfig(bedrockRow('br', bedrock)));
    });
    after(async () => {
      await lip?.close();
      await bedrock?.close();
    });

    for (const stream of [false, true]) {
      const mode = stream ? 'streaming' : 'non-streaming';

      it(`the document goes up with citations enabled; Converse's documentChar citations come back as char_location (${mode})`, async () => {
        bedrock.enqueue(ANSWER);
        const client = new Anthropic({ baseURL: lip.url, apiKey: 'k', maxRetries: 0 });
        const params = { model: 'br:anthropic.claude-sonnet-4-20250514-v1:0', max_tokens: 256, messages: [QUESTION] };
        const message = stream ? await client.messages.stream(params).finalMessage() : await client.messages.create(params);
        const sent = bedrock.requests[0]!.body.messages[0].content[0];
        expect(sent.document).to.deep.include({ format: 'txt', name: 'My Document', citations: { enabled: true } });
        const text = message.content.filter((b): b is Anthropic.TextBlock => b.type === 'text');
        expect(text.map((b) => b.text).join('')).to.equal('According to the document, the grass is green and the sky is blue.');
        expect(JSON.parse(JSON.stringify(text.flatMap((b) => b.citations ?? [])))).to.deep.equal([
          { type: 'char_location', cited_text: 'The grass is green. ', document_index: 0, document_title: 'My Document', start_char_index: 0, end_char_index: 20 },
          { type: 'char_location', cited_text: 'The sky is blue.', document_index: 0, document_title: 'My Document', start_char_index: 20, end_char_index: 36 },
        ]);
      });
    }
  });
});
