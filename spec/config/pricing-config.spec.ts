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

describe('config: per-key budgets (auth.api_keys[].budget)', () => {
  const keys = (budget: string, extra = '') => `${BACKENDS}\n${extra}\nauth: { api_keys: [{ id: team, key: "team-key-0123456789", budget: ${budget} }] }`;

  it('accepts a cost budget with prices, a token budget without, and both', () => {
    expect(configFrom(keys('{ max_cost: 25, period: month }', 'pricing: [{ backend: oa, input: 1, output: 2 }]')).auth.api_keys[0]!.budget).to.deep.equal({ max_cost: 25, period: 'month' });
    expect(configFrom(keys('{ max_tokens: 1000000, period: day }')).auth.api_keys[0]!.budget).to.deep.equal({ max_tokens: 1_000_000, period: 'day' });
    expect(configFrom(keys('{ max_cost: 1.5, max_tokens: 10, period: hour }', 'model_catalog: { enabled: true, path: ./catalog.json, prices: true }')).auth.api_keys[0]!.budget).to.deep.equal({ max_cost: 1.5, max_tokens: 10, period: 'hour' });
  });

  it('refuses a budget without a limit, a cost budget nothing prices, an unknown period and limits that are not positive', () => {
    expect(messages(keys('{ period: day }'))).to.deep.equal(['auth.api_keys[0].budget: sets no limit: give max_cost, max_tokens or both']);
    expect(messages(keys('{ max_cost: 5, period: day }'))).to.deep.equal(['auth.api_keys[0].budget.max_cost: nothing is priced, so no attempt has a cost to count: add pricing rows (or turn on model_catalog with prices: true), or budget in max_tokens']);
    // A disabled catalog prices nothing, whatever its prices says.
    expect(messages(keys('{ max_cost: 5, period: day }', 'model_catalog: { enabled: false, path: ./catalog.json, prices: true }'))).to.deep.equal(['auth.api_keys[0].budget.max_cost: nothing is priced, so no attempt has a cost to count: add pricing rows (or turn on model_catalog with prices: true), or budget in max_tokens']);
    expect(messages(keys('{ max_tokens: 5, period: year }'))[0]).to.match(/^auth\.api_keys\[0\]\.budget\.period: /);
    expect(messages(keys('{ max_tokens: 0, period: day }'))[0]).to.match(/^auth\.api_keys\[0\]\.budget\.max_tokens: /);
    expect(messages(keys('{ max_cost: 0, period: day }', 'pricing: [{ backend: oa, input: 1, output: 2 }]'))[0]).to.match(/^auth\.api_keys\[0\]\.budget\.max_cost: /);
    expect(messages(keys('{ max_tokens: 5, period: day, currency: usd }'))[0]).to.match(/^auth\.api_keys\[0\]\.budget\.currency: unknown key/);
  });
});
