import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { expect } from 'chai';
import OpenAI from 'openai';
import { testConfig } from '../helpers/config.js';
import { startAnthropicEmulator, startGeminiEmulator, startOpenAIChatEmulator, type Emulator, type Script } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const REVOKED = 'k-revoked-0123456789';
const LIMITED = 'k-limited-0123456789';
const GOOD = 'k-good-0123456789';

/** What the upstream answers a key it refuses: a revoked key 401, a rate-limited one 429 (for 30 s). */
const refusals: Record<string, Script> = {
  [REVOKED]: { status: 401, error: { message: 'invalid x-api-key', type: 'authentication_error' } },
  [LIMITED]: { status: 429, error: { message: 'slow down', type: 'rate_limit_error' }, headers: { 'retry-after': '30' } },
};

interface KeysView { backends: { backend: string; keys: number; usable: number; cooling: number; retired: number }[] }

/**
 * Embeddings and token counts are upstream calls with the backend's keys like generations, and
 * rotate them as generations do (CONTRACT section 6): a 401 retires the key, a 429 cools it
 * down, and the same request goes out with the next key. They sent one key per request and
 * never retired or cooled one: a pool with a revoked key answered 401 and 200 by turns (the
 * upstream's 401 reached the client as its own authentication_error) and GET /admin/keys showed
 * every key usable.
 */
describe('e2e regression: embeddings and token counts rotate the upstream keys', function () {
  this.timeout(30_000);
  let chat: Emulator;
  let claude: Emulator;
  let gemini: Emulator;
  let lip: RunningLip;
  let openai: OpenAI;
  let anthropic: Anthropic;
  let google: GoogleGenAI;

  /** One backend row per case (`id`), so that each case starts with a fresh pool of `[bad, GOOD]`. */
  const rows: [id: string, kind: string, emulator: () => Emulator, bad: string][] = [];
  const row = (id: string, kind: string, emulator: () => Emulator, bad: string) => rows.push([id, kind, emulator, bad]);
  for (const [suffix, bad] of [['r', REVOKED], ['l', LIMITED]] as const) {
    row(`chat-${suffix}`, 'openai-chat', () => chat, bad);
    row(`claude-${suffix}`, 'anthropic', () => claude, bad);
    row(`gemembed-${suffix}`, 'gemini', () => gemini, bad);
    row(`gemcount-${suffix}`, 'gemini', () => gemini, bad);
  }

  before(async () => {
    [chat, claude, gemini] = await Promise.all([startOpenAIChatEmulator(), startAnthropicEmulator(), startGeminiEmulator()]);
    for (const emu of [chat, claude, gemini]) emu.handler = (req) => refusals[req.key ?? ''] ?? emu.defaultScript;
    lip = await startLip(testConfig(
      [
        ...rows.map(([id, kind, emulator, bad]) => `  - { id: ${id}, kind: ${kind}, base_url: "${emulator().url}", api_keys: [${bad}, ${GOOD}] }`),
        `  - { id: chat-only, kind: openai-chat, base_url: "${chat.url}", api_keys: [${REVOKED}] }`,
      ].join('\n'),
      'routing: { default_route: "chat-r:m" }\ndiagnostics: { enabled: true }',
    ));
    openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
    anthropic = new Anthropic({ baseURL: lip.url, apiKey: 'k', maxRetries: 0 });
    google = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: lip.url, apiVersion: 'v1beta' } });
  });
  after(async () => {
    await lip?.close();
    await Promise.all([chat?.close(), claude?.close(), gemini?.close()]);
  });

  const pool = async (backend: string) =>
    ((await (await fetch(`${lip.url}/admin/keys`)).json()) as KeysView).backends.find((b) => b.backend === backend);
  const keysSent = (emulator: Emulator, route: string) => emulator.requests.filter((r) => r.route === route).map((r) => r.key);

  /** Three calls on a pool of [bad, GOOD]: each served, the bad key sent once, and set aside. */
  const rotates = (backend: string, emulator: () => Emulator, route: 'embeddings' | 'count_tokens', bad: string, call: () => Promise<unknown>) => async () => {
    emulator().reset();
    for (let i = 0; i < 3; i++) await call();
    expect(keysSent(emulator(), route)).to.deep.equal([bad, GOOD, GOOD, GOOD]);
    expect(await pool(backend)).to.include(bad === REVOKED ? { keys: 2, usable: 1, retired: 1, cooling: 0 } : { keys: 2, usable: 1, retired: 0, cooling: 1 });
  };

  for (const [suffix, bad, what] of [['r', REVOKED, 'retires a revoked key (401)'], ['l', LIMITED, 'cools a rate-limited key down (429)']] as const) {
    describe(`${what} and serves the same request with the next key`, () => {
      it('OpenAI embeddings.create on an openai-chat backend', rotates(`chat-${suffix}`, () => chat, 'embeddings', bad, async () => {
        const res = await openai.embeddings.create({ model: `chat-${suffix}:text-embedding-3-small`, input: 'hello' });
        expect(res.data).to.have.length(1);
      }));

      it('Anthropic messages.countTokens on an anthropic backend (counted upstream, not estimated)', rotates(`claude-${suffix}`, () => claude, 'count_tokens', bad, async () => {
        const res = await anthropic.messages.countTokens({ model: `claude-${suffix}:claude-sonnet-4-6`, messages: [{ role: 'user', content: 'hello' }] }).withResponse();
        expect(res.response.headers.get('x-lip-token-count')).to.equal('upstream');
      }));

      it('Gemini models.embedContent on a gemini backend', rotates(`gemembed-${suffix}`, () => gemini, 'embeddings', bad, async () => {
        const res = await google.models.embedContent({ model: `gemembed-${suffix}:gemini-embedding-001`, contents: 'hello' });
        expect(res.embeddings).to.have.length(1);
      }));

      it('Gemini models.countTokens on a gemini backend (counted upstream)', rotates(`gemcount-${suffix}`, () => gemini, 'count_tokens', bad, async () => {
        const res = await google.models.countTokens({ model: `gemcount-${suffix}:gemini-2.5-flash`, contents: 'hello' });
        expect(res.totalTokens).to.be.a('number');
      }));
    });
  }

  it('answers as a generation does when the only key is revoked: no upstream 401 reaches the client as its own', async () => {
    chat.reset();
    const embeddings = await openai.embeddings.create({ model: 'chat-only:text-embedding-3-small', input: 'hello' }).catch((e: unknown) => e);
    expect(await pool('chat-only')).to.include({ keys: 1, usable: 0, retired: 1 });
    const generation = await openai.chat.completions.create({ model: 'chat-only:m', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(chat.requests.map((r) => r.key)).to.deep.equal([REVOKED]); // the generation knew the key was retired
    expect(generation).to.be.instanceOf(OpenAI.APIError);
    expect(embeddings).to.be.instanceOf(OpenAI.APIError);
    const [g, e] = [generation, embeddings] as InstanceType<typeof OpenAI.APIError>[];
    expect(e.status).to.not.equal(401);
    expect(e.status).to.equal(g.status);
    expect(e.message).to.contain('every API key was rejected by the upstream');
  });
});
