import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import { testConfig } from '../helpers/config.js';
import { startAnthropicEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

/**
 * Anthropic `messages.countTokens` through the official SDK: forwarded (with the routed model
 * and the backend's key) when the route leads to an Anthropic backend, otherwise lip's own
 * estimate, marked as one; failures in Anthropic's error envelope.
 */
describe('e2e: Anthropic count_tokens', () => {
  let emu: Emulator;
  let lip: RunningLip;
  let client: Anthropic;
  before(async () => {
    emu = await startAnthropicEmulator();
    lip = await startLip(testConfig([
      `  - { id: claude, kind: anthropic, base_url: "${emu.url}", api_key: upstream-key-0123456789 }`,
      '  - { id: stub, kind: localstub, models: [stub-default] }',
    ].join('\n'), 'routing: { default_route: "stub:stub-default" }'));
    client = new Anthropic({ baseURL: lip.url, apiKey: 'k', maxRetries: 0, openTelemetry: false } as never);
  });
  after(async () => {
    await lip?.close();
    await emu?.close();
  });
  beforeEach(() => emu.reset());
  const params = (model: string) => ({
    model, system: 'Be brief.', messages: [{ role: 'user' as const, content: 'How many tokens is this question?' }],
    tools: [{ name: 'f', description: 'a tool', input_schema: { type: 'object' as const, properties: {} } }],
  });

  it('forwards to an Anthropic backend with the routed model and the backend key, and returns its count', async () => {
    emu.enqueue({ usage: { input: 1234, output: 0 } });
    const res = await client.messages.countTokens(params('claude:claude-sonnet-4-6')).withResponse();
    expect(res.data.input_tokens).to.equal(1234);
    expect(res.response.headers.get('x-lip-token-count')).to.equal('upstream');
    const sent = emu.requests[0]!;
    expect([sent.method, sent.path, sent.key]).to.deep.equal(['POST', '/v1/messages/count_tokens', 'upstream-key-0123456789']);
    expect(sent.body.model).to.equal('claude-sonnet-4-6');
    expect(sent.body.tools[0].name).to.equal('f');
    expect(sent.body.max_tokens).to.equal(undefined);
    expect(sent.headers['anthropic-beta']).to.equal(undefined);
  });

  it('forwards the beta features the client asks for (a 1M context is counted as such)', async () => {
    emu.enqueue({ usage: { input: 900_000, output: 0 } });
    const res = await client.beta.messages.countTokens({ ...params('claude:claude-sonnet-4-6'), betas: ['context-1m-2025-08-07'] });
    expect(res.input_tokens).to.equal(900_000);
    expect(emu.requests[0]!.headers['anthropic-beta']).to.equal('context-1m-2025-08-07,token-counting-2024-11-01'); // the SDK adds its own
  });

  it('answers an estimate, marked as such, when the route leads elsewhere (here the default localstub route)', async () => {
    const res = await client.messages.countTokens(params('whatever')).withResponse();
    expect(res.response.headers.get('x-lip-token-count')).to.equal('estimate');
    expect(res.data.input_tokens).to.be.greaterThan(5).and.lessThan(200);
    expect((res.data as unknown as { estimated?: boolean }).estimated).to.equal(true);
    expect(emu.requests).to.have.length(0);
  });

  it('an upstream error and an invalid body answer in Anthropic\'s error envelope', async () => {
    emu.enqueue({ status: 400, error: { message: 'messages: too many' } });
    const upstream = await client.messages.countTokens(params('claude:claude-sonnet-4-6')).catch((e: unknown) => e) as InstanceType<typeof Anthropic.BadRequestError>;
    expect(upstream).to.be.instanceOf(Anthropic.BadRequestError);
    expect(upstream.message).to.contain('messages: too many');
    const bad = await fetch(`${lip.url}/v1/messages/count_tokens`, { method: 'POST', headers: { 'anthropic-version': '2023-06-01' }, body: '{"model":"x","messages":"nope"}' });
    expect(bad.status).to.equal(400);
    const body = await bad.json() as { type: string; error: { type: string; message: string } };
    expect(body.type).to.equal('error');
    expect(body.error.type).to.equal('invalid_request_error');
    expect(body.error.message).to.contain('messages');
  });
});
