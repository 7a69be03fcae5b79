import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createRuntime } from '../../lib/core/runtime.js';
import { createLogger } from '../../lib/observability/logger.js';
import { LipServer } from '../../lib/server/lip-server.js';
import { testConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { until } from '../helpers/hostile-rig.js';

/**
 * A reload retires the runtime requests began on once they have ended. A client that leaves
 * ends its response at once, but its request's handler finishes a moment later (the pipeline's
 * teardown, then the recorded exchange and the attempt rows); the retired runtime closed at the
 * response's close, so its recorder was already closing when that exchange came, and it was
 * lost. The runtime now closes once the handlers of its requests have returned, and a shutdown
 * waits for a retired runtime still closing. Found by the reload property
 * (spec/fuzz/reload-traffic.fuzz.spec.ts).
 */
describe('regression: a request its client left during a reload is still recorded', function () {
  this.timeout(20_000);
  let upstream: Emulator;
  let dir: string;

  before(async () => {
    upstream = await startOpenAIChatEmulator();
  });
  after(async () => {
    await upstream?.close();
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lip-reload-recording-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('every exchange that began before the reload reaches the recording, those whose clients left included', async () => {
    upstream.handler = () => ({ text: ['a', 'b', 'c', 'd', 'e', 'f'], dripMs: 30 });
    const config = (route: string) => testConfig(`  - { id: up, kind: openai-chat, base_url: "${upstream.url}", api_key: k-0123456789 }`,
      `routing: { default_route: "${route}" }\nrecording: { enabled: true, path: "${join(dir, 'traffic.jsonl')}" }`);
    const sink = new PassThrough();
    sink.resume();
    const logger = createLogger({ level: 'error', format: 'json', stream: sink });
    const server = new LipServer(createRuntime(config('up:gpt-4o'), { logger }), logger);
    await server.listen('127.0.0.1', 0);
    try {
      const send = (words: string, signal?: AbortSignal) => fetch(`${server.url}/v1/chat/completions`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, ...(signal ? { signal } : {}),
        body: JSON.stringify({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: words }] }),
      }).then((res) => res.text()).catch(() => 'left');
      // One request that reads its answer whole keeps the first runtime busy; the others' clients leave.
      const whole = send('kept whole');
      const leaving = Array.from({ length: 4 }, () => new AbortController());
      const left = leaving.map((c, i) => send(`left ${i}`, c.signal));
      await until(() => upstream.requests.length === 5, 'every request upstream');
      await server.reload(createRuntime(config('up:gpt-4o-mini'), { logger }));
      for (const c of leaving) c.abort();
      expect(await Promise.all(left)).to.deep.equal(['left', 'left', 'left', 'left']);
      expect(await whole).to.contain('"content":"f"');
    } finally {
      await server.shutdown(1_000);
    }
    const recorded = readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join('').split('\n').filter(Boolean);
    const asked = recorded.map((line) => (JSON.parse(line) as { request: { body: { messages: { content: string }[] } } }).request.body.messages[0]!.content).sort();
    expect(asked).to.deep.equal(['kept whole', 'left 0', 'left 1', 'left 2', 'left 3']);
  });
});
