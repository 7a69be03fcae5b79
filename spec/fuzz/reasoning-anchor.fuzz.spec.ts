import { expect } from 'chai';
import fc from 'fast-check';
import { chatReasoning } from '../../lib/backends/reasoning-replay.js';
import { emptyCall, REASONING_DIALECTS, validateCall, type Message, type Part } from '../../lib/canonical/index.js';
import { PRESERVED_TURNS, reasoningOutputPreservation, turnShape, withReasoning } from '../../lib/extensions/features/reasoning-output-preservation/index.js';
import type { HookContext } from '../../lib/extensions/sdk.js';
import { fuzzParameters, fuzzTimeout } from './fuzz-parameters.js';

const dialect = fc.constantFrom(...Object.values(REASONING_DIALECTS), 'x.custom');
const reasoning: fc.Arbitrary<Part> = fc.record({
  type: fc.constant('reasoning' as const), dialect,
  text: fc.option(fc.string({ unit: 'grapheme' }), { nil: undefined }),
  signature: fc.option(fc.string(), { nil: undefined }),
  opaque: fc.option(fc.string(), { nil: undefined }),
}, { requiredKeys: ['type', 'dialect'] }).map((p) => p as Part);
const text: fc.Arbitrary<Part> = fc.string({ unit: 'grapheme', maxLength: 40 }).map((t) => ({ type: 'text', text: t }));
const args = fc.oneof(fc.json({ maxDepth: 2 }), fc.string({ maxLength: 20 }));
const call: fc.Arbitrary<Part> = fc.record({ id: fc.string({ minLength: 1, maxLength: 8 }), name: fc.string({ minLength: 1, maxLength: 8 }), args, custom: fc.boolean() })
  .map(({ id, name, args: a, custom }) => ({ type: 'tool_call', id, name, arguments: a, ...(custom ? { custom: true } : {}) }));
const hosted: fc.Arbitrary<Part> = fc.constant({ type: 'web_search', id: 'ws_1', status: 'completed' } as Part);
const turn = fc.array(fc.oneof({ weight: 3, arbitrary: reasoning }, { weight: 4, arbitrary: text }, { weight: 2, arbitrary: call }, { weight: 1, arbitrary: hosted }), { maxLength: 12 })
  .map((parts): Message => ({ role: 'assistant', parts }));

const visible = (m: Message) => m.parts.filter((p) => p.type !== 'reasoning');
const thoughts = (m: Message) => m.parts.filter((p) => p.type === 'reasoning');

/**
 * reasoning-output-preservation's anchor and placement (turn-anchor.ts) on any assistant turn:
 * a turn without its reasoning has the released turn's anchor, and putting the reasoning back
 * restores every part in its order, each at the unit it came before.
 */
describe('fuzz: reasoning-output-preservation puts any turn\'s reasoning back where it was', function () {
  this.timeout(fuzzTimeout(5));

  it('stripped and restored: the same anchor, the same parts, the same places', () => {
    fc.assert(fc.property(turn, (released) => {
      const shape = turnShape(released);
      const stripped: Message = { role: 'assistant', parts: visible(released) };
      const strippedShape = turnShape(stripped);
      expect(strippedShape.anchor).to.equal(shape.anchor);
      expect(strippedShape.reasoning).to.deep.equal([]);
      const restored = withReasoning(stripped, strippedShape, shape.reasoning);
      expect(visible(restored)).to.deep.equal(visible(released));
      expect(thoughts(restored)).to.deep.equal(thoughts(released));
      const again = turnShape({ role: 'assistant', parts: [...restored.parts] });
      expect(again.anchor).to.equal(shape.anchor);
      expect(again.reasoning.map((r) => r.at)).to.deep.equal(shape.reasoning.map((r) => r.at));
    }), fuzzParameters());
  });

  it('a turn differing in any visible part has another anchor', () => {
    fc.assert(fc.property(turn, fc.nat(), fc.string({ minLength: 1, maxLength: 4 }), (released, at, extra) => {
      const parts = visible(released).filter((p) => p.type !== 'text' || p.text.length > 0);
      fc.pre(parts.length > 0);
      const i = at % parts.length;
      const p = parts[i]!;
      const changed = p.type === 'text' ? { ...p, text: p.text + extra } : p.type === 'tool_call' ? { ...p, id: p.id + extra } : { ...p, id: `${(p as { id: string }).id}${extra}` };
      const other: Message = { role: 'assistant', parts: parts.map((q, j) => (j === i ? changed as Part : q)) };
      expect(turnShape(other).anchor).to.not.equal(turnShape({ role: 'assistant', parts }).anchor);
    }), fuzzParameters());
  });

  it('the restoring hook, on any history with any kept turns, answers a call that stays valid (or leaves it as it is)', () => {
    const bundle = reasoningOutputPreservation.create({}, { featureId: 'reasoning-output-preservation', state: undefined as never, logger: { warn() {}, info() {}, error() {} } });
    const restore = bundle.attemptTransforms![0]!;
    const target = { backendId: 'ds', candidateKey: 'ds:deepseek-chat', model: 'deepseek-chat', backendKind: 'openai-chat', reasoning: chatReasoning('reasoning_content') };
    const ctx = { requestId: 'r', principal: 'p', depth: 0 } as unknown as HookContext;
    const user: Message = { role: 'user', parts: [{ type: 'text', text: 'go' }] };
    let restoredRuns = 0;
    try {
      fc.assert(fc.property(fc.array(turn, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 6 }), (turns, keptIndexes) => {
        PRESERVED_TURNS.clear();
        // Some of the turns were released with their reasoning; the client sends every one back without.
        for (const i of keptIndexes) {
          const released = turns[i % turns.length]!;
          const shape = turnShape(released);
          const valid = shape.reasoning.filter((p) => p.part.text !== undefined || !!p.part.signature || !!p.part.opaque);
          if (shape.anchor !== '' && valid.length > 0) PRESERVED_TURNS.put('p:p', shape.anchor, valid);
        }
        const call = emptyCall({ model: 'deepseek-chat', messages: [user, ...turns.map((t) => ({ role: 'assistant' as const, parts: visible(t) }))] });
        const decision = restore.transform(call, target, ctx);
        expect(decision.action).to.equal('continue');
        if (decision.action !== 'continue' || decision.call === undefined) return;
        restoredRuns++;
        const restored = decision.call;
        // Only reasoning was added, each message keeps its visible parts in order.
        restored.messages.forEach((m, i) => expect(visible(m)).to.deep.equal(visible(call.messages[i]!)));
        // Kept parts are valid reasoning (a released turn's, as assistantMessage makes them): nothing new is invalid.
        const before = new Set(validateCall(call).map((p) => p.message));
        expect(validateCall(restored).filter((p) => !before.has(p.message))).to.deep.equal([]);
      }), fuzzParameters());
      expect(restoredRuns, 'runs that restored something').to.be.greaterThan(0);
    } finally {
      PRESERVED_TURNS.clear();
    }
  });
});
