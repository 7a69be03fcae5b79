import { expect } from 'chai';
import fc from 'fast-check';
import { emptyCall, type Message, type Part } from '../../lib/canonical/index.js';
import {
  BLOCK_CLOSE, BLOCK_OPEN, compactedSince, fingerprintOf, parseExtraction, planFromCarriers, postMarkerOf, renderBlock, startRuleOf, transcriptOf,
  type Capsule, type Preserve,
} from '../../lib/extensions/features/compaction-continuity/index.js';
import { fuzzParameters, fuzzTimeout } from './fuzz-parameters.js';

const ALL: Preserve = { plan: true, user_decisions: true, constraints: true, rationale: true, rejected_alternatives: true, open_questions: true };
const words = fc.string({ unit: 'grapheme', maxLength: 60 });
const part: fc.Arbitrary<Part> = fc.oneof(
  { weight: 5, arbitrary: words.map((text): Part => ({ type: 'text', text })) },
  { weight: 2, arbitrary: fc.record({ name: fc.constantFrom('update_plan', 'TodoWrite', 'write_todos', 'read'), args: fc.oneof(fc.json({ maxDepth: 3 }), words) }).map(({ name, args }): Part => ({ type: 'tool_call', id: 'c', name, arguments: args })) },
  { weight: 1, arbitrary: words.map((content): Part => ({ type: 'tool_result', callId: 'c', content })) },
  { weight: 1, arbitrary: words.map((text): Part => ({ type: 'reasoning', dialect: 'x', text })) },
  { weight: 1, arbitrary: fc.constant<Part>({ type: 'image', data: 'AAAA', mediaType: 'image/png' }) },
);
const message: fc.Arbitrary<Message> = fc.record({ role: fc.constantFrom('user', 'assistant', 'tool', 'system'), parts: fc.array(part, { maxLength: 4 }) }) as fc.Arbitrary<Message>;
const conversation = fc.array(message, { maxLength: 30 });

const statement = fc.record({ statement: fc.string({ minLength: 1, maxLength: 80 }), rationale: fc.option(fc.string({ maxLength: 80 }), { nil: undefined }) }, { requiredKeys: ['statement'] });
const capsule: fc.Arbitrary<Capsule> = fc.record({
  revision: fc.nat(),
  plan: fc.array(fc.record({ text: fc.string({ minLength: 1, maxLength: 80 }), status: fc.constantFrom('pending', 'in_progress', 'completed', 'cancelled') }), { maxLength: 10 }),
  decisions: fc.array(statement, { maxLength: 10 }),
  constraints: fc.array(fc.string({ minLength: 1, maxLength: 80 }), { maxLength: 10 }),
  rejectedAlternatives: fc.array(statement, { maxLength: 10 }),
  openQuestions: fc.array(fc.string({ minLength: 1, maxLength: 80 }), { maxLength: 10 }),
}) as fc.Arbitrary<Capsule>;

/**
 * compaction-continuity's pure parts on any input: detection, the transcript, the plan carriers
 * and the extractor's answer never throw; the transcript and the block keep their bounds, and the
 * block holds only what the capsule held, in its order.
 */
describe('fuzz: compaction-continuity keeps its bounds on any conversation and any extractor answer', function () {
  this.timeout(fuzzTimeout(5));

  it('detection, fingerprints, carriers and the transcript on any conversation: no throw, the transcript within its budget', () => {
    fc.assert(fc.property(conversation, conversation, fc.integer({ min: 0, max: 5_000 }), fc.boolean(), (before, after, maxChars, dropLast) => {
      const call = emptyCall({ messages: after });
      startRuleOf(call);
      postMarkerOf(call);
      const prev = fingerprintOf(emptyCall({ messages: before })).fingerprint;
      const { fingerprint, keys } = fingerprintOf(call);
      expect(typeof compactedSince(prev, fingerprint, keys)).to.equal('boolean');
      expect(compactedSince(fingerprint, fingerprint, keys), 'the same request is no compaction').to.equal(false);
      const plan = planFromCarriers(call);
      if (plan !== undefined) for (const step of plan) expect(step.text.trim()).to.not.equal('');
      expect(transcriptOf(call, maxChars, dropLast).length).to.be.at.most(maxChars);
    }), fuzzParameters());
  });

  it('any extractor answer is a reason or a capsule content of non-empty, bounded statements', () => {
    const answers = fc.oneof(fc.string(), fc.json({ maxDepth: 4 }), fc.record({
      plan: fc.anything(), decisions: fc.anything(), constraints: fc.array(fc.oneof(fc.string(), fc.anything())), rejected_alternatives: fc.anything(), open_questions: fc.anything(),
    }).map((o) => `\`\`\`json\n${JSON.stringify(o)}\n\`\`\``));
    fc.assert(fc.property(answers, (text) => {
      const parsed = parseExtraction(text, ALL);
      if (typeof parsed === 'string') return;
      const all = [...parsed.plan.map((s) => s.text), ...parsed.decisions.map((d) => d.statement), ...parsed.constraints, ...parsed.rejectedAlternatives.map((d) => d.statement), ...parsed.openQuestions];
      for (const s of all) {
        expect(s).to.be.a('string');
        expect(s.trim()).to.not.equal('');
        expect(s.length).to.be.at.most(1_000);
      }
    }), fuzzParameters());
  });

  it('the block fits its bound and holds a subsequence of each of the capsule\'s lists', () => {
    fc.assert(fc.property(capsule, fc.integer({ min: 0, max: 4_000 }), (c, maxBytes) => {
      const block = renderBlock(c, maxBytes);
      if (block === undefined) return;
      expect(Buffer.byteLength(block)).to.be.at.most(maxBytes);
      const lines = block.split('\n');
      expect(lines[0]).to.equal(BLOCK_OPEN);
      expect(lines[lines.length - 1]).to.equal(BLOCK_CLOSE);
      const shown = JSON.parse(block.slice(block.indexOf('\n{') + 1, block.lastIndexOf('\n'))) as Record<string, unknown[]>;
      const subsequence = (part: readonly unknown[], whole: readonly unknown[]) => {
        let at = 0;
        for (const item of part) {
          while (at < whole.length && JSON.stringify(whole[at]) !== JSON.stringify(item)) at++;
          expect(at, `${JSON.stringify(item)} is one of the capsule's, in order`).to.be.below(whole.length);
          at++;
        }
      };
      subsequence(shown.plan!, c.plan.map((s) => ({ step: s.text, status: s.status })));
      subsequence(shown.decisions!, c.decisions);
      subsequence(shown.constraints!, c.constraints);
      subsequence(shown.rejected_alternatives!, c.rejectedAlternatives);
      subsequence(shown.open_questions!, c.openQuestions);
    }), fuzzParameters());
  });
});
