import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI, type ThinkingConfig } from '@google/genai';
import { expect } from 'chai';
import { testConfig } from '../helpers/config.js';
import { startOpenAIResponsesEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

/**
 * A Gemini client that turns thinking off (`thinkingBudget: 0`) or only hides the thoughts
 * (`includeThoughts: false`) asks an openai-responses upstream for no reasoning: no `reasoning`
 * and no `include: ["reasoning.encrypted_content"]`, which some non-reasoning models refuse, as
 * an Anthropic client's `thinking: {type: "disabled"}` already got. It used to get
 * `reasoning: {summary: "auto"}` and `reasoning: {}` with the encrypted-content include. A budget
 * above 0 still asks, with or without the thoughts shown.
 */
describe('e2e: regression: thinking turned off reaches an openai-responses upstream as no reasoning', () => {
  let emu: Emulator;
  let lip: RunningLip;
  let google: GoogleGenAI;
  before(async () => {
    emu = await startOpenAIResponsesEmulator();
    lip = await startLip(testConfig(`  - { id: or, kind: openai-responses, base_url: "${emu.url}", api_key: k-0123456789 }`));
    google = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: lip.url, apiVersion: 'v1beta' } });
  });
  after(async () => {
    await lip?.close();
    await emu?.close();
  });
  beforeEach(() => emu.reset());

  /** What the upstream got of reasoning for a Gemini client's thinkingConfig. */
  const sent = async (thinkingConfig: ThinkingConfig) => {
    const answer = await google.models.generateContent({ model: 'or:m', contents: 'hi', config: { thinkingConfig } });
    expect(answer.text).to.be.a('string');
    const body = emu.requests[0]!.body;
    return { reasoning: body.reasoning, include: body.include };
  };

  it('thinkingBudget 0: no reasoning and no encrypted-content include', async () => {
    expect(await sent({ thinkingBudget: 0 })).to.deep.equal({ reasoning: undefined, include: undefined });
  });

  it('thinkingBudget 0 with includeThoughts: still none (there are no thoughts to show)', async () => {
    expect(await sent({ thinkingBudget: 0, includeThoughts: true })).to.deep.equal({ reasoning: undefined, include: undefined });
  });

  it('includeThoughts false alone: none (the model\'s own default effort applies)', async () => {
    expect(await sent({ includeThoughts: false })).to.deep.equal({ reasoning: undefined, include: undefined });
  });

  it('a budget above 0 still asks for reasoning; includeThoughts false drops only the summary', async () => {
    expect(await sent({ thinkingBudget: 2048 })).to.deep.equal({ reasoning: { effort: 'low', summary: 'auto' }, include: ['reasoning.encrypted_content'] });
    emu.reset();
    expect(await sent({ thinkingBudget: 2048, includeThoughts: false })).to.deep.equal({ reasoning: { effort: 'low' }, include: ['reasoning.encrypted_content'] });
    emu.reset();
    expect(await sent({ includeThoughts: true })).to.deep.equal({ reasoning: { summary: 'auto' }, include: ['reasoning.encrypted_content'] });
  });

  it('as an Anthropic client\'s thinking disabled', async () => {
    const anthropic = new Anthropic({ baseURL: lip.url, apiKey: 'k', maxRetries: 0, openTelemetry: false } as never);
    await anthropic.messages.create({ model: 'or:m', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }], thinking: { type: 'disabled' } });
    const body = emu.requests[0]!.body;
    expect({ reasoning: body.reasoning, include: body.include }).to.deep.equal({ reasoning: undefined, include: undefined });
  });
});
