import { expect } from 'chai';
import { configProblems as problems } from '../helpers/config.js';
import { checkSelector } from '../../lib/core/check-selector.js';

const ids = new Set(['a', 'b.c', 'stub']);

describe('core/checkSelector', () => {
  it('accepts selectors that parse and name only configured backends (model-only leaves included)', () => {
    expect(checkSelector('a:m1', ids)).to.equal(undefined);
    expect(checkSelector('{ttft_timeout=30}[weight=2]a:m^b.c:m | [handicap=1]stub:x!m2', ids)).to.equal(undefined);
    expect(checkSelector('gpt-4o-mini', ids)).to.equal(undefined);
  });

  it('reports a parse error with its column', () => {
    expect(checkSelector('a:m!!b.c:m', ids)).to.equal('invalid route selector at column 5: empty race leg between "!" and "!"');
  });

  it('reports every leaf, not only the first, naming an unknown backend (with its column beyond the first)', () => {
    expect(checkSelector('nope:m', ids)).to.equal('names the backend "nope", which is not configured or not enabled (known: a, b.c, stub)');
    expect(checkSelector('a:m | [weight=2]b.c:m^zz:m', ids)).to.equal('names the backend "zz", which is not configured or not enabled (known: a, b.c, stub) at column 23');
  });

  it('requires the default route to start with backend:model, after the aliases', () => {
    expect(checkSelector('gpt-4o', ids, { defaultRoute: true })).to.match(/^the first leaf "gpt-4o" names no backend; the default route must start with backend:model/);
    expect(checkSelector('a:m|gpt-4o', ids, { defaultRoute: true })).to.equal(undefined);
    const aliases = [{ pattern: '(', replacement: 'broken' }, { pattern: '^fast$', replacement: 'a:m!zz:m' }];
    expect(checkSelector('fast', ids, { defaultRoute: true, aliases })).to.equal('names the backend "zz", which is not configured or not enabled (known: a, b.c, stub) at column 5 (in "a:m!zz:m", after model_aliases)');
    expect(checkSelector('fast', ids, { defaultRoute: true, aliases: [{ pattern: '^fast$', replacement: 'a:m' }] })).to.equal(undefined);
  });

  it('requires a feature\'s selector to start with backend:model (after the aliases) and to fit the request limit', () => {
    expect(checkSelector('judge', ids, { feature: true })).to.match(/^the first leaf "judge" names no backend; a feature's selector must start with backend:model/);
    expect(checkSelector('judge', ids, { feature: true, aliases: [{ pattern: '^judge$', replacement: 'a:m' }] })).to.equal(undefined);
    expect(checkSelector('a:m|judge', ids, { feature: true })).to.equal(undefined);
    expect(checkSelector(`a:m?note=${'n'.repeat(5_000)}`, ids, { feature: true })).to.equal('is 5009 characters long; a request\'s model may have at most 4096, so every call the feature makes with it would be refused');
  });

  describe('through the config loader', () => {
    const backends = 'backends:\n  - { id: stub, kind: localstub }\n  - { id: off, kind: localstub, enabled: false }\n';

    it('rejects an invalid default route and alias replacement at their YAML positions', () => {
      expect(problems(`routing:\n  default_route: "stub:m|"\nmodel_aliases:\n  - { pattern: "^x$", replacement: "[wieght=2]stub:m" }\n${backends}`)).to.deep.equal([
        'lip.yaml:2:18: routing.default_route: invalid route selector at column 7: empty failover arm after the last "|"',
        'lip.yaml:4:36: model_aliases[0].replacement: invalid route selector at column 2: unknown annotation "wieght" (did you mean "weight"?); known: weight, first, handicap, ttft_timeout, max_context, min_context',
      ]);
    });

    it('rejects disabled backends, and a model-only default route', () => {
      expect(problems(`routing:\n  default_route: "stub:m|off:m"\n${backends}`)[0]).to.match(/routing\.default_route: names the backend "off", which is not configured or not enabled \(known: stub\) at column 8$/);
      expect(problems(`routing:\n  default_route: "gpt-4o"\n${backends}`)[0]).to.match(/routing\.default_route: the first leaf "gpt-4o" names no backend/);
    });

    it('a default route may be up to 65,536 characters; an alias replacement over 4,096 (what requests are held to) is an error', () => {
      const long = `stub:m?note=${'n'.repeat(5_000)}`;
      expect(problems(`routing:\n  default_route: "${long}"\n${backends}`)).to.deep.equal([]);
      expect(problems(`model_aliases:\n  - { pattern: "^big$", replacement: "${long}" }\n${backends}`)).to.deep.equal([
        'lip.yaml:2:38: model_aliases[0].replacement: is 5012 characters long; a request\'s selector after aliases may have at most 4096, so every request it rewrites would be refused (a long route belongs in routing.default_route)',
      ]);
    });

    it('accepts a default route that an alias turns into a selector, and capture templates in replacements', () => {
      expect(problems(`routing:\n  default_route: "fast"\nmodel_aliases:\n  - { pattern: "^fast$", replacement: "stub:m1!stub:m2" }\n  - { pattern: "^pre-(.+)$", replacement: "stub:\${1}?temperature=0.5" }\n${backends}`)).to.deep.equal([]);
    });
  });
});
