import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import OpenAI from 'openai';
import { chatUpstreamConfig, testConfig } from '../helpers/config.js';
import { startAnthropicEmulator, startOpenAIChatEmulator, type Emulator, type RecordedRequest, type Script } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const SECRET = 'compaction-diagnostics-secret';
const STATE = {
  plan: [{ step: 'made up by the extractor', status: 'pending' }],
  decisions: [{ statement: 'Keep add() synchronous', rationale: 'the callers are synchronous' }],
  constraints: ['Do not touch package.json'],
  rejected_alternatives: [{ statement: 'Switch to BigInt' }],
  open_questions: ['Should subtract() get the same fix?'],
};

/** The extractor route answers the state; the main route answers text. */
function answer(req: RecordedRequest): Script {
  if (req.model === 'extractor') return { text: `\`\`\`json\n${JSON.stringify(STATE)}\n\`\`\`` };
  return { text: 'Summary: add() is being fixed.' };
}

/** The system text the upstream saw (a Chat request: its system messages). */
const systemOf = (req: RecordedRequest): string => (req.body.messages as { role: string; content: unknown }[])
  .filter((m) => m.role === 'system').map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content))).join('\n');
const stateOf = (req: RecordedRequest): Record<string, unknown> | undefined => {
  const system = systemOf(req);
  const at = system.indexOf('<lip-continuity version="1">');
  return at < 0 ? undefined : JSON.parse(system.slice(at).split('\n')[2]!) as Record<string, unknown>;
};

/**
 * compaction-continuity through the official SDKs, against the upstream emulator (which serves
 * both the main route and the extractor route): Claude Code's /compact over the Anthropic SDK
 * (its session in `metadata.user_id`), and Codex CLI's `responses.compact` over the OpenAI SDK
 * (its conversation in `prompt_cache_key`). After the compaction, the next request of the same
 * conversation reaches the upstream with the kept state at the end of its system prompt; another
 * conversation's does not.
 */
describe('e2e: compaction-continuity through the official SDKs', function () {
  this.timeout(30_000);
  let upstream: Emulator;
  let lip: RunningLip;
  before(async () => {
    upstream = await startOpenAIChatEmulator();
    upstream.handler = answer;
    lip = await startLip(chatUpstreamConfig(upstream.url, [
      `diagnostics: { enabled: true, shared_secret: "${SECRET}" }`,
      'observability: { metrics: { enabled: true, path: /metrics } }',
      'features:',
      '  - { id: compaction-continuity, config: { extractor: { route: "up:extractor", timeout: 10s }, barrier: { timeout: 10s } } }',
    ]));
  });
  after(async () => {
    await lip?.close();
    await upstream?.close();
  });
  beforeEach(() => upstream.reset());

  const mains = () => upstream.requests.filter((r) => r.model !== 'extractor');
  const extractions = () => upstream.requests.filter((r) => r.model === 'extractor');

  describe('Claude Code over the Anthropic SDK', () => {
    const client = () => new Anthropic({ baseURL: lip.url, apiKey: 'k', maxRetries: 0 });
    const session = (id: string) => ({ user_id: `user_0123abcd_account_acc-1_session_${id}` });
    const tools: Anthropic.Tool[] = [{ name: 'TodoWrite', description: 'Write the todo list', input_schema: { type: 'object', properties: { todos: { type: 'array' } } } }];
    const history: Anthropic.MessageParam[] = [
      { role: 'user', content: 'Fix add() in math.ts. Do not touch package.json.' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'TodoWrite', input: { todos: [{ content: 'Reproduce the bug', status: 'completed', activeForm: 'Reproducing' }, { content: 'Fix add()', status: 'in_progress', activeForm: 'Fixing' }] } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'Todos updated' }] },
      { role: 'assistant', content: 'Keeping add() synchronous, as you asked.' },
    ];
    const compactPrompt = 'CRITICAL: Respond with TEXT ONLY. Do NOT call any tools.\n\nYour task is to create a detailed summary of the conversation so far, paying close attention to the user\'s explicit requests and your previous actions.';

    it('/compact streams as usual; the next request of the session carries the plan (from TodoWrite) and the extracted decisions', async () => {
      const sdk = client();
      await sdk.messages.create({ model: 'up:chat', max_tokens: 200, metadata: session('S1'), tools, messages: history });
      expect(stateOf(mains()[0]!), 'nothing kept before the compaction').to.equal(undefined);

      const stream = sdk.messages.stream({ model: 'up:chat', max_tokens: 2_000, metadata: session('S1'), system: 'You are a helpful AI assistant tasked with summarizing conversations.', messages: [...history, { role: 'user', content: compactPrompt }] });
      expect(await stream.finalText()).to.equal('Summary: add() is being fixed.');
      expect(stateOf(mains()[1]!), 'the compaction request is sent as the client wrote it').to.equal(undefined);

      const next = await sdk.messages.create({ model: 'up:chat', max_tokens: 200, metadata: session('S1'), tools, messages: [{ role: 'user', content: 'This session is being continued from a previous conversation. Summary: add() is being fixed.' }, { role: 'user', content: 'Continue.' }] });
      expect(next.content[0]).to.deep.include({ type: 'text' });
      expect(stateOf(mains()[2]!)).to.deep.equal({
        revision: 1,
        plan: [{ step: 'Reproduce the bug', status: 'completed' }, { step: 'Fix add()', status: 'in_progress' }],
        decisions: STATE.decisions, constraints: STATE.constraints, rejected_alternatives: STATE.rejected_alternatives, open_questions: STATE.open_questions,
      });
      expect(extractions()).to.have.length(1);
      const transcript = JSON.stringify(extractions()[0]!.body.messages);
      expect(transcript).to.contain('Do not touch package.json.');
      expect(transcript, 'the compaction prompt is not in the transcript').to.not.contain('Respond with TEXT ONLY');

      await sdk.messages.create({ model: 'up:chat', max_tokens: 200, metadata: session('S2'), tools, messages: [{ role: 'user', content: 'Another task.' }] });
      expect(stateOf(mains()[3]!), 'another session').to.equal(undefined);
    });
  });

  describe('Codex CLI over the OpenAI SDK (responses.compact)', () => {
    const client = () => new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
    const input: OpenAI.Responses.ResponseInputItem[] = [
      { role: 'user', content: 'Fix add(); keep it synchronous and leave package.json alone.' },
      { type: 'function_call', call_id: 'call_1', name: 'update_plan', arguments: JSON.stringify({ plan: [{ step: 'Find the bug', status: 'completed' }, { step: 'Patch add()', status: 'in_progress' }] }) },
      { type: 'function_call_output', call_id: 'call_1', output: 'Plan updated' },
    ];

    it('the compacted conversation\'s next turn carries the kept state; the compaction item itself is untouched', async () => {
      const sdk = client();
      const compacted = await sdk.responses.compact({ model: 'up:chat', input, prompt_cache_key: 'codex-conv-1' } as never) as unknown as { output: OpenAI.Responses.ResponseInputItem[] };
      const next = await sdk.responses.create({ model: 'up:chat', prompt_cache_key: 'codex-conv-1', input: [...compacted.output, { role: 'user', content: 'Continue.' }] });
      expect(next.output_text).to.equal('Summary: add() is being fixed.');
      const state = stateOf(mains()[1]!)!;
      expect(state.plan).to.deep.equal([{ step: 'Find the bug', status: 'completed' }, { step: 'Patch add()', status: 'in_progress' }]);
      expect(state.constraints).to.deep.equal(STATE.constraints);

      await sdk.responses.create({ model: 'up:chat', prompt_cache_key: 'codex-conv-2', input: 'Another conversation.' });
      expect(stateOf(mains()[2]!)).to.equal(undefined);
    });
  });

  describe('on an Anthropic backend, with the client\'s prompt-cache breakpoints', () => {
    let claude: Emulator;
    let lip2: RunningLip;
    before(async () => {
      claude = await startAnthropicEmulator();
      lip2 = await startLip(testConfig([
        `  - { id: claude, kind: anthropic, base_url: "${claude.url}", api_key: claude-key-0123456789 }`,
        `  - { id: up, kind: openai-chat, base_url: "${upstream.url}", api_key: "k" }`,
      ].join('\n'), 'features:\n  - { id: compaction-continuity, config: { extractor: { route: "up:extractor" }, barrier: { timeout: 10s } } }'));
    });
    after(async () => {
      await lip2?.close();
      await claude?.close();
    });

    it('the state goes after the client\'s own system blocks, whose cache_control stays as sent', async () => {
      const sdk = new Anthropic({ baseURL: lip2.url, apiKey: 'k', maxRetries: 0 });
      const eph = { type: 'ephemeral' as const };
      const system = [{ type: 'text' as const, text: 'You are a coding agent.', cache_control: eph }];
      const metadata = { user_id: 'user_1_account_2_session_CACHE' };
      await sdk.messages.create({ model: 'claude:claude-sonnet-4-6', max_tokens: 100, metadata, system: 'You summarise.', messages: [
        { role: 'user', content: 'Fix add(); keep it synchronous.' }, { role: 'assistant', content: 'Sure.' },
        { role: 'user', content: 'CRITICAL: Respond with TEXT ONLY. Do NOT call any tools.\n\nYour task is to create a detailed summary of the conversation so far.' },
      ] });
      await sdk.messages.create({ model: 'claude:claude-sonnet-4-6', max_tokens: 100, metadata, system, messages: [{ role: 'user', content: [{ type: 'text', text: 'Continue.', cache_control: eph }] }] });
      const sent = claude.requests.at(-1)!.body as { system: { type: string; text: string; cache_control?: unknown }[]; messages: { content: { cache_control?: unknown }[] }[] };
      expect(sent.system).to.have.length(2);
      expect(sent.system[0]).to.deep.equal({ type: 'text', text: 'You are a coding agent.', cache_control: eph });
      expect(sent.system[1]!.text.startsWith('<lip-continuity version="1">')).to.equal(true);
      expect(sent.system[1]!.text).to.contain('Keep add() synchronous');
      expect(sent.system[1]).to.not.have.property('cache_control');
      expect(sent.messages[0]!.content[0]!.cache_control).to.deep.equal(eph);
    });
  });

  describe('diagnostics (after the conversations above)', () => {
    it('GET /admin/compaction-continuity and lip_compaction_continuity_total: counts and posture behind the secret, never content', async () => {
      const get = (secret?: string) => fetch(`${lip.url}/admin/compaction-continuity`, { headers: secret ? { 'x-lip-diagnostics-secret': secret } : {} });
      expect((await get()).status).to.equal(403);
      const body = await (await get(SECRET)).json() as Record<string, any>;
      expect(body.extractor).to.deep.equal({ enabled: true, route: 'up:extractor', inherit: false });
      expect(body.capsules).to.be.at.least(2);
      expect(body.boundaries).to.include.keys('claude-code.compact.v1', 'lip.responses-compact.v1');
      expect(body.events.extracted).to.be.at.least(2);
      const text = JSON.stringify(body);
      expect(text).to.not.contain('package.json');
      expect(text).to.not.contain('codex-conv-1');
      const metrics = await (await fetch(`${lip.url}/metrics`, { headers: { 'x-lip-diagnostics-secret': SECRET } })).text();
      expect(metrics).to.match(/lip_compaction_continuity_total\{event="injected"\} [1-9]/);
      expect(metrics).to.match(/lip_compaction_continuity_total\{event="boundary"\} [1-9]/);
    });
  });
});
