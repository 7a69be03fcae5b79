import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configProblems as problems } from '../helpers/config.js';

const BACKENDS = 'backends:\n  - { id: stub, kind: localstub, models: [m] }\n  - { id: off, kind: localstub, enabled: false }\n';

/**
 * Found by probing: the selectors inside a feature's config were never checked when the config
 * loaded (only routing.default_route and the alias replacements were). A pre-request-policy
 * judge route that did not parse (`stub:m|`) passed `lip check-config`, then every request was
 * denied (the judge fails closed); one naming no configured backend (`nosuch:m`) ran the default
 * route, so the client's text was judged by a model nobody chose. The same held for
 * compaction-continuity's extractor.route and ref-verifier-stub's model_routing_string. Each is
 * now held to the default route's rules, at its own key.
 */
describe('config regression: the selectors in a feature config are checked when it loads', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'lip-feature-selectors-'));
    writeFileSync(join(dir, 'judge.md'), 'judge');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const judge = (selector: string, row = '') => `features:\n  - { id: pre-request-policy,${row} config: { prompt_dir: ${JSON.stringify(dir)}, handlers: [{ id: j, prompt_filename: judge.md, model_routing_string: "${selector}", deny_pattern: X }] } }\n${BACKENDS}`;
  const at = (selector: string) => 1 + judge(selector).split('\n')[1]!.indexOf(`"${selector}"`);

  it('pre-request-policy: a judge route that does not parse, or names no enabled backend, is refused at its key', () => {
    expect(problems(judge('stub:m|'))).to.deep.equal([
      `lip.yaml:2:${at('stub:m|')}: features[0].config.handlers[0].model_routing_string: invalid route selector at column 7: empty failover arm after the last "|"`,
    ]);
    expect(problems(judge('nosuch:m'))).to.deep.equal([
      `lip.yaml:2:${at('nosuch:m')}: features[0].config.handlers[0].model_routing_string: names the backend "nosuch", which is not configured or not enabled (known: stub)`,
    ]);
    expect(problems(judge('stub:m|off:m'))[0]).to.match(/handlers\[0\]\.model_routing_string: names the backend "off", which is not configured or not enabled \(known: stub\) at column 8$/);
  });

  it('a model that names no backend (it would run the default route) is refused; an alias may make it a selector', () => {
    expect(problems(judge('judge-model'))).to.deep.equal([
      `lip.yaml:2:${at('judge-model')}: features[0].config.handlers[0].model_routing_string: the first leaf "judge-model" names no backend; a feature's selector must start with backend:model (a model alone names no route, so its call would go to the default route)`,
    ]);
    expect(problems(`model_aliases:\n  - { pattern: "^judge-model$", replacement: "stub:m" }\n${judge('judge-model')}`)).to.deep.equal([]);
    expect(problems(judge('stub:m^stub:m'))).to.deep.equal([]);
  });

  it('compaction-continuity extractor.route and ref-verifier-stub model_routing_string are checked the same way', () => {
    const compaction = (route: string, extra = '') => `features:\n  - { id: compaction-continuity, config: { extractor: { route: "${route}"${extra} } } }\n${BACKENDS}`;
    expect(problems(compaction('stub:m|'))).to.deep.equal([
      'lip.yaml:2:64: features[0].config.extractor.route: invalid route selector at column 7: empty failover arm after the last "|"',
    ]);
    expect(problems(compaction('stub:m'))).to.deep.equal([]);
    // A disabled extractor sends nothing to its route.
    expect(problems(compaction('nosuch:m', ', enabled: false'))).to.deep.equal([]);
    const verifier = (selector: string) => `features:\n  - { id: ref-verifier-stub, config: { model_routing_string: "${selector}" } }\n${BACKENDS}`;
    expect(problems(verifier('nosuch:m'))).to.deep.equal([
      'lip.yaml:2:62: features[0].config.model_routing_string: names the backend "nosuch", which is not configured or not enabled (known: stub)',
    ]);
    // Empty: the verifier's documented "the default route".
    expect(problems(verifier(''))).to.deep.equal([]);
  });

  it('a disabled feature row is not checked (it is never built)', () => {
    expect(problems(judge('nosuch:m', ' enabled: false,'))).to.deep.equal([]);
  });
});
