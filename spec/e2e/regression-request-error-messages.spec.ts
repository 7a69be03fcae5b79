import { expect } from 'chai';
import OpenAI from 'openai';
import { testConfig } from '../helpers/config.js';
import { startAnthropicEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { httpRequest } from '../helpers/sse-client.js';

const deep = (levels: number) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);

/**
 * Three 400s that said the wrong thing. Tool-call arguments nested deeper than 128 levels were
 * refused (by the backends that parse them) with `param: null` and no field: the Chat and
 * Responses decoders now refuse them whatever the backend, naming the field. `1e400` (or a
 * 500-digit integer), which JSON.parse reads as Infinity, was reported "got number Infinity". A
 * UTF-32 body was said to start with a UTF-16 byte order mark, or to look like UTF-16.
 */
describe('e2e regression: request errors name the field, the range and the encoding', function () {
  this.timeout(30_000);
  let claude: Emulator;
  let lip: RunningLip;
  let openai: OpenAI;
  before(async () => {
    claude = await startAnthropicEmulator();
    lip = await startLip(testConfig(`  - { id: stub, kind: localstub, text: "ok", models: [m] }
  - { id: an, kind: anthropic, base_url: "${claude.url}", api_key: k-0123456789 }`));
    openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
  });
  after(async () => {
    await lip?.close();
    await claude?.close();
  });

  const history = (args: string): OpenAI.ChatCompletionMessageParam[] => [
    { role: 'user', content: 'hi' },
    { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: args } }] },
    { role: 'tool', tool_call_id: 'c1', content: 'done' },
  ];

  it('Chat: tool-call arguments over 128 levels are a 400 naming the field, for every backend; 128 levels pass', async () => {
    for (const model of ['stub:m', 'an:claude-sonnet-4-6']) {
      const err = await openai.chat.completions.create({ model, messages: history(deep(129)) }).catch((e: unknown) => e);
      expect(err, model).to.be.instanceOf(OpenAI.BadRequestError);
      const refused = err as InstanceType<typeof OpenAI.BadRequestError>;
      expect([refused.code, refused.param]).to.deep.equal(['LIP_ERR_REQUEST_LIMIT_EXCEEDED', 'messages[1].tool_calls[0].function.arguments']);
      expect(refused.message).to.contain("messages[1].tool_calls[0].function.arguments: a tool call's arguments nests deeper than 128 levels");
    }
    expect(claude.requests).to.have.length(0);
    const answer = await openai.chat.completions.create({ model: 'stub:m', messages: history(deep(128)) });
    expect(answer.choices[0]!.message.content).to.equal('ok');
  });

  it('Responses: a function_call item\'s arguments over 128 levels are a 400 naming the item', async () => {
    const err = await openai.responses.create({
      model: 'stub:m',
      input: [{ role: 'user', content: 'hi' }, { type: 'function_call', call_id: 'c1', name: 'f', arguments: deep(200) }, { type: 'function_call_output', call_id: 'c1', output: 'done' }],
    }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).to.equal('input[1].arguments');
  });

  it('a number too large for a double is "out of range", not Infinity', async () => {
    for (const [field, value] of [['top_logprobs', '1e400'], ['top_logprobs', '9'.repeat(500_000)]] as const) {
      const res = await httpRequest(`${lip.url}/v1/chat/completions`, { body: `{"model":"stub:m","logprobs":true,"${field}":${value},"messages":[{"role":"user","content":"hi"}]}` });
      expect(res.status).to.equal(400);
      const { message, param } = JSON.parse(res.body).error as { message: string; param: string };
      expect([param, message]).to.deep.equal([field, `${field}: must be <= 20 (got a number out of range (beyond ±1.8e308))`]);
    }
    const embed = await httpRequest(`${lip.url}/v1/embeddings`, { body: '{"model":"stub:m","input":"hi","dimensions":-1e400}' });
    expect(JSON.parse(embed.body).error.message).to.contain('got a number out of range').and.not.contain('Infinity');
  });

  it('a UTF-32 body is named UTF-32, with a byte order mark (either order) or without', async () => {
    const json = '{"model":"stub:m","messages":[]}';
    const utf32le = Buffer.alloc(json.length * 4);
    const utf32be = Buffer.alloc(json.length * 4);
    for (let i = 0; i < json.length; i++) {
      utf32le.writeUInt32LE(json.charCodeAt(i), i * 4);
      utf32be.writeUInt32BE(json.charCodeAt(i), i * 4);
    }
    const bodies: [string, Buffer, string][] = [
      ['LE with a mark', Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), utf32le]), 'it starts with a UTF-32 byte order mark'],
      ['BE with a mark', Buffer.concat([Buffer.from([0, 0, 0xfe, 0xff]), utf32be]), 'it starts with a UTF-32 byte order mark'],
      ['LE without', utf32le, 'it looks like UTF-32 (three NUL bytes among its first four)'],
      ['BE without', utf32be, 'it looks like UTF-32 (three NUL bytes among its first four)'],
      ['UTF-16 with a mark', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(json, 'utf16le')]), 'it starts with a UTF-16 byte order mark'],
      ['UTF-16 without', Buffer.from(json, 'utf16le'), 'it looks like UTF-16 (a NUL byte among its first two)'],
    ];
    for (const [name, body, says] of bodies) {
      const res = await httpRequest(`${lip.url}/v1/chat/completions`, { body });
      expect([name, res.status, JSON.parse(res.body).error.message]).to.deep.equal([name, 400, `the request body is not UTF-8: ${says}; send JSON as UTF-8 (RFC 8259 section 8.1)`]);
    }
  });
});
