import { expect } from 'chai';
import { askAnthropic, useUpstreams } from '../helpers/upstreams.js';

const ASK = { max_tokens: 64, messages: [{ role: 'user' as const, content: 'hi' }] };

/**
 * An Anthropic upstream's usage says how its cache writes split between the 5-minute and the
 * 1-hour cache (`cache_creation`, priced apart) and which tier served (`service_tier`: whether
 * `auto` ran on priority), and where (`inference_geo`). lip kept only the four token counts, so a
 * client could neither account 1-hour cache writes nor tell the tier. They now come through, and
 * every field Anthropic's `Usage` type declares is written, `null` when the provider did not say.
 */
describe('e2e regression: Anthropic usage keeps the cache split and the service tier', function () {
  this.timeout(20_000);
  const up = useUpstreams({ an: { kind: 'anthropic' }, oc: { kind: 'openai-chat' } });

  for (const stream of [false, true]) {
    const mode = stream ? 'stream().finalMessage()' : 'create()';

    it(`an Anthropic upstream's cache_creation split, service_tier and inference_geo reach the client (${mode})`, async () => {
      up.emulators.an!.enqueue({ text: 'hello', usage: { input: 1000, output: 20, cacheRead: 300, cacheWrite: 100, cacheWrite1h: 60, serviceTier: 'priority', inferenceGeo: 'us' } });
      const message = await askAnthropic(up.anthropic(), { model: 'an:claude-sonnet-4-6', ...ASK }, stream);
      expect(message.usage).to.deep.equal({
        input_tokens: 600, cache_creation_input_tokens: 100, cache_read_input_tokens: 300,
        cache_creation: { ephemeral_5m_input_tokens: 40, ephemeral_1h_input_tokens: 60 },
        output_tokens: 20, output_tokens_details: null, server_tool_use: null,
        service_tier: 'priority', inference_geo: 'us', speed: null,
      });
    });

    it(`another provider's answer has every field of Anthropic's usage, null where it did not say (${mode})`, async () => {
      up.emulators.oc!.enqueue({ text: 'hello', usage: { input: 50, output: 12, cacheRead: 20, reasoning: 4 } });
      const message = await askAnthropic(up.anthropic(), { model: 'oc:gpt-5.4', ...ASK }, stream);
      expect(message.usage).to.deep.equal({
        input_tokens: 30, cache_creation_input_tokens: 0, cache_read_input_tokens: 20, cache_creation: null,
        output_tokens: 12, output_tokens_details: { thinking_tokens: 4 }, server_tool_use: null,
        service_tier: null, inference_geo: null, speed: null,
      });
    });
  }
});
