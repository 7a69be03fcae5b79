import { expect } from 'chai';
import OpenAI from 'openai';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { useUpstreams } from '../helpers/upstreams.js';

const SNAPSHOT = fileURLToPath(new URL('../../testdata/model-catalog/models-dev.json', import.meta.url));
const PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
const WEATHER: OpenAI.ChatCompletionTool = { type: 'function', function: { name: 'weather', description: 'The weather in a city.', parameters: { type: 'object', properties: { city: { type: 'string' } } } } };

/**
 * `model_catalog`: a models.dev snapshot (testdata: real entries) tells routing what each
 * candidate's model takes. A candidate that cannot take the request (an image to a text-only
 * model, tools to one that calls none, a prompt over its window) is left out before any upstream
 * call, and the route moves on; when none can, the client gets a 4xx in its own protocol instead
 * of an upstream's refusal. `adapt` changes what one candidate is sent.
 */
describe('e2e: the model catalog leaves out candidates that cannot take the request', () => {
  const up = useUpstreams({ oa: { kind: 'openai-chat', extra: 'models: [gpt-4o, gpt-5-mini, made-up]' }, ds: { kind: 'openai-chat' }, claude: { kind: 'anthropic' } }, [
    'model_catalog:',
    '  enabled: true',
    `  path: "${SNAPSHOT}"`,
    '  backends: { oa: openai, ds: deepseek, claude: anthropic }',
    '  adapt: { max_output_tokens: true, sampling: true }',
    '  overrides:',
    '    - { backend: ds, model: deepseek-tiny, context: 50 }',
    'diagnostics: { enabled: true }',
    'observability: { metrics: { enabled: true } }',
    'model_aliases: [{ pattern: "^fast$", replacement: "oa:gpt-5-mini" }]',
  ].join('\n'));

  it('an image goes past the text-only model to the next candidate, which alone is called', async () => {
    up.emulators.oa!.enqueue({ text: 'A red pixel.' });
    const answer = await up.openai().chat.completions.create({
      model: 'ds:deepseek-chat|oa:gpt-4o',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: PNG } }] }],
    });
    expect(answer.choices[0]!.message.content).to.equal('A red pixel.');
    expect(up.emulators.ds!.requests).to.have.length(0);
    expect(up.emulators.oa!.requests).to.have.length(1);
  });

  it('tools sent to a model that calls none: the route skips it; with no other candidate, 400 in the client\'s protocol', async () => {
    up.emulators.oa!.enqueue({ text: 'Served by gpt-4o.' });
    const served = await up.openai().chat.completions.create({ model: 'oa:gpt-3.5-turbo|oa:gpt-4o', messages: [{ role: 'user', content: 'Weather in Oslo?' }], tools: [WEATHER] });
    expect(served.choices[0]!.message.content).to.equal('Served by gpt-4o.');
    expect((up.emulators.oa!.requests[0]!.body as { model: string }).model).to.equal('gpt-4o');

    const err = await up.openai().chat.completions.create({ model: 'oa:gpt-3.5-turbo', messages: [{ role: 'user', content: 'Weather in Oslo?' }], tools: [WEATHER] }).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).to.match(/no candidate can serve this request .*gpt-3\.5-turbo does not call tools \(catalog openai\/gpt-3\.5-turbo\)/);
    expect(up.emulators.oa!.requests).to.have.length(1);
  });

  it('a prompt over a model\'s known window: 400 with context_length_exceeded (an override states the window)', async () => {
    const err = await up.openai().chat.completions.create({ model: 'ds:deepseek-tiny', messages: [{ role: 'user', content: 'x'.repeat(1000) }] }).then(() => undefined, (e: unknown) => e);
    const e = err as InstanceType<typeof OpenAI.APIError>;
    expect([e.status, e.code]).to.deep.equal([400, 'context_length_exceeded']);
    expect(e.message).to.match(/This model's maximum context length is 50 tokens\. However, your messages resulted in \d+ tokens\./);
    expect(e.message).to.contain('context limit 50 of deepseek-tiny (backend override)');
    expect(up.emulators.ds!.requests).to.have.length(0);
  });

  it('an Anthropic client\'s PDF goes past the text-only model; the answer comes from Claude', async () => {
    up.emulators.claude!.enqueue({ text: 'The document is one page.' });
    const message = await up.anthropic().messages.create({
      model: 'ds:deepseek-chat|claude:claude-sonnet-4-5', max_tokens: 100,
      messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0xLjQK' } }, { type: 'text', text: 'How long is it?' }] }],
    });
    expect(message.content.map((b) => (b.type === 'text' ? b.text : b.type))).to.deep.equal(['The document is one page.']);
    expect(up.emulators.ds!.requests).to.have.length(0);
    expect(up.emulators.claude!.requests).to.have.length(1);
  });

  it('adapt: max_tokens over the model\'s output limit is clamped, temperature dropped for a model that takes none', async () => {
    up.emulators.oa!.enqueue({ text: 'Clamped.' }, { text: 'No temperature.' });
    const openai = up.openai();
    await openai.chat.completions.create({ model: 'oa:gpt-3.5-turbo', max_tokens: 50_000, messages: [{ role: 'user', content: 'Hi' }] });
    await openai.chat.completions.create({ model: 'oa:gpt-5-mini', temperature: 0.2, messages: [{ role: 'user', content: 'Hi' }] });
    const [first, second] = up.emulators.oa!.requests.map((r) => r.body as Record<string, unknown>);
    expect(first!.max_completion_tokens ?? first!.max_tokens).to.equal(4096);
    expect(second).to.not.have.property('temperature');
  });

  it('model lists carry what the catalog knows: Anthropic\'s max_input_tokens and max_tokens, Gemini\'s token limits', async () => {
    const claude = await up.anthropic().models.retrieve('oa:gpt-4o');
    expect(claude).to.deep.include({ id: 'oa:gpt-4o', display_name: 'GPT-4o', created_at: '2024-05-13T00:00:00Z', max_input_tokens: 128000, max_tokens: 16384 });
    const listed = (await up.anthropic().models.list()).data;
    // gpt-5-mini states an input limit below its window: the input limit is what a request may carry.
    expect(listed.find((m) => m.id === 'fast')).to.deep.include({ display_name: 'GPT-5 Mini', max_input_tokens: 272000, max_tokens: 128000 });
    expect(listed.find((m) => m.id === 'oa:made-up')).to.deep.equal({ type: 'model', id: 'oa:made-up', display_name: 'oa:made-up', created_at: '1970-01-01T00:00:00Z' });
    const gemini = await up.google().models.get({ model: 'oa:gpt-5-mini' });
    expect(gemini).to.deep.include({ displayName: 'GPT-5 Mini', inputTokenLimit: 272000, outputTokenLimit: 128000, thinking: true });
  });

  it('GET /admin/model-catalog reports the snapshot and, for a model, each candidate\'s facts and their sources', async () => {
    const lip = up.lip();
    const status = await (await fetch(`${lip.url}/admin/model-catalog`)).json() as Record<string, unknown>;
    expect(status).to.deep.include({ state: 'loaded', loaded_from: 'file', providers: 6, models: 13 });
    expect(status.backends).to.deep.equal({ oa: 'openai', ds: 'deepseek', claude: 'anthropic' });
    const resolved = await (await fetch(`${lip.url}/admin/model-catalog?model=${encodeURIComponent('ds:deepseek-tiny|oa:gpt-4o')}`)).json() as { candidates: Record<string, unknown>[] };
    expect(resolved.candidates).to.deep.equal([
      { backend: 'ds', model: 'deepseek-tiny', provider: 'deepseek', match: 'no_match', entries: [], facts: { context: 50 }, sources: { context: 'pair_override' } },
      {
        backend: 'oa', model: 'gpt-4o', provider: 'openai', match: 'exact', entries: ['openai/gpt-4o'],
        facts: { context: 128000, output: 16384, modalities: ['image', 'pdf', 'text'], tools: true, reasoning: false, temperature: true },
        sources: { context: 'catalog', output: 'catalog', modalities: 'catalog', tools: 'catalog', reasoning: 'catalog', temperature: 'catalog' },
      },
    ]);
    const metrics = await (await fetch(`${lip.url}/metrics`)).text();
    expect(metrics).to.match(/lip_model_catalog_total\{event="excluded_tools"\} [1-9]/);
    expect(metrics).to.match(/lip_model_catalog_total\{event="clamped_max_output_tokens"\} [1-9]/);
    // The testdata file's modification time, in seconds.
    const stamp = Number(/^lip_model_catalog_snapshot_timestamp_seconds (\S+)$/m.exec(metrics)?.[1]);
    expect(stamp).to.equal(Math.floor(statSync(SNAPSHOT).mtimeMs) / 1000);
  });
});

describe('e2e: without a usable snapshot the catalog decides nothing', () => {
  const up = useUpstreams({ oa: { kind: 'openai-chat' } }, [
    'model_catalog: { enabled: true, path: /nonexistent/lip-models.json, backends: { oa: openai } }',
    'diagnostics: { enabled: true }',
  ].join('\n'));

  it('serves as if it were off, and says why in the admin endpoint', async () => {
    up.emulators.oa!.enqueue({ text: 'Served.' });
    const answer = await up.openai().chat.completions.create({ model: 'oa:gpt-3.5-turbo', messages: [{ role: 'user', content: 'Hi' }], tools: [WEATHER] });
    expect(answer.choices[0]!.message.content).to.equal('Served.');
    const status = await (await fetch(`${up.lip().url}/admin/model-catalog`)).json() as Record<string, unknown>;
    expect(status.state).to.equal('unavailable');
    expect(String(status.file_error)).to.contain('ENOENT');
  });
});

describe('e2e: POST /admin/model-catalog/refresh takes a new snapshot from the source', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'lip-e2e-catalog-')), 'models.json');
  // The source now says gpt-4o calls no tools (a snapshot the next refresh brings).
  const changed = JSON.stringify({ openai: { models: { 'gpt-4o': { id: 'gpt-4o', tool_call: false, limit: { context: 128000, output: 16384 } } } } });
  let source: Server;
  let emulator: Emulator;
  let lip: RunningLip;
  before(async () => {
    writeFileSync(path, readFileSync(SNAPSHOT, 'utf8'));
    source = createServer((_req, res) => res.end(changed));
    await new Promise<void>((resolve) => source.listen(0, '127.0.0.1', resolve));
    emulator = await startOpenAIChatEmulator();
    // The file is fresh: the first scheduled refresh is a day away; the endpoint asks now.
    lip = await startLip(testConfig(`  - { id: oa, kind: openai-chat, base_url: "${emulator.url}", api_key: k-0123456789 }`, [
      `model_catalog: { enabled: true, path: "${path}", source_url: "http://127.0.0.1:${(source.address() as AddressInfo).port}/api.json", backends: { oa: openai } }`,
      'diagnostics: { enabled: true }',
    ].join('\n')));
  });
  after(async () => {
    await lip.close();
    await emulator.close();
    await new Promise<void>((resolve) => source.close(() => resolve()));
  });

  it('the new facts decide the next requests, and the file holds them for the next start', async () => {
    const openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
    emulator.enqueue({ text: 'Tools offered.' });
    const served = await openai.chat.completions.create({ model: 'oa:gpt-4o', messages: [{ role: 'user', content: 'Weather?' }], tools: [WEATHER] });
    expect(served.choices[0]!.message.content).to.equal('Tools offered.');

    const refreshed = await (await fetch(`${lip.url}/admin/model-catalog/refresh`, { method: 'POST' })).json() as Record<string, unknown>;
    expect(refreshed).to.deep.include({ outcome: 'updated', state: 'loaded', loaded_from: 'source', providers: 1, models: 1 });
    expect(readFileSync(path, 'utf8')).to.equal(changed);

    const err = await openai.chat.completions.create({ model: 'oa:gpt-4o', messages: [{ role: 'user', content: 'Weather?' }], tools: [WEATHER] }).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(OpenAI.BadRequestError);
    expect(emulator.requests).to.have.length(1);
    const again = await (await fetch(`${lip.url}/admin/model-catalog/refresh`, { method: 'POST' })).json() as Record<string, unknown>;
    expect(again.outcome).to.equal('unchanged');
  });
});

describe('e2e: model_catalog.prices prices what no pricing row does', () => {
  const up = useUpstreams({ oa: { kind: 'openai-chat' } }, [
    `model_catalog: { enabled: true, path: "${SNAPSHOT}", backends: { oa: openai }, prices: true }`,
    'pricing: [{ backend: oa, model: gpt-3.5-turbo, input: 1, output: 1 }]',
    'diagnostics: { enabled: true }',
  ].join('\n'));

  it('an attempt on gpt-4o costs the catalog\'s prices; a pricing row wins for its model', async () => {
    up.emulators.oa!.enqueue({ text: 'a', usage: { input: 1000, output: 100 } }, { text: 'b', usage: { input: 1000, output: 100 } });
    await up.openai().chat.completions.create({ model: 'oa:gpt-4o', messages: [{ role: 'user', content: 'Hi' }] });
    await up.openai().chat.completions.create({ model: 'oa:gpt-3.5-turbo', messages: [{ role: 'user', content: 'Hi' }] });
    const groups = (await (await fetch(`${up.lip().url}/admin/usage?group_by=model`)).json() as { groups: { group: string; cost: number }[] }).groups;
    expect(groups.find((g) => g.group === 'gpt-4o')!.cost).to.be.closeTo((1000 * 2.5 + 100 * 10) / 1e6, 1e-12);
    expect(groups.find((g) => g.group === 'gpt-3.5-turbo')!.cost).to.be.closeTo(1100 / 1e6, 1e-12);
  });
});
