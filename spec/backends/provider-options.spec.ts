import { expect } from 'chai';
import { anthropicOptions, encodeAnthropicRequest } from '../../lib/backends/anthropic/index.js';
import { encodeBedrockRequest } from '../../lib/backends/bedrock/index.js';
import { encodeGeminiRequest } from '../../lib/backends/gemini/index.js';
import { chatOptions, encodeChatRequest } from '../../lib/backends/openai-chat/index.js';
import { codexOptions, encodeCodexRequest } from '../../lib/backends/openai-codex/index.js';
import { encodeResponsesRequest, responsesOptions } from '../../lib/backends/openai-responses/index.js';
import { sendKnobs } from '../../lib/backends/provider-options.js';
import { emptyCall, type Call, type ProviderOptions } from '../../lib/canonical/index.js';
import { configFrom } from '../helpers/config.js';

const OPENAI: ProviderOptions['openai'] = {
  serviceTier: 'flex', promptCacheKey: 'client-key', promptCacheRetention: '24h', safetyIdentifier: 'sid-1',
  truncation: 'auto', logitBias: { '50256': -100 }, prediction: { type: 'content', content: 'x = 1' },
};
const ANTHROPIC: ProviderOptions['anthropic'] = { serviceTier: 'standard_only', inferenceGeo: 'eu', speed: 'fast' };
const ANTHROPIC_FIELDS = ['service_tier', 'inference_geo', 'speed'];
const call = (providerOptions: ProviderOptions, overrides: Partial<Call> = {}): Call => emptyCall({
  model: 'm', stream: true, messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }], providerOptions, ...overrides,
});
const row = (kind: string, extra: Record<string, unknown> = {}) => ({ id: 'b', kind, models: [], ...extra });
const KNOB_FIELDS = ['service_tier', 'prompt_cache_key', 'prompt_cache_retention', 'safety_identifier', 'truncation', 'logit_bias', 'prediction'];

describe('backends: provider request knobs reach only their own family', () => {
  it('openai-chat sends the Chat knobs, not truncation, and never the Anthropic ones', () => {
    const body = encodeChatRequest(call({ openai: OPENAI, anthropic: ANTHROPIC }), 'gpt-5', chatOptions(row('openai-chat')));
    expect(body).to.deep.include({
      service_tier: 'flex', prompt_cache_key: 'client-key', prompt_cache_retention: '24h', safety_identifier: 'sid-1',
      logit_bias: { '50256': -100 }, prediction: { type: 'content', content: 'x = 1' },
    });
    expect(body).not.to.have.property('truncation');
    expect(encodeChatRequest(call({ anthropic: ANTHROPIC }), 'gpt-5', chatOptions(row('openai-chat')))).not.to.have.any.keys(...KNOB_FIELDS);
  });

  it('openai-responses sends the Responses knobs, not logit_bias or prediction', () => {
    const body = encodeResponsesRequest(call({ openai: OPENAI, anthropic: ANTHROPIC }), 'gpt-5', responsesOptions(row('openai-responses')));
    expect(body).to.deep.include({ service_tier: 'flex', prompt_cache_key: 'client-key', prompt_cache_retention: '24h', safety_identifier: 'sid-1', truncation: 'auto' });
    expect(body).not.to.have.any.keys('logit_bias', 'prediction');
  });

  it('a row with provider_options: false sends none', () => {
    expect(encodeChatRequest(call({ openai: OPENAI }), 'gpt-5', chatOptions(row('openai-chat', { provider_options: false })))).not.to.have.any.keys(...KNOB_FIELDS);
    expect(encodeResponsesRequest(call({ openai: OPENAI }), 'gpt-5', responsesOptions(row('openai-responses', { provider_options: false })))).not.to.have.any.keys(...KNOB_FIELDS);
    expect(encodeAnthropicRequest(call({ anthropic: ANTHROPIC }), 'claude', anthropicOptions(row('anthropic', { provider_options: false })))).not.to.have.any.keys(...ANTHROPIC_FIELDS);
  });

  it('the end user that only repeats the safety identifier is not sent twice; a distinct user still is', () => {
    const o = chatOptions(row('openai-chat'));
    const same = encodeChatRequest(call({ openai: { safetyIdentifier: 'sid-1' } }, { user: 'sid-1' }), 'gpt-5', o);
    expect(same).to.include({ safety_identifier: 'sid-1' }).and.not.to.have.property('user');
    const both = encodeResponsesRequest(call({ openai: { safetyIdentifier: 'sid-1' } }, { user: 'u-1' }), 'gpt-5', responsesOptions(row('openai-responses')));
    expect(both).to.include({ safety_identifier: 'sid-1', user: 'u-1' });
    // Without knobs (a preset) the end user goes out as `user`, as before.
    expect(encodeChatRequest(call({ openai: { safetyIdentifier: 'sid-1' } }, { user: 'sid-1' }), 'gpt-5', chatOptions(row('openai-chat', { provider_options: false })))).to.include({ user: 'sid-1' });
  });

  it('openai-codex sends service_tier only: its own prompt_cache_key stays, the rest is dropped', () => {
    const body = encodeCodexRequest(call({ openai: OPENAI }), 'gpt-5.4', codexOptions(row('openai-codex')), { conversationId: 'conv-lip', turn: 1, bump: false });
    expect(body).to.include({ service_tier: 'flex', prompt_cache_key: 'conv-lip' });
    expect(body).not.to.have.any.keys('prompt_cache_retention', 'safety_identifier', 'truncation', 'logit_bias', 'prediction', 'user');
  });

  it('anthropic sends its service_tier, inference_geo and speed, and nothing of OpenAI\'s', () => {
    const o = anthropicOptions(row('anthropic'));
    expect(encodeAnthropicRequest(call({ openai: OPENAI, anthropic: ANTHROPIC }), 'claude', o)).to.include({ service_tier: 'standard_only', inference_geo: 'eu', speed: 'fast' }).and.not.to.have.any.keys(KNOB_FIELDS.slice(1));
    expect(encodeAnthropicRequest(call({ anthropic: { speed: 'standard' } }), 'claude', o)).to.include({ speed: 'standard' }).and.not.to.have.any.keys('service_tier', 'inference_geo');
    expect(encodeAnthropicRequest(call({ openai: OPENAI }), 'claude', o)).not.to.have.any.keys(...KNOB_FIELDS);
  });

  it('gemini and bedrock ignore every knob', () => {
    const c = call({ openai: OPENAI, anthropic: ANTHROPIC });
    for (const body of [encodeGeminiRequest(c), encodeBedrockRequest(c, 'anthropic')]) {
      const wire = JSON.stringify(body);
      for (const marker of ['flex', 'client-key', 'standard_only', 'sid-1', 'service', 'Tier', 'geo', 'speed', 'fast']) expect(wire).not.to.include(marker);
    }
  });

  it('a knob never overrides a field lip set itself', () => {
    const body = sendKnobs({ model: 'm', service_tier: 'lip-own', stream: true }, { service_tier: 'flex', prompt_cache_key: 'k', stream: false });
    expect(body).to.deep.equal({ model: 'm', service_tier: 'lip-own', stream: true, prompt_cache_key: 'k' });
  });

  it('presets default to provider_options: false (vendors may refuse the fields); their base kinds to true', () => {
    const config = configFrom([
      'backends:',
      '  - { id: a, kind: openai-chat }',
      '  - { id: b, kind: openrouter }',
      '  - { id: c, kind: custom-anthropic, base_url: "http://127.0.0.1:9" }',
      '  - { id: d, kind: vllm, provider_options: true }',
      '  - { id: e, kind: anthropic }',
      '  - { id: f, kind: custom-openai-responses, base_url: "http://127.0.0.1:9" }',
    ].join('\n'));
    expect(config.backends.map((b) => b.provider_options)).to.deep.equal([true, false, false, true, true, false]);
  });
});
