import { expect } from 'chai';
import { testConfig } from '../helpers/config.js';
import {
  startAnthropicEmulator, startGeminiEmulator, startOpenAIChatEmulator, startOpenAIResponsesEmulator, type Emulator, type UsageScript,
} from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

/** One price table for every backend: input 3, output 15, cache reads 0.3, cache writes 3.75 per million. */
const PRICE = { input: 3, output: 15, cache_read: 0.3, cache_write: 3.75 };

/** The cost of canonical usage by hand: uncached input, cache reads, cache writes, output (reasoning included). */
const costOf = (u: UsageScript) => ((u.input - (u.cacheRead ?? 0) - (u.cacheWrite ?? 0)) * PRICE.input + (u.cacheRead ?? 0) * PRICE.cache_read
  + (u.cacheWrite ?? 0) * PRICE.cache_write + u.output * PRICE.output) / 1e6;

/**
 * Usage accounting per provider usage shape. Each emulator writes the same canonical usage in
 * its own terms (OpenAI Chat: cached tokens inside prompt_tokens, reasoning inside
 * completion_tokens; Responses: input/output_tokens_details; Anthropic: cache reads and writes
 * beside input_tokens; Gemini: thoughts beside candidatesTokenCount); lip must record the same
 * tokens and the same cost on the attempt row, the access-log line and `/admin/usage`, for a
 * streamed and a whole (non-streamed) answer. At `debug`, routing decisions are logged too, and
 * with `observability.include_system_routes` health checks are access-logged.
 */
describe('e2e: usage and cost per provider usage shape', () => {
  let emulators: Record<string, Emulator>;
  let lip: RunningLip;
  const shapes: Record<string, { model: string; usage: UsageScript; expect: Record<string, number | null> }> = {
    oc: { model: 'gpt-4o', usage: { input: 1200, output: 300, cacheRead: 400, reasoning: 120 }, expect: { input_tokens: 1200, output_tokens: 300, cache_read_tokens: 400, reasoning_tokens: 120 } },
    or: { model: 'o4', usage: { input: 900, output: 250, cacheRead: 100, reasoning: 200 }, expect: { input_tokens: 900, output_tokens: 250, cache_read_tokens: 100, reasoning_tokens: 200 } },
    an: { model: 'claude', usage: { input: 2000, output: 80, cacheRead: 1500, cacheWrite: 300 }, expect: { input_tokens: 2000, output_tokens: 80, cache_read_tokens: 1500, cache_write_tokens: 300 } },
    ge: { model: 'gemini-pro', usage: { input: 700, output: 90, cacheRead: 50, reasoning: 30 }, expect: { input_tokens: 700, output_tokens: 90, cache_read_tokens: 50, reasoning_tokens: 30 } },
  };
  before(async () => {
    emulators = { oc: await startOpenAIChatEmulator(), or: await startOpenAIResponsesEmulator(), an: await startAnthropicEmulator(), ge: await startGeminiEmulator() };
    for (const [id, emu] of Object.entries(emulators)) emu.defaultScript = { text: `hello from ${id}`, usage: shapes[id]!.usage };
    lip = await startLip(testConfig([
      `  - { id: oc, kind: openai-chat, base_url: "${emulators.oc!.url}", api_key: "k" }`,
      `  - { id: or, kind: openai-responses, base_url: "${emulators.or!.url}", api_key: "k" }`,
      `  - { id: an, kind: anthropic, base_url: "${emulators.an!.url}", api_key: "k" }`,
      `  - { id: ge, kind: gemini, base_url: "${emulators.ge!.url}", api_key: "k" }`,
    ].join('\n'), [
      'logging: { access_log: true, level: debug }',
      'diagnostics: { enabled: true }',
      'observability: { include_system_routes: true }',
      'auth: { api_keys: [{ id: key-alice, key: "alice-key-0123456789", principal: alice }] }',
      `pricing: [${['oc', 'or', 'an', 'ge'].map((b) => `{ backend: ${b}, input: 3, output: 15, cache_read: 0.3, cache_write: 3.75 }`).join(', ')}]`,
    ].join('\n')));
  });
  after(async () => {
    await lip.close();
    for (const emu of Object.values(emulators)) await emu.close();
  });

  /** Admin reads: with keys configured, single_user's operator is whoever passes client auth. */
  const admin = (path: string) => fetch(`${lip.url}${path}`, { headers: { authorization: 'Bearer alice-key-0123456789' } });
  const ask = async (model: string, stream: boolean) => {
    const res = await fetch(`${lip.url}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer alice-key-0123456789' },
      body: JSON.stringify({ model, stream, ...(stream ? { stream_options: { include_usage: true } } : {}), messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).to.equal(200);
    await res.text();
    return { requestId: res.headers.get('x-request-id')!, aLegId: res.headers.get('x-lip-a-leg-id')! };
  };

  for (const stream of [true, false]) {
    for (const id of ['oc', 'or', 'an', 'ge']) {
      it(`${id} (${stream ? 'streamed' : 'whole'}): tokens and cost on the attempt row and the access-log line`, async () => {
        const shape = shapes[id]!;
        const { requestId, aLegId } = await ask(`${id}:${shape.model}`, stream);
        const rows = (await (await admin(`/admin/attempts?a_leg_id=${aLegId}`)).json() as { attempts: Record<string, unknown>[] }).attempts;
        expect(rows).to.have.length(1);
        expect(rows[0]).to.deep.include({ principal: 'alice', key_id: 'key-alice', ...shape.expect });
        expect(rows[0]!.cost as number).to.be.closeTo(costOf(shape.usage), 1e-12);
        const line = lip.logs.find((l) => l.request_id === requestId && l.message === 'request')!;
        expect(line).to.deep.include({ principal: 'alice', key_id: 'key-alice', stream, ...Object.fromEntries(Object.entries(shape.expect).filter(([, v]) => v !== null)) });
        expect(line.cost as number).to.be.closeTo(costOf(shape.usage), 1e-12);
      });
    }
  }

  it('/admin/usage groups the same numbers by backend; debug lines show the routing decisions', async () => {
    const usage = (await (await admin('/admin/usage?group_by=backend&principal=alice')).json() as { groups: Record<string, unknown>[] }).groups;
    for (const id of ['oc', 'or', 'an', 'ge']) {
      const group = usage.find((g) => g.group === id)!;
      expect(group).to.deep.include({ attempts: 2, input_tokens: 2 * shapes[id]!.usage.input, output_tokens: 2 * shapes[id]!.usage.output });
      expect(group.cost as number).to.be.closeTo(2 * costOf(shapes[id]!.usage), 1e-12);
    }
    expect((await (await admin('/admin/usage?principal=bob')).json() as { groups: unknown[] }).groups).to.deep.equal([]);
    // ?limit= lists the largest groups; the rest are summed in `other`.
    const top = await (await admin('/admin/usage?group_by=backend&principal=alice&limit=1')).json() as { limit: number; groups: { group: string }[]; other: Record<string, unknown> };
    expect([top.limit, top.groups.length, top.other.groups, top.other.attempts]).to.deep.equal([1, 1, 3, 6]);
    expect((await (await admin('/admin/usage?group_by=backend&principal=alice')).json() as { other: unknown }).other).to.equal(null);
    // observability.include_system_routes: health checks are access-logged here.
    const health = await fetch(`${lip.url}/healthz`);
    await health.text();
    const healthId = health.headers.get('x-request-id');
    const healthLine = await (async () => {
      for (let i = 0; i < 200; i++) {
        const line = lip.logs.find((l) => l.request_id === healthId);
        if (line) return line;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      return undefined;
    })();
    expect(healthLine).to.deep.include({ message: 'request', route: '/healthz', status: 200 });
    const { requestId } = await ask('oc:gpt-4o', true);
    const debug = lip.logs.filter((l) => l.request_id === requestId && l.level === 'debug');
    expect(debug.map((l) => l.message)).to.deep.equal(['route plan', 'route attempt']);
    expect(debug[0]).to.deep.include({ selector: 'oc:gpt-4o', selector_source: 'model', max_attempts: 3 });
    expect(debug[1]).to.deep.include({ candidate_key: 'oc:gpt-4o', attempts_left: 2 });
  });
});
