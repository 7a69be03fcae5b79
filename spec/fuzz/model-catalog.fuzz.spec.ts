import { expect } from 'chai';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { emptyCall, type Call } from '../../lib/canonical/index.js';
import { CatalogFormatError, CatalogGate, CatalogPolicy, CatalogSnapshot, FACT_NAMES, type CatalogSource } from '../../lib/core/model-catalog/index.js';
import { configFrom } from '../helpers/config.js';
import { fuzzParameters, fuzzTimeout } from './fuzz-parameters.js';
import { mutatedJsonText, type Json } from './json-mutations.js';

const REAL = readFileSync(new URL('../../testdata/model-catalog/models-dev.json', import.meta.url), 'utf8');
const SEED = JSON.parse(REAL) as Json;
const CONFIG = configFrom('backends: [{ id: oa, kind: openai-chat, api_key: k }, { id: any, kind: localstub }]\nmodel_catalog: { enabled: true, path: unused.json, adapt: { max_output_tokens: true, reasoning: true, sampling: true } }');
const MODELS = ['gpt-4o', 'gpt-3.5-turbo', 'openai/gpt-4o', 'claude-sonnet-4-5', 'deepseek-chat', 'o3-mini', 'x', '__proto__', 'constructor', ''];
const REQUEST: Call = emptyCall({
  tools: [{ name: 'f', parameters: {} }] as unknown as Call['tools'],
  options: { maxOutputTokens: 1_000_000, temperature: 1, reasoning: { effort: 'high' } },
  messages: [{ role: 'user', parts: [{ type: 'text', text: 'x'.repeat(400) }, { type: 'image', url: 'https://x/a.png' }, { type: 'file', data: 'AA', mediaType: 'application/pdf' }] }],
});

/**
 * A downloaded snapshot is whatever the source sent: any mutation of the real format is either
 * refused as not the catalog's shape (a CatalogFormatError naming where, so a refresh keeps the
 * running snapshot) or read; and whatever is read, every candidate resolves to facts of the
 * right types, and the request's gate decides and adapts without throwing.
 */
describe('fuzz: model catalog snapshots', function () {
  this.timeout(fuzzTimeout());

  it('any snapshot text is refused with a located reason, or gives well-typed facts that decide without throwing', () => {
    fc.assert(fc.property(mutatedJsonText([SEED]), (input) => {
      let snapshot: CatalogSnapshot;
      try {
        snapshot = new CatalogSnapshot(input.text);
      } catch (err) {
        expect(err).to.be.instanceOf(CatalogFormatError);
        expect((err as CatalogFormatError).path).to.match(/^\$/);
        return;
      }
      const policy = new CatalogPolicy(CONFIG.model_catalog, CONFIG.backends, { snapshot } as unknown as CatalogSource);
      const gate = new CatalogGate(policy, REQUEST, undefined);
      for (const backend of ['oa', 'any']) {
        for (const model of MODELS) {
          const { facts } = policy.resolve(backend, model);
          for (const name of FACT_NAMES) {
            const value = facts[name];
            if (value === undefined) continue;
            if (name === 'modalities') expect(value).to.be.an('array');
            else if (['tools', 'reasoning', 'temperature', 'interleaved'].includes(name)) expect(value).to.be.a('boolean');
            else expect(Number.isInteger(value) && (value as number) > 0, `${name}: ${String(value)}`).to.equal(true);
          }
          const candidate = { backend, model, key: `${backend}:${model}`, leaf: { backend, model } as never };
          const skip = gate.skip(candidate);
          if (skip) expect(skip.reason).to.match(/^(context|capability): /);
          const options = gate.adapt(REQUEST.options, candidate);
          if (facts.output !== undefined) expect(options.maxOutputTokens).to.equal(facts.output);
        }
      }
    }), fuzzParameters());
  });
});
