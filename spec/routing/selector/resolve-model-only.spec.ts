import { expect } from 'chai';
import { compileAliases } from '../../../lib/routing/selector/aliases.js';
import { candidateKey, leavesOf } from '../../../lib/routing/selector/candidate-key.js';
import { parseSelector } from '../../../lib/routing/selector/parse-selector.js';
import { defaultBackendFor, defaultBackendOf, resolveModelOnly } from '../../../lib/routing/selector/resolve-model-only.js';
import { SelectorError } from '../../../lib/routing/selector/selector-error.js';

describe('routing/selector/resolveModelOnly', () => {
  it('gives model-only leaves the default backend, in every arm kind, and keeps everything else', () => {
    const s = resolveModelOnly(parseSelector('{affinity=client}gpt-4o-mini?temperature=0.5 | [weight=2]x:m^m2 | [handicap=1s]m3!y:m | :qwen3:8b'), 'stub');
    expect(s.arms.flatMap(leavesOf).map(candidateKey)).to.deep.equal(['stub:gpt-4o-mini?temperature=0.5', 'x:m', 'stub:m2', 'stub:m3', 'y:m', 'stub:qwen3:8b']);
    expect(s.global).to.deep.equal({ affinity: 'client' });
    expect(s.arms[1]).to.deep.include({ type: 'weighted' });
    expect(s.arms[2]!.type === 'race' && s.arms[2]!.legs[0]!.handicapMs).to.equal(1000);
  });

  it('returns the same selector when nothing is model-only, and does not touch the input', () => {
    const parsed = parseSelector('a:m|b:m');
    expect(resolveModelOnly(parsed, 'stub')).to.equal(parsed);
    const modelOnly = parseSelector('m');
    resolveModelOnly(modelOnly, 'stub');
    expect(leavesOf(modelOnly.arms[0]!)[0]!.backend).to.equal(undefined);
  });

  it('rejects a model-only leaf when there is no default backend, at its column', () => {
    try {
      resolveModelOnly(parseSelector('a:m | [weight=1]m2'), undefined);
      expect.fail('resolved');
    } catch (err) {
      expect(err).to.be.instanceOf(SelectorError);
      expect([(err as SelectorError).column, (err as SelectorError).reason]).to.deep.equal([17, 'the model-only leaf "m2" needs a default backend, but the default route names none']);
    }
  });

  it('takes the default backend from the first leaf of the default route', () => {
    expect(defaultBackendOf(parseSelector('a:m|b:m'))).to.equal('a');
    expect(defaultBackendOf(parseSelector('{ttft_timeout=1}[weight=1]w:m^v:m'))).to.equal('w');
    expect(defaultBackendOf(parseSelector('[handicap=1]r:m!s:m'))).to.equal('r');
    expect(defaultBackendOf(parseSelector('m|b:m'))).to.equal(undefined);
  });

  it('applies the aliases to the configured default route first', () => {
    const aliases = compileAliases([{ pattern: '^fast$', replacement: 'quick:m!slow:m' }]);
    expect(defaultBackendFor('fast', aliases)).to.equal('quick');
    expect(defaultBackendFor('stub:stub-default', aliases)).to.equal('stub');
    expect(defaultBackendFor('a:m!!', aliases)).to.equal(undefined);
  });
});
