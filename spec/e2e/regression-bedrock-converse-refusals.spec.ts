import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { expect } from 'chai';
import OpenAI from 'openai';
import { testConfig, bedrockRow } from '../helpers/config.js';
import { bedrockProtocol, startBedrockEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const CLAUDE_ON_BEDROCK = 'anthropic.claude-sonnet-4-20250514-v1:0';
const MODEL = `br:${CLAUDE_ON_BEDROCK}`;
const PDF = Buffer.from('%PDF-1.4 emulated').toString('base64');

/** Every text block of a Converse request's messages, tool results' content included. */
function texts(messages: any[]): string[] {
  return messages.flatMap((m) => m.content.flatMap((b: any) => (b.text !== undefined ? [b.text] : (b.toolResult?.content ?? []).filter((r: any) => r.text !== undefined).map((r: any) => r.text))));
}

/** The names of a Converse request's documents, in order. */
function documentNames(messages: any[]): string[] {
  return messages.flatMap((m) => m.content.filter((b: any) => b.document !== undefined).map((b: any) => b.document.name));
}

/**
 * What Converse refuses with a 400 ValidationException, which lip sent anyway: text blocks that
 * are only whitespace (an empty tool output went as `" "`, an assistant turn of `"\n\n"` as it
 * was), and two documents of one name (two untitled PDFs were both `document`). Once such a turn
 * is in the history every later request of the conversation fails. The emulator now refuses them
 * as Bedrock does, and lip sends neither.
 */
describe('e2e regression: Bedrock Converse gets no request it refuses', function () {
  this.timeout(20_000);
  let bedrock: Emulator;
  let lip: RunningLip;
  let openai: OpenAI;
  before(async () => {
    bedrock = await startBedrockEmulator();
    lip = await startLip(testConfig(`${bedrockRow('br', bedrock)}
  - { id: st, kind: localstub, text: "from the stub" }`));
    openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
  });
  after(async () => {
    await lip?.close();
    await bedrock?.close();
  });
  beforeEach(() => {
    bedrock.reset();
    bedrock.handler = undefined;
  });

  it('the emulator refuses a whitespace-only text block as Converse does (400 ValidationException naming it)', () => {
    const refused = bedrockProtocol.refuse!({ body: { messages: [{ role: 'user', content: [{ text: 'q' }, { text: ' \n' }] }] } } as never);
    expect(refused).to.deep.equal({ status: 400, error: { type: 'ValidationException', message: 'The text field in the ContentBlock object at messages.0.content.1 is blank. Add text to the text field, and try again.' } });
    expect(bedrockProtocol.refuse!({ body: { messages: [{ role: 'user', content: [{ toolResult: { toolUseId: 'c', content: [{ text: ' ' }] } }] }] } } as never)?.status).to.equal(400);
    expect(bedrockProtocol.refuse!({ body: { system: [{ text: '' }], messages: [] } } as never)?.status).to.equal(400);
  });

  it('leaves whitespace-only text out: an empty tool output says "(no output)", a blank assistant turn is dropped and its neighbours merged', async () => {
    bedrock.enqueue({ text: 'done' });
    const answer = await openai.chat.completions.create({
      model: MODEL, tools: [{ type: 'function', function: { name: 'sh', parameters: { type: 'object' } } }],
      messages: [
        { role: 'system', content: ' ' },
        { role: 'user', content: 'run it' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'sh', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: '' },
        { role: 'assistant', content: '\n\n' },
        { role: 'user', content: [{ type: 'text', text: 'and?' }, { type: 'text', text: '  ' }] },
      ],
    });
    expect(answer.choices[0]!.message.content).to.equal('done');
    const sent = bedrock.requests[0]!.body;
    expect(sent).to.not.have.property('system');
    expect(sent.messages.map((m: any) => m.role)).to.deep.equal(['user', 'assistant', 'user']);
    expect(sent.messages[2].content).to.deep.equal([{ toolResult: { toolUseId: 'c1', content: [{ text: '(no output)' }], status: 'success' } }, { text: 'and?' }]);
    expect(texts(sent.messages).filter((t) => t.trim() === '')).to.deep.equal([]);
  });

  it('the emulator refuses a Claude model\'s final assistant turn ending in whitespace, as Converse does; lip trims a prefill\'s end', async () => {
    const prefill = { messages: [{ role: 'user', content: [{ text: 'q' }] }, { role: 'assistant', content: [{ text: 'It is ' }, { cachePoint: { type: 'default' } }] }] };
    expect(bedrockProtocol.refuse!({ model: CLAUDE_ON_BEDROCK, body: prefill } as never)).to.deep.equal({
      status: 400, error: { type: 'ValidationException', message: 'The model returned the following errors: messages: final assistant content cannot end with trailing whitespace' },
    });
    bedrock.enqueue({ text: 'blue' });
    const anthropic = new Anthropic({ baseURL: lip.url, apiKey: 'k', maxRetries: 0 });
    const answer = await anthropic.messages.create({ model: MODEL, max_tokens: 20, messages: [{ role: 'user', content: 'Sky colour?' }, { role: 'assistant', content: 'It is ' }] });
    expect(answer.content).to.deep.equal([{ type: 'text', text: 'blue' }]);
    expect(bedrock.requests[0]!.body.messages.at(-1)).to.deep.equal({ role: 'assistant', content: [{ text: 'It is' }] });
  });

  it('a conversation of nothing but blank text is refused (400) before any upstream call', async () => {
    const error = await openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: ' \t ' }] }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).message).to.match(/nothing to send/);
    expect(bedrock.requests).to.have.length(0);
  });

  it('the emulator refuses two documents of one name as Converse does', () => {
    const doc = (name: string) => ({ document: { format: 'pdf', name, source: { bytes: PDF } } });
    expect(bedrockProtocol.refuse!({ body: { messages: [{ role: 'user', content: [doc('a'), doc('a'), { text: 'q' }] }] } } as never))
      .to.deep.equal({ status: 400, error: { type: 'ValidationException', message: "Messages can't contain duplicate document names" } });
    expect(bedrockProtocol.refuse!({ body: { messages: [{ role: 'user', content: [doc('a'), doc('b'), { text: 'q' }] }] } } as never)).to.equal(undefined);
  });

  it('names two untitled documents apart (a Gemini client\'s inline PDFs): document, document-2', async () => {
    bedrock.enqueue({ text: 'same' });
    const gemini = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: lip.url } });
    const answer = await gemini.models.generateContent({
      model: MODEL, contents: [{ role: 'user', parts: [{ inlineData: { mimeType: 'application/pdf', data: PDF } }, { inlineData: { mimeType: 'application/pdf', data: PDF } }, { text: 'compare' }] }],
    });
    expect(answer.text).to.equal('same');
    expect(documentNames(bedrock.requests[0]!.body.messages)).to.deep.equal(['document', 'document-2']);
  });

  it('names documents apart across the whole conversation, the same on every turn (report.pdf and report.txt, then Report.pdf)', async () => {
    const file = (filename: string, type: string) => ({ type: 'file' as const, file: { file_data: `data:${type};base64,${PDF}`, filename } });
    const first = { role: 'user' as const, content: [file('report.pdf', 'application/pdf'), file('report.txt', 'text/plain'), { type: 'text' as const, text: 'sum up' }] };
    bedrock.enqueue({ text: 'one' });
    await openai.chat.completions.create({ model: MODEL, messages: [first] });
    bedrock.enqueue({ text: 'two' });
    const answer = await openai.chat.completions.create({
      model: MODEL, messages: [first, { role: 'assistant', content: 'one' }, { role: 'user', content: [file('Report.pdf', 'application/pdf'), { type: 'text', text: 'and this?' }] }],
    });
    expect(answer.choices[0]!.message.content).to.equal('two');
    expect(documentNames(bedrock.requests[0]!.body.messages)).to.deep.equal(['report', 'report-2']);
    expect(documentNames(bedrock.requests[1]!.body.messages)).to.deep.equal(['report', 'report-2', 'Report-3']);
  });

  // The statuses of the other types: spec/backends/bedrock/classify-error.spec.ts (a transient one fails over, and a
  // route whose every candidate failed so answers 502, as after the same status over HTTP).
  describe('an exception frame before any output keeps the status of its type (it was a 502 api_error, which the SDKs retry)', () => {
    const ask = (model: string) => fetch(`${lip.url}/v1/messages`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'k' },
      body: JSON.stringify({ model, stream: true, max_tokens: 20, messages: [{ role: 'user', content: 'x' }] }),
    });
    const cases = [
      ['validationException', 'A conversation must alternate between user and assistant roles.', 400, 'invalid_request_error'],
      ['throttlingException', 'Too many tokens, please wait before trying again.', 429, 'rate_limit_error'],
    ] as const;
    for (const [type, message, status, errorType] of cases) {
      it(`${type}: ${status} ${errorType}`, async () => {
        bedrock.handler = () => ({ streamError: { type, message } });
        const res = await ask(MODEL);
        const body = await res.json() as { error: { type: string; message: string } };
        expect([res.status, body.error.type]).to.deep.equal([status, errorType]);
        expect(body.error.message).to.contain(message);
        if (status === 429) expect(res.headers.get('retry-after')).to.match(/^[1-9]\d*$/);
      });
    }

    it('a validation error does not fail over; a throttle does', async () => {
      bedrock.handler = () => ({ streamError: { type: 'validationException', message: 'bad turn order' } });
      const refused = await ask(`${MODEL}|st:m`);
      expect(refused.status).to.equal(400);
      await refused.text();
      bedrock.handler = () => ({ streamError: { type: 'throttlingException', message: 'slow down' } });
      const served = await ask(`${MODEL}|st:m`);
      expect([served.status, served.headers.get('x-lip-backend')]).to.deep.equal([200, 'st:m']);
      expect(await served.text()).to.contain('from the stub');
    });
  });
});
