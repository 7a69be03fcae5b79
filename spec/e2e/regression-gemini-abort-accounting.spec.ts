import { expect } from 'chai';
import { testConfig } from '../helpers/config.js';
import { startGeminiEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { eventually } from '../replay/recording-helpers.js';

/**
 * Regression: a Gemini answer the client left mid-stream was charged nothing (no tokens or cost on
 * the access line, the attempt row, the key's budget), though Gemini sends its running
 * `usageMetadata` on every frame: the decoder kept it and emitted it only with the finish. An
 * Anthropic answer cut the same way is charged what is known (regression-client-abort-accounting).
 */
describe('regression: a Gemini answer the client leaves mid-stream is charged the usage reported so far', () => {
  let upstream: Emulator;
  let lip: RunningLip;
  const KEY = 'gemini-leaver-0123456789';
  before(async () => {
    upstream = await startGeminiEmulator();
    lip = await startLip(testConfig(`  - { id: ge, kind: gemini, base_url: "${upstream.url}", api_key: "k-0123456789" }`, [
      'logging: { access_log: true }',
      'diagnostics: { enabled: true }',
      'pricing: [{ backend: ge, input: 1, output: 4 }]',
      `auth: { api_keys: [{ id: leaver, key: ${KEY}, budget: { max_tokens: 1000000, period: day } }] }`,
    ].join('\n')));
  });
  after(async () => {
    await lip.close();
    await upstream.close();
  });

  for (const [protocol, path, body] of [
    ['Gemini', '/v1beta/models/ge:gemini-2.5-flash:streamGenerateContent?alt=sse', { contents: [{ role: 'user', parts: [{ text: 'Hi' }] }] }],
    ['Chat Completions', '/v1/chat/completions', { model: 'ge:gemini-2.5-flash', stream: true, messages: [{ role: 'user', content: 'Hi' }] }],
  ] as const) {
    it(`through ${protocol}: the access line, the attempt row and the budget hold the tokens and cost of the frames sent`, async () => {
      upstream.enqueue({ text: Array.from({ length: 40 }, (_, i) => `t${i} `), dripMs: 30, usage: { input: 1200, output: 300 } });
      const requestId = `req-gemini-leaver-${protocol.length}`;
      const before = await spent();
      const controller = new AbortController();
      const res = await fetch(`${lip.url}${path}`, {
        method: 'POST', signal: controller.signal,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}`, 'x-request-id': requestId },
        body: JSON.stringify(body),
      });
      expect(res.status).to.equal(200);
      const reader = res.body!.getReader();
      await reader.read();
      controller.abort();
      await reader.read().catch(() => undefined);
      const aLegId = res.headers.get('x-lip-a-leg-id')!;

      const access = await eventually(() => lip.logs.find((l) => l.request_id === requestId && l.message === 'request'), (l) => l !== undefined);
      const rows = ((await (await fetch(`${lip.url}/admin/attempts?a_leg_id=${aLegId}`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as { attempts: Record<string, unknown>[] }).attempts;
      const row = rows[0]!;
      expect(row).to.include({ outcome: 'cancelled', reason: 'client abort', input_tokens: 1200, output_tokens: 300 });
      expect(access!).to.include({ aborted: true, input_tokens: 1200, output_tokens: 300 });
      expect(access!.cost as number).to.be.closeTo(row.cost as number, 1e-12).and.closeTo((1200 * 1 + 300 * 4) / 1e6, 1e-12);
      expect((await spent()) - before).to.equal(1500);
    });
  }

  it('a whole answer still reaches a Chat client asking include_usage as one usage chunk with the final numbers', async () => {
    upstream.enqueue({ text: ['a', 'b', 'c'], usage: { input: 40, output: 7 } });
    const res = await fetch(`${lip.url}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ model: 'ge:gemini-2.5-flash', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'Hi' }] }),
    });
    const chunks = (await res.text()).split('\n').filter((l) => l.startsWith('data: {')).map((l) => JSON.parse(l.slice(6)) as { usage?: Record<string, number> | null });
    const usages = chunks.filter((c) => c.usage !== undefined && c.usage !== null).map((c) => c.usage!);
    expect(usages).to.have.length(1);
    expect(usages[0]).to.include({ prompt_tokens: 40, completion_tokens: 7, total_tokens: 47 });
  });

  async function spent(): Promise<number> {
    const budgets = (await (await fetch(`${lip.url}/admin/budgets`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as { budgets: { key_id: string; spent_tokens: number }[] };
    return budgets.budgets.find((b) => b.key_id === 'leaver')?.spent_tokens ?? 0;
  }
});
