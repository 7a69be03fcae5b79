import Anthropic from '@anthropic-ai/sdk';
import type { BetaMessage, MessageCreateParamsNonStreaming } from '@anthropic-ai/sdk/resources/beta/messages/messages';
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import type { Tool } from 'openai/resources/responses/responses';
import type { Config } from '../../lib/config/index.js';
import { replayExchange } from '../../lib/replay/replay-exchange.js';
import { testConfig } from '../helpers/config.js';
import { startAnthropicEmulator, startOpenAIChatEmulator, startOpenAIResponsesEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { eventually, readRecords } from './recording-helpers.js';

const ACTIONS = [{ type: 'click', button: 'left', x: 512, y: 40 }, { type: 'type', text: 'weather in Oslo' }];
const CHECKS = [{ id: 'cu_sc_1', code: 'malicious_instructions', message: 'The page asks for something the user did not.' }];
const BY_PROGRAM = { type: 'program' as const, caller_id: 'call_prog1' };
const PROGRAM = { id: 'prog_rec1', type: 'program', call_id: 'call_prog1', code: 'return get_weather({city: "Paris"});', fingerprint: 'fp_rec1' };
const COMPACTION = { type: 'compaction', content: 'We fixed add(); the tests pass.', encrypted_content: 'Eo4BCkYIBxgCKkBopaque' };

/**
 * This session's client tools and provider records in recordings: a Responses computer call with
 * its safety checks, a program's calls with their callers, an Anthropic toolset member's call
 * answered by an Anthropic and by an OpenAI Chat upstream (its toolset named either way), and a
 * server-side compaction, each served through its official SDK, streamed and not, are recorded
 * and replay (substitute mode) as `same`.
 */
describe('recording: computer use, programs, toolsets and compaction round trip (serve -> file -> replay)', function () {
  this.timeout(60_000);
  let an: Emulator;
  let or: Emulator;
  let oc: Emulator;
  let lip: RunningLip;
  let dir: string;
  let file: string;
  let config: Config;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lip-rec-client-tools-'));
    file = join(dir, 'traffic.jsonl');
    [an, or, oc] = await Promise.all([startAnthropicEmulator(), startOpenAIResponsesEmulator(), startOpenAIChatEmulator()]);
    config = testConfig([
      `  - { id: an, kind: anthropic, base_url: "${an.url}", api_key: k-0123456789 }`,
      `  - { id: or, kind: openai-responses, base_url: "${or.url}", api_key: k-0123456789 }`,
      `  - { id: oc, kind: openai-chat, base_url: "${oc.url}", api_key: k-0123456789 }`,
    ].join('\n'), `recording: { enabled: true, path: "${file}" }`);
    lip = await startLip(config);
  });
  after(async () => {
    await lip?.close();
    for (const emulator of [an, or, oc]) await emulator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records each exchange with its calls\' provider fields, callers and toolsets, and replays every one as same', async () => {
    const anthropic = new Anthropic({ baseURL: lip.url, apiKey: 'k', maxRetries: 0 });
    const openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
    const askAnthropic = (p: MessageCreateParamsNonStreaming, stream: boolean): Promise<BetaMessage> => (stream ? anthropic.beta.messages.stream(p).finalMessage() : anthropic.beta.messages.create(p));
    const askOpenAI = (p: OpenAI.Responses.ResponseCreateParamsNonStreaming, stream: boolean) => (stream ? openai.responses.stream(p as never).finalResponse() : openai.responses.create(p));
    const weather: Tool = { type: 'function', name: 'get_weather', strict: false, parameters: { type: 'object', properties: { city: { type: 'string' } } }, allowed_callers: ['programmatic'] };
    for (const stream of [false, true]) {
      or.enqueue({ toolCalls: [{ id: 'call_cu1', name: 'computer', clientItem: 'computer_call', args: JSON.stringify({ actions: ACTIONS }), safetyChecks: CHECKS }], finish: 'tool_calls' });
      const computer = await askOpenAI({ model: 'or:gpt-5.4', input: 'Look up the weather.', tools: [{ type: 'computer' } as Tool] }, stream);
      expect(computer.output.find((i) => i.type === 'computer_call')).to.deep.include({ pending_safety_checks: CHECKS });

      or.enqueue({ hosted: [PROGRAM], toolCalls: [{ id: 'call_w1', name: 'get_weather', args: '{"city":"Paris"}', caller: BY_PROGRAM }] });
      const program = await askOpenAI({ model: 'or:gpt-5.4', input: 'Weather in Paris?', tools: [{ type: 'programmatic_tool_calling' } as Tool, weather] }, stream);
      expect(program.output.map((i) => i.type)).to.deep.equal(['program', 'function_call']);

      for (const [route, upstream] of [['an:claude-sonnet-4-6', an], ['oc:gpt-4o', oc]] as const) {
        upstream.enqueue({ toolCalls: [{ id: 'toolu_1', name: 'left_click', args: '{"coordinate":[40,50]}', ...(upstream === an ? { toolset: 'computer' } : {}) }], finish: 'tool_calls' });
        const member = await askAnthropic({ model: route, max_tokens: 256, tools: [{ type: 'computer_toolset_20260801' } as never], messages: [{ role: 'user', content: 'Open the settings.' }] }, stream);
        expect(member.content.find((b) => b.type === 'tool_use'), route).to.deep.include({ name: 'left_click', toolset_name: 'computer' });
      }

      an.enqueue({ compaction: { block: COMPACTION, usage: { input: 1800, output: 120 } }, text: 'Done.', usage: { input: 300, output: 20 } });
      const compacted = await askAnthropic({
        model: 'an:claude-sonnet-4-6', max_tokens: 1024, betas: ['compact-2026-01-12'],
        context_management: { edits: [{ type: 'compact_20260112' }] }, messages: [{ role: 'user', content: 'Go on.' }],
      } as MessageCreateParamsNonStreaming, stream);
      expect(compacted.content.map((b) => b.type)).to.deep.equal(['compaction', 'text']);
    }

    const records = await eventually(() => readRecords(file), (r) => r.length >= 10);
    expect(records).to.have.length(10);
    const started = records.flatMap((r) => r.client.events.filter(([, e]) => e.type === 'tool_call_started').map(([, e]) => e as unknown as Record<string, unknown>));
    expect(started.filter((e) => e.providerFields !== undefined)).to.have.length(2);
    expect(started.filter((e) => e.caller !== undefined)).to.have.length(2);
    expect(started.filter((e) => e.toolset === 'computer')).to.have.length(2); // the anthropic upstream named it; the chat one could not
    for (const record of records) {
      const result = await replayExchange(record, config);
      expect(result.state, JSON.stringify(result).slice(0, 600)).to.equal('same');
    }
  });
});
