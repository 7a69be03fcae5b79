import { expect } from 'chai';
import { LOAD_OPTIONS } from '../../lib/cli/config-source.js';
import { ConfigError, parseConfig } from '../../lib/config/index.js';
import { nearest } from '../../lib/config/suggest.js';

/**
 * Found by spec/fuzz/config.fuzz.spec.ts: a 300 KB value where a short name belongs (a backend
 * kind, an enum) took seconds to reject, because the "did you mean" suggestion measured the
 * quadratic edit distance (and allocated a 300,000-row table) against every candidate. A
 * candidate whose length alone rules it out is no longer measured.
 */
describe('config regression: suggestions for a huge value', function () {
  // Generous: the fixed code answers in milliseconds; the old one took about 2 s per candidate.
  this.timeout(5_000);
  const huge = 'x'.repeat(1_000_000);

  it('does not measure candidates that cannot be a typo of the word', () => {
    const kinds = ['localstub', 'openai-chat', 'openai-responses', 'anthropic', 'gemini'];
    expect(nearest(huge, kinds)).to.equal(undefined);
    expect(nearest('localstb', kinds)).to.equal('localstub');
    expect(nearest('prot', ['port', 'host'])).to.equal('port');
  });

  it('rejects a config with a megabyte backend kind promptly', () => {
    expect(() => parseConfig(`backends:\n  - { id: a, kind: "${huge}" }\n`, 'huge.yaml', { ...LOAD_OPTIONS, env: {} }))
      .to.throw(ConfigError, /unknown backend kind/);
  });
});
