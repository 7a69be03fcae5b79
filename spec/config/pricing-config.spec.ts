import { expect } from 'chai';
import { configFrom, configIssues } from '../helpers/config.js';

const BACKENDS = 'backends: [{ id: oa, kind: localstub }, { id: an, kind: localstub }]';
const messages = (yaml: string): string[] => configIssues(yaml);

describe('config: pricing and observability keys', () => {
  it('defaults: no pricing, system routes not counted, tracing off', () => {
    const config = configFrom(BACKENDS);
    expect(config.pricing).to.deep.equal([]);
    expect(config.observability).to.deep.equal({
      metrics: { enabled: false, path: '/metrics' },
      tracing: { enabled: false, service_name: 'lip', exporter: 'otlp', sample_ratio: 1 },
      include_system_routes: false,
    });
  });

  it('accepts per-backend and per-model prices', () => {
    const config = configFrom(`${BACKENDS}\npricing: [{ backend: oa, input: 2.5, output: 10, cache_read: 1.25 }, { backend: oa, model: big, input: 5, output: 20, reasoning: 30 }]`);
    expect(config.pricing).to.deep.equal([
      { backend: 'oa', input: 2.5, output: 10, cache_read: 1.25 },
      { backend: 'oa', model: 'big', input: 5, output: 20, reasoning: 30 },
    ]);
  });

  it('rejects unknown backends, duplicate rows, negative prices, missing prices and unknown keys', () => {
    expect(messages(`${BACKENDS}\npricing: [{ backend: nope, input: 1, output: 1 }]`)).to.deep.equal(['pricing[0].backend: no backend "nope" is configured']);
    expect(messages(`${BACKENDS}\npricing: [{ backend: oa, model: m, input: 1, output: 1 }, { backend: oa, model: m, input: 2, output: 2 }]`))
      .to.deep.equal(['pricing[1]: duplicate price for "oa" model "m" (first given by pricing[0])']);
    expect(messages(`${BACKENDS}\npricing: [{ backend: oa, input: -1, output: 1 }]`)[0]).to.match(/^pricing\[0\]\.input: .*>= 0/);
    expect(messages(`${BACKENDS}\npricing: [{ backend: oa, input: 1 }]`)[0]).to.match(/^pricing\[0\]: .*output/);
    expect(messages(`${BACKENDS}\npricing: [{ backend: oa, input: 1, output: 1, currency: usd }]`)[0]).to.match(/^pricing\[0\]\.currency: unknown key/);
  });
});
