import { expect } from 'chai';
import { compileAliases } from '../../lib/routing/selector/aliases.js';
import { MAX_SELECTOR_INPUT_CHARS, resolveSelector } from '../../lib/core/route-input.js';
import { LipError } from '../../lib/errors/index.js';

describe('core/resolveSelector', () => {
  const ids = new Set(['stub', 'openai']);
  const aliases = compileAliases([{ pattern: '^gpt-4o$', replacement: 'openai:gpt-4o' }, { pattern: '^default$', replacement: 'stub:aliased-default' }]);

  it('prefers the X-LIP-Route header, with aliases applied', () => {
    expect(resolveSelector({ header: 'gpt-4o', model: 'stub:x' }, ids, aliases, 'stub:d')).to.deep.equal({ selector: 'openai:gpt-4o', source: 'header' });
  });

  it('uses the model when its first leaf names a configured backend', () => {
    expect(resolveSelector({ model: 'stub:m1' }, ids, aliases, 'stub:d')).to.deep.equal({ selector: 'stub:m1', source: 'model' });
  });

  it('uses an alias matching the model', () => {
    expect(resolveSelector({ model: 'gpt-4o' }, ids, aliases, 'stub:d')).to.deep.equal({ selector: 'openai:gpt-4o', source: 'alias' });
  });

  it('falls back to the default route (aliased) for other models', () => {
    expect(resolveSelector({ model: 'unknown:model' }, ids, aliases, 'stub:d')).to.deep.equal({ selector: 'stub:d', source: 'default' });
    expect(resolveSelector({ model: 'claude' }, ids, aliases, 'default')).to.deep.equal({ selector: 'stub:aliased-default', source: 'default' });
    expect(resolveSelector({ header: '  ', model: '' }, ids, aliases, 'stub:d').source).to.equal('default');
  });

  it('refuses a header or a model longer than 4,096 characters (LIP_ERR_REQUEST_LIMIT_EXCEEDED, 400, naming it)', () => {
    const long = `stub:${'m'.repeat(MAX_SELECTOR_INPUT_CHARS)}`;
    const fail = (input: { header?: string; model: string }) => {
      try {
        resolveSelector(input, ids, aliases, 'stub:d');
      } catch (err) {
        expect(err).to.be.instanceOf(LipError);
        return `${(err as LipError).code} ${(err as LipError).status} ${(err as LipError).param} ${(err as LipError).message}`;
      }
      return 'resolved';
    };
    expect(fail({ model: long })).to.equal('LIP_ERR_REQUEST_LIMIT_EXCEEDED 400 model the model is 4101 characters long; a selector may have at most 4096 (column 4097)');
    expect(fail({ header: long, model: 'stub:m' })).to.match(/^LIP_ERR_REQUEST_LIMIT_EXCEEDED 400 X-LIP-Route the X-LIP-Route header is 4101 characters/);
    expect(fail({ model: 'x'.repeat(65_000) })).to.match(/^LIP_ERR_REQUEST_LIMIT_EXCEEDED/); // not a selector: refused all the same
    expect(fail({ model: long.slice(0, MAX_SELECTOR_INPUT_CHARS) })).to.equal('resolved');
  });
});
