import { expect } from 'chai';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Reloader } from '../../lib/cli/reloader.js';
import type { Config } from '../../lib/config/index.js';
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
describe('regression: recording across a reload', function () {
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

  const path = () => join(dir, 'traffic.jsonl');
  const lines = () => readdirSync(dir).flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean));
  const asked = () => lines().map((line) => (JSON.parse(line) as { request: { body: { messages: { content: string }[] } } }).request.body.messages[0]!.content);

  it('every exchange that began before the reload reaches the recording, those whose clients left included', async () => {
    upstream.handler = () => ({ text: ['a', 'b', 'c', 'd', 'e', 'f'], dripMs: 30 });
    const config = (route: string) => testConfig(`  - { id: up, kind: openai-chat, base_url: "${upstream.url}", api_key: k-0123456789 }`,
      `routing: { default_route: "${route}" }\nrecording: { enabled: true, path: "${path()}" }`);
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
    expect(asked().sort()).to.deep.equal(['kept whole', 'left 0', 'left 1', 'left 2', 'left 3']);
  });

  /**
   * Regression: a reload made a second recording writer on the same file while the retired
   * runtime's requests were still running. Each writer rotated by its own count of the file's size
   * and kept its own handle, so the retired one went on appending to a file the new one had
   * renamed, and, once that file had rotated past `max_files`, to a deleted one: an exchange that
   * ended on the retired runtime after a few rotations was lost. A reload that records to the same
   * path now keeps the one writer (its rotation settings follow the new config), closed once the
   * last runtime holding it closes.
   */
  it('an exchange ending on the retired runtime after the new one rotated the file past max_files is in the recording', async () => {
    upstream.handler = (request) => (JSON.stringify(request.body).includes('held open')
      ? { text: ['still ', 'going'], fault: { stall: 'after_output' } }
      : { text: ['a short answer'] });
    const config = (route: string, maxFileBytes: string): Config => testConfig(`  - { id: up, kind: openai-chat, base_url: "${upstream.url}", api_key: k-0123456789 }`,
      `routing: { default_route: "${route}" }\nrecording: { enabled: true, path: "${path()}", max_file_bytes: ${maxFileBytes}, max_files: 2 }`);
    const sink = new PassThrough();
    sink.resume();
    const logger = createLogger({ level: 'error', format: 'json', stream: sink });
    let next = config('up:gpt-4o', '1MiB');
    const server = new LipServer(createRuntime(next, { logger }), logger);
    const reloader = new Reloader(server, () => next, logger);
    await server.listen('127.0.0.1', 0);
    try {
      const send = (words: string, stream = false, signal?: AbortSignal) => fetch(`${server.url}/v1/chat/completions`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, ...(signal ? { signal } : {}),
        body: JSON.stringify({ model: 'gpt-4o', stream, messages: [{ role: 'user', content: words }] }),
      });
      // The first runtime has written to the file (its writer holds it open) and one of its requests stays open.
      await (await send('before the reload')).text();
      await until(() => existsSync(path()) && asked().length === 1, 'the first line');
      const leave = new AbortController();
      const held = await send('held open', true, leave.signal);
      const reader = held.body!.getReader();
      let seen = '';
      while (!seen.includes('still ')) seen += new TextDecoder().decode((await reader.read()).value);

      // A reload (another route; a file size that rotates at every line), then enough lines to rotate past max_files.
      next = config('up:gpt-4o-mini', '1KiB');
      expect((await reloader.reload('signal')).status).to.equal('reloaded');
      for (let i = 0; i < 5; i++) await (await send(`after the reload ${i}`)).text();
      await until(() => asked().some((a) => a === 'after the reload 4'), 'the last line after the reload');

      leave.abort();
      await reader.cancel().catch(() => undefined);
      await until(() => asked().includes('held open'), 'the held exchange in the recording', 10_000);
      // The retired runtime has closed (its last request ended) and let go of the writer, which the new one still writes through.
      await until(() => (server as unknown as { retired: Map<unknown, unknown> }).retired.size === 0, 'the retired runtime closed');
      await (await send('after the retired runtime closed')).text();
      await until(() => asked().includes('after the retired runtime closed'), 'a line after the retired runtime closed');
      expect(readdirSync(dir).sort()).to.deep.equal(['traffic.jsonl', 'traffic.jsonl.1']);
    } finally {
      await server.shutdown(1_000);
    }
  });
});
