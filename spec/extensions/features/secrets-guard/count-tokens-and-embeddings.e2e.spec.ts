import { expect } from 'chai';
import { testConfig } from '../../../helpers/config.js';
import { startAnthropicEmulator, startGeminiEmulator, startOpenAIChatEmulator, type Emulator } from '../../../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../../../helpers/lip.js';
import { SAMPLES } from './secrets-guard.spec.js';

const KEY = SAMPLES.aws_access_key_id!;

/**
 * secrets-guard on the requests that are no generation but still send the client's text
 * upstream: token counts (Anthropic `count_tokens`, Gemini `:countTokens`) and embeddings
 * (OpenAI `/v1/embeddings`, Gemini `:embedContent`). `block` answers the 400 a generation gets,
 * in the protocol's envelope, and nothing is sent; `redact` sends the text with the key replaced.
 */
describe('e2e: secrets-guard on token counts and embeddings', function () {
  this.timeout(30_000);
  let claude: Emulator;
  let chat: Emulator;
  let gemini: Emulator;
  const lips: Record<string, RunningLip> = {};
  before(async () => {
    [claude, chat, gemini] = await Promise.all([startAnthropicEmulator(), startOpenAIChatEmulator(), startGeminiEmulator()]);
    for (const mode of ['redact', 'block']) {
      lips[mode] = await startLip(testConfig([
        `  - { id: claude, kind: anthropic, base_url: "${claude.url}", api_key: claude-key-0123456789 }`,
        `  - { id: chat, kind: openai-chat, base_url: "${chat.url}", api_key: chat-key-0123456789 }`,
        `  - { id: gem, kind: gemini, base_url: "${gemini.url}", api_key: gemini-key-0123456789 }`,
      ].join('\n'), `routing: { default_route: "claude:claude-sonnet-4-6" }\nfeatures:\n  - { id: secrets-guard, config: { mode: ${mode} } }`));
    }
  });
  after(async () => {
    for (const lip of Object.values(lips)) await lip.close();
    await Promise.all([claude?.close(), chat?.close(), gemini?.close()]);
  });
  beforeEach(() => {
    for (const emu of [claude, chat, gemini]) emu.reset();
  });
  const post = async (mode: string, path: string, body: unknown) => {
    const res = await fetch(`${lips[mode]!.url}${path}`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-goog-api-key': 'k' }, body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() as Record<string, any> };
  };
  const sentBodies = () => [claude, chat, gemini].flatMap((emu) => emu.requests.map((r) => JSON.stringify(r.body)));

  const anthropicCount = { model: 'claude:claude-sonnet-4-6', system: 'be brief', messages: [{ role: 'user', content: `my key is ${KEY}, fix my script` }] };
  const geminiCount = { contents: [{ role: 'user', parts: [{ text: `my key is ${KEY}, fix my script` }] }] };

  it('block: count_tokens (Anthropic, Gemini) is the 400 of a generation in the protocol\'s envelope; nothing is counted upstream', async () => {
    const anthropic = await post('block', '/v1/messages/count_tokens', anthropicCount);
    expect(anthropic.status).to.equal(400);
    expect(anthropic.body.type).to.equal('error');
    expect(anthropic.body.error.message).to.contain('credential-shaped string');
    const google = await post('block', '/v1beta/models/gem:gemini-2.5-flash:countTokens', geminiCount);
    expect(google.status).to.equal(400);
    expect(google.body.error.message).to.contain('credential-shaped string');
    expect(JSON.stringify([anthropic.body, google.body])).to.not.contain(KEY);
    expect(sentBodies()).to.deep.equal([]);
  });

  it('redact: count_tokens counts the text with the key replaced', async () => {
    claude.enqueue({ usage: { input: 12, output: 0 } });
    const anthropic = await post('redact', '/v1/messages/count_tokens', anthropicCount);
    expect(anthropic).to.deep.equal({ status: 200, body: { input_tokens: 12 } });
    expect(claude.requests[0]!.body.messages).to.deep.equal([{ role: 'user', content: [{ type: 'text', text: 'my key is [REDACTED:aws_access_key_id], fix my script' }] }]);
    gemini.enqueue({ usage: { input: 9, output: 0 } });
    const google = await post('redact', '/v1beta/models/gem:gemini-2.5-flash:countTokens', geminiCount);
    expect(google.status).to.equal(200);
    expect(gemini.requests[0]!.body.generateContentRequest.contents).to.deep.equal([{ role: 'user', parts: [{ text: 'my key is [REDACTED:aws_access_key_id], fix my script' }] }]);
    expect(sentBodies().join('\n')).to.not.contain(KEY);
  });

  it('block: embeddings (OpenAI, Gemini) are a 400 in the protocol\'s envelope; nothing is embedded upstream', async () => {
    const openai = await post('block', '/v1/embeddings', { model: 'chat:text-embedding-3-small', input: ['fine', `my key is ${KEY}`] });
    expect(openai.status).to.equal(400);
    expect(openai.body.error.message).to.contain('credential-shaped string');
    const google = await post('block', '/v1beta/models/chat:m:embedContent', { content: { parts: [{ text: `my key is ${KEY}` }] } });
    expect(google.status).to.equal(400);
    expect(google.body.error.status).to.equal('INVALID_ARGUMENT');
    expect(JSON.stringify([openai.body, google.body])).to.not.contain(KEY);
    expect(sentBodies()).to.deep.equal([]);
  });

  it('redact: embeddings embed the texts with the key replaced, every input in its place (empty ones too)', async () => {
    const openai = await post('redact', '/v1/embeddings', { model: 'chat:text-embedding-3-small', input: ['fine', '', `my key is ${KEY}`], encoding_format: 'float' });
    expect(openai.status).to.equal(200);
    expect(openai.body.data).to.have.length(3);
    expect(chat.requests[0]!.body.input).to.deep.equal(['fine', '', 'my key is [REDACTED:aws_access_key_id]']);
    const google = await post('redact', '/v1beta/models/chat:m:embedContent', { content: { parts: [{ text: `my key is ${KEY}` }] } });
    expect(google.status).to.equal(200);
    expect(chat.requests[1]!.body.input).to.deep.equal(['my key is [REDACTED:aws_access_key_id]']);
    expect(sentBodies().join('\n')).to.not.contain(KEY);
  });

  it('text without a credential is counted and embedded as it is', async () => {
    claude.enqueue({ usage: { input: 5, output: 0 } });
    expect((await post('block', '/v1/messages/count_tokens', { ...anthropicCount, messages: [{ role: 'user', content: 'hello world' }] })).status).to.equal(200);
    expect((await post('block', '/v1/embeddings', { model: 'chat:text-embedding-3-small', input: 'hello world' })).status).to.equal(200);
    expect(chat.requests[0]!.body.input).to.deep.equal(['hello world']);
  });
});
