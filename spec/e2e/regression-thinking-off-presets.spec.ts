import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import OpenAI from 'openai';
import { testConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

/**
 * DeepSeek's and OpenRouter's models think unless told not to: a client that turns thinking off
 * (an Anthropic client's `thinking: {type: "disabled"}`, a Chat client's `reasoning_effort:
 * "none"`) must reach them as their off switch, not as silence (the deepseek preset sent no
 * reasoning control at all). OpenRouter gets its switch for an explicit effort of none, but not
 * for an Anthropic client's disabled, which agents send routinely and which a model whose reasoning
 * is mandatory refuses.
 */
describe('e2e: thinking turned off reaches the deepseek and openrouter presets as their off switch', () => {
  let emu: Emulator;
  let lip: RunningLip;
  before(async () => {
    emu = await startOpenAIChatEmulator();
    lip = await startLip(testConfig([
      `  - { id: ds, kind: deepseek, base_url: "${emu.url}", api_key: k-0123456789 }`,
      `  - { id: or, kind: openrouter, base_url: "${emu.url}", api_key: k-0123456789 }`,
    ].join('\n')));
  });
  after(async () => {
    await lip.close();
    await emu.close();
  });
  beforeEach(() => emu.reset());

  const sent = () => {
    const body = emu.requests.at(-1)!.body;
    return { thinking: body.thinking, reasoning_effort: body.reasoning_effort, reasoning: body.reasoning };
  };
  const anthropic = async (model: string, thinking: Anthropic.ThinkingConfigParam) => {
    emu.enqueue({ text: 'ok' });
    const client = new Anthropic({ baseURL: lip.url, apiKey: 'k', maxRetries: 0 });
    await client.messages.create({ model, max_tokens: 4096, thinking, messages: [{ role: 'user', content: 'hi' }] });
    return sent();
  };
  const chat = async (model: string, effort: OpenAI.ReasoningEffort) => {
    emu.enqueue({ text: 'ok' });
    const client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
    await client.chat.completions.create({ model, reasoning_effort: effort, messages: [{ role: 'user', content: 'hi' }] });
    return sent();
  };

  it('deepseek: thinking disabled for an Anthropic client\'s disabled and a Chat client\'s none; enabled with the effort otherwise', async () => {
    expect(await anthropic('ds:deepseek-v4-flash', { type: 'disabled' })).to.deep.equal({ thinking: { type: 'disabled' }, reasoning_effort: undefined, reasoning: undefined });
    expect(await chat('ds:deepseek-v4-flash', 'none')).to.deep.equal({ thinking: { type: 'disabled' }, reasoning_effort: undefined, reasoning: undefined });
    expect(await chat('ds:deepseek-v4-flash', 'high')).to.deep.equal({ thinking: { type: 'enabled' }, reasoning_effort: 'high', reasoning: undefined });
    expect(await anthropic('ds:deepseek-v4-flash', { type: 'enabled', budget_tokens: 2048 })).to.deep.equal({ thinking: { type: 'enabled' }, reasoning_effort: 'low', reasoning: undefined });
  });

  it('openrouter: reasoning effort none for a Chat client\'s none; nothing for an Anthropic client\'s disabled (mandatory-reasoning models refuse the switch)', async () => {
    expect(await anthropic('or:deepseek/deepseek-v4-flash', { type: 'disabled' })).to.deep.equal({ thinking: undefined, reasoning_effort: undefined, reasoning: undefined });
    expect(await chat('or:deepseek/deepseek-v4-flash', 'none')).to.deep.include({ reasoning: { effort: 'none' } });
  });
});
