import { expect } from 'chai';
import { encodeChatRequest, chatOptions } from '../../lib/backends/openai-chat/index.js';
import { encodeResponsesRequest, responsesOptions } from '../../lib/backends/openai-responses/index.js';
import { asksForReasoning, reasoningEffort, turnsThinkingOff } from '../../lib/backends/thinking.js';
import { emptyCall, type ReasoningOptions } from '../../lib/canonical/index.js';

/**
 * A thinking budget (Anthropic `budget_tokens`, Gemini `thinkingBudget`) reaching a model that
 * thinks by effort becomes the nearest effort, so a client's "think harder" still means something
 * there; an effort the call names wins.
 */
describe('backends/thinking reasoningEffort', () => {
  it('maps a budget to the nearest effort on a ratio scale; an effort wins; none or 0 gives none', () => {
    const effort = (r?: ReasoningOptions) => reasoningEffort(r);
    expect([1024, 4000, 4095, 4096, 10000, 11584, 11586, 31999].map((budgetTokens) => effort({ budgetTokens }))).to.deep.equal(['low', 'low', 'low', 'medium', 'medium', 'medium', 'high', 'high']);
    expect(effort({ budgetTokens: 31999, effort: 'minimal' })).to.equal('minimal');
    expect([effort(undefined), effort({}), effort({ budgetTokens: 0 }), effort({ includeThoughts: true })]).to.deep.equal([undefined, undefined, undefined, undefined]);
  });

  it('the Chat and Responses encoders send it as reasoning_effort / reasoning.effort; an OpenRouter-style row keeps the budget', () => {
    const call = emptyCall({ model: 'm', messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }], options: { reasoning: { budgetTokens: 10000, includeThoughts: true } } });
    const row = { id: 'b', kind: 'openai-chat', models: [] };
    expect(encodeChatRequest(call, 'gpt', chatOptions(row)).reasoning_effort).to.equal('medium');
    expect(encodeChatRequest(call, 'gpt', chatOptions({ ...row, reasoning_param: 'reasoning' })).reasoning).to.deep.equal({ max_tokens: 10000 });
    expect(encodeResponsesRequest(call, 'gpt', responsesOptions({ id: 'r', kind: 'openai-responses', models: [] })).reasoning).to.deep.include({ effort: 'medium' });
  });

  it('sends Anthropic\'s effort max as OpenAI\'s highest, xhigh (the API refuses max); OpenAI\'s own efforts as written', () => {
    const call = (effort: string) => emptyCall({ model: 'm', messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }], options: { reasoning: { effort, outputEffort: true } } });
    const row = { id: 'b', kind: 'openai-chat', models: [] };
    expect(encodeChatRequest(call('max'), 'gpt', chatOptions(row)).reasoning_effort).to.equal('xhigh');
    expect(encodeChatRequest(call('max'), 'gpt', chatOptions({ ...row, reasoning_param: 'reasoning' })).reasoning).to.deep.equal({ effort: 'xhigh' });
    expect(encodeResponsesRequest(call('max'), 'gpt', responsesOptions({ id: 'r', kind: 'openai-responses', models: [] })).reasoning).to.deep.include({ effort: 'xhigh' });
    expect(['none', 'minimal', 'low', 'medium', 'high', 'xhigh'].map((effort) => reasoningEffort({ effort }))).to.deep.equal(['none', 'minimal', 'low', 'medium', 'high', 'xhigh']);
  });
});

/**
 * Thinking off (a budget of 0, a Gemini client's `thinkingBudget: 0`) and thoughts hidden
 * (`includeThoughts: false` alone) ask for no reasoning: what a backend asks for only when
 * reasoning is in play (a Responses summary, encrypted reasoning) is left out for them.
 */
describe('backends/thinking asksForReasoning', () => {
  it('is true for an effort, a budget above 0, adaptive thinking or the thoughts asked for; false for none, a budget of 0 or thoughts hidden', () => {
    const asks: ReasoningOptions[] = [{ effort: 'low' }, { budgetTokens: 1 }, { adaptive: true }, { includeThoughts: true }, { budgetTokens: 0, effort: 'low' }, { budgetTokens: 2048, includeThoughts: false }];
    const not: (ReasoningOptions | undefined)[] = [undefined, {}, { budgetTokens: 0 }, { budgetTokens: 0, includeThoughts: true }, { includeThoughts: false }, { summary: 'auto' }];
    expect(asks.map(asksForReasoning)).to.deep.equal(asks.map(() => true));
    expect(not.map(asksForReasoning)).to.deep.equal(not.map(() => false));
  });
});

/**
 * Thinking turned off (an effort of `none`, a budget of 0, an Anthropic client's `thinking:
 * {type: "disabled"}`) reaches the servers whose models think by default as their off switch:
 * DeepSeek's `thinking: {type: "disabled"}` (`reasoning_param: thinking`), OpenRouter's
 * `reasoning: {effort: "none"}`. A call that asks for reasoning gets DeepSeek's switch on with its effort.
 */
describe('backends/openai-chat reasoning_param thinking and reasoning: thinking off', () => {
  const send = (param: string, reasoning?: ReasoningOptions) => {
    const call = emptyCall({ model: 'm', messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }], options: reasoning ? { reasoning } : {} });
    const body = encodeChatRequest(call, 'm', chatOptions({ id: 'b', kind: 'openai-chat', models: [], reasoning_param: param }));
    return { thinking: body.thinking, reasoning_effort: body.reasoning_effort, reasoning: body.reasoning };
  };
  const OFF: ReasoningOptions[] = [{ effort: 'none' }, { budgetTokens: 0 }, { disabled: true }, { disabled: true, effort: 'high', outputEffort: true }];

  it('thinking: off as thinking disabled, reasoning as thinking enabled with the effort, nothing as nothing', () => {
    for (const r of OFF) expect(send('thinking', r), JSON.stringify(r)).to.deep.equal({ thinking: { type: 'disabled' }, reasoning_effort: undefined, reasoning: undefined });
    expect(send('thinking', { effort: 'max', outputEffort: true })).to.deep.equal({ thinking: { type: 'enabled' }, reasoning_effort: 'xhigh', reasoning: undefined });
    expect(send('thinking', { budgetTokens: 2048 })).to.deep.include({ thinking: { type: 'enabled' }, reasoning_effort: 'low' });
    expect(send('thinking', { adaptive: true })).to.deep.equal({ thinking: { type: 'enabled' }, reasoning_effort: undefined, reasoning: undefined });
    expect(send('thinking')).to.deep.equal({ thinking: undefined, reasoning_effort: undefined, reasoning: undefined });
  });

  it("reasoning (OpenRouter): an effort of none or a budget of 0 as effort none (not max_tokens: 0); an Anthropic client's disabled alone as nothing", () => {
    for (const r of OFF.slice(0, 2)) expect(send('reasoning', r).reasoning, JSON.stringify(r)).to.deep.equal({ effort: 'none' });
    // Claude Code sends disabled on its background calls; a model whose reasoning is mandatory refuses the switch.
    for (const r of OFF.slice(2)) expect(send('reasoning', r).reasoning, JSON.stringify(r)).to.equal(undefined);
    expect(send('reasoning', { includeThoughts: true }).reasoning).to.equal(undefined);
  });

  it('turnsThinkingOff is the effort none, a budget of 0 or disabled', () => {
    expect(OFF.map(turnsThinkingOff)).to.deep.equal(OFF.map(() => true));
    expect([undefined, {}, { effort: 'minimal' }, { budgetTokens: 1 }, { includeThoughts: false }].map(turnsThinkingOff)).to.deep.equal([false, false, false, false, false]);
  });
});
