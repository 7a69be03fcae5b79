import { expect } from 'chai';
import { FRONTENDS } from '../../lib/frontends/registry.js';
import { CLIENT_DRIVERS } from '../helpers/clients/index.js';
import { FOLLOW_UP, QUESTION, TOOLS } from '../helpers/clients/follow-up.js';
import { testConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator, type Script } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

/** What OpenRouter hands out with a Gemini 3 tool call: the thought text, and the thought signature as an encrypted entry. */
const DETAILS = [
  { type: 'reasoning.text', text: 'Need weather.', signature: null, format: 'google-gemini-v1', index: 0 },
  { type: 'reasoning.encrypted', data: 'CiQBjz1rX-SIGNATURE', format: 'google-gemini-v1', index: 1, id: 'tool_get_weather_abc' },
];
const TURN_ONE: Script = {
  reasoning: { text: ['Need ', 'weather.'], details: DETAILS },
  toolCalls: [{ id: 'tool_get_weather_abc', name: 'get_weather', args: '{"city":"Paris"}' }],
};

/**
 * OpenRouter's `reasoning_details` (signed and encrypted reasoning of the models it serves) go
 * back to it exactly as they came, whatever protocol the client speaks: each carries them home in
 * its own slot (a Chat tool-call id, an Anthropic thinking signature, a Responses reasoning item's
 * encrypted_content, a Gemini thoughtSignature) and hands them back with the tool result.
 */
describe('e2e: OpenRouter reasoning_details survive a round trip through every client protocol', () => {
  let emu: Emulator;
  let lip: RunningLip;
  before(async () => {
    emu = await startOpenAIChatEmulator();
    lip = await startLip(testConfig(`  - { id: or, kind: openrouter, base_url: "${emu.url}", api_key: k-0123456789 }`));
  });
  after(async () => {
    await lip.close();
    await emu.close();
  });
  beforeEach(() => emu.reset());

  for (const frontend of Object.keys(FRONTENDS)) {
    for (const stream of [true, false]) {
      it(`${frontend} client, ${stream ? 'streamed' : 'whole'} turn: the follow-up's assistant message carries the details as they came`, async () => {
        emu.enqueue(TURN_ONE, { text: 'Sunny.' });
        const first = await CLIENT_DRIVERS[frontend]!.run(lip.url, { model: 'or:google/gemini-3-pro-preview', stream, tools: TOOLS, reasoning: true, messages: [{ role: 'user', text: QUESTION }] });
        expect(first.error, JSON.stringify(first.error)).to.equal(undefined);
        expect(first.reasoning).to.equal('Need weather.');
        await FOLLOW_UP[frontend]!(lip.url, 'or:google/gemini-3-pro-preview', first);
        const assistant = (emu.requests[1]!.body.messages as Record<string, unknown>[]).find((m) => m.role === 'assistant')!;
        expect(assistant.reasoning_details).to.deep.equal(DETAILS);
        expect(assistant).not.to.have.property('reasoning'); // the text travels in the details
        expect((assistant.tool_calls as { id: string }[])[0]!.id).to.equal('tool_get_weather_abc');
      });
    }
  }

  it('a backend that does not read them gets the reasoning text alone', async () => {
    const plain = await startLip(testConfig(`  - { id: or, kind: openrouter, base_url: "${emu.url}", api_key: k-0123456789, reasoning_details: false }`));
    try {
      emu.enqueue(TURN_ONE, { text: 'Sunny.' });
      const first = await CLIENT_DRIVERS.anthropic!.run(plain.url, { model: 'or:m', stream: true, tools: TOOLS, reasoning: true, messages: [{ role: 'user', text: QUESTION }] });
      await FOLLOW_UP.anthropic!(plain.url, 'or:m', first);
      const assistant = (emu.requests[1]!.body.messages as Record<string, unknown>[]).find((m) => m.role === 'assistant')!;
      expect(assistant).not.to.have.property('reasoning_details');
      expect(assistant.reasoning).to.equal('Need weather.');
    } finally {
      await plain.close();
    }
  });
});
