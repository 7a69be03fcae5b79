import { expect } from 'chai';
import OpenAI from 'openai';
import type { CircuitRow } from '../../lib/circuit/index.js';
import { startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

interface KeysView { backends: { backend: string; usable: number }[] }

/**
 * A request refused by lip itself because the candidate's only key is cooling down sent nothing
 * upstream: it is not the candidate's failure. Counting it opened the circuit after one real 429
 * (failure_threshold 3: the 429 and two local refusals) and kept the recovered upstream out of
 * reach for open_for.
 */
describe('e2e regression: a local key cool-down is not a circuit failure', function () {
  this.timeout(30_000);
  let upstream: Emulator;
  let lip: RunningLip;
  let client: OpenAI;
  const route = { headers: { 'x-lip-route': 'a:m' } };

  before(async () => {
    upstream = await startOpenAIChatEmulator();
    let answered = 0;
    upstream.handler = () => (answered++ === 0 ? { status: 429, error: { message: 'slow down' }, headers: { 'retry-after': '2' } } : { text: 'served' });
    lip = await startLip(testConfig(`  - { id: a, kind: openai-chat, base_url: "${upstream.url}", api_key: k1 }`,
      'routing: { default_route: "a:m", circuit_breaker: { enabled: true, failure_threshold: 3, open_for: 30s } }\ndiagnostics: { enabled: true }'));
    client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  after(async () => {
    await lip?.close();
    await upstream?.close();
  });

  const ask = () => client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'Hi' }] }, route);
  const refusal = async (): Promise<InstanceType<typeof OpenAI.APIError>> => {
    try {
      await ask();
    } catch (err) {
      if (err instanceof OpenAI.APIError) return err;
      throw err;
    }
    throw new Error('expected a refusal');
  };
  const circuit = async (): Promise<CircuitRow | undefined> =>
    ((await (await fetch(`${lip.url}/admin/circuits`)).json()) as { circuits: CircuitRow[] }).circuits.find((r) => r.key === 'a:m');

  it('counts the upstream 429 once, answers the local refusals 429 with Retry-After, and serves once the key recovers', async () => {
    for (let i = 0; i < 3; i++) {
      const err = await refusal();
      expect(err.status).to.equal(429);
      expect(Number(err.headers?.get('retry-after'))).to.be.within(1, 2);
    }
    expect(upstream.requests).to.have.length(1);
    expect(await circuit()).to.include({ state: 'closed', failures: 1 });

    // Wait (not assert) for the key's cool-down to end: lip's own view of its pool.
    for (;;) {
      const keys = (await (await fetch(`${lip.url}/admin/keys`)).json()) as KeysView;
      if (keys.backends.find((b) => b.backend === 'a')?.usable === 1) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const answer = await ask();
    expect(answer.choices[0]!.message.content).to.equal('served');
    expect(upstream.requests).to.have.length(2);
    expect(await circuit()).to.satisfy((row: CircuitRow | undefined) => row === undefined || row.state === 'closed');
  });
});

/**
 * The same for embeddings: a key cooling from a generation's 429 refused an embeddings request
 * as "has no usable API key: set ..." (the hint for a backend with no key at all), without a
 * Retry-After, and counted it against the circuit.
 */
describe('e2e regression: an embeddings request refused while the key cools', function () {
  this.timeout(30_000);
  let upstream: Emulator;
  let lip: RunningLip;

  before(async () => {
    upstream = await startOpenAIChatEmulator();
    upstream.handler = () => ({ status: 429, error: { message: 'slow down' }, headers: { 'retry-after': '30' } });
    lip = await startLip(testConfig(`  - { id: a, kind: openai-chat, base_url: "${upstream.url}", api_key: k1 }`,
      'routing: { default_route: "a:m", circuit_breaker: { enabled: true, failure_threshold: 2, open_for: 30s } }\ndiagnostics: { enabled: true }'));
  });
  after(async () => {
    await lip?.close();
    await upstream?.close();
  });

  it('is a 429 with Retry-After saying the keys are rate-limited, sends nothing, and is not the circuit\'s failure', async () => {
    const client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const first = await client.chat.completions.create({ model: 'a:m', messages: [{ role: 'user', content: 'Hi' }] }).catch((e: unknown) => e);
    expect((first as InstanceType<typeof OpenAI.APIError>).status).to.equal(429);
    for (let i = 0; i < 2; i++) {
      const err = await client.embeddings.create({ model: 'a:m', input: 'x' }).catch((e: unknown) => e) as InstanceType<typeof OpenAI.APIError>;
      expect(err.status).to.equal(429);
      expect(err.message).to.contain('every API key is rate-limited');
      expect(Number(err.headers?.get('retry-after'))).to.be.within(1, 30);
    }
    expect(upstream.requests).to.have.length(1);
    const row = ((await (await fetch(`${lip.url}/admin/circuits`)).json()) as { circuits: CircuitRow[] }).circuits.find((r) => r.key === 'a:m');
    expect(row).to.include({ state: 'closed', failures: 1 });
  });
});
