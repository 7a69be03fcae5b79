import { expect } from 'chai';
import { emptyCall, type Call, type Message } from '../../../lib/canonical/index.js';
import { CatalogGate, CatalogPolicy, CatalogSource, MODEL_CATALOG_COUNTS, needsOf } from '../../../lib/core/model-catalog/index.js';
import type { Candidate } from '../../../lib/routing/plan/route-context.js';
import { configFrom } from '../../helpers/config.js';

const SNAPSHOT = new URL('../../../testdata/model-catalog/models-dev.json', import.meta.url).pathname;
const user = (parts: Message['parts']): Message => ({ role: 'user', parts });
const candidate = (backend: string, model: string): Candidate => ({ backend, model, key: `${backend}:${model}`, leaf: { backend, model } as Candidate['leaf'] });

function policy(extra = ''): CatalogPolicy {
  const config = configFrom([
    'backends:\n  - { id: oa, kind: openai-chat, api_key: k }',
    `model_catalog: { enabled: true, path: "${SNAPSHOT}"${extra} }`,
  ].join('\n'));
  return new CatalogPolicy(config.model_catalog, config.backends, new CatalogSource({ ...config.model_catalog, path: config.model_catalog.path! }));
}

describe('core/model-catalog/catalog-gate: what a request needs, who cannot take it, what a candidate is sent', () => {
  it('needsOf: images, PDFs, audio and video wherever they are (tool results too), and tools', () => {
    const call: Call = emptyCall({
      messages: [
        user([{ type: 'text', text: 'hi' }, { type: 'image', url: 'https://x/a.png' }]),
        user([{ type: 'file', data: 'AA', mediaType: 'application/pdf' }, { type: 'file', data: 'AA', mediaType: 'audio/wav' }, { type: 'file', fileId: 'f1', filename: 'notes.txt' }]),
        { role: 'tool', parts: [{ type: 'tool_result', callId: 'c', content: [{ type: 'file', data: 'AA', mediaType: 'video/mp4' }] }] } as unknown as Message,
      ],
    });
    expect(needsOf(call)).to.deep.equal({ modalities: ['audio', 'image', 'pdf', 'video'], tools: false });
    expect(needsOf(emptyCall({ tools: [{ name: 'f', parameters: {} }] as unknown as Call['tools'] }))).to.deep.equal({ modalities: [], tools: true });
    expect(needsOf(emptyCall({ messages: [user([{ type: 'file', fileId: 'f', filename: 'report.PDF' }])] })).modalities).to.deep.equal(['pdf']);
  });

  it('skips a candidate for tools, a modality or its window, with a reason routing maps to the right error', () => {
    const gate = (call: Call) => new CatalogGate(policy(), call, undefined);
    const tools = emptyCall({ tools: [{ name: 'f', parameters: {} }] as unknown as Call['tools'] });
    expect(gate(tools).skip(candidate('oa', 'gpt-3.5-turbo'))?.reason).to.equal('capability: gpt-3.5-turbo does not call tools (catalog openai/gpt-3.5-turbo)');
    expect(gate(tools).skip(candidate('oa', 'gpt-4o'))).to.equal(undefined);
    const image = emptyCall({ messages: [user([{ type: 'image', url: 'https://x/a.png' }, { type: 'file', data: 'AA', mediaType: 'application/pdf' }])] });
    expect(gate(image).skip(candidate('oa', 'o3-mini'))?.reason).to.equal('capability: o3-mini does not take image, pdf input (catalog openai/o3-mini)');
    expect(gate(image).skip(candidate('oa', 'gpt-5-mini'))?.reason).to.equal('capability: gpt-5-mini does not take pdf input (catalog openai/gpt-5-mini)');
    // gpt-5-mini states an input limit (272,000) below its context (400,000): the input limit decides.
    const long = emptyCall({ messages: [user([{ type: 'text', text: 'x'.repeat(4 * 300_000) }])] });
    expect(gate(long).skip(candidate('oa', 'gpt-5-mini'))?.reason).to.equal('context: about 300000 tokens > input limit 272000 of gpt-5-mini (catalog openai/gpt-5-mini)');
    expect(gate(long).skip(candidate('oa', 'gpt-4.1'))).to.equal(undefined);
    // Unknown facts decide nothing.
    expect(gate(tools).skip(candidate('oa', 'not-in-the-catalog'))).to.equal(undefined);
  });

  it('an override of context smaller than the catalog\'s input limit decides the window (for exclusion and for the lists)', () => {
    // gpt-5-mini: input 272,000, context 400,000 in the catalog; the operator says its context is 32,768.
    const small = policy(', overrides: [{ backend: oa, model: gpt-5-mini, context: 32768 }]');
    const call = emptyCall({ messages: [user([{ type: 'text', text: 'x'.repeat(4 * 50_000) }])] });
    expect(new CatalogGate(small, call, undefined).skip(candidate('oa', 'gpt-5-mini'))?.reason).to.equal('context: about 50000 tokens > context limit 32768 of gpt-5-mini (backend override)');
    expect(small.describe('oa', 'gpt-5-mini')?.inputTokens).to.equal(32768);
    // The catalog's own input limit still decides when it is the smaller.
    expect(policy().describe('oa', 'gpt-5-mini')?.inputTokens).to.equal(272_000);
  });

  it('model_catalog.exclude turns each check off', () => {
    const off = policy(', exclude: { context: false, modalities: false, tools: false }');
    const call = emptyCall({ tools: [{ name: 'f', parameters: {} }] as unknown as Call['tools'], messages: [user([{ type: 'image', url: 'https://x/a.png' }, { type: 'text', text: 'x'.repeat(100_000) }])] });
    expect(new CatalogGate(off, call, undefined).skip(candidate('oa', 'gpt-3.5-turbo'))).to.equal(undefined);
  });

  it('counts a candidate left out once per request, however often routing asks', () => {
    const before = MODEL_CATALOG_COUNTS.get('excluded_tools') ?? 0;
    const gate = new CatalogGate(policy(), emptyCall({ tools: [{ name: 'f', parameters: {} }] as unknown as Call['tools'] }), undefined);
    gate.skip(candidate('oa', 'gpt-3.5-turbo'));
    gate.skip(candidate('oa', 'gpt-3.5-turbo'));
    expect(MODEL_CATALOG_COUNTS.get('excluded_tools')).to.equal(before + 1);
  });

  it('adapt: clamps max output tokens, drops reasoning and sampling where the model says so; nothing when off', () => {
    const call = emptyCall();
    const options = { maxOutputTokens: 50_000, temperature: 0.3, topP: 0.9, reasoning: { effort: 'high' } };
    const all = new CatalogGate(policy(', adapt: { max_output_tokens: true, reasoning: true, sampling: true }'), call, undefined);
    expect(all.adapt(options, candidate('oa', 'gpt-3.5-turbo'))).to.deep.equal({ maxOutputTokens: 4096, temperature: 0.3, topP: 0.9 });
    expect(all.adapt(options, candidate('oa', 'o3-mini'))).to.deep.equal({ maxOutputTokens: 50_000, reasoning: { effort: 'high' } });
    const same = { maxOutputTokens: 100 };
    expect(all.adapt(same, candidate('oa', 'gpt-4o'))).to.equal(same);
    expect(new CatalogGate(policy(), call, undefined).adapt(options, candidate('oa', 'gpt-3.5-turbo'))).to.equal(options);
  });

  // The limit a backend picks itself (a default, one raised above a thinking budget) ignored the
  // model's output limit; it reaches the backend as a ceiling, apart from the client's options.
  it('outputCeiling: the model\'s known output limit with adapt.max_output_tokens on; none when off or unknown', () => {
    const on = new CatalogGate(policy(', adapt: { max_output_tokens: true }'), emptyCall(), undefined);
    expect(on.outputCeiling(candidate('oa', 'gpt-3.5-turbo'))).to.equal(4096);
    expect(on.outputCeiling(candidate('oa', 'made-up-model'))).to.equal(undefined);
    expect(new CatalogGate(policy(', adapt: { sampling: true }'), emptyCall(), undefined).outputCeiling(candidate('oa', 'gpt-3.5-turbo'))).to.equal(undefined);
  });
});
