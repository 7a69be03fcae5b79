import { expect } from 'chai';
import { configIssues, testConfig } from '../helpers/config.js';
import { startAnthropicEmulator, startGeminiEmulator, startOpenAIChatEmulator, startOpenAIResponsesEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

type Json = Record<string, any>;

/** One place of each client protocol where an image or document is given by URL: the request, and the field a refusal names. */
const PLACES: readonly { readonly name: string; readonly body: (model: string, url: string) => [path: string, body: Json]; readonly field: string }[] = [
  { name: 'a Chat image_url', field: 'messages[0].content[1].image_url.url',
    body: (m, u) => ['/v1/chat/completions', { model: m, messages: [{ role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image_url', image_url: { url: u } }] }] }] },
  { name: 'a Responses input_image', field: 'input[0].content[1].image_url',
    body: (m, u) => ['/v1/responses', { model: m, input: [{ role: 'user', content: [{ type: 'input_text', text: 'look' }, { type: 'input_image', image_url: u }] }] }] },
  { name: 'a Responses input_file', field: 'input[0].content[1].file_url',
    body: (m, u) => ['/v1/responses', { model: m, input: [{ role: 'user', content: [{ type: 'input_text', text: 'read' }, { type: 'input_file', file_url: u }] }] }] },
  { name: 'an Anthropic image', field: 'messages[0].content[1].source.url',
    body: (m, u) => ['/v1/messages', { model: m, max_tokens: 16, messages: [{ role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image', source: { type: 'url', url: u } }] }] }] },
  { name: 'an Anthropic document', field: 'messages[0].content[1].source.url',
    body: (m, u) => ['/v1/messages', { model: m, max_tokens: 16, messages: [{ role: 'user', content: [{ type: 'text', text: 'read' }, { type: 'document', source: { type: 'url', url: u } }] }] }] },
  { name: 'a Gemini fileData', field: 'contents[0].parts[1].fileData.fileUri',
    body: (m, u) => [`/v1beta/models/${m}:generateContent`, { contents: [{ role: 'user', parts: [{ text: 'look' }, { fileData: { mimeType: 'image/png', fileUri: u } }] }] }] },
];

/** Whether a place's client speaks an OpenAI protocol (whose envelope has the code and the param). */
const openai = (place: (typeof PLACES)[number]) => place.name.startsWith('a Chat') || place.name.startsWith('a Responses');

/**
 * A client's media URL of any scheme went to every backend as written (`file:///etc/passwd`,
 * `gopher://127.0.0.1:6379/_INFO`, `javascript:`), though the docs promised `https:` or `data:`:
 * lip fetches none, but a self-hosted upstream (vLLM, llama.cpp) fetches `image_url` itself, so
 * a client could make the operator's inference server read what it can reach. Now every frontend
 * takes https:, http: and data: URLs only (Gemini's fileData also Google's own references:
 * `gs://`, a Files API name), and a 400 LIP_ERR_REQUEST_INVALID in the client's envelope names
 * the field; a row with `media_urls: refuse` refuses any media by URL before sending, retryably,
 * so a route moves on to a backend that may have it.
 */
describe('e2e regression: client media URLs (schemes, media_urls: refuse)', function () {
  this.timeout(30_000);
  let claude: Emulator;
  let chat: Emulator;
  let responses: Emulator;
  let gemini: Emulator;
  let local: Emulator;
  let lip: RunningLip;
  const emulators = () => [claude, chat, responses, gemini, local];
  const sent = () => emulators().reduce((n, e) => n + e.requests.length, 0);
  before(async () => {
    [claude, chat, responses, gemini, local] = await Promise.all([startAnthropicEmulator(), startOpenAIChatEmulator(), startOpenAIResponsesEmulator(), startGeminiEmulator(), startOpenAIChatEmulator()]);
    lip = await startLip(testConfig(`
  - { id: an, kind: anthropic, base_url: "${claude.url}", api_key: k-0123456789 }
  - { id: oc, kind: openai-chat, base_url: "${chat.url}", api_key: k-0123456789 }
  - { id: or, kind: openai-responses, base_url: "${responses.url}", api_key: k-0123456789 }
  - { id: ge, kind: gemini, base_url: "${gemini.url}", api_key: k-0123456789 }
  - { id: vl, kind: vllm, base_url: "${local.url}", media_urls: refuse }
  - { id: ac, kind: anthropic, base_url: "${claude.url}", api_key: k-0123456789, media_urls: refuse }
`));
  });
  after(async () => {
    await lip?.close();
    await Promise.all(emulators().map((e) => e?.close()));
  });
  beforeEach(() => {
    for (const e of emulators()) e.reset();
  });

  async function post(path: string, body: Json): Promise<{ status: number; body: Json }> {
    const r = await fetch(lip.url + path, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer k' }, body: JSON.stringify(body) });
    return { status: r.status, body: await r.json() as Json };
  }

  for (const url of ['file:///etc/passwd', 'gopher://127.0.0.1:6379/_INFO', 'javascript:alert(1)', 'ftp://10.0.0.1/x.png', '//169.254.169.254/latest', ' https://example.com/x.png']) {
    for (const place of PLACES) {
      it(`${place.name} of ${JSON.stringify(url)}: a 400 naming the field, nothing sent`, async () => {
        const r = await post(...place.body('oc:gpt-4o', url));
        expect(r.status).to.equal(400);
        expect(r.body.error.message).to.contain(`${place.field}: must be an https:, http: or data: URL`);
        if (openai(place)) expect([r.body.error.code, r.body.error.param]).to.deep.equal(['LIP_ERR_REQUEST_INVALID', place.field]);
        expect(sent()).to.equal(0);
      });
    }
  }

  it('https:, http: (any letter case) and data: URLs go on as before', async () => {
    for (const url of ['https://example.com/cat.png', 'HTTP://127.0.0.1:9/cat.png']) {
      for (const place of PLACES) {
        chat.enqueue({ text: 'ok' });
        const r = await post(...place.body('oc:gpt-4o', url));
        expect(r.status, `${place.name} ${url}`).to.equal(200);
      }
    }
    expect(chat.requests.every((q) => q.raw.includes('cat.png'))).to.equal(true);
    chat.enqueue({ text: 'ok' });
    const inline = await post(...PLACES[0]!.body('oc:gpt-4o', 'data:image/png;base64,iVBORw0KGgo='));
    expect(inline.status).to.equal(200);
  });

  it("a Gemini fileData keeps Google's own references: gs:// and a Files API name or URI", async () => {
    for (const uri of ['gs://bucket/cat.png', 'files/abc123', 'https://generativelanguage.googleapis.com/v1beta/files/abc123']) {
      gemini.enqueue({ text: 'seen' });
      const r = await post(...PLACES[5]!.body('ge:gemini-2.5-flash', uri));
      expect(r.status, uri).to.equal(200);
      expect(gemini.requests.at(-1)!.body.contents[0].parts[1].fileData.fileUri).to.equal(uri);
    }
  });

  it('media_urls: refuse refuses a media URL of any client protocol, a tool result\'s too, before sending (a 400 naming the backend)', async () => {
    for (const place of PLACES) {
      const r = await post(...place.body('vl:qwen3-vl', 'https://example.com/cat.png'));
      expect(r.status, place.name).to.equal(400);
      expect(r.body.error.message).to.contain('vllm backend "vl" takes images and documents inline only (media_urls: refuse), not by URL ("https://example.com/cat.png")');
      if (openai(place)) expect(r.body.error.code).to.equal('LIP_ERR_REQUEST_UNSUPPORTED');
    }
    const screenshot = await post('/v1/messages', { model: 'vl:qwen3-vl', max_tokens: 16, tools: [{ name: 'shot', input_schema: { type: 'object' } }], messages: [
      { role: 'user', content: 'take one' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'shot', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'image', source: { type: 'url', url: 'https://example.com/shot.png' } }] }] },
    ] });
    expect(screenshot.status).to.equal(400);
    expect(screenshot.body.error.message).to.contain('not by URL ("https://example.com/shot.png")');
    expect(sent()).to.equal(0);
  });

  it('media_urls: refuse takes media inline (data: URLs too)', async () => {
    local.enqueue({ text: 'a dot' });
    const r = await post(...PLACES[0]!.body('vl:qwen3-vl', 'data:image/png;base64,iVBORw0KGgo='));
    expect(r.status).to.equal(200);
    expect(local.requests[0]!.body.messages[0].content[1].image_url.url).to.equal('data:image/png;base64,iVBORw0KGgo=');
    local.enqueue({ text: 'a dot' });
    const anthropic = await post('/v1/messages', { model: 'vl:qwen3-vl', max_tokens: 16, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } }] }] });
    expect(anthropic.status).to.equal(200);
  });

  it('media_urls: refuse is retryable: a route moves on to a backend that takes the URL', async () => {
    chat.enqueue({ text: 'a cat' });
    const r = await post(...PLACES[0]!.body('vl:qwen3-vl|oc:gpt-4o', 'https://example.com/cat.png'));
    expect(r.status).to.equal(200);
    expect(local.requests).to.have.length(0);
    expect(chat.requests).to.have.length(1);
  });

  it('media_urls: refuse counts the tokens of such a request itself (lip\'s estimate), sending nothing', async () => {
    const count = (source: Json) => fetch(`${lip.url}/v1/messages/count_tokens`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'k' },
      body: JSON.stringify({ model: 'ac:claude-sonnet-4-6', messages: [{ role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image', source }] }] }) });
    const byUrl = await count({ type: 'url', url: 'https://example.com/cat.png' });
    expect([byUrl.status, byUrl.headers.get('x-lip-token-count')]).to.deep.equal([200, 'estimate']);
    expect(sent()).to.equal(0);
    const inline = await count({ type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' });
    expect([inline.status, inline.headers.get('x-lip-token-count')]).to.deep.equal([200, 'upstream']);
  });
});

describe('config: media_urls', () => {
  const row = (kind: string, extra = '') => `backends:\n  - { id: b, kind: ${kind}, media_urls: refuse${extra} }\n`;

  it('is a key of every kind that sends media by URL, and of their presets (pass or refuse, pass by default)', () => {
    for (const kind of ['openai-chat', 'openai-responses', 'anthropic', 'gemini', 'vllm', 'ollama', 'custom-openai-chat', 'custom-anthropic', 'openai-codex']) {
      const extra = kind.startsWith('custom-') ? ', base_url: "http://127.0.0.1:9/v1"' : kind === 'openai-codex' ? ', access_token: t' : '';
      expect(configIssues(row(kind, extra)), kind).to.deep.equal([]);
    }
    expect(testConfig('  - { id: b, kind: vllm }').backends[0]!.media_urls).to.equal('pass');
    expect(configIssues(row('vllm').replace('refuse', 'deny')).join('\n')).to.contain('media_urls');
  });

  it('is no key of the kinds that never send media by URL (bedrock takes them inline only; acp, localstub)', () => {
    expect(configIssues(row('bedrock')).join('\n')).to.contain('unknown key "media_urls"');
    expect(configIssues(row('localstub')).join('\n')).to.contain('unknown key "media_urls"');
    expect(configIssues(row('acp', ', command: /bin/true')).join('\n')).to.contain('unknown key "media_urls"');
  });
});
