import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import OpenAI from 'openai';
import { bedrockRow, testConfig } from '../helpers/config.js';
import { bedrockProtocol, startBedrockEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const MODEL = 'br:anthropic.claude-sonnet-4-20250514-v1:0';
const PDF = Buffer.from('%PDF-1.4 emulated').toString('base64');
const DOCUMENT = { document: { format: 'pdf', name: 'document', source: { bytes: PDF } } };

/**
 * A user message with a document and no words (an Anthropic client's lone PDF, a Chat client's
 * lone file, or a PDF beside blank text, which lip leaves out) went to Converse as it was, and
 * Converse refuses it: "A text block must be included when using documents." Such a message now
 * gets a short placeholder text after its blocks (before a trailing cache point, so that the
 * cache point still closes the message), and the emulator refuses the message without it.
 */
describe('e2e regression: a Bedrock user message with a document and no text gets a placeholder text block', function () {
  this.timeout(20_000);
  let bedrock: Emulator;
  let lip: RunningLip;
  let anthropic: Anthropic;
  let openai: OpenAI;
  before(async () => {
    bedrock = await startBedrockEmulator();
    lip = await startLip(testConfig(bedrockRow('br', bedrock)));
    anthropic = new Anthropic({ baseURL: lip.url, apiKey: 'k', maxRetries: 0 });
    openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
  });
  after(async () => {
    await lip?.close();
    await bedrock?.close();
  });
  beforeEach(() => bedrock.reset());

  it('the emulator refuses a message with a document and no text block, as Converse does', () => {
    const refuse = (content: unknown[]) => bedrockProtocol.refuse!({ body: { messages: [{ role: 'user', content }] } } as never);
    expect(refuse([DOCUMENT])).to.deep.equal({ status: 400, error: { type: 'ValidationException', message: 'A text block must be included when using documents.' } });
    expect(refuse([DOCUMENT, { text: 'sum up' }])).to.equal(undefined);
  });

  it('an Anthropic client\'s lone document, and one beside blank text', async () => {
    for (const extra of [[], [{ type: 'text' as const, text: '  ' }]]) {
      bedrock.enqueue({ text: 'read' });
      const answer = await anthropic.messages.create({
        model: MODEL, max_tokens: 50, messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: PDF } }, ...extra] }],
      });
      expect(answer.content).to.deep.equal([{ type: 'text', text: 'read' }]);
      expect(bedrock.requests.at(-1)!.body.messages).to.deep.equal([{ role: 'user', content: [DOCUMENT, { text: '(document attached)' }] }]);
    }
  });

  it('a Chat client\'s lone file; a cached document keeps its cache point last', async () => {
    bedrock.enqueue({ text: 'read' });
    await openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: [{ type: 'file', file: { filename: 'report.pdf', file_data: `data:application/pdf;base64,${PDF}` } }] }] });
    expect(bedrock.requests[0]!.body.messages[0].content).to.deep.equal([{ document: { ...DOCUMENT.document, name: 'report' } }, { text: '(document attached)' }]);
    bedrock.enqueue({ text: 'cached' });
    await anthropic.messages.create({
      model: MODEL, max_tokens: 50,
      messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: PDF }, cache_control: { type: 'ephemeral' } }] }],
    });
    expect(bedrock.requests[1]!.body.messages[0].content).to.deep.equal([DOCUMENT, { text: '(document attached)' }, { cachePoint: { type: 'default' } }]);
  });

  it('a message with words of its own gets none', async () => {
    bedrock.enqueue({ text: 'read' });
    await anthropic.messages.create({
      model: MODEL, max_tokens: 50, messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: PDF } }, { type: 'text', text: 'sum up' }] }],
    });
    expect(bedrock.requests[0]!.body.messages[0].content).to.deep.equal([DOCUMENT, { text: 'sum up' }]);
  });
});
