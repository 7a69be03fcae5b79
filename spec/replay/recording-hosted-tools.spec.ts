import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import type { Config } from '../../lib/config/index.js';
import { replayExchange } from '../../lib/replay/replay-exchange.js';
import { testConfig } from '../helpers/config.js';
import { startAnthropicEmulator, startGeminiEmulator, startOpenAIResponsesEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { eventually, readRecords } from './recording-helpers.js';

const SERVER_TOOL_USE = { type: 'server_tool_use', id: 'srvtoolu_01Rec', name: 'bash_code_execution', input: { command: 'ls | wc -l' } };
const RESULT = { type: 'bash_code_execution_tool_result', tool_use_id: 'srvtoolu_01Rec', content: { type: 'bash_code_execution_result', stdout: '3\n', stderr: '', return_code: 0, content: [] } };
const CONTAINER = { id: 'container_011Rec', expires_at: '2026-12-05T01:00:00.000Z' };
const CI_ITEM = { id: 'ci_rec1', type: 'code_interpreter_call', status: 'completed', container_id: 'cntr_rec', code: 'print(2**10)\n', outputs: null };
const CODE_PART = { executableCode: { language: 'PYTHON', code: 'print(2 ** 10)' } };
const RESULT_PART = { codeExecutionResult: { outcome: 'OUTCOME_OK', output: '1024\n' } };

/**
 * Hosted tools in recordings: each protocol's hosted tool exchange, served through its official
 * SDK, streamed and not, is recorded with its `hosted_tool` events and replays (substitute mode)
 * as `same`: the blocks, items and parts the client saw come back from the recording alone.
 */
describe('recording: hosted tools round trip (serve -> file -> replay)', function () {
  this.timeout(60_000);
  let an: Emulator;
  let or: Emulator;
  let gem: Emulator;
  let lip: RunningLip;
  let dir: string;
  let file: string;
  let config: Config;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lip-rec-hosted-'));
    file = join(dir, 'traffic.jsonl');
    [an, or, gem] = await Promise.all([startAnthropicEmulator(), startOpenAIResponsesEmulator(), startGeminiEmulator()]);
    config = testConfig([
      `  - { id: an, kind: anthropic, base_url: "${an.url}", api_key: k-0123456789 }`,
      `  - { id: or, kind: openai-responses, base_url: "${or.url}", api_key: k-0123456789 }`,
      `  - { id: gem, kind: gemini, base_url: "${gem.url}", api_key: k-0123456789 }`,
    ].join('\n'), `recording: { enabled: true, path: "${file}" }`);
    lip = await startLip(config);
  });
  after(async () => {
    await lip?.close();
    for (const emulator of [an, or, gem]) await emulator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records each protocol\'s hosted tool blocks and replays every exchange as same', async () => {
    const anthropic = new Anthropic({ baseURL: lip.url, apiKey: 'k', maxRetries: 0 });
    const openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
    const google = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: lip.url, apiVersion: 'v1beta' } });
    for (const stream of [false, true]) {
      an.enqueue({ hosted: [SERVER_TOOL_USE, RESULT], text: ['There are ', '3 files.'], hostedMeta: CONTAINER });
      const params: Anthropic.MessageCreateParamsNonStreaming = {
        model: 'an:claude-sonnet-4-6', max_tokens: 256, tools: [{ type: 'code_execution_20250825', name: 'code_execution' }], messages: [{ role: 'user', content: 'How many files?' }],
      };
      const message = stream ? await anthropic.messages.stream(params).finalMessage() : await anthropic.messages.create(params);
      expect(message.content.map((b) => b.type)).to.deep.equal(['server_tool_use', 'bash_code_execution_tool_result', 'text']);

      or.enqueue({ hosted: [CI_ITEM], text: '1024.' });
      const request = { model: 'or:gpt-5.4', input: 'What is 2**10?', tools: [{ type: 'code_interpreter' as const, container: { type: 'auto' as const } }] };
      const response = stream ? await openai.responses.stream(request).finalResponse() : await openai.responses.create(request);
      expect(response.output.map((item) => item.type)).to.deep.equal(['code_interpreter_call', 'message']);

      gem.enqueue({ hosted: [CODE_PART, RESULT_PART], text: '1024.' });
      const ask = { model: 'gem:gemini-2.5-flash', contents: 'What is 2**10?', config: { tools: [{ codeExecution: {} }] } };
      const parts = [];
      if (stream) for await (const chunk of await google.models.generateContentStream(ask)) parts.push(...chunk.candidates?.[0]?.content?.parts ?? []);
      else parts.push(...(await google.models.generateContent(ask)).candidates?.[0]?.content?.parts ?? []);
      expect(parts.filter((p) => p.executableCode !== undefined || p.codeExecutionResult !== undefined)).to.have.length(2);
    }

    const records = await eventually(() => readRecords(file), (r) => r.length >= 6);
    expect(records.map((r) => r.frontend).sort()).to.deep.equal(['anthropic', 'anthropic', 'gemini', 'gemini', 'openai-responses', 'openai-responses']);
    for (const record of records) {
      const hosted = record.client.events.filter(([, e]) => e.type === 'hosted_tool');
      expect(hosted.length, record.frontend).to.be.greaterThan(0);
      const result = await replayExchange(record, config);
      expect(result.state, JSON.stringify(result).slice(0, 600)).to.equal('same');
    }
  });
});
