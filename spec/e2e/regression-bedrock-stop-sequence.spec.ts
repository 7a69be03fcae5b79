import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import { testConfig, bedrockRow } from '../helpers/config.js';
import { startBedrockEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { askAnthropic } from '../helpers/upstreams.js';

const CLAUDE_ON_BEDROCK = 'anthropic.claude-sonnet-4-20250514-v1:0';

/**
 * Converse says which stop sequence matched only in the model's own fields, and only when the
 * request asks for them (`additionalModelResponseFieldPaths: ["/stop_sequence"]`). lip never asked,
 * so a call with several stop sequences served by Claude on Bedrock ended `stop_reason:
 * "stop_sequence"` with `stop_sequence: null`. lip now asks whenever the call has stop sequences,
 * and the client gets the one that matched.
 */
describe('e2e regression: Bedrock names the stop sequence that matched', function () {
  this.timeout(20_000);
  let bedrock: Emulator;
  let lip: RunningLip;
  let anthropic: Anthropic;
  before(async () => {
    bedrock = await startBedrockEmulator();
    lip = await startLip(testConfig(bedrockRow('br', bedrock)));
    anthropic = new Anthropic({ baseURL: lip.url, apiKey: 'k', maxRetries: 0 });
  });
  after(async () => {
    await lip?.close();
    await bedrock?.close();
  });
  beforeEach(() => bedrock.reset());

  for (const stream of [false, true]) {
    const mode = stream ? 'streaming' : 'non-streaming';

    it(`asks Converse for /stop_sequence and answers with the one that matched, of several (${mode})`, async () => {
      bedrock.enqueue({ text: 'one, two', finish: 'stop_sequence', stopSequence: 'THREE' });
      const message = await askAnthropic(anthropic, {
        model: `br:${CLAUDE_ON_BEDROCK}`, max_tokens: 64, stop_sequences: ['FOUR', 'THREE'], messages: [{ role: 'user', content: 'Count.' }],
      }, stream);
      expect(message).to.deep.include({ stop_reason: 'stop_sequence', stop_sequence: 'THREE' });
      const sent = bedrock.requests[0]!.body;
      expect(sent.inferenceConfig.stopSequences).to.deep.equal(['FOUR', 'THREE']);
      expect(sent.additionalModelResponseFieldPaths).to.deep.equal(['/stop_sequence']);
    });
  }

  it('asks for no model fields when the call has no stop sequence', async () => {
    bedrock.enqueue({ text: 'hi' });
    const message = await anthropic.messages.create({ model: `br:${CLAUDE_ON_BEDROCK}`, max_tokens: 64, messages: [{ role: 'user', content: 'Hi.' }] });
    expect(bedrock.requests[0]!.body).to.not.have.property('additionalModelResponseFieldPaths');
    expect(message).to.deep.include({ stop_reason: 'end_turn', stop_sequence: null });
  });
});
