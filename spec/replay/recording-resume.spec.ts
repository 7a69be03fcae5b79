import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replayExchange } from '../../lib/replay/replay-exchange.js';
import { testConfig } from '../helpers/config.js';
import { startAnthropicEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip } from '../helpers/lip.js';
import { eventually, readRecords } from './recording-helpers.js';

/**
 * A resumed answer (routing.resume_after_output) is recorded with both attempts, the broken one
 * and its continuation, and replays as `same`: the replayed routing resumes it as the live one did.
 * Replayed without the setting, the break reaches the client: `output-changed`.
 */
describe('recording: a resumed answer', function () {
  this.timeout(30_000);
  let dir: string;
  let a: Emulator;
  let b: Emulator;
  before(async () => { [a, b] = await Promise.all([startAnthropicEmulator(), startAnthropicEmulator()]); });
  after(async () => { await Promise.all([a.close(), b.close()]); });
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'lip-rec-resume-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('records the broken attempt and its continuation; replays as same, and as output-changed without resuming', async () => {
    const path = join(dir, 'r.jsonl');
    const rows = [a, b].map((emu, i) => `  - { id: ${'ab'[i]}, kind: anthropic, base_url: "${emu.url}", api_key: k-0123456789 }`).join('\n');
    const config = testConfig(rows, `routing: { resume_after_output: { enabled: true } }\nrecording: { enabled: true, path: "${path}" }`);
    const lip = await startLip(config);
    try {
      a.enqueue({ text: ['Hello, ', 'wor', 'ld, and more.'], fault: { reset: 5 } });
      b.enqueue({ text: ['ld!'] });
      const client = new Anthropic({ baseURL: lip.url, apiKey: 'k', maxRetries: 0 });
      const message = await client.messages.stream({ model: 'a:claude-sonnet-4-5|b:claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'Greet.' }] }).finalMessage();
      expect(message.content.map((c) => (c.type === 'text' ? c.text : c.type))).to.deep.equal(['Hello, world!']);
      const [record] = await eventually(() => readRecords(path), (r) => r.length === 1);
      expect(record!.attempts.map((x) => [x.candidate_key, x.outcome])).to.deep.equal([['a:claude-sonnet-4-5', 'failure'], ['b:claude-sonnet-4-5', 'success']]);
      expect((await replayExchange(record!, config)).state).to.equal('same');
      const without = testConfig(rows, `recording: { enabled: true, path: "${path}" }`);
      expect((await replayExchange(record!, without)).state).to.equal('output-changed');
    } finally {
      await lip.close();
    }
  });
});
