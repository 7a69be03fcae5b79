import { expect } from 'chai';
import { configFrom, configIssues } from '../helpers/config.js';

const BACKENDS = 'backends: [{ id: oa, kind: localstub }, { id: an, kind: localstub }]';
const messages = (yaml: string): string[] => configIssues(`${BACKENDS}\n${yaml}`);

describe('config: model_catalog', () => {
  it('defaults: off, every exclusion on, no adaptation, daily refresh when a source is set', () => {
    expect(configFrom(BACKENDS).model_catalog).to.deep.equal({
      enabled: false, refresh_interval: 86_400_000, fetch_timeout: 30_000, max_bytes: 64 * 1024 * 1024, backends: {},
      exclude: { context: true, modalities: true, tools: true }, adapt: { max_output_tokens: false, reasoning: false, sampling: false }, prices: false, overrides: [],
    });
  });

  it('accepts a full section', () => {
    const config = configFrom(`${BACKENDS}\nmodel_catalog: { enabled: true, path: ./models.json, source_url: "https://models.dev/api.json", refresh_interval: 6h, backends: { oa: openai, an: "" }, overrides: [{ model: m, backend: oa, context: 8192, input_modalities: [text, image], tools: false }] }`);
    expect(config.model_catalog).to.deep.include({ enabled: true, path: './models.json', source_url: 'https://models.dev/api.json', refresh_interval: 6 * 3_600_000, backends: { oa: 'openai', an: '' } });
    expect(config.model_catalog.overrides).to.deep.equal([{ model: 'm', backend: 'oa', context: 8192, input_modalities: ['text', 'image'], tools: false }]);
  });

  it('refuses what cannot work, naming the key', () => {
    expect(messages('model_catalog: { enabled: true }')).to.deep.equal(['model_catalog.path: path is required when the catalog is enabled (the models.dev snapshot lip reads, and writes refreshes to)']);
    expect(messages('model_catalog: { path: m.json, source_url: "https://x/api.json", refresh_interval: 30s }')).to.deep.equal(['model_catalog.refresh_interval: must be at least 1m (got 30000 ms)']);
    expect(messages('model_catalog: { path: m.json, backends: { nope: openai } }')).to.deep.equal(['model_catalog.backends.nope: no backend "nope" is configured']);
    expect(messages('model_catalog: { path: m.json, overrides: [{ model: m, backend: nope, context: 1 }] }')).to.deep.equal(['model_catalog.overrides[0].backend: no backend "nope" is configured']);
    expect(messages('model_catalog: { path: m.json, overrides: [{ model: m, context: 1 }, { model: m, tools: true }] }')).to.deep.equal(['model_catalog.overrides[1]: duplicate override for model "m" (first given by overrides[0])']);
    expect(messages('model_catalog: { path: m.json, overrides: [{ model: m, backend: oa }] }')).to.deep.equal(['model_catalog.overrides[0]: states no fact (context, input, output, input_modalities, tools, reasoning, temperature, interleaved)']);
    expect(messages('model_catalog: { path: m.json, overrides: [{ model: m, context: 8192, input: 16384 }] }')).to.deep.equal(['model_catalog.overrides[0].input: must not exceed context (8192): the input limit is part of the context window']);
    expect(messages('model_catalog: { path: m.json, overrides: [{ model: m, context: 8192, input: 8192 }] }')).to.deep.equal([]);
    expect(messages('model_catalog: { path: m.json, overrides: [{ model: m, input_modalities: [hologram] }] }')[0]).to.match(/^model_catalog\.overrides\[0\]\.input_modalities\[0\]: /);
    expect(messages('model_catalog: { path: m.json, overrides: [{ model: m, context: 0 }] }')[0]).to.match(/^model_catalog\.overrides\[0\]\.context: .*>= 1/);
    expect(messages('model_catalog: { path: m.json, source_url: "ftp://x/api.json" }')[0]).to.match(/^model_catalog\.source_url: /);
    expect(messages('model_catalog: { path: m.json, adapt: { temperature: true } }')[0]).to.match(/^model_catalog\.adapt\.temperature: unknown/);
  });
});
