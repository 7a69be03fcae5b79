import { expect } from 'chai';
import { lastValueFrom, toArray } from 'rxjs';
import type { Backend } from '../../../../lib/backends/backend.js';
import { emptyCall, type Call, type Message } from '../../../../lib/canonical/index.js';
import { runtimeWith, type Runtime } from '../../../../lib/core/runtime.js';
import { LipError } from '../../../../lib/errors/index.js';
import { BLOCK_OPEN, COMPACTION_CONTINUITY, CONTINUITY_BRANCHES, type ContinuityEvent } from '../../../../lib/extensions/features/compaction-continuity/index.js';
import { testConfig } from '../../../helpers/config.js';
import { ScriptedBackend, type ScriptStep } from '../../../helpers/scripted-backend.js';

const text = (t: string): ScriptStep[] => [{ type: 'response_started' }, { type: 'message_started' }, { type: 'text_delta', text: t }, { type: 'response_finished', reason: 'stop' }];
const STATE = {
  plan: [{ step: 'Fix add()', status: 'in_progress' }],
  decisions: [{ statement: 'Keep the public API unchanged', rationale: 'callers depend on it' }],
  constraints: ['No new dependencies'], rejected_alternatives: [{ statement: 'Rewrite in Rust' }], open_questions: [],
};

const user = (t: string): Message => ({ role: 'user', parts: [{ type: 'text', text: t }] });
const assistant = (t: string): Message => ({ role: 'assistant', parts: [{ type: 'text', text: t }] });
const todo: Message = { role: 'assistant', parts: [{ type: 'tool_call', id: 't1', name: 'TodoWrite', arguments: JSON.stringify({ todos: [{ content: 'Write the test', status: 'completed' }, { content: 'Fix add()', status: 'in_progress' }] }) }] };
const todoDone: Message = { role: 'tool', parts: [{ type: 'tool_result', callId: 't1', content: 'ok' }] };
const TOOLS = [{ name: 'TodoWrite', parameters: { type: 'object' } }];
const conversation: Message[] = [user('Fix add() in math.ts; do not add dependencies.'), assistant('I will keep the API as it is.'), user('Yes, keep the API unchanged.'), todo, todoDone, assistant('Working on it.')];
const COMPACT_PROMPT = 'CRITICAL: Respond with TEXT ONLY. Do NOT call any tools.\n\nYour task is to create a detailed summary of the conversation so far.';

const counts = () => new Map(COMPACTION_CONTINUITY);
/** Waits (generously: the machine may be busy) for background work to show; fails the test if it never does. */
const until = async (done: () => boolean, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('the background work did not happen in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};
const added = (before: Map<ContinuityEvent, number>, event: ContinuityEvent) => (COMPACTION_CONTINUITY.get(event) ?? 0) - (before.get(event) ?? 0);
const blockOf = (call: Call) => call.system.map((p) => p.text).find((t) => t.startsWith(BLOCK_OPEN));
const stateIn = (block: string) => JSON.parse(block.split('\n')[2]!) as Record<string, unknown>;

describe('compaction-continuity: in the executor', () => {
  const open: Runtime[] = [];
  afterEach(async () => { for (const r of open.splice(0)) await r.close(); });
  beforeEach(() => CONTINUITY_BRANCHES.clear());
  after(() => CONTINUITY_BRANCHES.clear());

  const make = (featureConfig = 'extractor: { route: "s:extractor" }', scripts: Record<string, readonly ScriptStep[]> = {}) => {
    const backend = new ScriptedBackend('s', new Map(Object.entries({ main: text('ok'), extractor: text(JSON.stringify(STATE)), ...scripts })));
    const config = testConfig('  - { id: s, kind: localstub }', ['routing: { default_route: "s:main" }', 'features:', `  - { id: compaction-continuity, config: { ${featureConfig} } }`].join('\n'));
    const runtime = runtimeWith(config, new Map<string, Backend>([['s', backend]]));
    open.push(runtime);
    const mains = () => backend.calls.filter((c) => c.target.model !== 'extractor' && !c.target.model.includes('extractor'));
    const extractions = () => backend.calls.filter((c) => c.target.model.includes('extractor'));
    return { runtime, backend, mains, extractions };
  };
  const run = (runtime: Runtime, call: Call, principal = 'alice') => lastValueFrom(runtime.executor.execute(call, { requestId: `r${Math.random()}`, meta: {}, principal }).pipe(toArray()));
  const turn = (messages: Message[], extra: Partial<Call> = {}) => emptyCall({ model: 's:main', user: 'session-1', tools: TOOLS, messages, ...extra });
  const compaction = (extra: Partial<Call> = {}) => emptyCall({ model: 's:main', user: 'session-1', messages: [...conversation, user(COMPACT_PROMPT)], ...extra });
  const afterCompaction = (extra: Partial<Call> = {}) => turn([user('Summary: fixing add().'), user('go on')], extra);

  it('after a compaction, every later request of the conversation carries the extracted state at the end of its system prompt', async () => {
    const { runtime, mains, extractions } = make();
    const before = counts();
    await run(runtime, turn(conversation));
    expect(blockOf(mains()[0]!.call), 'nothing kept yet').to.equal(undefined);
    await run(runtime, compaction());
    expect(blockOf(mains()[1]!.call), 'not into the compaction request itself').to.equal(undefined);
    await run(runtime, afterCompaction());
    const block = blockOf(mains()[2]!.call)!;
    expect(block, 'the state is in the next request').to.be.a('string');
    expect(stateIn(block)).to.deep.equal({
      revision: 1,
      plan: [{ step: 'Write the test', status: 'completed' }, { step: 'Fix add()', status: 'in_progress' }], // the agent's own TodoWrite, not the extracted plan
      decisions: STATE.decisions, constraints: STATE.constraints, rejected_alternatives: STATE.rejected_alternatives, open_questions: [],
    });
    await run(runtime, turn([user('Summary: fixing add().'), user('go on'), assistant('done'), user('and now?')]));
    expect(blockOf(mains()[3]!.call), 'and the one after').to.equal(block);
    expect(extractions()).to.have.length(1);
    const asked = extractions()[0]!.call;
    const input = asked.messages[0]!.parts.map((p) => (p.type === 'text' ? p.text : '')).join('');
    expect(input).to.contain('[user] Fix add() in math.ts; do not add dependencies.');
    expect(input).to.contain('[user] Yes, keep the API unchanged.');
    expect(input, 'the agent\'s compaction prompt is not part of the transcript').to.not.contain('Respond with TEXT ONLY');
    expect(input).to.contain('The assistant\'s own latest plan');
    expect(asked.options.maxOutputTokens).to.equal(2_000);
    expect(asked.system[0]!.text).to.contain('answer with one JSON object');
    expect([added(before, 'boundary'), added(before, 'extracted'), added(before, 'structured_plan'), added(before, 'injected')]).to.deep.equal([1, 1, 1, 2]);
  });

  it('the client\'s call is not changed; another conversation, and the same conversation key under another principal, get nothing', async () => {
    const { runtime, mains } = make();
    await run(runtime, compaction());
    const mine = afterCompaction();
    await run(runtime, mine);
    expect(blockOf(mine), 'the client\'s own call object').to.equal(undefined);
    expect(blockOf(mains()[1]!.call)).to.be.a('string');
    await run(runtime, afterCompaction({ user: 'session-2' }));
    expect(blockOf(mains()[2]!.call)).to.equal(undefined);
    await run(runtime, afterCompaction(), 'mallory');
    expect(blockOf(mains()[3]!.call)).to.equal(undefined);
  });

  it('names the conversation by its prompt-cache key as well (Codex CLI)', async () => {
    const { runtime, mains } = make();
    const codex = (messages: Message[]) => emptyCall({ model: 's:main', messages, providerOptions: { openai: { promptCacheKey: 'conv-9' } } });
    await run(runtime, codex([...conversation, user('You are performing a CONTEXT CHECKPOINT COMPACTION. Create a handoff summary.')]));
    await run(runtime, codex([user('handoff summary'), user('continue')]));
    expect(stateIn(blockOf(mains()[1]!.call)!).constraints).to.deep.equal(['No new dependencies']);
  });

  it('a compaction request that fails starts no extraction', async () => {
    const { runtime, extractions } = make('extractor: { route: "s:extractor" }', { broken: [{ fail: new LipError('LIP_ERR_UPSTREAM_STATUS', 'bad request', { retryable: false, status: 400 }) }] });
    await run(runtime, compaction({ model: 's:broken' })).catch(() => undefined);
    await run(runtime, afterCompaction());
    expect(extractions()).to.have.length(0);
  });

  it('fail-open: an extraction that fails or answers nonsense leaves the conversation with what it had (here, the agent\'s own plan)', async () => {
    for (const [name, script, event] of [
      ['broken-extractor', [{ fail: new LipError('LIP_ERR_UPSTREAM_STATUS', 'down', { retryable: false, status: 500 }) }], 'extraction_failed'],
      ['silly-extractor', text('I cannot do that.'), 'extraction_invalid'],
    ] as const) {
      CONTINUITY_BRANCHES.clear();
      const { runtime, mains } = make(`extractor: { route: "s:${name}" }`, { [name]: script });
      const before = counts();
      await run(runtime, compaction());
      const served = await run(runtime, afterCompaction());
      expect(served.some((e) => e.type === 'response_finished'), 'the request is served').to.equal(true);
      expect(stateIn(blockOf(mains()[1]!.call)!)).to.deep.include({ plan: [{ step: 'Write the test', status: 'completed' }, { step: 'Fix add()', status: 'in_progress' }], decisions: [] });
      expect(added(before, event), event).to.equal(1);
      await runtime.close();
    }
  });

  it('the next request waits for a running extraction only up to barrier.timeout; a later one gets the result', async () => {
    const slow: ScriptStep[] = [{ delayMs: 300 }, ...text(JSON.stringify(STATE))];
    const { runtime, mains } = make('extractor: { route: "s:slow-extractor" }, barrier: { timeout: 20ms }, preserve: { plan: false }', { 'slow-extractor': slow });
    const before = counts();
    await run(runtime, compaction());
    await run(runtime, afterCompaction());
    expect(blockOf(mains()[1]!.call), 'not waited for').to.equal(undefined);
    expect(added(before, 'barrier_timeout')).to.equal(1);
    await until(() => added(before, 'extracted') === 1);
    await run(runtime, afterCompaction());
    expect(stateIn(blockOf(mains()[2]!.call)!).decisions).to.deep.equal(STATE.decisions);
  });

  it('the history heuristic: a large conversation that shrank is extracted from the request before it, and the state goes into this one', async () => {
    const { runtime, mains, extractions } = make('extractor: { route: "s:extractor" }, preserve: { plan: false }');
    const big = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? user(`step ${i} ${'x'.repeat(1_000)}`) : assistant(`did ${i} ${'y'.repeat(1_000)}`)));
    const before = counts();
    await run(runtime, turn(big));
    await run(runtime, turn([user('(a summary the client wrote)'), ...big.slice(-4), user('next')]));
    expect(extractions()).to.have.length(1);
    const input = extractions()[0]!.call.messages[0]!.parts.map((p) => (p.type === 'text' ? p.text : '')).join('');
    expect(input).to.contain('step 0 x');
    expect(stateIn(blockOf(mains()[1]!.call)!).decisions).to.deep.equal(STATE.decisions);
    expect(added(before, 'boundary')).to.equal(1);
    await run(runtime, turn([user('(a summary the client wrote)'), ...big.slice(-4), user('next'), assistant('ok'), user('more')]));
    expect(extractions(), 'no second boundary').to.have.length(1);
  });

  it('a provider\'s compaction record in the history (server-side compaction): extracted from the request before, once per record', async () => {
    const { runtime, mains, extractions } = make('extractor: { route: "s:extractor" }, preserve: { plan: false }');
    const record = (id: string): Message => ({ role: 'assistant', parts: [{ type: 'hosted_tool', dialect: 'x', block: { type: 'compaction', id, encrypted_content: 'gAAA' }, compaction: {} }] });
    const before = counts();
    await run(runtime, turn(conversation));
    await run(runtime, turn([record('cmp_1'), user('go on')]));
    expect(extractions()).to.have.length(1);
    expect(JSON.stringify(extractions()[0]!.call.messages)).to.contain('Fix add() in math.ts');
    expect(stateIn(blockOf(mains()[1]!.call)!).constraints).to.deep.equal(STATE.constraints);
    await run(runtime, turn([record('cmp_1'), user('go on'), assistant('ok'), user('more')]));
    expect(extractions(), 'the same record: no new boundary').to.have.length(1);
    await run(runtime, turn([record('cmp_2'), user('again')]));
    expect(extractions(), 'a new record').to.have.length(2);
    expect(added(before, 'boundary')).to.equal(2);
  });

  it('without a conversation to name (no session, no key, no user) nothing happens; branch: [principal] names one per API key', async () => {
    const { runtime, mains, extractions } = make();
    const before = counts();
    await run(runtime, compaction({ user: undefined }));
    await run(runtime, afterCompaction({ user: undefined }));
    expect(extractions()).to.have.length(0);
    expect(blockOf(mains()[1]!.call)).to.equal(undefined);
    expect(added(before, 'no_branch')).to.equal(2);
    await runtime.close();
    const principal = make('extractor: { route: "s:extractor" }, branch: [principal]');
    await run(principal.runtime, compaction({ user: undefined }));
    await run(principal.runtime, afterCompaction({ user: undefined }));
    expect(blockOf(principal.mains()[1]!.call)).to.be.a('string');
  });

  it('extractor.enabled: false keeps the agent\'s own plan without any model call', async () => {
    const { runtime, mains, extractions } = make('extractor: { enabled: false }');
    await run(runtime, compaction());
    await run(runtime, afterCompaction());
    expect(extractions()).to.have.length(0);
    expect(stateIn(blockOf(mains()[1]!.call)!)).to.deep.include({ plan: [{ step: 'Write the test', status: 'completed' }, { step: 'Fix add()', status: 'in_progress' }], decisions: [] });
  });

  it('extractor.inherit sends the extraction where the request went', async () => {
    const { runtime, backend } = make('extractor: { inherit: true }');
    await run(runtime, compaction());
    const asked = () => backend.calls.find((c) => c.call.system[0]?.text.includes('answer with one JSON object'));
    await until(() => asked() !== undefined);
    const extraction = asked();
    expect(extraction?.target.model).to.equal('main');
  });

  it('rejects configurations it cannot serve, naming the key (when the config loads)', () => {
    const build = (cfg: string) => () => make(cfg);
    expect(build('')).to.throw(/features\[0\]\.config\.extractor: name the route the extraction is sent to/);
    expect(build('extractor: { route: "s:x", inherit: true }')).to.throw(/extractor: route and inherit: true exclude each other/);
    expect(build('extractor: { enabled: false }, worker: { max_concurrency: 500 }')).to.throw(/features\[0\]\.config\.worker\.max_concurrency: must be at most 128 \(got 500\)/);
    expect(build('extractor: { enabled: false }, barrier: { timeout: 25h }')).to.throw(/barrier\.timeout: must be at most 24h \(got 25h\)/);
    expect(build('extractor: { enabled: false }, source: { max_bytes: 8MiB, max_total_bytes: 4MiB }')).to.throw(/source\.max_total_bytes: must be at least source\.max_bytes \(8MiB\)/);
    expect(build('extractor: { enabled: false }, preserve: { plan: false, user_decisions: false, constraints: false, rationale: false, rejected_alternatives: false, open_questions: false }')).to.throw(/keep at least one thing/);
  });
});
