import { expect } from 'chai';
import fc from 'fast-check';
import { concat, from, throwError, type Observable } from 'rxjs';
import { emptyCall, type Call, type LipEvent } from '../../lib/canonical/index.js';
import { resumeAfterOutput } from '../../lib/core/resume-answer.js';
import { LipError } from '../../lib/errors/index.js';
import { fuzzParameters, fuzzTimeout } from './fuzz-parameters.js';

/** Text with the whitespace a prefill trips on: spaces, newlines, tabs, at any place. */
const answer = fc.array(fc.oneof(fc.constantFrom(' ', '  ', '\n', '\n\n', '\t', ' \n'), fc.string({ minLength: 1, maxLength: 6 }), fc.constantFrom('é', '😀', '日本')), { minLength: 1, maxLength: 30 }).map((parts) => parts.join(''));

/** `text` cut into deltas at the given points. */
function deltas(text: string, cuts: readonly number[]): LipEvent[] {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const out: LipEvent[] = [];
  let at = 0;
  for (const p of [...points, text.length]) {
    if (p > at) out.push({ type: 'text_delta', text: text.slice(at, p) });
    at = Math.max(at, p);
  }
  return out;
}

/**
 * Whatever the answer and wherever it breaks, a model that continues the prefill exactly (the
 * continuation is the rest of the answer after the prefill, however the deltas fall) gives the
 * client the whole answer once: no character lost, none repeated, the whitespace the prefill
 * could not end with included.
 */
describe('fuzz: resuming a broken answer', function () {
  this.timeout(fuzzTimeout());

  it('the client gets the answer exactly once, wherever it broke and however the deltas fall', () => {
    fc.assert(fc.property(answer, fc.nat(), fc.array(fc.nat(), { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 6 }), (full, breakAt, cutsBefore, cutsAfter) => {
      const k = 1 + (breakAt % full.length); // at least one character reached the client
      const partial = full.slice(0, k);
      let prefill: string | undefined;
      const client: string[] = [];
      let failed: unknown;
      const source: Observable<LipEvent> = concat(from(deltas(partial, cutsBefore)), throwError(() => new LipError('LIP_ERR_UPSTREAM_RESET', 'reset', { retryable: true })));
      resumeAfterOutput(source, {
        call: emptyCall({ messages: [{ role: 'user', parts: [{ type: 'text', text: 'go' }] }] }) as Call,
        maxResumes: 1,
        targets: () => [{ key: 'a' }],
        open: (call) => {
          const last = call.messages.at(-1)!;
          prefill = last.role === 'assistant' && last.parts[0]?.type === 'text' ? last.parts[0].text : '';
          return from([...deltas(full.slice(prefill.length), cutsAfter), { type: 'response_finished', reason: 'stop' } as LipEvent]);
        },
      }).subscribe({ next: (e) => { if (e.type === 'text_delta') client.push(e.text); }, error: (e: unknown) => { failed = e; } });
      expect(failed).to.equal(undefined);
      expect(prefill).to.equal(partial.replace(/\s+$/, ''));
      expect(client.join('')).to.equal(full);
    }), fuzzParameters());
  });
});
