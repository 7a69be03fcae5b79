import { expect } from 'chai';
import { encodeChatRequest, chatOptions } from '../../lib/backends/openai-chat/index.js';
import { encodeResponsesRequest, responsesOptions } from '../../lib/backends/openai-responses/index.js';
import { asksForReasoning, reasoningEffort } from '../../lib/backends/thinking.js';
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
