import { expect } from 'chai';
import { VirtualTimeScheduler } from 'rxjs';
import { collectEvents, emptyCall } from '../../../lib/canonical/index.js';
import type { Runtime } from '../../../lib/core/runtime.js';
import { cut, decodeStream } from '../../fuzz/stream-harness.js';
import { backendOf, drain, runtimeFor, startOpenAIChatEmulator, type Emulator, type Script } from '../../helpers/emulators/index.js';

const call = emptyCall({ model: 'm', stream: true, messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }] });
const target = { model: 'm', candidateKey: 'b:m' };
const K1 = 'sk-key-one-0123456789';
const K2 = 'sk-key-two-0123456789';

describe('backends/http/upstream-source: key pools against the emulator', () => {
  let emu: Emulator;
  let clock: VirtualTimeScheduler;
  let runtime: Runtime;
  /** Scripts per key; a key without one gets a normal answer. */
  let byKey: Record<string, Script>;
  before(async () => {
    emu = await startOpenAIChatEmulator();
    emu.handler = (req) => byKey[req.key ?? ''] ?? { text: `served by ${req.key}` };
  });
  beforeEach(() => {
    emu.reset();
    byKey = {};
    clock = new VirtualTimeScheduler();
  });
  afterEach(() => runtime?.close());
  after(() => emu.close());

  const backend = (keys: string, env: NodeJS.ProcessEnv = {}, kind = 'openai-chat') => {
    runtime = runtimeFor(`  - { id: b, kind: ${kind}, base_url: "${emu.url}"${keys ? `, ${keys}` : ''} }`, env, '', clock);
    return backendOf(runtime, 'b');
  };
  const keysSeen = () => emu.requests.map((r) => r.key);

  it('retires a key the upstream rejects (401) and serves the attempt with the next one', async () => {
    const b = backend(`api_keys: [${K1}, ${K2}]`);
    byKey[K1] = { status: 401, error: { message: `Incorrect API key provided: ${K1}` } };
    const first = await drain(b.stream(call, target));
    expect(first.error).to.equal(undefined);
    expect(keysSeen()).to.deep.equal([K1, K2]);
    emu.reset();
    await drain(b.stream(call, target));
    await drain(b.stream(call, target));
    expect(keysSeen()).to.deep.equal([K2, K2]);
  });

  it('cools a rate-limited key down for its Retry-After seconds, in virtual time', async () => {
    const b = backend(`api_keys: [${K1}, ${K2}]`);
    byKey[K1] = { status: 429, headers: { 'retry-after': '30' } };
    expect((await drain(b.stream(call, target))).error).to.equal(undefined);
    expect(keysSeen()).to.deep.equal([K1, K2]);
    delete byKey[K1];
    emu.reset();
    clock.frame = 29_999;
    await drain(b.stream(call, target));
    await drain(b.stream(call, target));
    expect(keysSeen()).to.deep.equal([K2, K2]);
    emu.reset();
    clock.frame = 30_000;
    await drain(b.stream(call, target));
    await drain(b.stream(call, target));
    expect([...keysSeen()].sort()).to.deep.equal([K1, K2].sort());
  });

  it('reads Retry-After as an HTTP date, and uses 60 s without one', async () => {
    const b = backend(`api_keys: [${K1}, ${K2}]`);
    const date = Date.parse('Wed, 21 Oct 2026 07:28:00 GMT');
    clock.frame = date - 20_000;
    byKey[K1] = { status: 429, headers: { 'retry-after': 'Wed, 21 Oct 2026 07:28:00 GMT' } };
    byKey[K2] = { status: 429 };
    const { error } = await drain(b.stream(call, target));
    expect(error).to.include({ code: 'LIP_ERR_UPSTREAM_NO_CREDENTIALS', retryable: true, status: 429, retryAfter: 20 });
    byKey = {};
    clock.frame = date;
    emu.reset();
    await drain(b.stream(call, target));
    expect(keysSeen()).to.deep.equal([K1]);
    clock.frame = date - 20_000 + 59_999;
    emu.reset();
    await drain(b.stream(call, target));
    expect(keysSeen()).to.deep.equal([K1]);
  });

  it('fails retryably with LIP_ERR_UPSTREAM_NO_CREDENTIALS when every key is cooling, without calling the upstream', async () => {
    const b = backend(`api_key: ${K1}`);
    byKey[K1] = { status: 429, headers: { 'retry-after': '7' } };
    const first = await drain(b.stream(call, target));
    expect(first.error).to.include({ code: 'LIP_ERR_UPSTREAM_NO_CREDENTIALS', retryable: true, status: 429, retryAfter: 7 });
    emu.reset();
    clock.frame = 5_000;
    const second = await drain(b.stream(call, target));
    expect(second.error).to.include({ code: 'LIP_ERR_UPSTREAM_NO_CREDENTIALS', retryAfter: 2 });
    expect(emu.requests).to.have.length(0);
  });

  it('fails retryably (503) when every key was rejected, and never shows a key', async () => {
    const b = backend(`api_keys: [${K1}, ${K2}]`);
    byKey[K1] = { status: 401, error: { message: `bad key ${K1}` } };
    byKey[K2] = { status: 401, error: { message: `bad key ${K2}` } };
    const { error } = await drain(b.stream(call, target));
    expect(error).to.include({ code: 'LIP_ERR_UPSTREAM_NO_CREDENTIALS', retryable: true, status: 503 });
    const text = JSON.stringify({ message: error!.message, detail: error!.detail, stack: error!.stack });
    expect(text).not.to.contain(K1);
    expect(text).not.to.contain(K2);
  });

  it('masks keys in upstream messages', async () => {
    const b = backend(`api_key: ${K1}`);
    byKey[K1] = { status: 400, error: { message: `key ${K1} may not use this model` } };
    const { error } = await drain(b.stream(call, target));
    expect(error!.message).to.equal('backend "b": upstream status 400: key *** may not use this model');
  });

  it('reads the numbered environment pool (NAME, NAME_2, ...)', async () => {
    const b = backend('', { OPENAI_API_KEY: K1, OPENAI_API_KEY_2: K2 });
    await drain(b.stream(call, target));
    await drain(b.stream(call, target));
    expect(keysSeen()).to.deep.equal([K1, K2]);
  });

  it('fails at once without a key where the kind needs one', async () => {
    const { error } = await drain(backend('').stream(call, target));
    expect(error).to.include({ code: 'LIP_ERR_UPSTREAM_NO_CREDENTIALS', retryable: true });
    expect(error!.message).to.contain('OPENAI_API_KEY');
    expect(emu.requests).to.have.length(0);
  });

  it('sends no key to a keyless preset, and none to a custom endpoint without one', async () => {
    for (const kind of ['ollama', 'custom-openai-chat']) {
      emu.reset();
      const { error } = await drain(backend('', { OPENAI_API_KEY: K1 }, kind).stream(call, target));
      expect(error, kind).to.equal(undefined);
      expect(emu.requests[0]!.headers.authorization, kind).to.equal(undefined);
      await runtime.close();
    }
  });
});

describe('backends/http/upstream-source: the body\'s UTF-8 text', () => {
  const frame = (delta: object, finish: string | null = null) =>
    `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  /** The frames of an answer whose text is `parts` joined (the first frame carries the role). */
  const body = (...parts: string[]) => Buffer.from([
    frame({ role: 'assistant', content: parts[0] }),
    ...parts.slice(1).map((content) => frame({ content })),
    frame({}, 'stop'),
    'data: [DONE]\n\n',
  ].join(''));
  const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
  /** Every byte its own chunk: each multi-byte character (and a BOM) straddles chunks. */
  const bytewise = (bytes: Buffer) => cut(bytes, Array.from({ length: bytes.length }, (_, i) => i));
  const textOf = async (chunks: Buffer[]) => {
    const { events, error } = await decodeStream('openai-chat', chunks);
    expect(error).to.equal(undefined);
    return collectEvents(events).blocks;
  };

  it('joins a multi-byte character cut across chunks, and makes an invalid byte U+FFFD', async () => {
    expect(await textOf(bytewise(body('héllo — ', '😀 ✓')))).to.deep.equal([{ type: 'text', text: 'héllo — 😀 ✓' }]);
    const invalid = body('aXb');
    invalid[invalid.indexOf('aXb') + 1] = 0xff;
    expect(await textOf(bytewise(invalid))).to.deep.equal([{ type: 'text', text: 'a\ufffdb' }]);
  });

  it('strips a UTF-8 byte order mark at the start of the body, even cut across chunks, and keeps one later', async () => {
    const plain = await textOf([body('hi')]);
    expect(await textOf([Buffer.concat([BOM, body('hi')])])).to.deep.equal(plain);
    expect(await textOf(bytewise(Buffer.concat([BOM, body('hi')])))).to.deep.equal(plain);
    // Only the body's first character is a byte order mark: one in the text is text.
    expect(await textOf(bytewise(body('\ufeffhi', '\ufeff')))).to.deep.equal([{ type: 'text', text: '\ufeffhi\ufeff' }]);
  });
});
