import { expect } from 'chai';
import { anthropicOptions, encodeAnthropicRequest } from '../../../lib/backends/anthropic/index.js';
import { REASONING_DIALECTS, TOOL_DIALECTS, emptyCall, type Call } from '../../../lib/canonical/index.js';

const o = anthropicOptions({ id: 'b', kind: 'anthropic', models: [] });
const call = (overrides: Partial<Call>): Call => emptyCall({ model: 'x', messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }], ...overrides });

describe('backends/anthropic/encode-request', () => {
  it('sends the required max_tokens (the call\'s or the row default) and streams', () => {
    expect(encodeAnthropicRequest(call({}), 'claude', o)).to.deep.equal({ model: 'claude', max_tokens: 8192, stream: true, messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] });
    expect(encodeAnthropicRequest(call({ options: { maxOutputTokens: 64 } }), 'claude', o).max_tokens).to.equal(64);
  });

  it('declares only the allowed tools when the choice is restricted (the provider has no such choice)', () => {
    const tools = ['f', 'g', 'h'].map((name) => ({ name, parameters: { type: 'object' } }));
    const body = encodeAnthropicRequest(call({ tools, toolChoice: { type: 'any', allowed: ['f', 'h'] } }), 'claude', o);
    expect([(body.tools as { name: string }[]).map((t) => t.name), body.tool_choice]).to.deep.equal([['f', 'h'], { type: 'any' }]);
    const auto = encodeAnthropicRequest(call({ tools, toolChoice: { type: 'auto', allowed: ['g'] } }), 'claude', o);
    expect([(auto.tools as { name: string }[]).map((t) => t.name), auto.tool_choice]).to.deep.equal([['g'], { type: 'auto' }]);
  });

  it('marks a strict tool strict (constrained inputs), whatever protocol asked for it', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } }, required: ['a'], additionalProperties: false };
    const body = encodeAnthropicRequest(call({ tools: [{ name: 'f', parameters: schema, strict: true }, { name: 'g', parameters: schema, strict: false }, { name: 'h', parameters: schema }] }), 'claude', o);
    expect(body.tools).to.deep.equal([{ name: 'f', input_schema: schema, strict: true }, { name: 'g', input_schema: schema }, { name: 'h', input_schema: schema }]);
  });

  // The API refuses the whole request for a strict schema outside its structured outputs' subset
  // ("For 'integer' type, property 'minimum' is not supported"; an object not closed).
  it('sends a strict tool whose schema is outside Anthropic\'s strict subset without strict, its schema as written', () => {
    const bounded = { type: 'object', properties: { a: { type: 'integer', minimum: 1 } }, required: ['a'], additionalProperties: false };
    const open = { type: 'object', properties: { a: { type: 'string' } } };
    const body = encodeAnthropicRequest(call({ tools: [{ name: 'f', parameters: bounded, strict: true }, { name: 'g', parameters: open, strict: true }] }), 'claude', o);
    expect(body.tools).to.deep.equal([{ name: 'f', input_schema: bounded }, { name: 'g', input_schema: open }]);
  });

  it('fits a json_schema response format to the subset output_config.format compiles, as written where it has no fit', () => {
    const format = (schema: Record<string, unknown>) => (encodeAnthropicRequest(call({ options: { responseFormat: { type: 'json_schema', schema } } }), 'claude', o).output_config as { format: unknown }).format;
    expect(format({ type: 'object', properties: { a: { type: 'integer', minimum: 1 } }, required: ['a'] })).to.deep.equal({
      type: 'json_schema', schema: { type: 'object', properties: { a: { type: 'integer', description: '{minimum: 1}' } }, required: ['a'], additionalProperties: false },
    });
    expect(format({ type: 'object' })).to.deep.equal({ type: 'json_schema', schema: { type: 'object' } });
  });

  it('declares a client tool with an Anthropic-defined schema as the client did (type, name, its own fields, the cache mark), not by its schema', () => {
    const editor = {
      name: 'str_replace_based_edit_tool', description: 'lip\'s words', parameters: { type: 'object', properties: { command: { type: 'string' } } }, kind: 'provider' as const,
      providerTool: { dialect: TOOL_DIALECTS.anthropic, definition: { type: 'text_editor_20250728', name: 'str_replace_based_edit_tool', max_characters: 10000 } },
      cache: { ttl: '1h' },
    };
    const computer = {
      name: 'computer', parameters: { type: 'object' }, kind: 'provider' as const,
      providerTool: { dialect: TOOL_DIALECTS.anthropic, definition: { type: 'computer_20250124', name: 'computer', display_width_px: 1024, display_height_px: 768, display_number: null } },
    };
    const foreign = { name: 'shell', description: 'd', parameters: { type: 'object' }, kind: 'provider' as const, providerTool: { dialect: 'other.tool', definition: { type: 'shell' } } };
    const body = encodeAnthropicRequest(call({ tools: [editor, computer, foreign], toolChoice: { type: 'tool', name: 'computer' } }), 'claude', o);
    expect(body.tools).to.deep.equal([
      { type: 'text_editor_20250728', name: 'str_replace_based_edit_tool', max_characters: 10000, cache_control: { type: 'ephemeral', ttl: '1h' } },
      { type: 'computer_20250124', name: 'computer', display_width_px: 1024, display_height_px: 768, display_number: null },
      { name: 'shell', description: 'd', input_schema: { type: 'object' } },
    ]);
    expect(body.tool_choice).to.deep.equal({ type: 'tool', name: 'computer' });
  });

  it('puts tool results first in a user turn, merges same-role turns, lifts mid-conversation system text', () => {
    const body = encodeAnthropicRequest(call({
      system: [{ type: 'text', text: 'S1' }],
      messages: [
        { role: 'user', parts: [{ type: 'text', text: 'q' }] },
        { role: 'assistant', parts: [{ type: 'text', text: '' }, { type: 'tool_call', id: 't1', name: 'f', arguments: '{"a":1}' }, { type: 'tool_call', id: 't2', name: 'g', arguments: '' }] },
        { role: 'tool', parts: [{ type: 'tool_result', callId: 't1', content: 'r1' }, { type: 'tool_result', callId: 't2', content: [{ type: 'text', text: 'r2' }], isError: true }] },
        { role: 'user', parts: [{ type: 'text', text: 'and?' }] },
        { role: 'system', parts: [{ type: 'text', text: 'S2' }] },
      ],
    }), 'claude', o);
    expect(body.system).to.deep.equal([{ type: 'text', text: 'S1' }, { type: 'text', text: 'S2' }]);
    expect(body.messages).to.deep.equal([
      { role: 'user', content: [{ type: 'text', text: 'q' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'f', input: { a: 1 } }, { type: 'tool_use', id: 't2', name: 'g', input: {} }] },
      { role: 'user', content: [
        { type: 'tool_result', tool_use_id: 't1', content: 'r1' },
        { type: 'tool_result', tool_use_id: 't2', content: [{ type: 'text', text: 'r2' }], is_error: true },
        { type: 'text', text: 'and?' },
      ] },
    ]);
  });

  it('maps images and documents to their source types', () => {
    const body = encodeAnthropicRequest(call({
      messages: [{ role: 'user', parts: [
        { type: 'image', data: 'AAAA', mediaType: 'image/jpeg' }, { type: 'image', url: 'https://x/i.png' },
        { type: 'file', data: 'JVBE', mediaType: 'application/pdf', filename: 'a.pdf' }, { type: 'file', data: Buffer.from('plain').toString('base64'), mediaType: 'text/plain' },
        { type: 'file', url: 'https://x/d.pdf' }, { type: 'file', fileId: 'file_1' },
      ] }],
    }), 'claude', o);
    expect((body.messages as { content: unknown[] }[])[0]!.content).to.deep.equal([
      { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: 'AAAA' } },
      { type: 'image', source: { type: 'url', url: 'https://x/i.png' } },
      { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBE' }, title: 'a.pdf' },
      { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'plain' } },
      { type: 'document', source: { type: 'url', url: 'https://x/d.pdf' } },
      { type: 'document', source: { type: 'file', file_id: 'file_1' } },
    ]);
  });

  it('replays signed thinking and redacted thinking of its own dialects only', () => {
    const body = encodeAnthropicRequest(call({
      messages: [
        { role: 'user', parts: [{ type: 'text', text: 'q' }] },
        { role: 'assistant', parts: [
          { type: 'reasoning', dialect: REASONING_DIALECTS.anthropicThinking, text: '', signature: 'empty-but-signed' },
          { type: 'reasoning', dialect: REASONING_DIALECTS.anthropicThinking, text: 'unsigned' },
          { type: 'reasoning', dialect: REASONING_DIALECTS.anthropicRedacted, opaque: 'blob' },
          { type: 'reasoning', dialect: REASONING_DIALECTS.geminiThought, text: 'foreign', signature: 'g' },
          { type: 'text', text: 'a' },
        ] },
      ],
    }), 'claude', o);
    expect((body.messages as { content: unknown[] }[])[1]!.content).to.deep.equal([
      { type: 'thinking', thinking: '', signature: 'empty-but-signed' },
      { type: 'redacted_thinking', data: 'blob' },
      { type: 'text', text: 'a' },
    ]);
  });

  it('turns a budget or an effort into extended thinking below max_tokens, without the sampling options it refuses', () => {
    const budget = encodeAnthropicRequest(call({ options: { reasoning: { budgetTokens: 2000 }, temperature: 0.5, topK: 5, topP: 0.5 } }), 'claude', o);
    expect(budget).to.deep.include({ thinking: { type: 'enabled', budget_tokens: 2000 }, max_tokens: 8192 });
    expect(budget).not.to.have.any.keys('temperature', 'top_k', 'top_p');
    expect(encodeAnthropicRequest(call({ options: { reasoning: { effort: 'high' } } }), 'claude', o).thinking).to.deep.equal({ type: 'enabled', budget_tokens: 16384 });
    expect(encodeAnthropicRequest(call({ options: { reasoning: { effort: 'high' } } }), 'claude', o).max_tokens).to.equal(16384 + 8192);
    expect(encodeAnthropicRequest(call({ options: { reasoning: { budgetTokens: 4000 }, maxOutputTokens: 3000 } }), 'claude', o)).to.deep.include({ max_tokens: 3000, thinking: { type: 'enabled', budget_tokens: 2999 } });
    expect(encodeAnthropicRequest(call({ options: { reasoning: { budgetTokens: 4000 }, maxOutputTokens: 500 } }), 'claude', o)).not.to.have.property('thinking');
    expect(encodeAnthropicRequest(call({ options: { reasoning: { effort: 'minimal' } } }), 'claude', o)).not.to.have.property('thinking');
  });

  it('holds the max_tokens it picks at the ceiling (the model\'s known output limit), the budget under it', () => {
    expect(encodeAnthropicRequest(call({ options: { reasoning: { effort: 'xhigh' } } }), 'claude', o, true, 32000)).to.deep.include({ max_tokens: 32000, thinking: { type: 'enabled', budget_tokens: 31999 } });
    expect(encodeAnthropicRequest(call({}), 'claude', o, true, 4096).max_tokens).to.equal(4096);
    expect(encodeAnthropicRequest(call({ options: { maxOutputTokens: 3000 } }), 'claude', o, true, 64000).max_tokens).to.equal(3000);
  });

  // The API refuses thinking beside a forced tool choice ("Thinking may not be enabled when
  // tool_choice forces tool use"): the forced call wins, with the sampling options thinking left out.
  it('leaves thinking out when the call forces a tool call (any, or one tool), not when the choice is auto or none', () => {
    const tools = [{ name: 'f', parameters: { type: 'object' } }];
    const options = { reasoning: { effort: 'high' }, temperature: 0.5 };
    const forced = [{ type: 'any' as const }, { type: 'tool' as const, name: 'f' }].map((toolChoice) => encodeAnthropicRequest(call({ tools, toolChoice, options }), 'claude', o));
    expect(forced.map((b) => [b.tool_choice, b.thinking, b.max_tokens, b.temperature])).to.deep.equal([[{ type: 'any' }, undefined, 8192, 0.5], [{ type: 'tool', name: 'f' }, undefined, 8192, 0.5]]);
    expect(encodeAnthropicRequest(call({ tools, toolChoice: { type: 'any' }, options: { reasoning: { adaptive: true, effort: 'high' } } }), 'claude', o)).not.to.have.any.keys('thinking', 'output_config');
    for (const toolChoice of [{ type: 'auto' as const }, { type: 'none' as const }]) {
      expect(encodeAnthropicRequest(call({ tools, toolChoice, options }), 'claude', o).thinking).to.deep.equal({ type: 'enabled', budget_tokens: 16384 });
    }
    expect(encodeAnthropicRequest(call({ toolChoice: { type: 'any' }, options }), 'claude', o).thinking).to.deep.equal({ type: 'enabled', budget_tokens: 16384 });
  });

  it('writes cache marks as cache_control (with their ttl) on system blocks, tools and content blocks, and nowhere else', () => {
    const mark = { cache: {} };
    // Two calls of four marks each (the API takes four: a fifth would be dropped, latestCacheMarks).
    const body = encodeAnthropicRequest(call({
      system: [{ type: 'text', text: 'Rules.', cache: { ttl: '1h' } }, { type: 'text', text: 'More.' }],
      tools: [{ name: 'f', parameters: { type: 'object' }, ...mark }],
      messages: [
        { role: 'user', parts: [{ type: 'text', text: 'Look.', ...mark }, { type: 'image', data: 'AA', mediaType: 'image/png', ...mark }] },
        { role: 'assistant', parts: [{ type: 'tool_call', id: 't', name: 'f', arguments: '{}' }] },
        { role: 'tool', parts: [{ type: 'tool_result', callId: 't', content: [{ type: 'text', text: 'ok' }] }] },
      ],
    }), 'claude', o);
    const eph = { type: 'ephemeral' };
    expect(body.system).to.deep.equal([{ type: 'text', text: 'Rules.', cache_control: { type: 'ephemeral', ttl: '1h' } }, { type: 'text', text: 'More.' }]);
    expect((body.tools as object[])[0]).to.deep.include({ cache_control: eph });
    expect(body.messages).to.deep.equal([
      { role: 'user', content: [{ type: 'text', text: 'Look.', cache_control: eph }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AA' }, cache_control: eph }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'f', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'text', text: 'ok' }] }] },
    ]);
    const inTools = encodeAnthropicRequest(call({
      messages: [
        { role: 'user', parts: [{ type: 'text', text: 'Look.' }] },
        { role: 'assistant', parts: [{ type: 'tool_call', id: 't', name: 'f', arguments: '{}', ...mark }] },
        { role: 'tool', parts: [{ type: 'tool_result', callId: 't', content: [{ type: 'text', text: 'ok', ...mark }], ...mark }] },
      ],
    }), 'claude', o);
    expect((inTools.messages as object[]).slice(1)).to.deep.equal([
      { role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'f', input: {}, cache_control: eph }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'text', text: 'ok', cache_control: eph }], cache_control: eph }] },
    ]);
    expect(JSON.stringify(encodeAnthropicRequest(call({}), 'claude', o))).to.not.contain('cache_control');
  });

  it('shows the thinking text as the call wants it (display), the client\'s own display and between_tools as written', () => {
    const display = (reasoning: Record<string, unknown>, anthropic?: Record<string, unknown>, knobs = true) => encodeAnthropicRequest(call({ options: { reasoning }, ...(anthropic ? { providerOptions: { anthropic } } : {}) }), 'claude', { ...o, providerOptions: knobs }).thinking;
    expect(display({ budgetTokens: 2000 })).to.deep.equal({ type: 'enabled', budget_tokens: 2000 });
    expect(display({ budgetTokens: 2000, includeThoughts: true })).to.deep.equal({ type: 'enabled', budget_tokens: 2000, display: 'summarized' });
    expect(display({ adaptive: true, includeThoughts: false })).to.deep.equal({ type: 'adaptive', display: 'omitted' });
    expect(display({ adaptive: true }, { thinkingDisplay: 'updates' })).to.deep.equal({ type: 'adaptive', display: 'updates' });
    expect(display({ adaptive: true, includeThoughts: true }, { thinkingDisplay: 'updates' }, false)).to.deep.equal({ type: 'adaptive', display: 'summarized' });
    expect(encodeAnthropicRequest(call({ providerOptions: { anthropic: { thinkingType: 'between_tools' } } }), 'claude', o).thinking).to.deep.equal({ type: 'between_tools' });
    expect(encodeAnthropicRequest(call({ providerOptions: { anthropic: { thinkingType: 'between_tools' } } }), 'claude', { ...o, providerOptions: false })).not.to.have.property('thinking');
    const binding = { prefix_mismatch_behavior: 'drop_block' };
    expect(display({ adaptive: true }, { thinkingBlockBinding: binding })).to.deep.equal({ type: 'adaptive', block_binding: binding });
    expect(display({ budgetTokens: 2000 }, { thinkingBlockBinding: binding, thinkingDisplay: 'omitted' })).to.deep.equal({ type: 'enabled', budget_tokens: 2000, display: 'omitted', block_binding: binding });
    expect(display({ adaptive: true }, { thinkingBlockBinding: binding }, false)).to.deep.equal({ type: 'adaptive' });
  });

  it('sends the task budget in output_config beside the effort, unless the row turns provider_options off', () => {
    const budget = { type: 'tokens', total: 400_000, remaining: 120_000 };
    const sent = (knobs: boolean) => encodeAnthropicRequest(call({ options: { reasoning: { adaptive: true, effort: 'high' } }, providerOptions: { anthropic: { taskBudget: budget } } }), 'claude', { ...o, providerOptions: knobs }).output_config;
    expect(sent(true)).to.deep.equal({ effort: 'high', task_budget: budget });
    expect(sent(false)).to.deep.equal({ effort: 'high' });
  });

  it('asks for adaptive thinking when the call does (its effort as output_config.effort), unless the call sets a budget', () => {
    const adaptive = encodeAnthropicRequest(call({ options: { reasoning: { adaptive: true, includeThoughts: true }, temperature: 0.5, topK: 5, topP: 0.5, maxOutputTokens: 3000 } }), 'claude', o);
    expect(adaptive).to.deep.include({ thinking: { type: 'adaptive', display: 'summarized' }, max_tokens: 3000 });
    expect(adaptive).not.to.have.any.keys('temperature', 'top_k', 'top_p', 'output_config');
    const withEffort = encodeAnthropicRequest(call({ options: { reasoning: { adaptive: true, effort: 'max' }, responseFormat: { type: 'json_schema', schema: { type: 'object' } } } }), 'claude', o);
    expect(withEffort).to.deep.include({ thinking: { type: 'adaptive' }, max_tokens: 8192, output_config: { format: { type: 'json_schema', schema: { type: 'object' } }, effort: 'max' } });
    // An effort Anthropic does not know (OpenAI's vocabulary) is not sent as one.
    expect(encodeAnthropicRequest(call({ options: { reasoning: { adaptive: true, effort: 'minimal' } } }), 'claude', o)).not.to.have.property('output_config');
    expect(encodeAnthropicRequest(call({ options: { reasoning: { adaptive: true, budgetTokens: 2000 } } }), 'claude', o).thinking).to.deep.equal({ type: 'enabled', budget_tokens: 2000 });
    expect(encodeAnthropicRequest(call({ options: { reasoning: { adaptive: true, budgetTokens: 0 } } }), 'claude', o)).not.to.have.property('thinking');
  });

  it('maps tools, tool choice, parallel calls, stop sequences, sampling, output format and the user', () => {
    const body = encodeAnthropicRequest(call({
      tools: [{ name: 'f', description: 'd', parameters: { type: 'object' } }], toolChoice: { type: 'any' },
      options: { parallelToolCalls: false, stopSequences: ['X'], temperature: 1.7, topP: 0.8, topK: 4, responseFormat: { type: 'json_schema', schema: { type: 'object' } } },
      user: 'u-1',
    }), 'claude', o);
    expect(body).to.deep.include({
      tools: [{ name: 'f', description: 'd', input_schema: { type: 'object' } }],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
      stop_sequences: ['X'], temperature: 1, top_k: 4,
      output_config: { format: { type: 'json_schema', schema: { type: 'object' } } },
      metadata: { user_id: 'u-1' },
    });
    // Both samplers asked for: current models refuse the pair, so `temperature` goes alone.
    expect(body).not.to.have.property('top_p');
    expect(encodeAnthropicRequest(call({ options: { topP: 0.8 } }), 'claude', o)).to.deep.include({ top_p: 0.8 });
  });

  // A Chat client's `stop: ["\n"]` or a Gemini client's `stopSequences: ["\n\n"]` made the API
  // refuse the whole request ("each stop sequence must contain non-whitespace").
  it('leaves out stop sequences of white space alone, which the API refuses', () => {
    expect(encodeAnthropicRequest(call({ options: { stopSequences: ['\n', 'END', ' \t', '\n\nHuman:'] } }), 'claude', o).stop_sequences).to.deep.equal(['END', '\n\nHuman:']);
    expect(encodeAnthropicRequest(call({ options: { stopSequences: ['\n', '\n\n'] } }), 'claude', o)).not.to.have.property('stop_sequences');
  });
});
