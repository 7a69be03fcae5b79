import { expect } from 'chai';
import { anthropicOptions, AnthropicResponseDecoder, AnthropicStreamDecoder, encodeAnthropicRequest } from '../../../lib/backends/anthropic/index.js';
import { collectEvents, emptyCall, USAGE_DIALECTS, validateSequence, type Call, type HostedToolPart, type LipEvent, type ToolDefinition } from '../../../lib/canonical/index.js';
import { anthropicProtocol, drain, startAnthropicEmulator, useEmulatedBackend, type Script } from '../../helpers/emulators/index.js';
import { decodeAnthropicFrames } from './decode-frames.js';
import { comparable, decodeBothWays, recorded } from '../decode-both-ways.js';

const HOSTED = 'anthropic.server_tool';
const o = anthropicOptions({ id: 'b', kind: 'anthropic', models: [] });
const off = anthropicOptions({ id: 'b', kind: 'anthropic', models: [], provider_options: false });
const call = (overrides: Partial<Call>): Call => emptyCall({ model: 'x', messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }], ...overrides });

const EDIT = { type: 'compact_20260112', trigger: { type: 'input_tokens', value: 50_000 }, pause_after_compaction: false };
const CLEAR = { type: 'clear_thinking_20251015', keep: 'all' };
const SUMMARY = 'The user is fixing add() in math.ts; negative numbers fail.';
const BLOCK = { type: 'compaction', content: SUMMARY, encrypted_content: 'Eo4BCkYIBxgCKkBopaque' };
const compactionPart = (block: Record<string, unknown>, summary?: string): HostedToolPart => ({ type: 'hosted_tool', dialect: HOSTED, block, compaction: summary === undefined ? {} : { summary } });

const decodeStream = decodeAnthropicFrames;
const hostedEvents = (events: LipEvent[]) => events.filter((e) => e.type === 'hosted_tool');
const lastUsage = (events: LipEvent[]) => events.filter((e) => e.type === 'usage').at(-1);

/**
 * Anthropic's server-side compaction and its advisor through an anthropic backend: the compact
 * edit, a compaction request and the advisor tool go up as written, the history's compaction and
 * advisor blocks in place; the answer's compaction block (streamed as a start without the summary
 * and one compaction_delta) and the advisor's blocks come back as hosted events carrying the
 * blocks as Anthropic wrote them, `stop_reason: "compaction"` as an `other` finish, and the
 * compaction's tokens (usage.iterations) in the usage.
 */
describe('backends/anthropic server-side compaction and the advisor', () => {
  describe('encode-request', () => {
    it('sends the compact edit in context_management as written, also without provider_options, where clearing edits alone stay a knob that switch governs', () => {
      const compacting = call({ providerOptions: { anthropic: { contextManagement: { edits: [CLEAR, EDIT] } } } });
      expect(encodeAnthropicRequest(compacting, 'claude', o).context_management).to.deep.equal({ edits: [CLEAR, EDIT] });
      expect(encodeAnthropicRequest(compacting, 'claude', off).context_management).to.deep.equal({ edits: [CLEAR, EDIT] });
      const clearing = call({ providerOptions: { anthropic: { contextManagement: { edits: [CLEAR] } } } });
      expect(encodeAnthropicRequest(clearing, 'claude', o).context_management).to.deep.equal({ edits: [CLEAR] });
      expect(encodeAnthropicRequest(clearing, 'claude', off)).to.not.have.property('context_management');
    });

    it('sends a compaction request\'s compaction as written, with or without provider_options', () => {
      const request = call({ providerOptions: { anthropic: { compaction: { type: 'summarize', instructions: 'Keep paths.' } } } });
      for (const options of [o, off]) expect(encodeAnthropicRequest(request, 'claude', options).compaction).to.deep.equal({ type: 'summarize', instructions: 'Keep paths.' });
      expect(encodeAnthropicRequest(call({}), 'claude', o)).to.not.have.property('compaction');
    });

    it('sends the history\'s compaction block as written, in a user or an assistant turn, and the advisor as declared with its blocks in place', () => {
      const advisor: ToolDefinition = { name: 'advisor', kind: 'hosted', parameters: {}, providerTool: { dialect: HOSTED, definition: { type: 'advisor_20260301', name: 'advisor', model: 'claude-opus-4-6' } } };
      const use = { type: 'server_tool_use', id: 'srvtoolu_adv1', name: 'advisor', input: {} };
      const advice = { type: 'advisor_tool_result', tool_use_id: 'srvtoolu_adv1', content: { type: 'advisor_result', text: 'Test -1 + -1.', stop_reason: 'end_turn' } };
      const body = encodeAnthropicRequest(call({
        tools: [advisor],
        messages: [
          { role: 'user', parts: [compactionPart({ ...BLOCK, cache_control: { type: 'ephemeral' } }, SUMMARY), { type: 'text', text: 'Go on.' }] },
          { role: 'assistant', parts: [{ type: 'hosted_tool', dialect: HOSTED, block: use }, { type: 'hosted_tool', dialect: HOSTED, block: advice }, { type: 'text', text: 'Fixed.' }] },
          { role: 'user', parts: [{ type: 'text', text: 'Thanks' }] },
        ],
      }), 'claude', o);
      expect(body.tools).to.deep.equal([{ type: 'advisor_20260301', name: 'advisor', model: 'claude-opus-4-6' }]);
      expect(body.messages).to.deep.equal([
        { role: 'user', content: [{ ...BLOCK, cache_control: { type: 'ephemeral' } }, { type: 'text', text: 'Go on.' }] },
        { role: 'assistant', content: [use, advice, { type: 'text', text: 'Fixed.' }] },
        { role: 'user', content: [{ type: 'text', text: 'Thanks' }] },
      ]);
    });
  });

  describe('decode-stream', () => {
    const frames = [
      { type: 'message_start', message: { id: 'msg_1', model: 'claude', usage: { input_tokens: 300, output_tokens: 1, iterations: null } } },
      { type: 'content_block_start', index: 0, content_block: { type: 'compaction', content: null, encrypted_content: null } },
      { type: 'content_block_delta', index: 0, delta: { type: 'compaction_delta', content: SUMMARY, encrypted_content: BLOCK.encrypted_content } },
      { type: 'content_block_stop', index: 0 },
      { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Fixed.' } },
      { type: 'content_block_stop', index: 1 },
      {
        type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: {
          input_tokens: 300, output_tokens: 20, cache_read_input_tokens: 100,
          iterations: [
            { type: 'compaction', input_tokens: 1800, output_tokens: 120, cache_read_input_tokens: 50, cache_creation_input_tokens: 0, cache_creation: null },
            { type: 'message', input_tokens: 300, output_tokens: 20, cache_read_input_tokens: 100, cache_creation_input_tokens: 0, cache_creation: null, model: 'claude' },
            { type: 'advisor_message', input_tokens: 4000, output_tokens: 600, cache_read_input_tokens: 0, cache_creation_input_tokens: 0, cache_creation: null, model: 'claude-opus-4-6' },
          ],
        },
      },
      { type: 'message_stop' },
    ];

    it('reports the compaction block added as it started, its compaction_delta as progress, done with the summary and encrypted content filled', () => {
      const events = decodeStream(frames);
      expect(hostedEvents(events)).to.deep.equal([
        { type: 'hosted_tool', id: 'compaction@0', dialect: HOSTED, phase: 'added', block: { type: 'compaction', content: null, encrypted_content: null } },
        { type: 'hosted_tool', id: 'compaction@0', dialect: HOSTED, phase: 'progress', update: { type: 'content_block_delta', delta: frames[2]!.delta } },
        { type: 'hosted_tool', id: 'compaction@0', dialect: HOSTED, phase: 'done', block: BLOCK },
      ]);
      const collected = collectEvents(events);
      expect(collected.blocks.map((b) => (b.type === 'hosted_tool' ? b.block : b.type))).to.deep.equal([BLOCK, 'text']);
      expect(collected.text).to.equal('Fixed.');
    });

    it('adds the compaction iterations\' tokens to the usage (Anthropic leaves them out of its top-level counts) and says how much they are, not the advisor\'s', () => {
      expect(lastUsage(decodeStream(frames))).to.deep.equal({
        type: 'usage',
        usage: {
          inputTokens: 300 + 100 + 1800 + 50, outputTokens: 20 + 120, totalTokens: 2250 + 140, cacheReadTokens: 150,
          compaction: { inputTokens: 1850, outputTokens: 120, cacheReadTokens: 50, cacheWriteTokens: 0 },
          // The iterations themselves, as written, for an Anthropic client.
          iterations: { dialect: USAGE_DIALECTS.anthropic, value: (frames[7] as { usage: { iterations: unknown[] } }).usage.iterations },
        },
      });
      const plain = decodeStream([frames[0], frames[4], frames[5], frames[6], { ...frames[7], usage: { output_tokens: 20 } }, frames[8]]);
      expect(lastUsage(plain)).to.deep.equal({ type: 'usage', usage: { inputTokens: 300, outputTokens: 20, totalTokens: 320 } });
    });

    it('a paused answer (stop_reason compaction) is an other finish with the raw value; a failed compaction\'s null content stays null', () => {
      const failed = decodeStream([
        frames[0], frames[1],
        { type: 'content_block_delta', index: 0, delta: { type: 'compaction_delta', content: null } },
        frames[3],
        { type: 'message_delta', delta: { stop_reason: 'compaction', stop_sequence: null }, usage: { output_tokens: 0 } },
        frames[8],
      ]);
      expect(hostedEvents(failed).at(-1)).to.deep.include({ phase: 'done', block: { type: 'compaction', content: null, encrypted_content: null } });
      expect(failed.at(-1)).to.deep.equal({ type: 'response_finished', reason: 'other', raw: 'compaction' });
    });

    it('reports the advisor\'s server_tool_use and advisor_tool_result as hosted events, not as a tool call of the client\'s', () => {
      const use = { type: 'server_tool_use', id: 'srvtoolu_adv1', name: 'advisor', input: {} };
      const advice = { type: 'advisor_tool_result', tool_use_id: 'srvtoolu_adv1', content: { type: 'advisor_redacted_result', encrypted_content: 'EqQBopaque', stop_reason: 'end_turn' } };
      const events = decodeStream([
        frames[0],
        { type: 'content_block_start', index: 0, content_block: use }, { type: 'content_block_stop', index: 0 },
        { type: 'content_block_start', index: 1, content_block: advice }, { type: 'content_block_stop', index: 1 },
        frames[4], frames[5], frames[6], { ...frames[7], usage: { output_tokens: 20 } }, frames[8],
      ]);
      expect(hostedEvents(events).filter((e) => e.phase === 'done').map((e) => e.block)).to.deep.equal([use, advice]);
      expect(events.filter((e) => e.type === 'tool_call_started')).to.deep.equal([]);
    });

    it('a whole answer gives the block once, done, as written, and the same usage; streamed and whole collect to the same answer', () => {
      const out: LipEvent[] = [];
      new AnthropicResponseDecoder('b', []).decode({
        id: 'msg_1', model: 'claude', content: [BLOCK, { type: 'text', text: 'Fixed.' }], stop_reason: 'end_turn',
        usage: { input_tokens: 300, output_tokens: 20, iterations: [{ type: 'compaction', input_tokens: 1800, output_tokens: 120 }, { type: 'message', input_tokens: 300, output_tokens: 20 }] },
      }, out);
      expect(validateSequence(out)).to.deep.equal([]);
      expect(hostedEvents(out)).to.deep.equal([{ type: 'hosted_tool', id: 'compaction@0', dialect: HOSTED, phase: 'done', block: BLOCK }]);
      expect(lastUsage(out)).to.deep.equal({
        type: 'usage', usage: {
          inputTokens: 2100, outputTokens: 140, totalTokens: 2240, compaction: { inputTokens: 1800, outputTokens: 120, cacheReadTokens: 0, cacheWriteTokens: 0 },
          iterations: { dialect: USAGE_DIALECTS.anthropic, value: [{ type: 'compaction', input_tokens: 1800, output_tokens: 120 }, { type: 'message', input_tokens: 300, output_tokens: 20 }] },
        },
      });
      const script: Script = { compaction: { block: BLOCK, usage: { input: 1800, output: 120 } }, text: ['Fix', 'ed.'], usage: { input: 300, output: 20 } };
      const r = decodeBothWays(anthropicProtocol, script, recorded({ model: 'm', stream: true }), () => new AnthropicStreamDecoder('b', []), () => new AnthropicResponseDecoder('b', []));
      expect(r.violations).to.deep.equal([]);
      expect(comparable(r.whole)).to.deep.equal(comparable(r.streamed));
      expect(comparable(r.streamed).blocks.map((b) => (b.type === 'hosted_tool' ? b.block : b.type))).to.deep.equal([BLOCK, 'text']);
      expect(comparable(r.streamed).usage).to.deep.include({ inputTokens: 2100, outputTokens: 140 });
    });
  });

  describe('a paused turn of web search', () => {
    const up = useEmulatedBackend(startAnthropicEmulator, (url) => `  - { id: a, kind: anthropic, base_url: "${url}", api_key: k-0123456789 }`, 'a');

    it('is not continued upstream when the call asks for server-side compaction: the Anthropic client gets the pause and continues itself', async () => {
      up.emulator().enqueue({ compaction: { block: BLOCK }, searches: [{ query: 'q', results: [] }], text: 'Paused. ', rawFinish: 'pause_turn' }, { text: 'Continued.' });
      const given = call({ tools: [{ name: 'web_search', kind: 'web_search', parameters: {} }], providerOptions: { anthropic: { contextManagement: { edits: [EDIT] } } } });
      const { events, error } = await drain(up.backend().stream(given, { model: 'm', candidateKey: 'a:m' }));
      expect(error).to.equal(undefined);
      expect(up.emulator().requests).to.have.length(1);
      expect(events.at(-1)).to.deep.equal({ type: 'response_finished', reason: 'other', raw: 'pause_turn' });
    });
  });
});
