import { expect } from 'chai';
import { configProblems as problems } from '../helpers/config.js';

const BACKENDS = 'backends:\n  - { id: stub, kind: localstub }\n  - { id: off, kind: localstub, enabled: false }\n';

/**
 * Found by probing: a reasoning-output-preservation rule naming a backend that is not configured
 * (a typo of its id) was accepted and never matched, so the backend it meant went without its
 * reasoning. Every other key that names a backend (pricing, model_catalog.backends, an API key's
 * allow list) refuses an unknown id; the rule's backend is now refused the same way, at its key.
 */
describe('config regression: a reasoning-output-preservation rule names a configured backend', () => {
  const rules = (rows: string, row = '') => `features:\n  - { id: reasoning-output-preservation,${row} config: { rules: [${rows}] } }\n${BACKENDS}`;

  it('refuses a rule whose backend is not configured, at rules[i].backend', () => {
    expect(problems(rules('{ backend: stub, enabled: true }, { backend: stbu, enabled: true }'))).to.deep.equal([
      'lip.yaml:2:105: features[0].config.rules[1].backend: no backend "stbu" is configured',
    ]);
  });

  it('accepts a configured backend, enabled or not, and a disabled feature row is not checked', () => {
    expect(problems(rules('{ backend: stub, enabled: true }, { backend: off, models: [x], enabled: false }'))).to.deep.equal([]);
    expect(problems(rules('{ backend: nosuch, enabled: true }', ' enabled: false,'))).to.deep.equal([]);
  });
});
