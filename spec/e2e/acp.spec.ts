import { expect } from 'chai';
import { subscribe as listen, unsubscribe as unlisten } from 'node:diagnostics_channel';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import type { AcpLifecycle } from '../../lib/backends/acp/index.js';
import { configFrom, testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { startAcpHttpEmulator, type AcpHttpEmulator } from '../helpers/emulators/index.js';
import { FAKE_ACP_AGENT, eventually, fakeAgentLog } from '../helpers/fake-acp.js';
import { CLIENT_DRIVERS } from '../helpers/clients/index.js';

const agentRow = (id: string, log: string, mode = '') =>
  `  - { id: ${id}, kind: acp, models: [fake], command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(FAKE_ACP_AGENT)}], env: { FAKE_ACP_MODE: "${mode}", FAKE_ACP_LOG: ${JSON.stringify(log)} }, cancel_grace: 2s }`;

describe('e2e: acp backends through the official SDKs', function () {
  this.timeout(60_000);
  let lip: RunningLip;
  let emulator: AcpHttpEmulator;
  const log = fakeAgentLog();
  const slowLog = fakeAgentLog();
  const crashLog = fakeAgentLog();
  before(async () => {
    emulator = await startAcpHttpEmulator();
    lip = await startLip(testConfig([
      agentRow('agent', log.path),
      agentRow('slow', slowLog.path, 'slow'),
      agentRow('crashy', crashLog.path, 'crash'),
      `  - { id: remote, kind: acp, transport: http, base_url: "${emulator.url}", models: [agent] }`,
    ].join('\n'), 'routing: { default_route: "agent:fake" }'));
  });
  after(async () => { await lip.close(); await emulator.close(); });

  it('answers an OpenAI chat completion from a stdio agent, streaming and not', async () => {
    const client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
    const whole = await client.chat.completions.create({ model: 'agent:fake', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'ping' }] });
    expect(whole.choices[0]!.message.content).to.match(/heard: \*\*System:\*\* Be brief\.\n\n\*\*User:\*\* ping$/);
    expect(whole.choices[0]!.finish_reason).to.equal('stop');
    const stream = await client.chat.completions.create({ model: 'agent:fake', stream: true, messages: [{ role: 'user', content: 'again' }], user: 'someone-else' });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).to.match(/heard: \*\*User:\*\* again$/);
  });

  for (const [frontend, driver] of Object.entries(CLIENT_DRIVERS)) {
    for (const stream of [true, false]) {
      it(`${frontend} (${stream ? 'streaming' : 'whole'}): text and reasoning from a stdio agent and an HTTP agent`, async () => {
        const session = `${frontend}-${stream}`;
        const local = await driver.run(lip.url, { model: 'agent:fake', stream, reasoning: true, messages: [{ role: 'user', text: session }] });
        expect(local.error).to.equal(undefined);
        expect(local.text).to.match(new RegExp(`heard: \\*\\*User:\\*\\* ${session}$`));
        expect(local.finishReason).to.equal('stop');
        const remote = await driver.run(lip.url, { model: 'remote:agent', stream, reasoning: true, messages: [{ role: 'user', text: session }] });
        expect(remote.error).to.equal(undefined);
        expect(remote.text).to.equal(`over http: **User:** ${session}`);
        expect(remote.reasoning).to.equal('Considering.');
      });
    }
  }

  it('answers an Anthropic message from an HTTP agent', async () => {
    const client = new Anthropic({ baseURL: lip.url, apiKey: 'k', maxRetries: 0 });
    const message = await client.messages.create({ model: 'remote:agent', max_tokens: 100, messages: [{ role: 'user', content: 'hello' }] });
    const text = message.content.filter((b) => b.type === 'text').map((b) => (b as { text: string }).text).join('');
    expect(text).to.equal('over http: **User:** hello');
    expect(message.content.some((b) => b.type === 'thinking')).to.equal(true);
  });

  it('fails over from an agent that crashed before output to the next arm', async () => {
    const client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
    const { data, response } = await client.chat.completions.create({ model: 'crashy:fake|agent:fake', messages: [{ role: 'user', content: 'rescue' }] }).withResponse();
    expect(data.choices[0]!.message.content).to.match(/heard: \*\*User:\*\* rescue$/);
    expect(response.headers.get('x-lip-backend')).to.equal('agent:fake');
    expect(crashLog.messages().some((m) => m.message.method === 'session/prompt')).to.equal(true);
  });

  it('sends session/cancel to the agent when the client disconnects', async () => {
    const events: AcpLifecycle[] = [];
    const on = (m: unknown) => events.push(m as AcpLifecycle);
    listen('lip:acp', on);
    try {
      const client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
      const abort = new AbortController();
      const pending = client.chat.completions.create({ model: 'slow:fake', stream: true, messages: [{ role: 'user', content: 'wait' }] }, { signal: abort.signal });
      await eventually(() => slowLog.messages().some((m) => m.message.method === 'session/prompt'));
      abort.abort();
      await pending.then(async (s) => { for await (const _ of s) { /* drained */ } }).catch(() => undefined);
      await eventually(() => slowLog.messages().some((m) => m.message.method === 'session/cancel'));
      expect(events.some((e) => e.backend === 'slow' && e.event === 'cancel')).to.equal(true);
    } finally {
      unlisten('lip:acp', on);
    }
  });
});

describe('config: acp rows', () => {
  const KEYS = 'auth: { api_keys: [ { id: a, key: "sk-lip-aaaaaaaaaaaaaaaaaaaa", principal: alice } ] }';
  it('is refused in multi_user mode (it runs local processes)', () => {
    expect(() => configFrom(`access: { mode: multi_user }\n${KEYS}\nbackends:\n  - { id: a, kind: acp, command: /bin/agent }\n`))
      .to.throw(/backend kind "acp" runs local processes/);
  });
  it('rejects an unknown transport and a relative cwd with the row path', () => {
    expect(() => configFrom('backends:\n  - { id: a, kind: acp, transport: pipe, command: x }\n')).to.throw(/backends\[0\]\.transport/);
    expect(() => configFrom('backends:\n  - { id: a, kind: acp, command: x, cwd: rel/dir }\n')).to.throw(/absolute directory/);
  });
  it('checks which keys go with which transport', () => {
    expect(() => configFrom('backends:\n  - { id: a, kind: acp }\n')).to.throw(/backends\[0\]\.command: an acp agent over stdio needs command/);
    expect(() => configFrom('backends:\n  - { id: a, kind: acp, transport: http }\n')).to.throw(/backends\[0\]\.base_url: an acp agent over http needs base_url/);
    expect(() => configFrom('backends:\n  - { id: a, kind: acp, command: x, api_key: k }\n')).to.throw(/backends\[0\]\.api_key: an acp agent over stdio takes no api_key/);
    expect(() => configFrom('backends:\n  - { id: a, kind: acp, command: x, base_url: "http://127.0.0.1:9" }\n')).to.throw(/backends\[0\]\.base_url: an acp agent over stdio takes no base_url/);
    expect(() => configFrom('backends:\n  - { id: a, kind: acp, transport: http, base_url: "http://127.0.0.1:1", api_key: k }\n')).to.not.throw();
  });
});
