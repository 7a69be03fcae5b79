import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CatalogPolicy, CatalogSnapshot, CatalogSource } from '../../../lib/core/model-catalog/index.js';
import { Pricing } from '../../../lib/observability/pricing.js';
import { configFrom } from '../../helpers/config.js';

const SNAPSHOT = new URL('../../../testdata/model-catalog/models-dev.json', import.meta.url).pathname;

/** The policy of a config; without a `model_catalog` section, the catalog on over `path`. */
function policyFor(yaml: string, path = SNAPSHOT, logger?: { warn: (m: string, meta?: Record<string, unknown>) => void }): CatalogPolicy {
  const config = configFrom(yaml.includes('model_catalog:') ? yaml : `${yaml}\nmodel_catalog: { enabled: true, path: "${path}" }`);
  const source = new CatalogSource({ ...config.model_catalog, path: config.model_catalog.path! });
  const sink = { info: () => undefined, error: () => undefined, warn: logger?.warn ?? (() => undefined) };
  return new CatalogPolicy(config.model_catalog, config.backends, source, sink);
}

describe('core/model-catalog/catalog-policy: a candidate\'s facts and where they came from', () => {
  it('a kind at its own endpoint serves its provider; another base_url is matched by name; a mapping wins', () => {
    const policy = policyFor([
      'backends:',
      '  - { id: own, kind: openai-chat, api_key: k }',
      '  - { id: proxy, kind: openai-chat, base_url: "http://127.0.0.1:9/v1", api_key: k }',
      '  - { id: mapped, kind: openai-chat, base_url: "http://127.0.0.1:9/v1", api_key: k }',
      '  - { id: off, kind: anthropic, api_key: k }',
      '  - { id: ds, kind: deepseek, api_key: k }',
      '  - { id: local, kind: ollama }',
      'model_catalog: { enabled: true, path: "' + SNAPSHOT + '", backends: { mapped: openai, off: none } }',
    ].join('\n'));
    expect(['own', 'proxy', 'mapped', 'off', 'ds', 'local'].map((id) => policy.providerOf(id))).to.deep.equal(['openai', '*', 'openai', 'none', 'deepseek', '*']);
    expect(policy.resolve('own', 'gpt-4o')).to.deep.include({ match: 'exact', entries: ['openai/gpt-4o'], provider: 'openai' });
    expect(policy.resolve('off', 'claude-sonnet-4-5')).to.deep.include({ match: 'not_applied', facts: {}, entries: [] });
    expect(policy.resolve('ds', 'deepseek-v4-flash').facts).to.deep.include({ context: 1_000_000, tools: true, modalities: ['text'] });
  });

  it('the own endpoint written with a trailing slash is still the own endpoint (the backend strips it)', () => {
    const policy = policyFor([
      'backends:',
      '  - { id: oa, kind: openai-chat, base_url: "https://api.openai.com/v1/", api_key: k }',
      '  - { id: an, kind: anthropic, base_url: "https://api.anthropic.com//", api_key: k }',
    ].join('\n'));
    expect(['oa', 'an'].map((id) => policy.providerOf(id))).to.deep.equal(['openai', 'anthropic']);
    expect(policy.resolve('oa', 'gpt-4o')).to.deep.include({ match: 'exact', entries: ['openai/gpt-4o'] });
  });

  it('by name, each fact is taken only where every entry stating it agrees', () => {
    const policy = policyFor('backends:\n  - { id: proxy, kind: openai-chat, base_url: "http://127.0.0.1:9/v1", api_key: k }');
    const resolved = policy.resolve('proxy', 'gpt-4o');
    expect(resolved.match).to.equal('by_name');
    expect(resolved.entries).to.have.length(3);
    // OpenAI and OpenRouter say image+pdf, GitHub Models image+audio: the modalities are unknown.
    expect(resolved.disagreements).to.deep.equal(['modalities']);
    expect(resolved.facts).to.deep.equal({ context: 128000, output: 16384, tools: true, reasoning: false, temperature: true });
    expect(policy.resolve('proxy', 'made-up-model')).to.deep.include({ match: 'no_match', facts: {} });
  });

  it('a name whose entries agree on nothing is ambiguous and decides nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lip-catalog-'));
    const path = join(dir, 'models.json');
    writeFileSync(path, JSON.stringify({ a: { models: { m: { tool_call: true, limit: { context: 10 } } } }, b: { models: { m: { tool_call: false, limit: { context: 20 } } } } }));
    const policy = policyFor('backends:\n  - { id: x, kind: localstub }', path);
    expect(policy.resolve('x', 'm')).to.deep.include({ match: 'ambiguous', facts: {}, disagreements: ['context', 'tools'] });
  });

  it('per fact: a backend+model override, then a model override, then the catalog', () => {
    const policy = policyFor([
      'backends:',
      '  - { id: a, kind: openai-chat, api_key: k }',
      '  - { id: b, kind: openai-chat, api_key: k }',
      'model_catalog:',
      '  enabled: true',
      `  path: "${SNAPSHOT}"`,
      '  overrides:',
      '    - { model: gpt-4o, context: 64000, tools: false }',
      '    - { backend: a, model: gpt-4o, context: 32000, input_modalities: [text] }',
    ].join('\n'));
    const a = policy.resolve('a', 'gpt-4o');
    expect(a.facts).to.deep.include({ context: 32000, tools: false, modalities: ['text'], output: 16384 });
    expect(a.sources).to.deep.include({ context: 'pair_override', tools: 'model_override', modalities: 'pair_override', output: 'catalog' });
    const b = policy.resolve('b', 'gpt-4o');
    expect(b.facts).to.deep.include({ context: 64000, tools: false, modalities: ['image', 'pdf', 'text'] });
    expect(b.sources).to.deep.include({ context: 'model_override', modalities: 'catalog' });
  });

  it('an override applies without a snapshot (the file is unavailable)', () => {
    const policy = policyFor([
      'backends:\n  - { id: local, kind: ollama }',
      'model_catalog: { enabled: true, path: /nonexistent/models.json, overrides: [{ model: llama3.2, context: 8192 }] }',
    ].join('\n'));
    expect(policy.source.status().state).to.equal('unavailable');
    expect(policy.resolve('local', 'llama3.2')).to.deep.include({ match: 'no_match', facts: { context: 8192 }, sources: { context: 'model_override' } });
  });

  it('prices: the provider\'s own entry only, the tier of the prompt\'s length', () => {
    const policy = policyFor([
      'backends:',
      '  - { id: or, kind: openrouter, api_key: k }',
      '  - { id: proxy, kind: openai-chat, base_url: "http://127.0.0.1:9/v1", api_key: k }',
    ].join('\n'));
    expect(policy.priceRow('or', 'anthropic/claude-sonnet-4.5', 1000)).to.deep.equal({ backend: 'or', model: 'anthropic/claude-sonnet-4.5', input: 3, output: 15, cache_read: 0.3, cache_write: 3.75 });
    expect(policy.priceRow('or', 'anthropic/claude-sonnet-4.5', 250_000)).to.deep.include({ input: 6, output: 22.5 });
    // Matched by name, a price would be another host's: none.
    expect(policy.resolve('proxy', 'gpt-4o').match).to.equal('by_name');
    expect(policy.priceRow('proxy', 'gpt-4o', 1000)).to.equal(undefined);
  });

  it('prices: a long-prompt tier without cache or reasoning prices takes the base entry\'s, scaled as the tier scales input and output', () => {
    const policy = policyFor('backends:\n  - { id: ge, kind: gemini, api_key: k }');
    policy.source.snapshot = new CatalogSnapshot(JSON.stringify({ google: { models: { 'gemini-x': {
      limit: { context: 1_000_000, output: 65536 },
      cost: { input: 1.25, output: 10, cache_read: 0.31, cache_write: 2, reasoning: 12, context_over_200k: { input: 2.5, output: 15 } },
    } } } }));
    expect(policy.priceRow('ge', 'gemini-x', 1000)).to.deep.equal({ backend: 'ge', model: 'gemini-x', input: 1.25, output: 10, cache_read: 0.31, cache_write: 2, reasoning: 12 });
    expect(policy.priceRow('ge', 'gemini-x', 250_000)).to.deep.equal({ backend: 'ge', model: 'gemini-x', input: 2.5, output: 15, cache_read: 0.62, cache_write: 4, reasoning: 18 });
    // 250k input of which 100k cache reads, 100 output: the cache reads at the tier's cache price, not its full input price.
    const pricing = new Pricing([], (b, m, tokens) => policy.priceRow(b, m, tokens));
    expect(pricing.cost('ge', 'gemini-x', { inputTokens: 250_000, cacheReadTokens: 100_000, outputTokens: 100 })).to.be.closeTo((150_000 * 2.5 + 100_000 * 0.62 + 100 * 15) / 1e6, 1e-12);
  });

  it('a resolution follows the snapshot: a new one is read afresh', () => {
    const policy = policyFor('backends:\n  - { id: own, kind: openai-chat, api_key: k }');
    expect(policy.resolve('own', 'gpt-4o').facts.context).to.equal(128000);
    policy.source.snapshot = new CatalogSnapshot(JSON.stringify({ openai: { models: { 'gpt-4o': { limit: { context: 1000, output: 10 } } } } }));
    expect(policy.resolve('own', 'gpt-4o').facts).to.deep.equal({ context: 1000, output: 10 });
  });

  it('warns of a mapped provider the snapshot does not have (its models are matched by name)', () => {
    const warnings: unknown[] = [];
    policyFor([
      'backends:\n  - { id: a, kind: openai-chat, api_key: k }',
      `model_catalog: { enabled: true, path: "${SNAPSHOT}", backends: { a: opnai } }`,
    ].join('\n'), SNAPSHOT, { warn: (message, meta) => warnings.push([message, meta]) });
    expect(warnings).to.deep.equal([['model catalog: the snapshot has no such provider; the backend\'s models are matched by name', { backend: 'a', provider: 'opnai' }]]);
  });
});
