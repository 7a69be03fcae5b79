import { expect } from 'chai';
import { compileAliases } from '../../../lib/routing/selector/aliases.js';
import { explainSelector } from '../../../lib/routing/selector/explain-selector.js';
import { renderExplanation } from '../../../lib/routing/selector/render-explain.js';

const leg = (backend: string, model: string, extra: Record<string, unknown> = {}) => ({
  backend, model, candidate_key: `${backend}:${model}`, handicap_ms: null, ttft_timeout_ms: null, max_context: null, min_context: null, params: {}, ...extra,
});

describe('routing/selector/explainSelector', () => {
  const aliases = compileAliases([
    { pattern: '^fast$', replacement: '[handicap=300ms]a:m1!b:m2' },
    { pattern: '^broken$', replacement: 'a:m1!!b:m2' },
  ]);
  const explain = (selector: string) => explainSelector(selector, { aliases, defaultBackend: 'a' });

  it('prints the contract example exactly (aliases applied, durations in ms, absent values null)', () => {
    expect(explain('fast').json).to.deep.equal({
      selector: 'fast', resolved: '[handicap=300ms]a:m1!b:m2',
      global: { ttft_timeout_ms: null, affinity: null },
      arms: [{ type: 'race', legs: [leg('a', 'm1', { handicap_ms: 300 }), leg('b', 'm2', { handicap_ms: 0 })] }],
    });
  });

  it('lists single arms and weighted arms under branches, with weight and first for weighted ones', () => {
    const x = explain('{ttft_timeout=30,affinity=session}[weight=3,first]c:m?top_p=0.5&note=x^[ttft_timeout=2s,min_context=8K,max_context=1M]d:m | m9');
    expect(x.json).to.deep.equal({
      selector: '{ttft_timeout=30,affinity=session}[weight=3,first]c:m?top_p=0.5&note=x^[ttft_timeout=2s,min_context=8K,max_context=1M]d:m | m9',
      resolved: '{ttft_timeout=30,affinity=session}[weight=3,first]c:m?top_p=0.5&note=x^[ttft_timeout=2s,min_context=8K,max_context=1M]d:m | m9',
      global: { ttft_timeout_ms: 30_000, affinity: 'session' },
      arms: [
        { type: 'weighted', branches: [
          { ...leg('c', 'm', { candidate_key: 'c:m?note=x&top_p=0.5', params: { top_p: 0.5 } }), weight: 3, first: true },
          { ...leg('d', 'm', { ttft_timeout_ms: 2_000, min_context: 8_000, max_context: 1_000_000 }), weight: 1, first: false },
        ] },
        { type: 'single', branches: [leg('a', 'm9')] },
      ],
    });
  });

  it('reports a parse error as {error: {message, column}}, the column inside the resolved selector', () => {
    const direct = explain('a:m1|');
    expect(direct.ok).to.equal(false);
    expect(direct.json).to.deep.equal({ error: { message: 'invalid route selector at column 5: empty failover arm after the last "|"', column: 5 } });
    expect(explain('broken').json).to.deep.equal({ error: { message: 'invalid route selector at column 6: empty race leg between "!" and "!"', column: 6 } });
  });

  it('reports a model-only leaf without a default backend as an error', () => {
    expect(explainSelector('x:m|m2', { aliases, defaultBackend: undefined }).json).to.deep.equal({ error: { message: 'invalid route selector at column 5: the model-only leaf "m2" needs a default backend, but the default route names none', column: 5 } });
  });

  it('renders a readable tree', () => {
    const text = renderExplanation(explain('fast'));
    expect(text.split('\n')).to.deep.equal([
      'selector  fast',
      'resolved  [handicap=300ms]a:m1!b:m2   (alias ^fast$)',
      'global    ttft_timeout none, affinity none',
      'arm 1: race of 2 legs, every leg starts after its handicap, the first to output wins and the others are cancelled',
      '  leg 1     a:m1   starts at 300ms',
      '  leg 2     b:m2   starts at 0ms',
    ]);
    const weighted = renderExplanation(explain('{ttft_timeout=90s}[weight=3,first]c:m?temperature=0.2&temprature=1^m2 | [ttft_timeout=1500ms,max_context=8K]d:m'));
    expect(weighted).to.contain('global    ttft_timeout 90s, affinity none');
    expect(weighted).to.contain('arm 1 of 2: weighted choice among 2 branches');
    expect(weighted).to.contain('  branch 1  c:m?temperature=0.2&temprature=1   weight 3 (75%), first, overrides temperature=0.2, "temprature" changes nothing (did you mean "temperature"?)');
    expect(weighted).to.contain('  branch 2  a:m2   weight 1 (25%), model-only: default backend');
    expect(weighted).to.contain('arm 2 of 2 (if arm 1 fails before output): single leaf');
    expect(weighted).to.contain('  leaf      d:m   ttft_timeout 1500ms, only up to 8000 tokens');
  });

  it('given routing.max_attempts, marks the race legs it never lets start and the arms it never lets be tried', () => {
    expect(renderExplanation(explain('a:t400!a:t401!a:t402!a:ok|b:m'), 3).split('\n').slice(2)).to.deep.equal([
      'arm 1 of 2: race of 4 legs, every leg starts after its handicap, the first to output wins and the others are cancelled',
      '  leg 1     a:t400   starts at 0ms',
      '  leg 2     a:t401   starts at 0ms',
      '  leg 3     a:t402   starts at 0ms',
      '  leg 4     a:ok   never starts: the legs that start before it spend routing.max_attempts (3)',
      'arm 2 of 2 (if arm 1 fails before output): single leaf; never tried: the arms before it spend routing.max_attempts (3)',
      '  leaf      b:m',
    ]);
    expect(renderExplanation(explain('a:t400!a:t401!a:t402!a:ok'), 4)).not.to.contain('never');
  });

  it('does not count a candidate repeated after it failed: routing skips it without an open', () => {
    expect(renderExplanation(explain('b:m|b:m|b:m|a:m1'), 3)).not.to.contain('never');
    expect(renderExplanation(explain('[weight=1]b:m^b:m|b:m|a:m1'), 3)).not.to.contain('never');
    expect(renderExplanation(explain('b:m|b:m!a:m1!a:m2'), 3)).not.to.contain('never');
    expect(renderExplanation(explain('b:m|b:m!a:m1!a:m2'), 2).split('\n').slice(-3)).to.deep.equal([
      '  leg 1     b:m   starts at 0ms',
      '  leg 2     a:m1   starts at 0ms',
      '  leg 3     a:m2   never starts: the legs that start before it spend routing.max_attempts (2)',
    ]);
    expect(renderExplanation(explain('b:m|b:m|a:m1|a:m2'), 2)).to.contain('arm 4 of 4 (if arm 3 fails before output): single leaf; never tried');
  });

  it('renders a parse error with a caret under the column', () => {
    expect(renderExplanation(explain('broken')).split('\n')).to.deep.equal([
      'selector  broken',
      'resolved  a:m1!!b:m2   (alias ^broken$)',
      '',
      'invalid route selector at column 6: empty race leg between "!" and "!"',
      '  a:m1!!b:m2',
      '       ^',
    ]);
  });
});
