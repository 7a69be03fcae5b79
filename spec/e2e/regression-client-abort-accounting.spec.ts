import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testConfig } from '../helpers/config.js';
import { startAnthropicEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { eventually, RecordLines } from '../replay/recording-helpers.js';

/**
 * Regressions found by the observability agreement property (spec/fuzz/observability-agreement):
 * a client that leaves mid-answer.
 *
 * * The access line, the key's budget and the SERVER span were written on the response's
 *   `close` before the handler's own `close` listener stopped the pipeline, so the attempt the
 *   client abandoned had not ended yet: its usage and cost (Anthropic reports the input tokens
 *   in `message_start`) reached its attempt row but not the access line, and a key's budget was
 *   never charged for them. A client that always left after the first chunk spent upstream
 *   tokens its budget never saw.
 * * The recording kept such an attempt as `cancelled` with `reason: null`, where its row, its
 *   log line and its span said `client abort` (only routing's own reasons reached the record).
 */
describe('regression: a client that leaves mid-answer is charged and recorded like its attempt row says', () => {
  let upstream: Emulator;
  let lip: RunningLip;
  let dir: string;
  let file: string;
  const KEY = 'abort-key-0123456789';
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lip-abort-'));
    file = join(dir, 'traffic.jsonl');
    upstream = await startAnthropicEmulator();
    lip = await startLip(testConfig(`  - { id: an, kind: anthropic, base_url: "${upstream.url}", api_key: "k-0123456789" }`, [
      'logging: { access_log: true }',
      'diagnostics: { enabled: true }',
      `recording: { enabled: true, path: "${file}" }`,
      'pricing: [{ backend: an, input: 3, output: 15 }]',
      `auth: { api_keys: [{ id: leaver, key: ${KEY}, budget: { max_tokens: 1000000, period: day } }] }`,
    ].join('\n')));
  });
  after(async () => {
    await lip.close();
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the abandoned attempt\'s tokens and cost are on the access line and in the budget; the record says client abort', async () => {
    upstream.enqueue({ text: Array.from({ length: 40 }, (_, i) => `t${i} `), dripMs: 30, usage: { input: 1200, output: 300 } });
    const controller = new AbortController();
    const res = await fetch(`${lip.url}/v1/chat/completions`, {
      method: 'POST', signal: controller.signal,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}`, 'x-request-id': 'req-leaver' },
      body: JSON.stringify({ model: 'an:claude', stream: true, messages: [{ role: 'user', content: 'Hi' }] }),
    });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    await reader.read().catch(() => undefined);
    const aLegId = res.headers.get('x-lip-a-leg-id')!;

    const access = await eventually(() => lip.logs.find((l) => l.request_id === 'req-leaver' && l.message === 'request'), (l) => l !== undefined);
    const rows = ((await (await fetch(`${lip.url}/admin/attempts?a_leg_id=${aLegId}`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as { attempts: Record<string, unknown>[] }).attempts;
    const row = rows[0]!;
    expect(row).to.include({ outcome: 'cancelled', reason: 'client abort', input_tokens: 1200 });
    expect(access!).to.include({ aborted: true, input_tokens: row.input_tokens, output_tokens: row.output_tokens });
    expect(access!.cost as number).to.be.closeTo(row.cost as number, 1e-12).and.greaterThan(0);

    const budgets = (await (await fetch(`${lip.url}/admin/budgets`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as { budgets: { key_id: string; spent_tokens: number }[] };
    expect(budgets.budgets.find((b) => b.key_id === 'leaver')?.spent_tokens).to.equal((row.input_tokens as number) + (row.output_tokens as number));

    const lines = new RecordLines(file);
    const [record] = await eventually(() => lines.of('req-leaver'), (r) => r.length > 0);
    expect(record!.attempts.map((a) => [a.outcome, a.reason])).to.deep.equal([['cancelled', 'client abort']]);
  });
});
