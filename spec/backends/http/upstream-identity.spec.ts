import { expect } from 'chai';
import type { AppAttribution, ClientHeaders, UpstreamIdentityPolicy } from '../../../lib/backends/backend.js';
import { CODEX_USER_AGENT } from '../../../lib/backends/openai-codex/index.js';
import { DEFAULT_UPSTREAM_IDENTITY, UpstreamIdentity } from '../../../lib/backends/http/index.js';
import { emptyCall, type Call } from '../../../lib/canonical/index.js';
import type { Runtime } from '../../../lib/core/runtime.js';
import { PRODUCT_USER_AGENT, PRODUCT_VERSION } from '../../../lib/wire/index.js';
import {
  backendOf, CODEX_REFRESH_TOKEN, drain, EMULATOR_AWS, runtimeFor, startAnthropicEmulator, startBedrockEmulator, startCodexEmulator,
  startGeminiEmulator, startOpenAIChatEmulator, startOpenAIResponsesEmulator, type CodexEmulator, type Emulator,
} from '../../helpers/emulators/index.js';

const ATTRIBUTION: AppAttribution = { url: 'HTTP-Referer', title: 'X-OpenRouter-Title', titleAliases: ['X-Title'] };
const policy = (over: Partial<UpstreamIdentityPolicy> = {}): UpstreamIdentityPolicy => ({ ...DEFAULT_UPSTREAM_IDENTITY, ...over });
const call: Call = emptyCall({ model: 'm', stream: true, messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }] });

describe('backends/http/upstream-identity: what a backend says it is', () => {
  it('proxy sends lip/VERSION and the title lip (no app URL: lip has none); custom its value; drop nothing', () => {
    expect(PRODUCT_USER_AGENT).to.equal(`lip/${PRODUCT_VERSION}`).and.match(/^lip\/\d+\.\d+\.\d+/);
    expect(new UpstreamIdentity(policy(), { id: 'a' }, ATTRIBUTION).fixed).to.deep.equal({ 'user-agent': PRODUCT_USER_AGENT, 'x-openrouter-title': 'lip' });
    expect(new UpstreamIdentity(policy(), { id: 'a' }, undefined).fixed).to.deep.equal({ 'user-agent': PRODUCT_USER_AGENT });
    const custom = policy({ user_agent: { mode: 'custom', value: 'Gateway/2' }, app_url: { mode: 'custom', value: 'https://gw.example' }, app_title: { mode: 'drop' } });
    expect(new UpstreamIdentity(custom, { id: 'a' }, ATTRIBUTION).fixed).to.deep.equal({ 'user-agent': 'Gateway/2', 'http-referer': 'https://gw.example' });
    expect(new UpstreamIdentity(policy({ user_agent: { mode: 'drop' } }), { id: 'a' }, undefined).fixed).to.deep.equal({});
  });

  it('a row overrides the carriers it names and inherits the others', () => {
    const global = policy({ user_agent: { mode: 'custom', value: 'Global/1' }, app_title: { mode: 'custom', value: 'Global' } });
    const id = new UpstreamIdentity(global, { id: 'a', identity: { app_title: { mode: 'drop' } } }, ATTRIBUTION);
    expect(id.fixed).to.deep.equal({ 'user-agent': 'Global/1' });
  });

  it('a carrier the row\'s headers set is theirs, whatever its case (no second header of that name)', () => {
    const id = new UpstreamIdentity(policy({ user_agent: { mode: 'passthrough' } }), { id: 'a', headers: { 'User-Agent': 'mine/1', 'X-Title': 'Mine' } }, ATTRIBUTION);
    expect(id.fixed).to.deep.equal({});
    expect(id.forClient({ 'user-agent': 'client/1' })).to.equal(undefined);
  });

  it('passthrough forwards an acceptable client value, leaves out a missing or unacceptable one, and sends the product value off a client\'s call', () => {
    const id = new UpstreamIdentity(policy({ user_agent: { mode: 'passthrough' }, app_url: { mode: 'passthrough' }, app_title: { mode: 'passthrough' } }), { id: 'a' }, ATTRIBUTION);
    // Off a client's call (a model list, an auxiliary call): the product values.
    expect(id.fixed).to.deep.equal({ 'user-agent': PRODUCT_USER_AGENT, 'x-openrouter-title': 'lip' });
    expect(id.forClient(undefined)).to.equal(undefined);
    const client: ClientHeaders = { 'user-agent': '  OpenAI/JS 6.49.0  ', 'http-referer': 'https://app.example/chat', 'x-title': 'Example App' };
    expect(id.forClient(client)).to.deep.equal({ 'user-agent': 'OpenAI/JS 6.49.0', 'http-referer': 'https://app.example/chat', 'x-openrouter-title': 'Example App' });
    // The current title header is preferred to the older one.
    expect(id.forClient({ 'x-openrouter-title': 'New', 'x-title': 'Old' })).to.deep.include({ 'x-openrouter-title': 'New' });
    const refused: ClientHeaders[] = [
      {},
      { 'user-agent': 'bad\u0001agent', 'http-referer': 'https://user:pw@app.example', 'x-title': ' ' },
      { 'user-agent': 'x'.repeat(513), 'http-referer': 'javascript:alert(1)', 'x-title': ['a', 'b'] },
      { 'user-agent': 'snow \u2603', 'http-referer': 'https://app.example/#frag', 'x-openrouter-title': 'a\u0085b' },
    ];
    for (const headers of refused) {
      expect(id.forClient(headers), JSON.stringify(headers)).to.deep.equal({ 'user-agent': undefined, 'http-referer': undefined, 'x-openrouter-title': undefined });
    }
  });
});

describe('backends/http/upstream-identity: on the wire', () => {
  const emulators: Record<string, Emulator> = {};
  let codex: CodexEmulator;
  const runtimes: Runtime[] = [];
  before(async () => {
    [emulators.chat, emulators.responses, emulators.anthropic, emulators.gemini, emulators.bedrock, codex] = await Promise.all([
      startOpenAIChatEmulator(), startOpenAIResponsesEmulator(), startAnthropicEmulator(), startGeminiEmulator(), startBedrockEmulator(), startCodexEmulator(),
    ]);
  });
  after(async () => {
    await Promise.all(runtimes.map((r) => r.close()));
    await Promise.all([...Object.values(emulators), codex].map((e) => e.close()));
  });
  beforeEach(() => { for (const e of [...Object.values(emulators), codex]) e.reset(); });

  const ROWS: Record<string, (url: string, origin: string) => string> = {
    chat: (url) => `{ id: b, kind: openai-chat, base_url: "${url}", api_key: k-0123456789`,
    responses: (url) => `{ id: b, kind: openai-responses, base_url: "${url}", api_key: k-0123456789`,
    anthropic: (url) => `{ id: b, kind: anthropic, base_url: "${url}", api_key: k-0123456789`,
    gemini: (url) => `{ id: b, kind: gemini, base_url: "${url}", api_key: k-0123456789`,
    bedrock: (_url, origin) => `{ id: b, kind: bedrock, region: us-east-1, base_endpoint: "${origin}", disable_https: true, access_key_id: ${EMULATOR_AWS.accessKeyId}, secret_access_key: ${EMULATOR_AWS.secretAccessKey}`,
  };
  /** A runtime with one backend `b` of `kind` against its emulator (`rowExtra`: more row keys; `extra`: config sections). */
  const backend = (kind: string, rowExtra = '', extra = '') => {
    const emu = emulators[kind]!;
    const runtime = runtimeFor(`  - ${ROWS[kind]!(emu.url, emu.origin)}${rowExtra ? `, ${rowExtra}` : ''} }`, {}, extra);
    runtimes.push(runtime);
    return backendOf(runtime, 'b');
  };
  const stream = async (kind: string, clientHeaders?: ClientHeaders, rowExtra = '', extra = '') => {
    const { error } = await drain(backend(kind, rowExtra, extra).stream(call, { model: 'm', candidateKey: 'b:m', ...(clientHeaders ? { clientHeaders } : {}) }));
    expect(error, kind).to.equal(undefined);
    return emulators[kind]!.requests.at(-1)!.headers;
  };

  it('every identity-presenting kind sends lip/VERSION by default (bedrock\'s signature still verifies: it is added after signing)', async () => {
    for (const kind of Object.keys(ROWS)) {
      const headers = await stream(kind, { 'user-agent': 'SomeClient/1' });
      expect(headers['user-agent'], kind).to.equal(PRODUCT_USER_AGENT);
      expect(headers['x-openrouter-title'], kind).to.equal(undefined);
    }
  });

  it('custom, drop and passthrough reach the upstream as configured', async () => {
    expect((await stream('anthropic', undefined, '', 'identity: { upstream: { user_agent: { mode: custom, value: "Gateway/2 (ops@example)" } } }'))['user-agent']).to.equal('Gateway/2 (ops@example)');
    // Dropped: no User-Agent at all (the HTTP client adds none of its own).
    expect(await stream('gemini', undefined, '', 'identity: { upstream: { user_agent: { mode: drop } } }')).to.not.have.property('user-agent');
    const passthrough = 'identity: { upstream: { user_agent: { mode: passthrough } } }';
    expect((await stream('responses', { 'user-agent': 'OpenAI/JS 6.49.0' }, '', passthrough))['user-agent']).to.equal('OpenAI/JS 6.49.0');
    expect(await stream('chat', { 'user-agent': 'evil\u0000agent' }, '', passthrough)).to.not.have.property('user-agent');
    expect(await stream('chat', {}, '', passthrough)).to.not.have.property('user-agent');
    // A call lip makes on its own (no client headers): the product identity.
    expect((await stream('chat', undefined, '', passthrough))['user-agent']).to.equal(PRODUCT_USER_AGENT);
  });

  it('a row\'s override and a row\'s own header win over the global policy', async () => {
    const global = 'identity: { upstream: { user_agent: { mode: custom, value: Global/1 } } }';
    expect(await stream('chat', undefined, 'identity: { user_agent: { mode: drop } }', global)).to.not.have.property('user-agent');
    expect((await stream('chat', undefined, 'headers: { User-Agent: Mine/3 }', global))['user-agent']).to.equal('Mine/3');
  });

  it('the openrouter preset sends app attribution: the title lip by default, the client\'s with passthrough, a configured URL', async () => {
    const router = (rowExtra: string, extra = '', client?: ClientHeaders) => {
      const runtime = runtimeFor(`  - { id: r, kind: openrouter, base_url: "${emulators.chat!.url}", api_key: k-0123456789${rowExtra ? `, ${rowExtra}` : ''} }`, {}, extra);
      runtimes.push(runtime);
      return drain(backendOf(runtime, 'r').stream(call, { model: 'm', candidateKey: 'r:m', ...(client ? { clientHeaders: client } : {}) })).then(() => emulators.chat!.requests.at(-1)!.headers);
    };
    const plain = await router('');
    expect(plain).to.include({ 'x-openrouter-title': 'lip', 'user-agent': PRODUCT_USER_AGENT });
    expect(plain).to.not.have.property('http-referer');
    expect(plain).to.not.have.property('x-title');
    const passed = await router('', 'identity: { upstream: { app_url: { mode: passthrough }, app_title: { mode: passthrough } } }', { 'http-referer': 'https://app.example', 'x-title': 'Example App' });
    expect(passed).to.include({ 'http-referer': 'https://app.example', 'x-openrouter-title': 'Example App' });
    const custom = await router('identity: { app_url: { mode: custom, value: "https://gw.example" }, app_title: { mode: drop } }');
    expect(custom).to.include({ 'http-referer': 'https://gw.example' });
    expect(custom).to.not.have.property('x-openrouter-title');
  });

  it('token counts, embeddings and model lists present the same identity (passthrough: a client\'s count and embeddings carry its value, the model list lip\'s)', async () => {
    const passthrough = 'identity: { upstream: { user_agent: { mode: passthrough } } }';
    const anthropic = backend('anthropic', '', passthrough);
    await anthropic.countTokens!(call, 'claude', undefined, { 'user-agent': 'Anthropic/JS 1.14.0' });
    expect(emulators.anthropic!.requests.at(-1)!).to.deep.include({ route: 'count_tokens' });
    expect(emulators.anthropic!.requests.at(-1)!.headers['user-agent']).to.equal('Anthropic/JS 1.14.0');
    await anthropic.listModels!();
    expect(emulators.anthropic!.requests.at(-1)!.headers['user-agent']).to.equal(PRODUCT_USER_AGENT);
    const chat = backend('chat', '', passthrough);
    await chat.embed!({ model: 'b:text-embedding-3-small', inputs: ['a'] }, 'text-embedding-3-small', AbortSignal.timeout(10_000), { 'user-agent': 'OpenAI/JS 6.49.0' });
    expect(emulators.chat!.requests.at(-1)!).to.deep.include({ route: 'embeddings' });
    expect(emulators.chat!.requests.at(-1)!.headers['user-agent']).to.equal('OpenAI/JS 6.49.0');
  });

  it('openai-codex keeps the Codex client\'s identity whatever the policy says', async () => {
    codex.refreshTokens.add(CODEX_REFRESH_TOKEN);
    const runtime = runtimeFor(`  - { id: cx, kind: openai-codex, base_url: "${codex.url}", oauth_token_url: "${codex.tokenUrl}", access_token: codex-token-1 }`, {}, 'identity: { upstream: { user_agent: { mode: custom, value: Gateway/2 } } }');
    runtimes.push(runtime);
    const { error } = await drain(backendOf(runtime, 'cx').stream(call, { model: 'gpt-5.4', candidateKey: 'cx:gpt-5.4', clientHeaders: { 'user-agent': 'client/1' } }));
    expect(error).to.equal(undefined);
    expect(codex.requests[0]!.headers['user-agent']).to.equal(CODEX_USER_AGENT);
  });
});
