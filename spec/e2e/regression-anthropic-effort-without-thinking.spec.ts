import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import OpenAI from 'openai';
import { KINDS } from '../backends/kinds.js';
import { testConfig } from '../helpers/config.js';
import type { Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

/**
 * An Anthropic client's `output_config.effort` without `thinking` is Anthropic's effort parameter
 * on its own (how thoroughly the model works, thinking or not), not a request to think. It used
 * to become extended thinking (`thinking: {type: "enabled", budget_tokens: 2048}` for `low`), which
 * dropped the client's `temperature` and the effort, and on Bedrock raised `maxTokens` above a
 * 32768 budget for `max`. It now reaches an anthropic upstream as `output_config.effort`, with
 * the temperature and no thinking; a Bedrock Claude model, which lip sends no effort, gets no
 * thinking either. Other clients' efforts ask for reasoning and still become thinking.
 */
describe('e2e: regression: an Anthropic client\'s effort without thinking stays an effort', function () {
  this.timeout(20_000);
  const emulators: Record<string, Emulator> = {};
  let lip: RunningLip;
  let anthropic: Anthropic;
  before(async () => {
    const kinds = KINDS.filter((k) => k.kind === 'anthropic' || k.kind === 'bedrock');
    for (const k of kinds) emulators[k.kind] = await k.start();
    lip = await startLip(testConfig(kinds.map((k) => k.row(k.kind, emulators[k.kind]!)).join('\n')));
    anthropic = new Anthropic({ baseURL: lip.url, apiKey: 'k', maxRetries: 0, openTelemetry: false } as never);
  });
  after(async () => {
    await lip?.close();
    for (const emu of Object.values(emulators)) await emu.close();
  });
  beforeEach(() => {
    for (const emu of Object.values(emulators)) emu.reset();
  });

  const create = (model: string, extra: Record<string, unknown>) =>
    anthropic.messages.create({ model, max_tokens: 8000, temperature: 0.2, messages: [{ role: 'user', content: 'hi' }], ...extra } as never);

  it('reaches an anthropic upstream as output_config.effort, with the temperature and no thinking', async () => {
    await create('anthropic:claude-opus-4-5', { output_config: { effort: 'low' } });
    const body = emulators.anthropic!.requests[0]!.body;
    expect({ max_tokens: body.max_tokens, temperature: body.temperature, thinking: body.thinking, output_config: body.output_config })
      .to.deep.equal({ max_tokens: 8000, temperature: 0.2, thinking: undefined, output_config: { effort: 'low' } });
  });

  it('beside thinking disabled, likewise', async () => {
    await create('anthropic:claude-opus-4-5', { thinking: { type: 'disabled' }, output_config: { effort: 'max' } });
    const body = emulators.anthropic!.requests[0]!.body;
    expect({ temperature: body.temperature, thinking: body.thinking, output_config: body.output_config }).to.deep.equal({ temperature: 0.2, thinking: undefined, output_config: { effort: 'max' } });
  });

  it('beside thinking enabled, the budget and the effort both go', async () => {
    await create('anthropic:claude-opus-4-5', { temperature: undefined, thinking: { type: 'enabled', budget_tokens: 2000 }, output_config: { effort: 'high' } });
    const body = emulators.anthropic!.requests[0]!.body;
    expect({ thinking: body.thinking, output_config: body.output_config }).to.deep.equal({ thinking: { type: 'enabled', budget_tokens: 2000 }, output_config: { effort: 'high' } });
  });

  it('turns no thinking on for a Claude model on Bedrock, and keeps the temperature and maxTokens', async () => {
    await create('bedrock:anthropic.claude-opus-4-6', { output_config: { effort: 'max' } });
    const body = emulators.bedrock!.requests[0]!.body;
    expect({ inferenceConfig: body.inferenceConfig, additional: body.additionalModelRequestFields }).to.deep.equal({ inferenceConfig: { maxTokens: 8000, temperature: 0.2 }, additional: undefined });
  });

  it('a Responses client\'s reasoning effort still asks an anthropic upstream to think', async () => {
    const openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
    await openai.responses.create({ model: 'anthropic:claude-opus-4-5', input: 'hi', reasoning: { effort: 'low' } });
    const body = emulators.anthropic!.requests[0]!.body;
    expect({ thinking: body.thinking, output_config: body.output_config }).to.deep.equal({ thinking: { type: 'enabled', budget_tokens: 2048 }, output_config: undefined });
  });
});
