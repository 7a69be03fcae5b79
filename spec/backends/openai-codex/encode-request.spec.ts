import { expect } from 'chai';
import { LipError } from '../../../lib/errors/index.js';
import { codexOptions, codexInstructions, conversationId, DEFAULT_CODEX_INSTRUCTIONS, encodeCodexRequest, unsupportedParams } from '../../../lib/backends/openai-codex/index.js';
import { strictCompatible } from '../../../lib/backends/strict-schema.js';
import { CUSTOM_TOOL_PARAMETERS, emptyCall, REASONING_DIALECTS, type Call } from '../../../lib/canonical/index.js';

const options = (extra: Record<string, unknown> = {}) => codexOptions({ id: 'cx', kind: 'openai-codex', models: [], ...extra });
const turn = { conversationId: 'conv-1', turn: 1, bump: false };
const call = (overrides: Partial<Call> = {}): Call => emptyCall({ model: 'm', stream: true, messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }], ...overrides });
const strictSchema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
const looseSchema = { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string' } }, required: ['city'] };

describe('backends/openai-codex/encode-request', () => {
  it('always streams, never stores, strips openai/ from the model and names the conversation as prompt_cache_key', () => {
    const body = encodeCodexRequest(call({ metadata: { team: 'a' }, user: 'u1' }), 'openai/gpt-5.4', options(), turn);
    expect(body).to.include({ model: 'gpt-5.4', stream: true, store: false, prompt_cache_key: 'conv-1', instructions: DEFAULT_CODEX_INSTRUCTIONS });
    expect(body).not.to.have.any.keys('metadata', 'user', 'temperature', 'top_p', 'max_output_tokens');
  });

  it('folds the system parts and every system message into instructions, each block once; none stays in input', () => {
    const c = call({
      system: [{ type: 'text', text: 'Be brief.' }],
      messages: [
        { role: 'user', parts: [{ type: 'text', text: 'hi' }] },
        { role: 'system', parts: [{ type: 'text', text: 'Be brief.' }, { type: 'text', text: 'Use metric units.' }] },
        { role: 'assistant', parts: [{ type: 'text', text: 'ok' }] },
      ],
    });
    const body = encodeCodexRequest(c, 'gpt-5.4', options(), turn);
    expect(body.instructions).to.equal('Be brief.\n\nUse metric units.');
    expect((body.input as { role?: string }[]).map((i) => i.role)).to.deep.equal(['user', 'assistant']);
    expect(codexInstructions(call())).to.equal(DEFAULT_CODEX_INSTRUCTIONS);
  });

  it('drops temperature, top_p and max_output_tokens (the backend refused them before unless the row ignores them)', () => {
    const c = call({ options: { temperature: 0.2, topP: 0.9, maxOutputTokens: 100, seed: 1 } });
    expect(unsupportedParams(c)).to.deep.equal(['temperature', 'top_p', 'max_output_tokens']);
    expect(unsupportedParams(call({ options: { seed: 1 } }))).to.deep.equal([]);
    expect(encodeCodexRequest(c, 'gpt-5.4', options(), turn)).not.to.have.any.keys('temperature', 'top_p', 'max_output_tokens');
  });

  it('refuses stop sequences, retryably (the endpoint has none; dropped, the answer would run past them), unless the row ignores unsupported parameters', () => {
    expect(() => encodeCodexRequest(call({ options: { stopSequences: ['END'] } }), 'gpt-5.4', options(), turn))
      .to.throw(LipError, 'openai-codex has none').with.property('retryable', true);
    const dropped = encodeCodexRequest(call({ options: { stopSequences: ['END'] } }), 'gpt-5.4', options({ ignore_unsupported_gen_params: true }), turn);
    expect(JSON.stringify(dropped)).not.to.contain('END');
  });

  it('marks a tool strict only when its schema is strict-compatible and the call does not say strict: false', () => {
    const c = call({ tools: [{ name: 'a', parameters: strictSchema }, { name: 'b', parameters: looseSchema }, { name: 'c', parameters: strictSchema, strict: false }] });
    const body = encodeCodexRequest(c, 'gpt-5.4', options(), turn);
    expect((body.tools as { strict: boolean }[]).map((t) => t.strict)).to.deep.equal([true, false, false]);
    expect(body).to.include({ tool_choice: 'auto', parallel_tool_calls: false });
    expect(encodeCodexRequest(call({ tools: c.tools, options: { parallelToolCalls: true } }), 'gpt-5.4', options(), turn).parallel_tool_calls).to.equal(true);
    expect(encodeCodexRequest(call(), 'gpt-5.4', options(), turn)).not.to.have.any.keys('tools', 'tool_choice', 'parallel_tool_calls');
    expect(strictCompatible({ type: 'object', properties: { o: { type: 'object', properties: { x: { type: 'string' } } } }, required: ['o'], additionalProperties: false })).to.equal(false);
    expect(strictCompatible({})).to.equal(true);
  });

  it('asks for reasoning with summary auto and encrypted content, from the call or the row default', () => {
    const asked = encodeCodexRequest(call({ options: { reasoning: { effort: 'high' } } }), 'gpt-5.4', options(), turn);
    expect(asked).to.deep.include({ reasoning: { effort: 'high', summary: 'auto' }, include: ['reasoning.encrypted_content'] });
    const byRow = encodeCodexRequest(call(), 'gpt-5.4', options({ default_reasoning_effort: 'low' }), turn);
    expect(byRow).to.deep.include({ reasoning: { effort: 'low', summary: 'auto' } });
    expect(encodeCodexRequest(call(), 'gpt-5.4', options(), turn)).not.to.have.any.keys('reasoning', 'include');
    // Thinking off (a budget of 0) or thoughts only hidden ask for none: the row's default effort, else nothing.
    for (const reasoning of [{ budgetTokens: 0 }, { includeThoughts: false }]) {
      expect(encodeCodexRequest(call({ options: { reasoning } }), 'gpt-5.4', options(), turn)).not.to.have.any.keys('reasoning', 'include');
      expect(encodeCodexRequest(call({ options: { reasoning } }), 'gpt-5.4', options({ default_reasoning_effort: 'low' }), turn)).to.deep.include({ reasoning: { effort: 'low', summary: 'auto' } });
    }
  });

  it('replays earlier encrypted reasoning of the Responses dialect', () => {
    const c = call({
      messages: [
        { role: 'user', parts: [{ type: 'text', text: 'hi' }] },
        { role: 'assistant', parts: [{ type: 'reasoning', dialect: REASONING_DIALECTS.openaiResponses, id: 'rs_1', opaque: 'enc', text: 's' }, { type: 'text', text: 'ok' }] },
      ],
    });
    const body = encodeCodexRequest(c, 'gpt-5.4', options(), turn);
    expect((body.input as { type: string; encrypted_content?: string }[]).find((i) => i.type === 'reasoning')?.encrypted_content).to.equal('enc');
    expect(body.include).to.deep.equal(['reasoning.encrypted_content']);
  });

  it('sets verbosity from the call, else high on a bumped turn, else the row default', () => {
    const o = options({ default_verbosity: 'low' });
    expect(encodeCodexRequest(call({ options: { verbosity: 'medium' } }), 'm', o, { ...turn, bump: true }).text).to.deep.equal({ verbosity: 'medium' });
    expect(encodeCodexRequest(call(), 'm', o, { ...turn, bump: true }).text).to.deep.equal({ verbosity: 'high' });
    expect(encodeCodexRequest(call(), 'm', o, turn).text).to.deep.equal({ verbosity: 'low' });
    expect(encodeCodexRequest(call(), 'm', options(), turn)).not.to.have.property('text');
  });

  it('sends a -codex model no verbosity of its own (neither the bump nor the row default), only the call\'s', () => {
    const o = options({ default_verbosity: 'high' });
    for (const model of ['gpt-5.2-codex', 'openai/gpt-5.1-codex-max', 'gpt-5-codex-mini']) {
      expect(encodeCodexRequest(call(), model, o, { ...turn, bump: true }), model).not.to.have.property('text');
      expect(encodeCodexRequest(call(), model, o, turn), model).not.to.have.property('text');
      expect(encodeCodexRequest(call({ options: { verbosity: 'low' } }), model, o, turn).text, model).to.deep.equal({ verbosity: 'low' });
    }
  });

  it('names a conversation after its first non-system message: stable across turns, distinct between conversations', () => {
    const first = call();
    const later = call({ messages: [...first.messages, { role: 'assistant', parts: [{ type: 'text', text: 'hello' }] }, { role: 'user', parts: [{ type: 'text', text: 'more' }] }] });
    expect(conversationId(first, 'gpt-5.4')).to.match(/^lip-gpt-5\.4-[0-9a-f]{16}$/);
    expect(conversationId(later, 'gpt-5.4')).to.equal(conversationId(first, 'gpt-5.4'));
    expect(conversationId(call({ messages: [{ role: 'user', parts: [{ type: 'text', text: 'other' }] }] }), 'gpt-5.4')).not.to.equal(conversationId(first, 'gpt-5.4'));
    expect(conversationId(call({ messages: [] }), 'gpt-5.4')).to.equal('lip-gpt-5.4');
  });
  it('sends a custom tool (Codex CLI\'s apply_patch) as a custom tool beside its function tools, and a custom call in the history as a custom_tool_call', () => {
    const format = { type: 'grammar', syntax: 'lark', definition: 'start: /.+/' };
    const body = encodeCodexRequest(call({
      tools: [{ name: 'shell', parameters: strictSchema }, { name: 'apply_patch', description: 'Edit.', parameters: CUSTOM_TOOL_PARAMETERS, kind: 'custom', format }],
      messages: [
        { role: 'user', parts: [{ type: 'text', text: 'hi' }] },
        { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_1', name: 'apply_patch', arguments: '*** Begin Patch', custom: true }] },
        { role: 'tool', parts: [{ type: 'tool_result', callId: 'call_1', content: 'Done' }] },
      ],
    }), 'gpt-5.4', options(), turn);
    expect(body.tools).to.deep.equal([
      { type: 'function', name: 'shell', parameters: strictSchema, strict: true },
      { type: 'custom', name: 'apply_patch', description: 'Edit.', format },
    ]);
    expect((body.input as unknown[]).slice(1)).to.deep.equal([
      { type: 'custom_tool_call', call_id: 'call_1', name: 'apply_patch', input: '*** Begin Patch' },
      { type: 'custom_tool_call_output', call_id: 'call_1', output: 'Done' },
    ]);
  });
});
