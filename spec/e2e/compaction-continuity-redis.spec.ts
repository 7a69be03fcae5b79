import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOpenAIChatEmulator, type Emulator, type RecordedRequest } from '../helpers/emulators/index.js';
import { requireRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { serveLip, type LipProcess } from '../helpers/spawn-lip.js';

const STATE = { plan: [], decisions: [{ statement: 'Keep add() synchronous' }], constraints: ['Leave package.json alone'], rejected_alternatives: [], open_questions: [] };
const COMPACT = 'CRITICAL: Respond with TEXT ONLY. Do NOT call any tools.\n\nYour task is to create a detailed summary of the conversation so far.';

/**
 * compaction-continuity across `lip serve` processes: with `redis.url` set, a conversation's kept
 * state is written to Redis and read back by any process, so that the request after a
 * compaction that one process saw is served with the state by another (a second instance, a
 * worker, a restart). Two real processes, one real redis-server, the Anthropic SDK.
 */
describe('e2e: compaction-continuity shared through Redis', function () {
  this.timeout(60_000);
  let redis: RedisServer;
  let upstream: Emulator;
  let dir: string;
  const lips: (LipProcess & { url: string })[] = [];

  before(async function () {
    redis = await requireRedisServer(this);
    upstream = await startOpenAIChatEmulator();
    upstream.handler = (req: RecordedRequest) => (req.model === 'extractor' ? { text: JSON.stringify(STATE) } : { text: 'ok' });
    dir = mkdtempSync(join(tmpdir(), 'lip-continuity-shared-'));
    const config = join(dir, 'lip.yaml');
    writeFileSync(config, `server: { host: 127.0.0.1, port: 0, drain_delay: 0s }
logging: { access_log: false }
redis: { url: "${redis.url}", key_prefix: "lip-e2e-cc:" }
routing: { default_route: "up:chat" }
features:
  - { id: compaction-continuity, config: { extractor: { route: "up:extractor" }, barrier: { timeout: 10s } } }
backends:
  - { id: up, kind: openai-chat, base_url: "${upstream.url}", api_key: "upstream-key" }
`);
    for (let i = 0; i < 2; i++) lips.push(await serveLip(['--config', config]));
  });
  after(async () => {
    for (const p of lips) {
      p.proc.kill('SIGTERM');
      await p.exited;
    }
    await upstream?.close();
    await redis?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const systemOf = (req: RecordedRequest) => JSON.stringify((req.body.messages as { role: string }[]).filter((m) => m.role === 'system'));
  const send = (url: string, session: string, messages: Anthropic.MessageParam[], system?: string) => new Anthropic({ baseURL: url, apiKey: 'k', maxRetries: 0 })
    .messages.create({ model: 'up:chat', max_tokens: 100, metadata: { user_id: `user_1_account_2_session_${session}` }, messages, ...(system !== undefined ? { system } : {}) });

  it('a compaction seen by one process: the next request, served by another, carries the state', async () => {
    const [a, b] = lips;
    await send(a!.url, 'S1', [{ role: 'user', content: 'Fix add(); keep it synchronous; leave package.json alone.' }, { role: 'assistant', content: 'On it.' }, { role: 'user', content: COMPACT }], 'You summarise conversations.');
    // The extraction runs in process a after the compaction's answer; wait until it was asked and answered.
    // A process reads a branch back every 10 s: if b's first look came before a's write landed, the next one finds it.
    const deadline = Date.now() + 30_000;
    while (!upstream.requests.some((r) => r.model === 'extractor')) {
      if (Date.now() > deadline) throw new Error('no extraction');
      await new Promise((r) => setTimeout(r, 25));
    }
    let carried = false;
    while (!carried && Date.now() < deadline) {
      await send(b!.url, 'S1', [{ role: 'user', content: 'Summary: fixing add().' }, { role: 'user', content: 'Continue.' }]);
      carried = systemOf(upstream.requests.at(-1)!).includes('Leave package.json alone');
      if (!carried) await new Promise((r) => setTimeout(r, 200));
    }
    expect(carried, 'process b served the conversation with the state process a kept').to.equal(true);
    await send(b!.url, 'S2', [{ role: 'user', content: 'Another conversation.' }]);
    expect(systemOf(upstream.requests.at(-1)!)).to.not.contain('lip-continuity');
  });
});
