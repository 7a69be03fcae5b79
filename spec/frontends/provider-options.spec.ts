import { expect } from 'chai';
import { isLipError } from '../../lib/errors/index.js';
import { decodeMessagesRequest } from '../../lib/frontends/anthropic/index.js';
import { decodeChatRequest } from '../../lib/frontends/openai-chat/index.js';
import { decodeResponsesRequest, type ResponsesHints } from '../../lib/frontends/openai-responses/index.js';

const chat = (body: Record<string, unknown>) => decodeChatRequest({ model: 'gpt-x', messages: [{ role: 'user', content: 'hi' }], ...body });
const responses = (body: Record<string, unknown>) => decodeResponsesRequest({ model: 'gpt-x', input: 'hi', ...body });
const messages = (body: Record<string, unknown>) => decodeMessagesRequest({ model: 'claude-x', max_tokens: 256, messages: [{ role: 'user', content: 'hi' }], ...body });

/** `<status> <param> <message>` of a refused request, or `accepted`. */
function rejection(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    if (isLipError(err)) return `${err.status} ${err.param ?? '-'} ${err.message}`;
    throw err;
  }
  return 'accepted';
}

describe('frontends: provider request knobs land in Call.providerOptions', () => {
  it('Chat: the allowlisted OpenAI knobs, in canonical names', () => {
    const { call } = chat({
      service_tier: 'flex', prompt_cache_key: 'conv-1', prompt_cache_retention: '24h', safety_identifier: 'sid-7',
      logit_bias: { '50256': -100 }, prediction: { type: 'content', content: 'const x = 1;' },
    });
    expect(call.providerOptions).to.deep.equal({
      openai: {
        serviceTier: 'flex', promptCacheKey: 'conv-1', promptCacheRetention: '24h', safetyIdentifier: 'sid-7',
        logitBias: { '50256': -100 }, prediction: { type: 'content', content: 'const x = 1;' },
      },
    });
    // The safety identifier stands for the end user when `user` is absent; `user` wins when both are set.
    expect(call.user).to.equal('sid-7');
    expect(chat({ safety_identifier: 'sid-7', user: 'u-1' }).call.user).to.equal('u-1');
  });

  it('Chat: nulls, unknown fields and Responses-only knobs stay out; no knob, no bag', () => {
    expect(chat({}).call).not.to.have.property('providerOptions');
    expect(chat({ service_tier: null, prompt_cache_key: null, logit_bias: null, prediction: null }).call).not.to.have.property('providerOptions');
    // truncation is a Responses field and `store` is read, not forwarded: neither is an OpenAI knob of Chat.
    expect(chat({ truncation: 'auto', store: true, some_vendor_field: 1 }).call).not.to.have.property('providerOptions');
  });

  it('Chat: a knob of the wrong type is a 400 naming the field', () => {
    expect(rejection(() => chat({ service_tier: 1 }))).to.equal('400 service_tier service_tier: must be a string or a null (got number 1)');
    expect(rejection(() => chat({ prompt_cache_key: ['k'] }))).to.equal('400 prompt_cache_key prompt_cache_key: must be a string or a null (got an array)');
    expect(rejection(() => chat({ prompt_cache_retention: true }))).to.match(/^400 prompt_cache_retention /);
    expect(rejection(() => chat({ safety_identifier: 7 }))).to.match(/^400 safety_identifier /);
    expect(rejection(() => chat({ logit_bias: { '1': 'up' } }))).to.match(/^400 logit_bias\[1\] logit_bias\[1\]: must be a number/);
    expect(rejection(() => chat({ logit_bias: [1] }))).to.equal('400 logit_bias logit_bias: must be an object of token ids to numbers (got an array)');
    expect(rejection(() => chat({ prediction: { type: 'content' } }))).to.equal('400 prediction.content prediction.content: is required');
    expect(rejection(() => chat({ prediction: { type: 'content', content: [{ type: 'text', text: 3 }] } }))).to.match(/^400 prediction\.content\[0\]\.text /);
  });

  it('Responses: the allowlisted OpenAI knobs; the Response object echoes them', () => {
    const { call, hints } = responses({
      service_tier: 'priority', prompt_cache_key: 'conv-2', prompt_cache_retention: 'in_memory', safety_identifier: 'sid-8', truncation: 'auto',
      logit_bias: { '1': 5 },
    });
    // logit_bias is no Responses field: never read, never carried.
    expect(call.providerOptions).to.deep.equal({
      openai: { serviceTier: 'priority', promptCacheKey: 'conv-2', promptCacheRetention: 'in_memory', safetyIdentifier: 'sid-8', truncation: 'auto' },
    });
    expect(call.user).to.equal('sid-8');
    expect((hints as unknown as ResponsesHints).echo).to.deep.include({
      service_tier: 'priority', prompt_cache_key: 'conv-2', prompt_cache_retention: 'in_memory', safety_identifier: 'sid-8', truncation: 'auto', user: null,
    });
    expect((responses({}).hints as unknown as ResponsesHints).echo).to.deep.include({
      service_tier: 'default', prompt_cache_key: null, prompt_cache_retention: null, safety_identifier: null, truncation: 'disabled',
    });
    expect(responses({}).call).not.to.have.property('providerOptions');
  });

  it('Responses: a knob of the wrong type or an unknown truncation is a 400 naming the field', () => {
    expect(rejection(() => responses({ service_tier: false }))).to.equal('400 service_tier service_tier: must be a string or a null (got boolean false)');
    expect(rejection(() => responses({ prompt_cache_key: 12 }))).to.match(/^400 prompt_cache_key /);
    expect(rejection(() => responses({ truncation: 'middle' }))).to.equal('400 truncation truncation: must be one of "auto", "disabled", null (got "middle")');
  });

  it('Anthropic: service_tier, inference_geo and speed land in the anthropic bag (null is not set); a wrong type is a 400 naming it', () => {
    expect(messages({ service_tier: 'standard_only' }).call.providerOptions).to.deep.equal({ anthropic: { serviceTier: 'standard_only' } });
    expect(messages({ service_tier: 'auto', inference_geo: 'us', speed: 'fast' }).call.providerOptions).to.deep.equal({ anthropic: { serviceTier: 'auto', inferenceGeo: 'us', speed: 'fast' } });
    expect(messages({ speed: 'standard' }).call.providerOptions).to.deep.equal({ anthropic: { speed: 'standard' } });
    expect(messages({}).call).not.to.have.property('providerOptions');
    expect(messages({ inference_geo: null, speed: null }).call).not.to.have.property('providerOptions');
    expect(rejection(() => messages({ service_tier: 3 }))).to.match(/^400 service_tier service_tier: must be a string/);
    expect(rejection(() => messages({ inference_geo: 1 }))).to.equal('400 inference_geo inference_geo: must be a string or a null (got number 1)');
    expect(rejection(() => messages({ speed: 'turbo' }))).to.equal('400 speed speed: must be one of "standard", "fast", null (got "turbo")');
  });

  describe('OpenAI explicit prompt caching', () => {
    const marked = { prompt_cache_breakpoint: { mode: 'explicit' } };

    it('Chat: prompt_cache_options is a knob; breakpoints on text, image and file parts are cache marks that say they were breakpoints', () => {
      const { call } = chat({
        prompt_cache_options: { mode: 'explicit', ttl: '30m' },
        messages: [{ role: 'user', content: [
          { type: 'text', text: 'a', ...marked },
          { type: 'image_url', image_url: { url: 'https://x/y.png' }, ...marked },
          { type: 'file', file: { file_id: 'file-1' }, ...marked },
          { type: 'text', text: 'b' },
        ] }],
      });
      expect(call.providerOptions?.openai).to.deep.equal({ promptCacheOptions: { mode: 'explicit', ttl: '30m' } });
      const bp = { breakpoint: true };
      expect(call.messages[0]!.parts.map((p) => (p as { cache?: unknown }).cache)).to.deep.equal([bp, bp, bp, undefined]);
    });

    it('Chat: an OpenRouter-style cache_control is a mark but does not make the call write breakpoints', () => {
      const { call } = chat({ messages: [{ role: 'user', content: [{ type: 'text', text: 'a', cache_control: { type: 'ephemeral', ttl: '1h' } }] }] });
      expect(call.messages[0]!.parts[0]).to.deep.include({ cache: { ttl: '1h' } });
      expect(call.providerOptions).to.equal(undefined);
    });

    it('Responses: breakpoints on input_text / input_image / input_file parts, including a leading developer item (the system)', () => {
      const { call } = responses({
        input: [
          { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'rules', ...marked }] },
          { type: 'message', role: 'user', content: [{ type: 'input_image', image_url: 'https://x/y.png', ...marked }, { type: 'input_file', file_id: 'file-1', ...marked }] },
        ],
      });
      const bp = { breakpoint: true };
      expect(call.system).to.deep.equal([{ type: 'text', text: 'rules', cache: bp }]);
      expect(call.messages[0]!.parts.map((p) => (p as { cache?: unknown }).cache)).to.deep.equal([bp, bp]);
      expect(call.providerOptions).to.equal(undefined);
    });

    it('a wrong prompt_cache_options or breakpoint is a 400 naming the field', () => {
      expect(rejection(() => chat({ prompt_cache_options: { mode: 'always' } }))).to.match(/^400 prompt_cache_options\.mode /);
      expect(rejection(() => responses({ input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'a', prompt_cache_breakpoint: { mode: 'x' } }] }] })))
        .to.match(/^400 input\[0\]\.content\[0\]\.prompt_cache_breakpoint\.mode /);
    });
  });
});

