import { expect } from 'chai';
import { testConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

/**
 * A token count answers what its generation would: a call the route's first backend refuses
 * before sending (an Anthropic client's `mcp_servers` on openai-chat, which has no form for
 * them) is that refusal. It answered 200 with lip's estimate, since a backend without a count
 * call was never asked whether it would send the call, where the generation answers 400.
 */
describe('e2e regression: a token count of a call the backend would refuse is that refusal', function () {
  this.timeout(30_000);
  let chat: Emulator;
  let lip: RunningLip;
  const post = (path: string, body: unknown) => fetch(`${lip.url}${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'k', 'anthropic-version': '2023-06-01', 'anthropic-beta': 'mcp-client-2025-04-04' }, body: JSON.stringify(body),
  });
  const messages = [{ role: 'user', content: 'How many tokens?' }];
  const mcp = { model: 'oc:gpt-4o', max_tokens: 16, messages, mcp_servers: [{ type: 'url', url: 'https://mcp.example/sse', name: 'm' }] };

  before(async () => {
    chat = await startOpenAIChatEmulator();
    lip = await startLip(testConfig(`  - { id: oc, kind: openai-chat, base_url: "${chat.url}", api_key: upstream-key-0123456789, models: [gpt-4o] }`));
  });
  after(async () => {
    await lip?.close();
    await chat?.close();
  });

  it('Anthropic count_tokens with mcp_servers on openai-chat: the generation\'s 400, nothing sent', async () => {
    const generation = await post('/v1/messages', mcp);
    const generated = await generation.json() as { error: { type: string; message: string } };
    expect(generation.status).to.equal(400);
    const count = await post('/v1/messages/count_tokens', mcp);
    const counted = await count.json() as { error: { type: string; message: string } };
    expect(count.status).to.equal(generation.status);
    expect(count.headers.get('x-lip-token-count')).to.equal(null);
    // The backend's refusal; the generation's names it among its candidates' failures.
    expect(counted.error.type).to.equal(generated.error.type);
    expect(counted.error.message).to.contain('openai-chat backend "oc" cannot run the hosted mcp_servers');
    expect(generated.error.message).to.contain(counted.error.message);
    expect(chat.requests).to.have.length(0);
  });

  it('a call the backend sends is still estimated', async () => {
    const count = await post('/v1/messages/count_tokens', { model: 'oc:gpt-4o', messages });
    expect(count.status).to.equal(200);
    expect(count.headers.get('x-lip-token-count')).to.equal('estimate');
    expect(chat.requests).to.have.length(0);
  });
});
