import { expect } from 'chai';
import { REASONING_DIALECTS, validateCall } from '../../../lib/canonical/index.js';
import { LipError } from '../../../lib/errors/index.js';
import { betasOf } from '../../../lib/frontends/anthropic/decode-request.js';
import { decodeMessagesRequest } from '../../../lib/frontends/anthropic/index.js';
import { refusalOf } from '../../helpers/refusal.js';

const base = { model: 'claude-x', max_tokens: 256 };
const decode = (body: Record<string, unknown>) => decodeMessagesRequest({ ...base, ...body }).call;

function decodeError(body: unknown): LipError {
  return refusalOf(() => decodeMessagesRequest(body));
}

describe('frontends/anthropic decodeMessagesRequest', () => {
  it('maps system (string or blocks), text, options and metadata.user_id', () => {
    const call = decode({
      system: [{ type: 'text', text: 'Be brief.' }, { type: 'text', text: 'Be kind.', cache_control: { type: 'ephemeral' } }],
      messages: [{ role: 'user', content: 'hi' }],
      stream: true, temperature: 0.3, top_p: 0.9, top_k: 40, stop_sequences: ['END'], metadata: { user_id: 'u-1' },
    });
    expect(call.system).to.deep.equal([{ type: 'text', text: 'Be brief.' }, { type: 'text', text: 'Be kind.', cache: {} }]);
    expect(call.messages).to.deep.equal([{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }]);
    expect(call).to.deep.include({ model: 'claude-x', stream: true, user: 'u-1' });
    expect(call.options).to.deep.equal({ maxOutputTokens: 256, temperature: 0.3, topP: 0.9, topK: 40, stopSequences: ['END'] });
    expect(decode({ system: 'Short.', messages: [{ role: 'user', content: 'x' }] }).system).to.deep.equal([{ type: 'text', text: 'Short.' }]);
  });

  it('refuses a temperature outside Anthropic\'s 0 to 1 (the canonical range goes to 2), as the Messages API does', () => {
    const refused = refusalOf(() => decode({ messages: [{ role: 'user', content: 'x' }], temperature: 1.01 }));
    expect([refused.code, refused.message, refused.param]).to.deep.equal(['LIP_ERR_REQUEST_INVALID', 'temperature: must be a number between 0 and 1', 'temperature']);
    expect(refusalOf(() => decode({ messages: [{ role: 'user', content: 'x' }], temperature: -0.5 })).message).to.equal('temperature: must be a number between 0 and 1');
    expect(decode({ messages: [{ role: 'user', content: 'x' }], temperature: 1 }).options.temperature).to.equal(1);
  });

  it('a thread is a continuation lip holds (stored under a msg_ id); a bad one, or billing a user profile, is a 400 naming the field', () => {
    const messages = [{ role: 'user', content: 'x' }];
    expect(decodeMessagesRequest({ ...base, messages }).continuation).to.equal(undefined);
    expect(decodeMessagesRequest({ ...base, messages, thread: null }).continuation).to.equal(undefined);
    expect(decodeMessagesRequest({ ...base, messages, thread: { type: 'create' } }).continuation).to.deep.equal({ store: true, keepsPrompt: true, idPrefix: 'msg_', previousParam: 'thread.previous_message_id' });
    expect(decodeMessagesRequest({ ...base, messages, thread: { type: 'continue', previous_message_id: 'msg_1' } }).continuation).to.deep.equal({
      store: true, keepsPrompt: true, idPrefix: 'msg_', previousParam: 'thread.previous_message_id', previousResponseId: 'msg_1',
    });
    expect(decodeError({ ...base, messages, thread: { type: 'continue' } }).message).to.contain('previous_message_id');
    expect(decodeError({ ...base, messages, thread: { type: 'fork' } }).message).to.contain('thread.type');
    const billed = decodeError({ ...base, messages, billing_policy: { type: 'billing_policy', bill_to: 'user_profile' } });
    expect(billed).to.deep.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', param: 'billing_policy.bill_to' });
    expect(decode({ messages, billing_policy: { type: 'billing_policy', bill_to: 'self' } }).messages).to.have.length(1);
    // Anthropic's retry on other models after a refusal: the request runs on the model it names.
    expect(decode({ messages, fallbacks: 'default', fallback_credit_token: 'tok' }).providerOptions).to.equal(undefined);
  });

  it('a thread\'s continue takes the thread\'s system and tools: one that sends either is a 400 naming it; its system messages stay in place', () => {
    const thread = { type: 'continue', previous_message_id: 'msg_1' };
    const messages = [{ role: 'user', content: 'x' }];
    const tools = [{ name: 'add', input_schema: { type: 'object' } }];
    for (const [field, body] of [['system', { system: 'You are SYS' }], ['system', { system: [{ type: 'text', text: 'You are SYS' }] }], ['tools', { tools }], ['tools', { tools: [] }]] as const) {
      const err = decodeError({ ...base, messages, thread, ...body });
      expect(err).to.deep.include({ code: 'LIP_ERR_REQUEST_INVALID', param: field, status: 400 });
      expect(err.message).to.contain(`${field}: a thread keeps the ${field} it was created with`);
    }
    // The thread that creates them sends both, as any request does.
    expect(decode({ messages, thread: { type: 'create' }, system: 'You are SYS', tools }).tools.map((t) => t.name)).to.deep.equal(['add']);
    // A continue's system messages come after the thread's turns: none joins the top-level system.
    const continued = decode({ thread, messages: [{ role: 'system', content: 'Now be brief.' }, ...messages] });
    expect(continued.system).to.deep.equal([]);
    expect(continued.messages.map((m) => m.role)).to.deep.equal(['system', 'user']);
    expect(decode({ thread: { type: 'create' }, messages: [{ role: 'system', content: 'Be brief.' }, ...messages] }).system).to.deep.equal([{ type: 'text', text: 'Be brief.' }]);
  });

  it('tool changes in a system message (tool_addition, tool_removal: the SDK tool runner\'s addTools, removeTools) are a 400 naming the block: not supported', () => {
    const addition = { type: 'tool_addition', tool: { type: 'tool_definition', definition: { name: 'sub', input_schema: { type: 'object' } } } };
    const removal = { type: 'tool_removal', tool: { type: 'tool_reference', name: 'add' } };
    for (const block of [addition, removal]) {
      for (const thread of [undefined, { type: 'continue', previous_message_id: 'msg_1' }]) {
        const err = decodeError({ ...base, ...(thread ? { thread } : {}), messages: [{ role: 'user', content: 'x' }, { role: 'system', content: [{ type: 'text', text: 'Tools changed.' }, block] }] });
        expect(err).to.deep.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', param: 'messages[1].content[1].type', status: 400 });
        expect(err.message).to.contain(`"${block.type}" blocks (changing the tools in the course of a conversation) are not supported`);
      }
    }
  });

  it('keeps an image\'s transformations.oversized_image (downsize, error) as the part\'s oversized; another value is a 400', () => {
    const png = { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' };
    const call = decode({ messages: [{ role: 'user', content: [{ type: 'image', source: png, transformations: { oversized_image: 'error' } }, { type: 'image', source: png, transformations: null }] }] });
    expect(call.messages[0]!.parts).to.deep.equal([
      { type: 'image', data: 'iVBORw0KGgo=', mediaType: 'image/png', oversized: 'error' }, { type: 'image', data: 'iVBORw0KGgo=', mediaType: 'image/png' },
    ]);
    expect(validateCall({ ...call, messages: [{ role: 'user', parts: [{ type: 'image', url: 'https://x/y.png', oversized: 'shrink' as never }] }] })[0]).to.deep.include({ path: 'messages[0].parts[0].oversized' });
    expect(decodeError({ ...base, messages: [{ role: 'user', content: [{ type: 'image', source: png, transformations: { oversized_image: 'crop' } }] }] }).message).to.contain('oversized_image');
  });

  it('keeps cache_control breakpoints (with their ttl) on system blocks, content blocks, tool results and tools', () => {
    const eph = { type: 'ephemeral' };
    const tools = [{ name: 'f', input_schema: { type: 'object' } }, { name: 'g', input_schema: { type: 'object' }, cache_control: eph }];
    // Four a request, as Anthropic takes them (cache-breakpoints.spec.ts).
    const call = decode({
      system: [{ type: 'text', text: 'Rules.', cache_control: { type: 'ephemeral', ttl: '1h' } }], tools,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Look.', cache_control: eph }, { type: 'image', source: { type: 'url', url: 'https://x/a.png' }, cache_control: eph }] }],
    });
    expect(call.system).to.deep.equal([{ type: 'text', text: 'Rules.', cache: { ttl: '1h' } }]);
    expect(call.tools.map((t) => t.cache)).to.deep.equal([undefined, {}]);
    expect(call.messages[0]!.parts).to.deep.equal([{ type: 'text', text: 'Look.', cache: {} }, { type: 'image', url: 'https://x/a.png', cache: {} }]);
    const turns = decode({
      messages: [
        { role: 'user', content: 'Look.' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'f', input: {}, cache_control: eph }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: 'ok', cache_control: eph }], cache_control: eph }] },
      ],
    });
    expect(turns.messages[1]!.parts[0]).to.deep.include({ type: 'tool_call', cache: {} });
    expect(turns.messages[2]!.parts[0]).to.deep.equal({ type: 'tool_result', callId: 't1', content: [{ type: 'text', text: 'ok', cache: {} }], cache: {} });
    expect(decodeError({ ...base, messages: [{ role: 'user', content: [{ type: 'text', text: 'x', cache_control: { type: 'forever' } }] }] }).param).to.equal('messages[0].content[0].cache_control.type');
  });

  it('reads the anthropic-beta header as a list of feature names (repeated, comma-separated, each once); refuses what is not a name', () => {
    expect(betasOf(undefined)).to.deep.equal([]);
    expect(betasOf(' a-1 ,b.2,, a-1')).to.deep.equal(['a-1', 'b.2']);
    expect(betasOf(['a-1', 'c_3,d'])).to.deep.equal(['a-1', 'c_3', 'd']);
    expect(decodeMessagesRequest({ ...base, messages: [{ role: 'user', content: 'x' }] }, ['a-1']).call.betas).to.deep.equal(['a-1']);
    expect(decodeMessagesRequest({ ...base, messages: [{ role: 'user', content: 'x' }] }).call).to.not.have.property('betas');
    for (const header of ['a b', 'x;y', '-lead', 'x'.repeat(129), Array.from({ length: 33 }, (_, i) => `b${i}`).join(',')]) {
      expect(() => betasOf(header), header.slice(0, 20)).to.throw(LipError).with.property('param', 'anthropic-beta');
    }
  });

  it('maps images and documents from base64, URL and plain-text sources', () => {
    const big = 'A'.repeat(2 * 1024 * 1024); // no small per-part cap: only the body limit applies
    const call = decode({
      messages: [{
        role: 'user',
        content: [
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: big } },
          { type: 'image', source: { type: 'url', url: 'https://example.com/a.jpg' } },
          { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' }, title: 'spec.pdf' },
          { type: 'document', source: { type: 'url', url: 'https://example.com/b.pdf' } },
          { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'plain words' } },
        ],
      }],
    });
    expect(call.messages[0]!.parts).to.deep.equal([
      { type: 'image', data: big, mediaType: 'image/png' },
      { type: 'image', url: 'https://example.com/a.jpg' },
      { type: 'file', data: 'JVBERi0=', mediaType: 'application/pdf', filename: 'spec.pdf' },
      { type: 'file', url: 'https://example.com/b.pdf', mediaType: 'application/pdf' },
      { type: 'file', data: Buffer.from('plain words').toString('base64'), mediaType: 'text/plain' },
    ]);
  });

  it('keeps thinking blocks with their signatures (also empty thinking), redacted thinking and tool use in order', () => {
    const call = decode({
      messages: [
        { role: 'user', content: 'weather?' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'Need the tool.', signature: 'sig-a' },
            { type: 'thinking', thinking: '', signature: 'sig-empty' },
            { type: 'redacted_thinking', data: 'ENCRYPTED' },
            { type: 'text', text: 'Checking.' },
            { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
          ],
        },
      ],
    });
    expect(call.messages[1]).to.deep.equal({
      role: 'assistant',
      parts: [
        { type: 'reasoning', dialect: REASONING_DIALECTS.anthropicThinking, text: 'Need the tool.', signature: 'sig-a' },
        { type: 'reasoning', dialect: REASONING_DIALECTS.anthropicThinking, text: '', signature: 'sig-empty' },
        { type: 'reasoning', dialect: REASONING_DIALECTS.anthropicRedacted, opaque: 'ENCRYPTED' },
        { type: 'text', text: 'Checking.' },
        { type: 'tool_call', id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
      ],
    });
  });

  it('system messages: leading ones join the top-level system, later ones stay in place; text blocks only', () => {
    const call = decode({
      system: 'top',
      messages: [
        { role: 'system', content: 'lead' },
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'hello' },
        { role: 'system', content: [{ type: 'text', text: 'mid', cache_control: { type: 'ephemeral' } }] },
        { role: 'user', content: 'go on' },
      ],
    });
    expect(call.system).to.deep.equal([{ type: 'text', text: 'top' }, { type: 'text', text: 'lead' }]);
    expect(call.messages.map((m) => m.role)).to.deep.equal(['user', 'assistant', 'system', 'user']);
    expect(call.messages[2]!.parts).to.deep.equal([{ type: 'text', text: 'mid', cache: {} }]);
    expect(decodeError({ ...base, messages: [{ role: 'system', content: [{ type: 'image', source: { type: 'url', url: 'https://x/y.png' } }] }, { role: 'user', content: 'x' }] }).param)
      .to.equal('messages[0].content[0].type');
  });

  it('splits a user message into tool results and user content, in place', () => {
    const call = decode({
      messages: [
        { role: 'user', content: 'x' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'a', input: {} }, { type: 'tool_use', id: 't2', name: 'b', input: {} }] },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 't1', content: 'sunny' },
            { type: 'tool_result', tool_use_id: 't2', content: [{ type: 'text', text: 'boom' }], is_error: true },
            { type: 'text', text: 'and now?' },
          ],
        },
      ],
    });
    expect(call.messages.slice(2)).to.deep.equal([
      { role: 'tool', parts: [{ type: 'tool_result', callId: 't1', content: 'sunny' }, { type: 'tool_result', callId: 't2', content: [{ type: 'text', text: 'boom' }], isError: true }] },
      { role: 'user', parts: [{ type: 'text', text: 'and now?' }] },
    ]);
  });

  it('maps tools, tool_choice (with disable_parallel_tool_use) and thinking', () => {
    const tools = [{ name: 'get_weather', description: 'd', input_schema: { type: 'object', properties: {} } }];
    const messages = [{ role: 'user', content: 'x' }];
    expect(decode({ messages, tools }).tools).to.deep.equal([{ name: 'get_weather', description: 'd', parameters: { type: 'object', properties: {} } }]);
    expect(decode({ messages, tools: [{ ...tools[0], strict: true }, { ...tools[0], name: 'g', strict: false }] }).tools.map((t) => t.strict)).to.deep.equal([true, undefined]);
    expect(decode({ messages, tools, tool_choice: { type: 'any' } }).toolChoice).to.deep.equal({ type: 'any' });
    expect(decode({ messages, tools, tool_choice: { type: 'none' } }).toolChoice).to.deep.equal({ type: 'none' });
    const named = decode({ messages, tools, tool_choice: { type: 'tool', name: 'get_weather', disable_parallel_tool_use: true } });
    expect(named.toolChoice).to.deep.equal({ type: 'tool', name: 'get_weather' });
    expect(named.options.parallelToolCalls).to.equal(false);
    expect(decode({ messages, thinking: { type: 'enabled', budget_tokens: 2048 } }).options.reasoning).to.deep.equal({ budgetTokens: 2048 });
    expect(decode({ messages, thinking: { type: 'enabled', budget_tokens: 2048, display: 'summarized' } }).options.reasoning).to.deep.equal({ budgetTokens: 2048, includeThoughts: true });
    const omitted = decode({ messages, thinking: { type: 'adaptive', display: 'omitted' } });
    expect([omitted.options.reasoning, omitted.providerOptions]).to.deep.equal([{ adaptive: true, includeThoughts: false }, { anthropic: { thinkingDisplay: 'omitted' } }]);
    const between = decode({ messages, thinking: { type: 'between_tools' } });
    expect([between.options.reasoning, between.providerOptions]).to.deep.equal([undefined, { anthropic: { thinkingType: 'between_tools' } }]);
    expect(decode({ messages, thinking: { type: 'adaptive' }, output_config: { effort: 'high' } }).options.reasoning).to.deep.equal({ adaptive: true, effort: 'high', outputEffort: true });
    // Thinking off is said, for the servers whose models think by default (DeepSeek, OpenRouter): none of the other fields.
    expect(decode({ messages, thinking: { type: 'disabled' } }).options.reasoning).to.deep.equal({ disabled: true });
    const binding = { prefix_mismatch_behavior: 'drop_block' };
    expect(decode({ messages, thinking: { type: 'adaptive', block_binding: binding } }).providerOptions).to.deep.equal({ anthropic: { thinkingBlockBinding: binding } });
    expect(decode({ messages, thinking: { type: 'adaptive', block_binding: {} } }).providerOptions).to.equal(undefined);
    expect(decode({ messages, thinking: { type: 'disabled', block_binding: binding } }).providerOptions).to.equal(undefined);
    expect(decodeError({ ...base, messages, thinking: { type: 'adaptive', block_binding: { prefix_mismatch_behavior: 'keep' } } }).message).to.contain('prefix_mismatch_behavior');
    const budget = { type: 'tokens', total: 400_000 };
    expect(decode({ messages, output_config: { effort: 'high', task_budget: budget } }).providerOptions).to.deep.equal({ anthropic: { taskBudget: budget } });
    expect(decodeError({ ...base, messages, output_config: { task_budget: { type: 'tokens' } } }).message).to.contain('total');
  });

  it('maps structured output (output_config.format, or the beta\'s output_format) onto a json_schema response format', () => {
    const messages = [{ role: 'user', content: 'x' }];
    const schema = { type: 'object', properties: { answer: { type: 'number' } }, required: ['answer'], additionalProperties: false };
    expect(decode({ messages, output_config: { format: { type: 'json_schema', schema } } }).options.responseFormat).to.deep.equal({ type: 'json_schema', schema });
    expect(decode({ messages, output_format: { type: 'json_schema', schema } }).options.responseFormat).to.deep.equal({ type: 'json_schema', schema });
    const both = decode({ messages, thinking: { type: 'adaptive' }, output_config: { effort: 'low', format: { type: 'json_schema', schema } } }).options;
    expect(both).to.deep.include({ responseFormat: { type: 'json_schema', schema }, reasoning: { adaptive: true, effort: 'low', outputEffort: true } });
    for (const none of [{}, { output_config: { format: null, effort: null } }, { output_format: null }]) {
      expect(decode({ messages, ...none }).options).to.not.have.property('responseFormat');
    }
  });

  it('refuses a structured-output format that is not a JSON schema, or given twice, naming the field', () => {
    const body = (extra: Record<string, unknown>) => ({ ...base, messages: [{ role: 'user', content: 'x' }], ...extra });
    const schema = { type: 'object' };
    expect(decodeError(body({ output_config: { format: { type: 'json_object', schema } } }))).to.deep.include({
      param: 'output_config.format.type', message: 'output_config.format.type: must be "json_schema" (got "json_object")',
    });
    expect(decodeError(body({ output_config: { format: { type: 'json_schema' } } }))).to.deep.include({ param: 'output_config.format.schema', message: 'output_config.format.schema: is required' });
    expect(decodeError(body({ output_config: { format: 'json' } })).param).to.equal('output_config.format');
    expect(decodeError(body({ output_config: { format: { type: 'json_schema', schema: 'x' } } })).param).to.equal('output_config.format.schema');
    expect(decodeError(body({ output_format: { type: 'text', schema } })).param).to.equal('output_format.type');
    const twice = decodeError(body({ output_format: { type: 'json_schema', schema }, output_config: { format: { type: 'json_schema', schema } } }));
    expect(twice).to.deep.include({ status: 400, code: 'LIP_ERR_REQUEST_INVALID', param: 'output_format' });
  });

  it('marks the last cacheable block for a top-level cache_control, keeping its ttl; a wrong type is a 400 naming it', () => {
    const call = decode({
      cache_control: { type: 'ephemeral', ttl: '1h' },
      system: 'Rules.',
      messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }, { role: 'user', content: [{ type: 'text', text: 'c' }, { type: 'text', text: 'd' }] }],
    });
    expect(call.messages[2]!.parts).to.deep.equal([{ type: 'text', text: 'c' }, { type: 'text', text: 'd', cache: { ttl: '1h' } }]);
    expect(call.system).to.deep.equal([{ type: 'text', text: 'Rules.' }]);
    expect(decode({ cache_control: null, messages: [{ role: 'user', content: 'a' }] }).messages[0]!.parts[0]).to.deep.equal({ type: 'text', text: 'a' });
    expect(decodeError({ ...base, cache_control: { type: 'persistent' }, messages: [{ role: 'user', content: 'a' }] }).param).to.equal('cache_control.type');
  });

  it('carries a code-execution container as written (providerOptions.anthropic.container); a wrong type is a 400 naming it; ignores diagnostics', () => {
    const messages = [{ role: 'user', content: 'x' }];
    for (const container of ['container_011', { id: 'container_011' }, { skills: [{ type: 'anthropic', skill_id: 'pptx' }] }]) {
      expect(decode({ messages, container }).providerOptions).to.deep.equal({ anthropic: { container } });
    }
    expect(decodeError({ ...base, messages, container: 7 })).to.deep.include({ status: 400, code: 'LIP_ERR_REQUEST_INVALID', param: 'container' });
    expect(decodeError({ ...base, messages, container: { id: 7 } })).to.deep.include({ code: 'LIP_ERR_REQUEST_INVALID', param: 'container.id' });
    expect(decode({ messages, container: null })).to.deep.equal(decode({ messages }));
    expect(decode({ messages, diagnostics: { previous_message_id: 'msg_1' } })).to.deep.equal(decode({ messages }));
  });

  it('names the offending field, in the client notation, for unknown and misplaced blocks', () => {
    const unknown = decodeError({ ...base, messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }, { role: 'user', content: [{ type: 'foo' }] }] });
    expect(unknown).to.deep.include({ status: 400, code: 'LIP_ERR_REQUEST_INVALID', param: 'messages[2].content[0].type' });
    expect(unknown.message).to.equal('messages[2].content[0].type: unknown block type "foo"');
    const misplaced = decodeError({ ...base, messages: [{ role: 'user', content: [{ type: 'tool_use', id: 'x', name: 'y', input: {} }] }] });
    expect(misplaced.message).to.equal('messages[0].content[0].type: tool_use blocks belong in assistant messages');
    const fallback = decodeError({ ...base, messages: [{ role: 'assistant', content: [{ type: 'fallback', to: { model: 'claude-opus-4-6' } }] }] });
    expect(fallback).to.deep.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', message: 'messages[0].content[0].type: fallback blocks are not supported' });
    const reference = decodeError({ ...base, messages: [{ role: 'user', content: [{ type: 'text', text: 'q' }, { type: 'tool_reference', tool_name: 'f' }] }] });
    expect(reference).to.deep.include({ code: 'LIP_ERR_REQUEST_INVALID', message: 'messages[0].content[1].type: tool_reference blocks belong in the content of a tool_result' });
    const nested = decodeError({ ...base, messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'bar' }] }] }] });
    expect(nested.param).to.equal('messages[0].content[0].content[0].type');
    // browser_state passes in a tool_result (toolsets.spec.ts); one without its tabs, or outside a result, is a 400
    const browser = decodeError({ ...base, messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'browser_state' }] }] }] });
    expect(browser).to.deep.include({ code: 'LIP_ERR_REQUEST_INVALID', message: 'messages[0].content[0].content[0].tabs: is required' });
    const loose = decodeError({ ...base, messages: [{ role: 'user', content: [{ type: 'browser_state', tabs: [] }] }] });
    expect(loose).to.deep.include({ code: 'LIP_ERR_REQUEST_INVALID', message: 'messages[0].content[0].type: browser_state blocks belong in the content of a tool_result' });
  });

  it('rejects schema violations with a 400 naming the field', () => {
    expect(decodeError({ model: 'm', messages: [] }).message).to.equal('max_tokens: is required');
    expect(decodeError({ ...base, messages: [{ role: 'developer', content: 'x' }] }).param).to.equal('messages[0].role');
    expect(decodeError({ ...base, messages: [{ role: 'user', content: 7 }] }).message).to.equal('messages[0].content: must be a string or an array of content blocks (got number 7)');
    expect(decodeError({ ...base, messages: [{ role: 'user', content: 'x' }], tools: [{ name: 'm', type: 'imaginary_tool_20991231' }] })).to.deep.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', param: 'tools[0].type' });
    expect(decodeError({ ...base, messages: [{ role: 'user', content: 'x' }], thinking: { type: 'enabled' } }).param).to.equal('thinking.budget_tokens');
    expect(decodeError({ ...base, messages: [{ role: 'user', content: [] }] }).message).to.equal('messages[0].content: must not be empty');
  });
});
