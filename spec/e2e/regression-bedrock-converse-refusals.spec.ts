import { expect } from 'chai';
import OpenAI from 'openai';
import { testConfig } from '../helpers/config.js';
import { bedrockProtocol, EMULATOR_AWS, startBedrockEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const CLAUDE_ON_BEDROCK = 'anthropic.claude-sonnet-4-20250514-v1:0';
const MODEL = `br:${CLAUDE_ON_BEDROCK}`;

/** Every text block of a Converse request's messages, tool results' content included. */
function texts(messages: any[]): string[] {
  return messages.flatMap((m) => m.content.flatMap((b: any) => (b.text !== undefined ? [b.text] : (b.toolResult?.content ?? []).filter((r: any) => r.text !== undefined).map((r: any) => r.text))));
}

/**
 * What Converse refuses with a 400 ValidationException, which lip sent anyway: text blocks that
 * are only whitespace (an empty tool output went as `" "`, an assistant turn of `"\n\n"` as it
 * was). Once such a turn is in the history every later request of the conversation fails. The
 * emulator now refuses them as Bedrock does, and lip leaves blank text out.
 */
describe('e2e regression: Bedrock Converse gets no request it refuses', function () {
  this.timeout(20_000);
  let bedrock: Emulator;
  let lip: RunningLip;
  let openai: OpenAI;
  before(async () => {
    bedrock = await startBedrockEmulator();
    lip = await startLip(testConfig(`  - { id: br, kind: bedrock, base_endpoint: "${bedrock.origin}", disable_https: true, access_key_id: ${EMULATOR_AWS.accessKeyId}, secret_access_key: ${EMULATOR_AWS.secretAccessKey} }`));
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

  it('a conversation of nothing but blank text is refused (400) before any upstream call', async () => {
    const error = await openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: ' \t ' }] }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).message).to.match(/nothing to send/);
    expect(bedrock.requests).to.have.length(0);
  });
});
