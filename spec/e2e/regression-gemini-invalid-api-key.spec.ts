import { expect } from 'chai';
import { testConfig } from '../helpers/config.js';
import { startGeminiEmulator, type Emulator, type Script } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const BAD = 'k-bad-0123456789';
const GOOD = 'k-good-0123456789';

/** What the Gemini API answers a key that is not valid: a 400 INVALID_ARGUMENT whose ErrorInfo says API_KEY_INVALID. */
const INVALID_KEY: Script = {
  status: 400,
  error: {
    message: 'API key not valid. Please pass a valid API key.', type: 'INVALID_ARGUMENT',
    fields: { details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com', metadata: { service: 'generativelanguage.googleapis.com' } }] },
  },
};

interface KeysView { backends: { backend: string; keys: number; usable: number; retired: number }[] }

/**
 * Regression: Gemini refuses a key that is not valid with a 400 (API_KEY_INVALID in its
 * ErrorInfo), not a 401. lip read the 400 as the request's fault: the key stayed in the pool
 * (every other request failed with it, told its request was invalid) and a route whose first
 * candidate had only that key did not move on. The key is now retired as after a 401.
 */
describe('e2e regression: a Gemini API key the upstream says is not valid is retired, and the route moves on', function () {
  this.timeout(30_000);
  let emu: Emulator;
  let lip: RunningLip;

  before(async () => {
    emu = await startGeminiEmulator();
    emu.handler = (req) => (req.key === BAD ? INVALID_KEY : emu.defaultScript);
    lip = await startLip(testConfig([
      `  - { id: pool, kind: gemini, base_url: "${emu.url}", api_keys: [${BAD}, ${GOOD}] }`,
      `  - { id: bad, kind: gemini, base_url: "${emu.url}", api_keys: [${BAD}] }`,
      `  - { id: good, kind: gemini, base_url: "${emu.url}", api_keys: [${GOOD}] }`,
    ].join('\n'), 'diagnostics: { enabled: true }'));
  });
  after(async () => {
    await lip?.close();
    await emu?.close();
  });
  beforeEach(() => emu.reset());

  const chat = (model: string) => fetch(`${lip.url}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
  const pool = async (backend: string) => ((await (await fetch(`${lip.url}/admin/keys`)).json()) as KeysView).backends.find((b) => b.backend === backend);

  it('a pool of [bad, good]: every request is served, the bad key sent once and retired', async () => {
    for (let i = 0; i < 4; i++) expect((await chat('pool:gemini-2.5-flash')).status, `request ${i + 1}`).to.equal(200);
    expect(emu.requests.map((r) => r.key)).to.deep.equal([BAD, GOOD, GOOD, GOOD, GOOD]);
    expect(await pool('pool')).to.include({ keys: 2, usable: 1, retired: 1 });
  });

  it('a candidate whose only key is not valid: the route moves on to the next', async () => {
    const res = await chat('bad:gemini-2.5-flash|good:gemini-2.5-flash');
    expect(res.status).to.equal(200);
    expect(((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).to.equal('Hello from the emulator.');
    expect(emu.requests.map((r) => r.key)).to.deep.equal([BAD, GOOD]);
    expect(await pool('bad')).to.include({ keys: 1, usable: 0, retired: 1 });
  });
});
