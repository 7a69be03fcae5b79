import { expect } from 'chai';
import { COMPACTION_INSTRUCTION, COMPACTION_PREAMBLE, emptyCall, type Call, type Message } from '../../../../lib/canonical/index.js';
import {
  BLOCK_CLOSE, BLOCK_OPEN, BranchStore, capsuleOf, compactedSince, fingerprintOf, JobQueue, markerRule, nextCapsule, parseExtraction, planFromCarriers, postMarkerOf,
  renderBlock, startRuleOf, transcriptOf, type Capsule, type Preserve,
} from '../../../../lib/extensions/features/compaction-continuity/index.js';

const user = (text: string): Message => ({ role: 'user', parts: [{ type: 'text', text }] });
const assistant = (text: string): Message => ({ role: 'assistant', parts: [{ type: 'text', text }] });
const history = (n: number, size = 10): Message[] => Array.from({ length: n }, (_, i) => (i % 2 === 0 ? user(`question ${i} ${'q'.repeat(size)}`) : assistant(`answer ${i} ${'a'.repeat(size)}`)));
const ALL: Preserve = { plan: true, user_decisions: true, constraints: true, rationale: true, rejected_alternatives: true, open_questions: true };

/** The agents' compaction prompts, as they send them (the parts the signatures read). */
const PROMPTS: Record<string, { system?: string; last: string; tools?: boolean }> = {
  'codex.checkpoint.v1': { last: 'You are performing a CONTEXT CHECKPOINT COMPACTION. Create a handoff summary for another LLM that will resume the task.\n\nInclude:\n- Current progress and key decisions made', tools: true },
  'claude-code.compact.v1': {
    system: 'You are a helpful AI assistant tasked with summarizing conversations.',
    last: 'CRITICAL: Respond with TEXT ONLY. Do NOT call any tools.\n\nYour task is to create a detailed summary of the conversation so far, paying close attention to the user\'s explicit requests and your previous actions.',
  },
  'pi.summary.v1': { last: '<conversation>\n[User]: fix the parser\n[Assistant]: done\n</conversation>\n\nSummarize the conversation above as a structured checkpoint another model can continue from.' },
  'gemini-cli.state-snapshot.v2': { system: 'You are the component that summarizes internal chat history into a given structure.', last: 'First, reason in your scratchpad. Then, generate the <state_snapshot>.', tools: true },
  'roo-code.condense.v1': { last: 'Your task is to condense this conversation: write a summary of the conversation so far.' },
};

describe('compaction-continuity: detecting a compaction', () => {
  for (const [rule, prompt] of Object.entries(PROMPTS)) {
    it(`recognises ${rule} from the request that asks for the summary`, () => {
      const call = emptyCall({
        system: prompt.system !== undefined ? [{ type: 'text', text: prompt.system }] : [],
        messages: [...history(6), user(prompt.last)],
        ...(prompt.tools ? { tools: [{ name: 'shell', parameters: { type: 'object' } }] } : {}),
      });
      expect(startRuleOf(call)).to.equal(rule);
      expect(startRuleOf(call, false), 'signatures off').to.equal(undefined);
    });
  }

  it('recognises lip\'s own /responses/compact and a provider\'s compaction request, even with signatures off', () => {
    expect(startRuleOf(emptyCall({ messages: [...history(4), user(COMPACTION_INSTRUCTION)] }), false)).to.equal('lip.responses-compact.v1');
    expect(startRuleOf(emptyCall({ messages: history(3), providerOptions: { openai: { compactionTrigger: true } } }), false)).to.equal('protocol.compaction-request.v1');
    expect(startRuleOf(emptyCall({ messages: history(3), providerOptions: { anthropic: { compaction: { type: 'summarize' } } } }), false)).to.equal('protocol.compaction-request.v1');
  });

  it('Claude Code\'s prompt with the conversation\'s tools offered (and forbidden in the prompt) is one too', () => {
    const claude = PROMPTS['claude-code.compact.v1']!;
    expect(startRuleOf(emptyCall({ messages: [...history(4), user(claude.last)], tools: [{ name: 'Read', parameters: { type: 'object' } }] }))).to.equal('claude-code.compact.v3');
  });

  it('does not take an ordinary request, nor a text-only summary asked with tools offered and not forbidden, for a compaction', () => {
    expect(startRuleOf(emptyCall({ messages: [...history(4), user('please summarise the README for me')] }))).to.equal(undefined);
    expect(startRuleOf(emptyCall({ messages: [...history(4), user('Give me a TEXT ONLY summary of the conversation so far.')], tools: [{ name: 'Read', parameters: { type: 'object' } }] }))).to.equal(undefined);
    expect(startRuleOf(emptyCall({ messages: [...history(4), assistant('CONTEXT CHECKPOINT COMPACTION')] })), 'the last message must be the user\'s').to.equal(undefined);
  });

  it('finds a provider\'s compaction record anywhere in the history, keyed by which record it is, even with signatures off', () => {
    const record = (block: Record<string, unknown>, summary?: string): Message => ({ role: 'assistant', parts: [{ type: 'hosted_tool', dialect: 'x', block, compaction: summary === undefined ? {} : { summary } }] });
    const openai = emptyCall({ messages: [user('go'), record({ type: 'compaction', id: 'cmp_1', encrypted_content: 'gAAA' }), user('next')] });
    expect(postMarkerOf(openai, false)).to.equal('protocol.compaction-record.v1:cmp_1');
    const claude = postMarkerOf(emptyCall({ messages: [record({ type: 'compaction', content: 'The user wants add() fixed.' }, 'The user wants add() fixed.'), user('next')] }));
    expect(claude).to.match(/^protocol\.compaction-record\.v1:27\.0\.The user wants add\(\) fixed\.$/);
    expect(markerRule(claude!)).to.equal('protocol.compaction-record.v1');
    expect(markerRule('cline.compacted.v1')).to.equal('cline.compacted.v1');
    expect(postMarkerOf(emptyCall({ messages: [user(`${COMPACTION_PREAMBLE} x`)] }), false), 'text markers are signatures').to.equal(undefined);
  });

  it('finds the summary a compacted conversation starts with (post markers), in its first messages only', () => {
    expect(postMarkerOf(emptyCall({ messages: [user(`${COMPACTION_PREAMBLE}\n\nThe user wants add() fixed.`), user('go on')] }))).to.equal('lip.compaction-summary.v1');
    expect(postMarkerOf(emptyCall({ messages: [user('<system_notice>Earlier context was compacted.</system_notice> Summary: ...')] }))).to.equal('cline.compacted.v1');
    expect(postMarkerOf(emptyCall({ messages: [...history(4), user(`${COMPACTION_PREAMBLE} quoted later`)] }))).to.equal(undefined);
  });

  describe('the history heuristic', () => {
    const big = history(40, 1_000); // about 10k tokens
    const before = fingerprintOf(emptyCall({ messages: big })).fingerprint;
    const check = (messages: Message[]) => {
      const { fingerprint, keys } = fingerprintOf(emptyCall({ messages }));
      return compactedSince(before, fingerprint, keys);
    };

    it('a large conversation that shrank by far, its last turns kept in order, its start replaced: compacted', () => {
      expect(check([user('summary of what happened'), ...big.slice(-4), user('next')])).to.equal(true);
    });

    it('not when the last turns are gone (a fresh conversation), the shrink is small, or the previous one was small', () => {
      expect(check([user('a new task')]), 'tail lost').to.equal(false);
      expect(check([...big.slice(4), user('next')]), 'shrank too little').to.equal(false);
      const small = history(6, 100);
      const smallBefore = fingerprintOf(emptyCall({ messages: small })).fingerprint;
      const { fingerprint, keys } = fingerprintOf(emptyCall({ messages: [user('s'), ...small.slice(-2)] }));
      expect(compactedSince(smallBefore, fingerprint, keys), 'small before').to.equal(false);
      expect(check([user('summary'), big[big.length - 1]!, big[big.length - 2]!]), 'tail out of order').to.equal(false);
    });
  });
});

describe('compaction-continuity: the extractor\'s source', () => {
  it('keeps the task and the latest turns within the budget, in order, and says what it left out', () => {
    const messages = [user('TASK: port the parser'), ...history(30, 200), user('latest question')];
    const text = transcriptOf(emptyCall({ messages }), 2_000, false);
    expect(text.length).to.be.at.most(2_000);
    expect(text.startsWith('[user] TASK: port the parser')).to.equal(true);
    expect(text.endsWith('[user] latest question')).to.equal(true);
    expect(text).to.match(/\[\.\.\. \d+ messages left out \.\.\.\]/);
  });

  it('cuts tool results and arguments short, names media, leaves reasoning out, drops the compaction prompt when asked', () => {
    const call = emptyCall({
      messages: [
        user('look at this'),
        { role: 'user', parts: [{ type: 'image', data: 'AAAA', mediaType: 'image/png' }] },
        { role: 'assistant', parts: [{ type: 'reasoning', dialect: 'x', text: 'SECRET THOUGHTS' }, { type: 'tool_call', id: 'c1', name: 'read', arguments: JSON.stringify({ path: 'a'.repeat(2_000) }) }] },
        { role: 'tool', parts: [{ type: 'tool_result', callId: 'c1', name: 'read', content: 'x'.repeat(5_000) }] },
        user('SUMMARISE NOW'),
      ],
    });
    const text = transcriptOf(call, 100_000, true);
    expect(text).to.contain('[image]');
    expect(text).to.not.contain('SECRET THOUGHTS');
    expect(text).to.not.contain('SUMMARISE NOW');
    expect(text).to.match(/\[tool call read\] \{"path":"a+ \[\.\.\. \d+ characters left out\]/);
    expect(text).to.match(/\[tool result read\] x{400} \[\.\.\. 4600 characters left out\]/);
  });

  const planCall = (name: string, args: unknown): Call => emptyCall({ messages: [user('go'), { role: 'assistant', parts: [{ type: 'tool_call', id: 'p', name, arguments: JSON.stringify(args) }] }] });

  it('reads the agent\'s own plan from its planning tool: update_plan, TodoWrite, todowrite, write_todos', () => {
    expect(planFromCarriers(planCall('update_plan', { plan: [{ step: 'Read the code', status: 'completed' }, { step: 'Fix it', status: 'in_progress' }] })))
      .to.deep.equal([{ text: 'Read the code', status: 'completed' }, { text: 'Fix it', status: 'in_progress' }]);
    expect(planFromCarriers(planCall('TodoWrite', { todos: [{ content: 'Write tests', status: 'pending', activeForm: 'Writing tests' }] })))
      .to.deep.equal([{ text: 'Write tests', status: 'pending' }]);
    expect(planFromCarriers(planCall('todowrite', { todos: [{ content: 'Ship', status: 'cancelled', priority: 'high' }] }))).to.deep.equal([{ text: 'Ship', status: 'cancelled' }]);
    expect(planFromCarriers(planCall('write_todos', { todos: [{ description: 'Check', status: 'done' }] }))).to.deep.equal([{ text: 'Check', status: 'completed' }]);
  });

  it('takes the latest call, and none of a malformed one', () => {
    const call = emptyCall({
      messages: [
        { role: 'assistant', parts: [{ type: 'tool_call', id: 'a', name: 'update_plan', arguments: '{"plan":[{"step":"old","status":"pending"}]}' }] },
        { role: 'assistant', parts: [{ type: 'tool_call', id: 'b', name: 'update_plan', arguments: '{"plan":[{"step":"new","status":"pending"}]}' }] },
      ],
    });
    expect(planFromCarriers(call)).to.deep.equal([{ text: 'new', status: 'pending' }]);
    expect(planFromCarriers(planCall('update_plan', { plan: [{ step: 'x', status: 'someday' }] }))).to.equal(undefined);
    expect(planFromCarriers(emptyCall({ messages: [{ role: 'assistant', parts: [{ type: 'tool_call', id: 'c', name: 'update_plan', arguments: '{"plan": [' }] }] }))).to.equal(undefined);
    expect(planFromCarriers(planCall('read', { plan: [{ step: 'x', status: 'pending' }] }))).to.equal(undefined);
  });
});

describe('compaction-continuity: the capsule', () => {
  const answer = { plan: [{ step: 'Fix add()', status: 'in_progress' }], decisions: [{ statement: 'Use integers', rationale: 'no float drift' }], constraints: ['No new dependencies'], rejected_alternatives: [{ statement: 'BigInt', rationale: 'too slow' }], open_questions: ['Which Node version?'] };

  it('parses the extractor\'s JSON (code fences and prose around it allowed)', () => {
    const parsed = parseExtraction(`Here is the state:\n\`\`\`json\n${JSON.stringify(answer)}\n\`\`\``, ALL);
    expect(parsed).to.deep.equal({
      plan: [{ text: 'Fix add()', status: 'in_progress' }], planSource: 'extracted',
      decisions: [{ statement: 'Use integers', rationale: 'no float drift' }], constraints: ['No new dependencies'],
      rejectedAlternatives: [{ statement: 'BigInt', rationale: 'too slow' }], openQuestions: ['Which Node version?'],
    });
  });

  it('keeps only what preserve asks for (rationale too)', () => {
    const parsed = parseExtraction(JSON.stringify(answer), { ...ALL, rationale: false, constraints: false, open_questions: false });
    expect(parsed).to.deep.include({ constraints: [], openQuestions: [], decisions: [{ statement: 'Use integers' }] });
  });

  it('names why an answer is not the state asked for', () => {
    expect(parseExtraction('no idea', ALL)).to.equal('the answer holds no JSON object');
    expect(parseExtraction('{"plan": [}', ALL)).to.match(/^the answer is not JSON/);
    expect(parseExtraction('{"plan": [{"step": "x", "status": "later"}]}', ALL)).to.match(/status must be/);
    expect(parseExtraction('{"constraints": "all of them"}', ALL)).to.equal('constraints must be a list');
    expect(parseExtraction('{"decisions": [{"statement": ""}]}', ALL)).to.match(/non-empty string/);
  });

  it('the next revision takes the extraction, the agent\'s own plan over the extracted one', () => {
    const extracted = parseExtraction(JSON.stringify(answer), ALL) as Omit<Capsule, 'revision'>;
    const first = nextCapsule(undefined, extracted, [{ text: 'Own step', status: 'pending' }]);
    expect(first).to.deep.include({ revision: 1, plan: [{ text: 'Own step', status: 'pending' }], planSource: 'structured', constraints: ['No new dependencies'] });
    const second = nextCapsule(first, undefined, undefined);
    expect(second.revision).to.equal(2);
    expect(second.constraints).to.deep.equal(['No new dependencies']);
  });

  it('a capsule read back from the shared store is taken only in its own shape (and copied field by field)', () => {
    const good = { revision: 2, plan: [{ text: 'a', status: 'pending', extra: 1 }], planSource: 'structured', decisions: [{ statement: 'd', rationale: 'r' }], constraints: ['c'], rejectedAlternatives: [], openQuestions: [] };
    expect(capsuleOf(good)).to.deep.equal({ ...good, plan: [{ text: 'a', status: 'pending' }] });
    for (const bad of [null, [], 'x', { ...good, revision: 0 }, { ...good, revision: '2' }, { ...good, plan: [{ text: 'a', status: 'later' }] }, { ...good, constraints: [1] },
      { ...good, decisions: [{ statement: 'x'.repeat(1_001) }] }, { ...good, planSource: 'guessed' }, { ...good, openQuestions: undefined }]) {
      expect(capsuleOf(bad), JSON.stringify(bad)?.slice(0, 60)).to.equal(undefined);
    }
  });

  it('renders a bounded block; what does not fit goes, completed steps first, then open questions', () => {
    const capsule: Capsule = {
      revision: 3, plan: [{ text: 'done step', status: 'completed' }, { text: 'next step', status: 'pending' }],
      decisions: [{ statement: 'd1' }], constraints: ['c1'], rejectedAlternatives: [{ statement: 'r1' }], openQuestions: ['q1'],
    };
    const whole = renderBlock(capsule, 1_000_000)!;
    expect(whole.startsWith(`${BLOCK_OPEN}\n`)).to.equal(true);
    expect(whole.endsWith(`\n${BLOCK_CLOSE}`)).to.equal(true);
    expect(JSON.parse(whole.split('\n')[2]!)).to.deep.equal({
      revision: 3, plan: [{ step: 'done step', status: 'completed' }, { step: 'next step', status: 'pending' }],
      decisions: [{ statement: 'd1' }], constraints: ['c1'], rejected_alternatives: [{ statement: 'r1' }], open_questions: ['q1'],
    });
    const tighter = renderBlock(capsule, Buffer.byteLength(whole) - 1)!;
    expect(tighter).to.not.contain('done step');
    expect(tighter).to.contain('q1');
    const tighter2 = renderBlock(capsule, Buffer.byteLength(tighter) - 1)!;
    expect(tighter2).to.not.contain('q1');
    expect(tighter2).to.contain('next step');
    expect(renderBlock(capsule, 50), 'nothing fits').to.equal(undefined);
  });
});

describe('compaction-continuity: branches and the job queue', () => {
  const limits = { ttlMs: 1_000, maxEntries: 3, maxSourceChars: 100, maxTotalSourceChars: 150 };

  it('forgets the least recently seen branch past the count, and a branch not seen within the ttl', () => {
    const store = new BranchStore(limits);
    for (const key of ['a', 'b', 'c']) store.open(key, 0).capsule = nextCapsule(undefined, undefined, [{ text: key, status: 'pending' }]);
    store.open('a', 10);
    store.open('d', 20);
    expect(store.size).to.equal(3);
    expect(store.evicted).to.equal(1);
    expect(store.open('b', 30).capsule, 'b was the least recently seen').to.equal(undefined);
    expect(store.open('a', 40).capsule?.plan[0]?.text).to.equal('a');
    expect(store.open('a', 2_000).capsule, 'expired').to.equal(undefined);
  });

  it('keeps a source only when it fits, and all sources within their total (the least recently seen go first)', () => {
    const store = new BranchStore(limits);
    const a = store.open('a', 0);
    store.retain(a, emptyCall(), 101);
    expect(a.source).to.equal(undefined);
    store.retain(a, emptyCall(), 80);
    const b = store.open('b', 1);
    store.retain(b, emptyCall(), 80);
    expect(a.source, 'a went for b').to.equal(undefined);
    expect(b.source?.chars).to.equal(80);
    expect(store.keptSourceChars).to.equal(80);
  });

  it('runs at most max_concurrency jobs, queues up to queue_capacity, refuses the rest', async () => {
    const queue = new JobQueue({ concurrency: 1, capacity: 1 });
    const gates: (() => void)[] = [];
    const job = () => new Promise<void>((resolve) => gates.push(resolve));
    const first = queue.submit(job);
    const second = queue.submit(job);
    expect(queue.submit(job), 'full').to.equal(undefined);
    expect([queue.active, queue.queued]).to.deep.equal([1, 1]);
    gates.shift()!();
    await first;
    expect([queue.active, queue.queued]).to.deep.equal([1, 0]);
    gates.shift()!();
    await second;
    expect(queue.active).to.equal(0);
    const failing = queue.submit(() => Promise.reject(new Error('boom')));
    await failing; // a failed job settles, never rejects
  });
});
