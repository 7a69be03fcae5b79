import { GoogleGenAI, type Model } from '@google/genai';
import { expect } from 'chai';
import { testConfig } from '../helpers/config.js';
import { EMULATOR_AWS, startBedrockEmulator, startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const TITAN = 'amazon.titan-embed-text-v2:0';
const CLAUDE = 'anthropic.claude-sonnet-4-20250514-v1:0';
const ALWAYS = ['generateContent', 'streamGenerateContent', 'countTokens', 'createCachedContent', 'batchGenerateContent'];
const EMBEDS = ['embedContent', 'batchEmbedContents', 'asyncBatchEmbedContent'];

/**
 * Gemini's model list said `supportedGenerationMethods: ["generateContent",
 * "streamGenerateContent"]` of every model, though lip answers countTokens, cachedContents and
 * batchGenerateContent for any model and embedContent for those it can embed with: a client that
 * picks its model by the methods listed (an embedding model by `embedContent`) found none. Now
 * every model lists the methods lip serves for any backend, and the embedding methods where the
 * backend has an embeddings call that takes the model (a bedrock row only for a model of an
 * embedding family it knows; an alias when a candidate of its route can embed), as
 * `:embedContent` decides.
 */
describe('e2e regression: Gemini\'s model list names the methods lip serves for each model', function () {
  this.timeout(20_000);
  let oc: Emulator;
  let br: Emulator;
  let lip: RunningLip;
  let ai: GoogleGenAI;
  before(async () => {
    [oc, br] = await Promise.all([startOpenAIChatEmulator(), startBedrockEmulator()]);
    lip = await startLip(testConfig(`  - { id: oc, kind: openai-chat, base_url: "${oc.url}", api_key: k-0123456789, models: [text-embedding-3-small] }
  - { id: br, kind: bedrock, base_endpoint: "${br.origin}", disable_https: true, access_key_id: ${EMULATOR_AWS.accessKeyId}, secret_access_key: ${EMULATOR_AWS.secretAccessKey}, models: ["${TITAN}", "${CLAUDE}"] }
  - { id: an, kind: anthropic, base_url: "http://127.0.0.1:9", api_key: k-0123456789, models: [claude-sonnet-4-6] }`, `model_aliases:
  - { pattern: "^chat$", replacement: "an:claude-sonnet-4-6" }
  - { pattern: "^embedder$", replacement: "an:claude-sonnet-4-6|oc:text-embedding-3-small" }`));
    ai = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: lip.url, apiVersion: 'v1beta' } });
  });
  after(async () => {
    await lip?.close();
    await oc?.close();
    await br?.close();
  });

  it('models.list: every model the methods served for any backend, the embedding ones where lip can embed with it', async () => {
    const listed: Model[] = [];
    for await (const m of await ai.models.list()) listed.push(m);
    expect(Object.fromEntries(listed.map((m) => [m.name, m.supportedActions]))).to.deep.equal({
      'models/oc:text-embedding-3-small': [...ALWAYS, ...EMBEDS],
      [`models/br:${TITAN}`]: [...ALWAYS, ...EMBEDS],
      [`models/br:${CLAUDE}`]: ALWAYS,
      'models/an:claude-sonnet-4-6': ALWAYS,
      'models/chat': ALWAYS,
      'models/embedder': [...ALWAYS, ...EMBEDS],
    });
    expect((await ai.models.get({ model: 'embedder' })).supportedActions).to.deep.equal([...ALWAYS, ...EMBEDS]);
  });

  it('a model listed with embedContent embeds; one listed without is refused', async () => {
    const embedded = await ai.models.embedContent({ model: 'embedder', contents: 'x' });
    expect(embedded.embeddings).to.have.length(1);
    const refused = await ai.models.embedContent({ model: 'chat', contents: 'x' }).then(() => undefined, (e: unknown) => e);
    expect((refused as { status?: number }).status).to.equal(400);
    const claude = await ai.models.embedContent({ model: `br:${CLAUDE}`, contents: 'x' }).then(() => undefined, (e: unknown) => e);
    expect((claude as { status?: number }).status).to.equal(400);
    expect(br.requests).to.have.length(0);
  });
});
