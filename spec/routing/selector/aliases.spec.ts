import { expect } from 'chai';
import { applyAliases, compileAliases } from '../../../lib/routing/selector/aliases.js';
import { firstLeafBackend } from '../../../lib/routing/selector/first-backend.js';

describe('routing/selector/aliases', () => {
  const aliases = compileAliases([
    { pattern: '^gpt-4o$', replacement: 'openai:gpt-4o|anthropic:claude-sonnet-4' },
    { pattern: '^pre-(.+)$', replacement: 'stub:${1}' },
    { pattern: '^(?<name>fast)$', replacement: 'stub:$<name>-model' },
    { pattern: 'gpt', replacement: 'never-reached' },
  ]);

  it('applies the first matching rule, with captures', () => {
    expect(applyAliases('gpt-4o', aliases)).to.deep.equal({ selector: 'openai:gpt-4o|anthropic:claude-sonnet-4', alias: { pattern: '^gpt-4o$', replacement: 'openai:gpt-4o|anthropic:claude-sonnet-4' } });
    expect(applyAliases(' pre-abc ', aliases).selector).to.equal('stub:abc');
    expect(applyAliases('fast', aliases).selector).to.equal('stub:fast-model');
  });

  it('is not recursive and leaves unmatched selectors alone', () => {
    expect(applyAliases('pre-gpt-4o', aliases).selector).to.equal('stub:gpt-4o');
    expect(applyAliases('claude', aliases)).to.deep.equal({ selector: 'claude' });
  });

  it('replaces every match of an unanchored pattern', () => {
    const [rule] = compileAliases([{ pattern: 'old', replacement: 'new' }]);
    expect(applyAliases('old:m|old:n', [rule!]).selector).to.equal('new:m|new:n');
    expect(applyAliases('old:m|old:n', [rule!]).selector).to.equal('new:m|new:n'); // the regex state does not leak between calls
  });

  it('finds the backend of the first leaf', () => {
    expect(firstLeafBackend('openai:gpt-4o')).to.equal('openai');
    expect(firstLeafBackend('{ttft_timeout=2s}[weight=2]a.b:m1^c:m2')).to.equal('a.b');
    expect(firstLeafBackend('ollama:google/gemma3:4b')).to.equal('ollama');
    expect(firstLeafBackend('gpt-4o')).to.equal(undefined);
    expect(firstLeafBackend('gpt-4o|a:b')).to.equal(undefined);
    expect(firstLeafBackend('m?temperature=0.5')).to.equal(undefined);
  });
});
