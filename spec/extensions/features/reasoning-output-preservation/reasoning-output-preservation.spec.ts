import { expect } from 'chai';
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { ANTHROPIC_REASONING, chatReasoning } from '../../../../lib/backends/reasoning-replay.js';
import type { Backend } from '../../../../lib/backends/backend.js';
import { REASONING_DIALECTS, emptyCall, type Call, type LipEvent, type Message, type Part } from '../../../../lib/canonical/index.js';
import type { ExecutionMeta } from '../../../../lib/core/execute.js';
import { runtimeWith, type Runtime } from '../../../../lib/core/runtime.js';
import { LipError } from '../../../../lib/errors/index.js';
import { PRESERVED_TURNS, REASONING_PRESERVATION, type PreservationOutcome } from '../../../../lib/extensions/features/reasoning-output-preservation/index.js';
import { testConfig } from '../../../helpers/config.js';
import { ScriptedBackend, type ScriptStep } from '../../../helpers/scripted-backend.js';

/** A Chat-style backend (it replays `reasoning_content`) over scripted events. */
class ChatLikeBackend extends ScriptedBackend {
  readonly reasoning = chatReasoning('reasoning_content');
}

/** An Anthropic-style one (signed thinking). */
class ClaudeLikeBackend extends ScriptedBackend {
  readonly reasoning = ANTHROPIC_REASONING;
}

const TOOL = [{ name: 'read', parameters: { type: 'object', properties: { path: { type: 'string' } } } }];
const toolTurn = (reasoning: string, id = 'c1', path = 'a.ts'): ScriptStep[] => [
  { type: 'response_started' }, { type: 'message_started' },
  { type: 'reasoning_delta', text: reasoning.slice(0, 3) }, { type: 'reasoning_delta', text: reasoning.slice(3) },
  { type: 'tool_call_started', id, name: 'read' }, { type: 'tool_call_delta', id, args: `{"path": "${path}"}` }, { type: 'tool_call_finished', id },
  { type: 'response_finished', reason: 'tool_calls' },
];
const textTurn: ScriptStep[] = [{ type: 'response_started' }, { type: 'message_started' }, { type: 'text_delta', text: 'Done.' }, { type: 'response_finished', reason: 'stop' }];

const user = (text: string): Message => ({ role: 'user', parts: [{ type: 'text', text }] });
const echoed = (id = 'c1', path = 'a.ts', ...before: Part[]): Message => ({ role: 'assistant', parts: [...before, { type: 'tool_call', id, name: 'read', arguments: `{"path":"${path}"}` }] });
const result = (id = 'c1'): Message => ({ role: 'tool', parts: [{ type: 'tool_result', callId: id, content: 'file text' }] });
const first = (model: string): Call => emptyCall({ model, tools: TOOL, messages: [user('read a.ts')] });
const followUp = (model: string, assistant: Message = echoed()): Call => emptyCall({ model, tools: TOOL, messages: [user('read a.ts'), assistant, result()] });

const counts = () => new Map(REASONING_PRESERVATION);
const added = (before: Map<PreservationOutcome, number>, outcome: PreservationOutcome) => (REASONING_PRESERVATION.get(outcome) ?? 0) - (before.get(outcome) ?? 0);
const reasoningOf = (call: Call) => call.messages[1]!.parts.filter((p) => p.type === 'reasoning');

describe('reasoning-output-preservation: in the executor', () => {
  const open: Runtime[] = [];
  afterEach(async () => { for (const r of open.splice(0)) await r.close(); });
  beforeEach(() => PRESERVED_TURNS.clear());
  after(() => PRESERVED_TURNS.clear());

  const make = (scripts: Record<string, readonly ScriptStep[]>, features = '', extra = '') => {
    const backend = new ChatLikeBackend('s', new Map(Object.entries(scripts)));
    const config = testConfig('  - { id: s, kind: localstub }', [`routing: { default_route: "s:${Object.keys(scripts)[0]}" }`, features ? `features:\n${features}` : '', extra].join('\n'));
    const runtime = runtimeWith(config, new Map<string, Backend>([['s', backend]]));
    open.push(runtime);
    return { runtime, backend };
  };
  const run = (runtime: Runtime, call: Call, principal = 'alice', selector?: string) => lastValueFrom(runtime.executor.execute(
    selector ? { ...call, model: selector } : call, { requestId: `r${Math.random()}`, meta: {}, principal },
  ).pipe(toArray()));

  it('is on by default: a turn sent back without its reasoning gets it back where it was, on that attempt only', async () => {
    const { runtime, backend } = make({ 'deepseek-chat': toolTurn('I will read a.ts.') });
    await run(runtime, first('deepseek-chat'));
    const before = counts();
    const call = followUp('deepseek-chat');
    await run(runtime, call);
    expect(reasoningOf(backend.lastCall)).to.deep.equal([{ type: 'reasoning', dialect: REASONING_DIALECTS.openaiChat, text: 'I will read a.ts.' }]);
    expect(backend.lastCall.messages[1]!.parts.map((p) => p.type)).to.deep.equal(['reasoning', 'tool_call']);
    expect(reasoningOf(call), 'the client\'s call is not changed').to.deep.equal([]);
    expect(added(before, 'restored')).to.equal(1);
  });

  it('keeps a turn the response cache answers too: the next turn gets its reasoning back though the plugin had lost it (a restart, an eviction)', async () => {
    const { runtime, backend } = make({ 'deepseek-chat': toolTurn('I will read a.ts.') }, '', 'cache: { enabled: true }');
    await run(runtime, first('deepseek-chat'));
    // The turns the plugin kept are gone (a restart with the answers kept in Redis, its ttl, its max_bytes), the answer is not.
    PRESERVED_TURNS.clear();
    const meta: ExecutionMeta = {};
    await lastValueFrom(runtime.executor.execute(first('deepseek-chat'), { requestId: 'again', meta, principal: 'alice' }).pipe(toArray()));
    expect(meta.cache).to.equal('hit');
    expect(PRESERVED_TURNS.size).to.equal(1);
    await run(runtime, followUp('deepseek-chat'));
    expect(backend.calls).to.have.length(2);
    expect(reasoningOf(backend.lastCall)).to.deep.equal([{ type: 'reasoning', dialect: REASONING_DIALECTS.openaiChat, text: 'I will read a.ts.' }]);
  });

  it('keeps nothing of a hit its client left before its end', async () => {
    const { runtime } = make({ 'deepseek-chat': toolTurn('I will read a.ts.') }, '', 'cache: { enabled: true }');
    await run(runtime, first('deepseek-chat'));
    PRESERVED_TURNS.clear();
    const meta: ExecutionMeta = {};
    await firstValueFrom(runtime.executor.execute(first('deepseek-chat'), { requestId: 'left', meta, principal: 'alice' }).pipe(take(3)));
    expect(meta.cache).to.equal('hit');
    expect(PRESERVED_TURNS.size).to.equal(0);
  });

  it('leaves a turn alone that comes back with reasoning the candidate replays (its own under any dialect, as plain text, or other reasoning)', async () => {
    const { runtime, backend } = make({ 'deepseek-chat': toolTurn('I will read a.ts.') });
    await run(runtime, first('deepseek-chat'));
    const before = counts();
    const relabelled = { type: 'reasoning' as const, dialect: REASONING_DIALECTS.anthropicThinking, text: 'I will read a.ts.' };
    await run(runtime, followUp('deepseek-chat', echoed('c1', 'a.ts', relabelled)));
    expect(reasoningOf(backend.lastCall)).to.deep.equal([relabelled]);
    await run(runtime, followUp('deepseek-chat', echoed('c1', 'a.ts', { ...relabelled, text: 'edited' })));
    expect(reasoningOf(backend.lastCall)).to.deep.equal([{ ...relabelled, text: 'edited' }]);
    expect([added(before, 'restored'), added(before, 'unmatched'), added(before, 'ambiguous')], 'not even looked up').to.deep.equal([0, 0, 0]);
  });

  it('another principal, another tool call or another argument gets nothing', async () => {
    const { runtime, backend } = make({ 'deepseek-chat': toolTurn('I will read a.ts.') });
    await run(runtime, first('deepseek-chat'));
    await run(runtime, followUp('deepseek-chat'), 'bob');
    expect(reasoningOf(backend.lastCall)).to.deep.equal([]);
    await run(runtime, followUp('deepseek-chat', echoed('c2')));
    expect(reasoningOf(backend.lastCall)).to.deep.equal([]);
    await run(runtime, followUp('deepseek-chat', echoed('c1', 'b.ts')));
    expect(reasoningOf(backend.lastCall)).to.deep.equal([]);
  });

  it('a model outside the catalog is left alone: nothing kept, the call passed as it is', async () => {
    const { runtime, backend } = make({ 'gpt-4o': toolTurn('I will read a.ts.') });
    await run(runtime, first('gpt-4o'));
    expect(PRESERVED_TURNS.size).to.equal(0);
    const call = followUp('gpt-4o');
    await run(runtime, call);
    expect(backend.lastCall.messages).to.equal(call.messages);
  });

  it('observe keeps and counts but changes nothing; enabled: false keeps nothing', async () => {
    const observe = make({ 'deepseek-chat': toolTurn('I will read a.ts.') }, '  - { id: reasoning-output-preservation, config: { action: observe } }');
    await run(observe.runtime, first('deepseek-chat'));
    const before = counts();
    await run(observe.runtime, followUp('deepseek-chat'));
    expect(reasoningOf(observe.backend.lastCall)).to.deep.equal([]);
    expect(added(before, 'missing')).to.equal(1);
    PRESERVED_TURNS.clear();
    const off = make({ 'deepseek-chat': toolTurn('I will read a.ts.') }, '  - { id: reasoning-output-preservation, enabled: false }');
    await run(off.runtime, first('deepseek-chat'));
    expect(PRESERVED_TURNS.size).to.equal(0);
  });

  it('keeps only what a successful attempt released: not a failed one, not a cancelled one', async () => {
    const failing: ScriptStep[] = [...toolTurn('half a thought').slice(0, 4), { fail: new LipError('LIP_ERR_UPSTREAM_CONNECT', 'reset', { retryable: true }) }];
    const slow: ScriptStep[] = [...toolTurn('never finished').slice(0, 4), { delayMs: 5_000 }, ...toolTurn('never finished').slice(4)];
    const { runtime } = make({ 'deepseek-chat': failing, 'deepseek-slow': slow });
    await run(runtime, first('deepseek-chat')).catch(() => undefined);
    expect(PRESERVED_TURNS.size).to.equal(0);
    await firstValueFrom(runtime.executor.execute(first('s:deepseek-slow'), { requestId: 'cancelled', meta: {}, principal: 'alice' }).pipe(take(3)));
    expect(PRESERVED_TURNS.size).to.equal(0);
  });

  it('after a failover, the turn that served is kept', async () => {
    const refused: ScriptStep[] = [{ fail: new LipError('LIP_ERR_UPSTREAM_STATUS', 'overloaded', { retryable: true, status: 529 }) }];
    const { runtime, backend } = make({ 'deepseek-a': refused, 'deepseek-b': toolTurn('B thought it through.') });
    await run(runtime, first('x'), 'alice', 's:deepseek-a|s:deepseek-b');
    await run(runtime, followUp('x'), 'alice', 's:deepseek-b');
    expect(reasoningOf(backend.lastCall).map((p) => p.type === 'reasoning' && p.text)).to.deep.equal(['B thought it through.']);
  });

  it('an anchor two turns share is restored from by neither (released twice with other reasoning, or sent twice)', async () => {
    const { runtime, backend } = make({ 'deepseek-chat': toolTurn('one way'), 'deepseek-other': toolTurn('another way') });
    await run(runtime, first('deepseek-chat'));
    const twice = emptyCall({ model: 'deepseek-chat', tools: TOOL, messages: [user('read a.ts'), echoed(), result(), user('again'), echoed(), result()] });
    const before = counts();
    await run(runtime, twice);
    expect(backend.lastCall.messages.flatMap((m) => m.parts).filter((p) => p.type === 'reasoning')).to.deep.equal([]);
    expect(added(before, 'ambiguous')).to.equal(2);
    await run(runtime, first('x'), 'alice', 's:deepseek-other');
    await run(runtime, followUp('deepseek-chat'));
    expect(reasoningOf(backend.lastCall)).to.deep.equal([]);
  });

  it('a turn with more reasoning than max_reasoning_bytes_per_turn is not kept', async () => {
    const { runtime } = make({ 'deepseek-chat': toolTurn('x'.repeat(2_000)) }, '  - { id: reasoning-output-preservation, config: { max_reasoning_bytes_per_turn: 1KiB } }');
    const before = counts();
    await run(runtime, first('deepseek-chat'));
    expect(PRESERVED_TURNS.size).to.equal(0);
    expect(added(before, 'oversize')).to.equal(1);
  });

  it('scope: session matches only within the conversation (a resumed A-leg)', async () => {
    const { runtime, backend } = make({ 'deepseek-chat': toolTurn('I will read a.ts.') }, '  - { id: reasoning-output-preservation, config: { scope: session } }');
    const one = runtime.continuity.resolveALeg('alice');
    const two = runtime.continuity.resolveALeg('alice');
    const inLeg = (call: Call, aLeg: typeof one) => lastValueFrom(runtime.executor.execute(call, { requestId: `r${Math.random()}`, meta: {}, principal: 'alice', aLeg }).pipe(toArray()));
    await inLeg(first('deepseek-chat'), one);
    await inLeg(followUp('deepseek-chat'), two);
    expect(reasoningOf(backend.lastCall)).to.deep.equal([]);
    await inLeg(followUp('deepseek-chat'), one);
    expect(reasoningOf(backend.lastCall)).to.have.length(1);
    await run(runtime, followUp('deepseek-chat')); // no conversation: nothing to match within
    expect(reasoningOf(backend.lastCall)).to.deep.equal([]);
  });

  it('a candidate that cannot replay the kept reasoning: skipped by default, excluded with on_unrepresentable: exclude', async () => {
    // The turn came from an Anthropic-style backend (signed thinking); the Chat candidate cannot send it, the other can.
    const signed: LipEvent[] = [
      { type: 'response_started' }, { type: 'message_started' }, { type: 'reasoning_delta', text: 'plan' }, { type: 'reasoning_signature', signature: 'sig', dialect: REASONING_DIALECTS.anthropicThinking },
      { type: 'tool_call_started', id: 'c1', name: 'read' }, { type: 'tool_call_delta', id: 'c1', args: '{"path":"a.ts"}' }, { type: 'tool_call_finished', id: 'c1' }, { type: 'response_finished', reason: 'tool_calls' },
    ];
    const setup = (policy: string) => {
      const chatLike = new ChatLikeBackend('s', new Map([['deepseek-chat', textTurn]]));
      const claudeLike = new ClaudeLikeBackend('c', new Map([['claude', signed]]));
      const config = testConfig('  - { id: s, kind: localstub }\n  - { id: c, kind: localstub }', [
        'routing: { default_route: "c:claude" }',
        `features:\n  - { id: reasoning-output-preservation, config: { rules: [{ backend: s, enabled: true }, { backend: c, enabled: true }]${policy} } }`,
      ].join('\n'));
      const runtime = runtimeWith(config, new Map<string, Backend>([['s', chatLike], ['c', claudeLike]]));
      open.push(runtime);
      return { runtime, chatLike, claudeLike };
    };
    const skip = setup('');
    await run(skip.runtime, first('c:claude'));
    await run(skip.runtime, followUp('x'), 'alice', 's:deepseek-chat');
    expect(reasoningOf(skip.chatLike.lastCall)).to.deep.equal([]);
    const exclude = setup(', on_unrepresentable: exclude');
    await run(exclude.runtime, first('c:claude'));
    await run(exclude.runtime, followUp('x'), 'alice', 's:deepseek-chat|c:claude');
    expect(exclude.chatLike.calls).to.deep.equal([]);
    expect(reasoningOf(exclude.claudeLike.lastCall)).to.deep.equal([{ type: 'reasoning', dialect: REASONING_DIALECTS.anthropicThinking, text: 'plan', signature: 'sig' }]);
  });

  it('kept turns outlive a reload: the runtime built from the new config restores them', async () => {
    const before = make({ 'deepseek-chat': toolTurn('I will read a.ts.') });
    await run(before.runtime, first('deepseek-chat'));
    const after = make({ 'deepseek-chat': textTurn }, '  - { id: reasoning-output-preservation, config: { max_bytes: 1MiB, ttl: 1h } }');
    await run(after.runtime, followUp('deepseek-chat'));
    expect(reasoningOf(after.backend.lastCall)).to.have.length(1);
  });
});
