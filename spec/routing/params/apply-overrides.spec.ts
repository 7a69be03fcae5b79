import { expect } from 'chai';
import type { GenerationOptions } from '../../../lib/canonical/index.js';
import { applyOverrides, hasOverrides } from '../../../lib/routing/params/apply-overrides.js';
import { parseSelector } from '../../../lib/routing/selector/parse-selector.js';
import type { SingleArm } from '../../../lib/routing/selector/ast.js';

const paramsOf = (selector: string) => (parseSelector(selector).arms[0] as SingleArm).leg.params;

describe('routing/params/applyOverrides', () => {
  const request: GenerationOptions = {
    temperature: 1, topP: 0.5, maxOutputTokens: 100, stopSequences: ['END'],
    reasoning: { effort: 'low', budgetTokens: 2048 }, verbosity: 'medium', parallelToolCalls: true,
  };

  it('returns the request options themselves when the leaf has no overrides', () => {
    expect(applyOverrides(request, paramsOf('a:m'))).to.equal(request);
    expect(applyOverrides(request, paramsOf('a:m?note=1'))).to.equal(request);
    expect(hasOverrides(paramsOf('a:m?note=1'))).to.equal(false);
  });

  it('replaces exactly the overridden options and leaves the rest', () => {
    const out = applyOverrides(request, paramsOf('a:m?temperature=0.2&max_output_tokens=64&parallel_tool_calls=off'));
    expect(out).to.deep.equal({ ...request, temperature: 0.2, maxOutputTokens: 64, parallelToolCalls: false });
    expect(request.temperature).to.equal(1); // not mutated
    expect(hasOverrides(paramsOf('a:m?temperature=0.2'))).to.equal(true);
  });

  it('sets reasoning.effort and keeps the rest of reasoning', () => {
    expect(applyOverrides(request, paramsOf('a:m?reasoning_effort=high')).reasoning).to.deep.equal({ effort: 'high', budgetTokens: 2048 });
    expect(applyOverrides({}, paramsOf('a:m?reasoning_effort=minimal')).reasoning).to.deep.equal({ effort: 'minimal' });
  });

  it("is the operator's request for reasoning: an Anthropic client's own effort mark and its thinking off do not carry over", () => {
    const own: GenerationOptions = { reasoning: { effort: 'low', outputEffort: true } };
    expect(applyOverrides(own, paramsOf('a:m?reasoning_effort=high')).reasoning).to.deep.equal({ effort: 'high' });
    expect(applyOverrides({ reasoning: { disabled: true } }, paramsOf('a:m?reasoning_effort=high')).reasoning).to.deep.equal({ effort: 'high' });
  });

  it('fills options the request did not set', () => {
    expect(applyOverrides({}, paramsOf('a:m?top_p=0.25&verbosity=high'))).to.deep.equal({ topP: 0.25, verbosity: 'high' });
  });
});
