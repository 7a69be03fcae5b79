import { expect } from 'chai';
import { compileAliases } from '../../lib/routing/selector/aliases.js';
import { resolveSelector } from '../../lib/core/route-input.js';

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
});
