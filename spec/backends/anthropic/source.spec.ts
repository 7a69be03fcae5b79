import { expect } from 'chai';
import { MAX_WHOLE_OUTPUT_TOKENS } from '../../../lib/backends/anthropic/source.js';
import { emptyCall, type Call } from '../../../lib/canonical/index.js';
import { drain, startAnthropicEmulator, useEmulatedBackend } from '../../helpers/emulators/index.js';

describe('backends/anthropic/source', () => {
  const up = useEmulatedBackend(startAnthropicEmulator, (url) => `  - { id: a, kind: anthropic, base_url: "${url}", api_key: k-0123456789 }`, 'a');
  const whole = async (options: Call['options']) => {
    up.emulator().reset();
    const call = emptyCall({ model: 'm', stream: false, messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }], options });
    const { error } = await drain(up.backend().stream(call, { model: 'm', candidateKey: 'a:m', whole: true }));
    expect(error).to.equal(undefined);
    return { stream: up.emulator().requests[0]!.stream, maxTokens: up.emulator().requests[0]!.body.max_tokens as number };
  };

  it('answers a whole target in one JSON body while max_tokens stays within what the SDKs allow unstreamed', async () => {
    expect(await whole({})).to.deep.equal({ stream: false, maxTokens: 8192 });
    expect(await whole({ maxOutputTokens: MAX_WHOLE_OUTPUT_TOKENS })).to.deep.equal({ stream: false, maxTokens: MAX_WHOLE_OUTPUT_TOKENS });
  });

  it('keeps a long generation streamed even for a whole target (max_tokens, or a thinking budget on top)', async () => {
    expect(await whole({ maxOutputTokens: 32_000 })).to.deep.equal({ stream: true, maxTokens: 32_000 });
    expect((await whole({ maxOutputTokens: 16_000, reasoning: { budgetTokens: 10_000 } })).stream).to.equal(true);
  });
});
