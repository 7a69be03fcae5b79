import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { CatalogFormatError, CatalogSnapshot } from '../../../lib/core/model-catalog/index.js';

const REAL = readFileSync(new URL('../../../testdata/model-catalog/models-dev.json', import.meta.url), 'utf8');

function formatError(text: string): CatalogFormatError {
  try {
    new CatalogSnapshot(text);
  } catch (err) {
    expect(err).to.be.instanceOf(CatalogFormatError);
    return err as CatalogFormatError;
  }
  throw new Error('expected a CatalogFormatError');
}

describe('core/model-catalog/snapshot: a models.dev snapshot reduced to routing facts', () => {
  const snapshot = new CatalogSnapshot(REAL);

  it('reads every provider and model of the real format (providers by id, models by id)', () => {
    expect([snapshot.providers, snapshot.models]).to.deep.equal([6, 13]);
    expect(snapshot.generation).to.match(/^[0-9a-f]{16}$/);
    expect(snapshot.lookup('openai', 'gpt-5-mini')).to.deep.equal({
      context: 400000, input: 272000, output: 128000, modalities: ['image', 'text'], tools: true, reasoning: true, temperature: false,
    });
    expect(snapshot.lookup('openai', 'gpt-3.5-turbo')).to.deep.include({ tools: false, modalities: ['text'], context: 16385, output: 4096 });
    expect(snapshot.lookup('openai', 'nope')).to.equal(undefined);
    expect(snapshot.lookup('nope', 'gpt-4o')).to.equal(undefined);
  });

  it('finds a name under every provider that lists it, by id or by its last path segment', () => {
    expect(snapshot.named('gpt-4o').map((e) => e.id)).to.deep.equal(['openai/gpt-4o', 'openrouter/openai/gpt-4o', 'github-models/openai/gpt-4o']);
    // An exact id wins over the last segment: "openai/gpt-4o" is a whole id at two providers.
    expect(snapshot.named('openai/gpt-4o').map((e) => e.id)).to.deep.equal(['openrouter/openai/gpt-4o', 'github-models/openai/gpt-4o']);
    expect(snapshot.named('vendor/claude-sonnet-4-5').map((e) => e.id)).to.deep.equal(['anthropic/claude-sonnet-4-5']);
    expect(snapshot.named('unknown-model')).to.deep.equal([]);
  });

  it('interleaved: true or the field the reasoning goes back in', () => {
    expect(snapshot.lookup('deepseek', 'deepseek-v4-flash')!.interleaved).to.equal(true); // {"field": "reasoning_content"}
    expect(snapshot.lookup('deepseek', 'deepseek-chat')!.interleaved).to.equal(undefined);
    const s = new CatalogSnapshot(JSON.stringify({ p: { models: { a: { interleaved: true }, b: { interleaved: false } } } }));
    expect([s.lookup('p', 'a')!.interleaved, s.lookup('p', 'b')!.interleaved]).to.deep.equal([true, false]);
    expect(formatError('{"p": {"models": {"m": {"interleaved": "yes"}}}}').message).to.equal('$["p"].models["m"].interleaved: expected true, false or an object');
  });

  it('takes models as a list of objects with ids too, and reads 0 and null as unstated', () => {
    const s = new CatalogSnapshot(JSON.stringify({ p: { models: [{ id: 'a', limit: { context: 0, output: 100 }, tool_call: null, modalities: { input: ['text', 'image', 'hologram'] } }] } }));
    expect(s.lookup('p', 'a')).to.deep.equal({ output: 100, modalities: ['image', 'text'] });
    // Found by the fuzzer: a fraction below one token (5e-324) read as a limit of 0 left every request out.
    const tiny = new CatalogSnapshot(JSON.stringify({ p: { models: { a: { limit: { context: 5e-324, input: 0.5, output: 100.7 } } } } }));
    expect(tiny.lookup('p', 'a')).to.deep.equal({ output: 100 });
  });

  it('keeps each model\'s prices, with the tiers of long prompts largest first', () => {
    expect(snapshot.priceOf('openai', 'gpt-4o')).to.deep.equal({ input: 2.5, output: 10, cache_read: 1.25 });
    expect(snapshot.priceOf('openrouter', 'anthropic/claude-sonnet-4.5')).to.deep.equal({
      input: 3, output: 15, cache_read: 0.3, cache_write: 3.75, tiers: [{ input: 6, output: 22.5, cache_read: 0.6, cache_write: 7.5, above: 200_000 }],
    });
    const s = new CatalogSnapshot(JSON.stringify({ p: { models: {
      a: { cost: { input: 1, output: 2, context_over_200k: { input: 2, output: 4 }, tiers: [{ tier: { type: 'context', size: 500_000 }, input: 3, output: 6 }] } },
      b: { cost: { input: 1 } },
    } } }));
    expect(s.priceOf('p', 'a')!.tiers!.map((t) => t.above)).to.deep.equal([500_000, 200_000]);
    expect(s.priceOf('p', 'b')).to.equal(undefined); // no output price: not a price
    expect(formatError('{"p": {"models": {"m": {"cost": {"input": "cheap", "output": 1}}}}}').message).to.equal('$["p"].models["m"].cost.input: expected a price');
    expect(formatError('{"p": {"models": {"m": {"cost": {"input": 1, "output": 1, "tiers": [{"input": 2, "output": 2}]}}}}}').message).to.equal('$["p"].models["m"].cost.tiers[0]: expected a tier with tier.size');
  });

  it('the same text is the same generation; another text another', () => {
    expect(new CatalogSnapshot(REAL).generation).to.equal(snapshot.generation);
    expect(new CatalogSnapshot(REAL.replace('16385', '16384')).generation).to.not.equal(snapshot.generation);
  });

  it('refuses what is not the catalog\'s shape, naming where', () => {
    expect(formatError('{"a": ').message).to.match(/^\$: not JSON/);
    expect(formatError('[]').message).to.equal('$: expected an object of providers by id');
    expect(formatError('{"p": 3}').message).to.equal('$["p"]: expected a provider object');
    expect(formatError('{"p": {"models": "x"}}').message).to.equal('$["p"].models: expected an object of models by id');
    expect(formatError('{"p": {"models": {"m": {"limit": {"context": "big"}}}}}').message).to.equal('$["p"].models["m"].limit.context: expected a token count');
    expect(formatError('{"p": {"models": {"m": {"tool_call": "yes"}}}}').message).to.equal('$["p"].models["m"].tool_call: expected true or false');
    expect(formatError('{"p": {"models": {"m": {"modalities": {"input": "text"}}}}}').message).to.equal('$["p"].models["m"].modalities.input: expected a list of modalities');
    expect(formatError('{"p": {"models": {}}}').message).to.equal('$: lists no model');
  });
});
