import { expect } from 'chai';
import { CALL_LIMITS, emptyCall, unansweredResult, validateCall, type Call, type Message } from '../../lib/canonical/index.js';

const user = (text: string): Message => ({ role: 'user', parts: [{ type: 'text', text }] });
const valid = (over: Partial<Call> = {}): Call => emptyCall({ model: 'm', messages: [user('hi')], ...over });
const paths = (call: Call) => validateCall(call).map((i) => i.path);

describe('canonical/validateCall', () => {
  it('accepts a minimal call', () => {
    expect(validateCall(valid())).to.deep.equal([]);
  });

  it('accepts a full conversation with tools, images, files, reasoning and results', () => {
    const call = valid({
      system: [{ type: 'text', text: 'be brief' }],
      messages: [
        { role: 'user', parts: [{ type: 'text', text: 'look' }, { type: 'image', data: 'aGk=', mediaType: 'image/png' }, { type: 'file', fileId: 'f1' }] },
        { role: 'assistant', parts: [
          { type: 'reasoning', dialect: 'anthropic.thinking', text: '', signature: 'sig' },
          { type: 'tool_call', id: 'c1', name: 'get', arguments: '{"a":1}' },
        ] },
        { role: 'tool', parts: [{ type: 'tool_result', callId: 'c1', content: 'ok' }] },
      ],
      tools: [{ name: 'get', parameters: { type: 'object' } }],
      toolChoice: { type: 'tool', name: 'get' },
      options: { temperature: 0.5, topP: 1, maxOutputTokens: 100, stopSequences: ['END'] },
    });
    expect(validateCall(call)).to.deep.equal([]);
  });

  it('requires at least one message, saying so where a Chat client sent only system or developer messages (the system prompt)', () => {
    expect(validateCall(valid({ messages: [] }))).to.deep.equal([{ path: 'messages', message: 'must contain at least one message' }]);
    expect(validateCall(valid({ messages: [], system: [{ type: 'text', text: 'be brief' }] }))).to.deep.equal([{
      path: 'messages', message: 'must contain at least one message besides the system prompt (system and developer messages are the system prompt)',
    }]);
  });

  it('rejects parts in the wrong role', () => {
    const issues = validateCall(valid({ messages: [{ role: 'user', parts: [{ type: 'tool_call', id: 'x', name: 'n', arguments: '{}' }] }] }));
    expect(issues).to.have.length(1);
    expect(issues[0]!.path).to.equal('messages[0].parts[0]');
    expect(issues[0]!.message).to.contain('tool_call part is not allowed in a user message');
  });

  it('rejects images without data or url, and inline data without a media type', () => {
    expect(paths(valid({ messages: [{ role: 'user', parts: [{ type: 'image' }] }] }))).to.deep.equal(['messages[0].parts[0]']);
    expect(paths(valid({ messages: [{ role: 'user', parts: [{ type: 'image', data: 'aGk=' }] }] }))).to.deep.equal(['messages[0].parts[0].mediaType']);
  });

  it("checks an image's or file's provider fields: a dialect and an object", () => {
    const fields = { dialect: 'gemini.part', value: { videoMetadata: { fps: 2 } } };
    expect(paths(valid({ messages: [{ role: 'user', parts: [{ type: 'image', url: 'https://x/a.png', providerFields: fields }, { type: 'file', url: 'https://x/a.mp4', providerFields: fields }] }] }))).to.deep.equal([]);
    const broken = { dialect: '', value: [] } as unknown as typeof fields;
    expect(paths(valid({ messages: [{ role: 'user', parts: [{ type: 'image', url: 'https://x/a.png', providerFields: broken }, { type: 'file', url: 'https://x/a.mp4', providerFields: broken }] }] })))
      .to.deep.equal(['messages[0].parts[0].providerFields.dialect', 'messages[0].parts[0].providerFields.value', 'messages[0].parts[1].providerFields.dialect', 'messages[0].parts[1].providerFields.value']);
  });

  it('rejects out-of-range generation options with the field path', () => {
    expect(paths(valid({ options: { temperature: 3, topP: -0.1, maxOutputTokens: 0, topK: 1.5 } }))).to.deep.equal([
      'options.temperature', 'options.topP', 'options.topK', 'options.maxOutputTokens',
    ]);
  });

  it('requires a named tool choice to name a declared tool, and "any" to have tools', () => {
    expect(paths(valid({ toolChoice: { type: 'tool', name: 'nope' } }))).to.deep.equal(['toolChoice.name']);
    expect(paths(valid({ toolChoice: { type: 'any' } }))).to.deep.equal(['toolChoice']);
    const tools = [{ name: 'get', parameters: {} }];
    expect(paths(valid({ tools, toolChoice: { type: 'any', allowed: ['get', 'nope'] } }))).to.deep.equal(['toolChoice.allowed[1]']);
    expect(paths(valid({ tools, toolChoice: { type: 'auto', allowed: [] } }))).to.deep.equal(['toolChoice.allowed']);
    expect(paths(valid({ tools, toolChoice: { type: 'auto', allowed: ['get'] } }))).to.deep.equal([]);
  });

  it('rejects duplicate tool names and duplicate tool call ids', () => {
    const call = valid({
      tools: [{ name: 't', parameters: {} }, { name: 't', parameters: {} }],
      messages: [user('x'), { role: 'assistant', parts: [
        { type: 'tool_call', id: 'a', name: 't', arguments: '' },
        { type: 'tool_call', id: 'a', name: 't', arguments: '' },
      ] }],
    });
    expect(paths(call)).to.deep.equal(['messages[1].parts[1].id', 'tools[1].name']);
  });

  it('requires a provider tool to carry its declaration (dialect and definition), and only a provider tool', () => {
    const providerTool = { dialect: 'd.tool', definition: { type: 'x_20250101', name: 'x' } };
    expect(paths(valid({ tools: [{ name: 'x', parameters: {}, kind: 'provider', providerTool }] }))).to.deep.equal([]);
    expect(paths(valid({ tools: [{ name: 'x', parameters: {}, kind: 'provider' }] }))).to.deep.equal(['tools[0].providerTool']);
    expect(paths(valid({ tools: [{ name: 'x', parameters: {}, providerTool }] }))).to.deep.equal(['tools[0].providerTool']);
    expect(paths(valid({ tools: [{ name: 'x', parameters: {}, kind: 'provider', providerTool: { dialect: '', definition: [] as never } }] })))
      .to.deep.equal(['tools[0].providerTool.dialect', 'tools[0].providerTool.definition']);
  });

  it('enforces the documented limits', () => {
    const many = Array.from({ length: CALL_LIMITS.messages + 1 }, () => user('x'));
    expect(paths(valid({ messages: many }))).to.deep.equal(['messages']);
    const longName = 'x'.repeat(CALL_LIMITS.toolNameChars + 1);
    expect(paths(valid({ tools: [{ name: longName, parameters: {} }] }))).to.deep.equal(['tools[0].name']);
  });

  it('reports several issues at once, capped at 20', () => {
    const bad = Array.from({ length: 30 }, (): Message => ({ role: 'user', parts: [] }));
    expect(validateCall(valid({ messages: bad }))).to.have.length(20);
  });

  it('requires reasoning to carry something', () => {
    expect(paths(valid({ messages: [user('x'), { role: 'assistant', parts: [{ type: 'reasoning', dialect: 'd' }] }] }))).to.deep.equal(['messages[1].parts[0]']);
  });

  it("takes one hosted web search tool, with or without the client's declaration, and web search parts in assistant turns", () => {
    const search = { name: 'web_search', parameters: {}, kind: 'web_search' as const };
    expect(paths(valid({ tools: [search] }))).to.deep.equal([]);
    expect(paths(valid({ tools: [{ ...search, providerTool: { dialect: 'd.search', definition: { type: 'web_search_20250305' } } }] }))).to.deep.equal([]);
    expect(paths(valid({ tools: [{ ...search, providerTool: { dialect: '', definition: {} } }] }))).to.deep.equal(['tools[0].providerTool.dialect']);
    expect(paths(valid({ tools: [search, { ...search, name: 'another' }] }))).to.deep.equal(['tools[1].kind']);
    const turn = (part: Record<string, unknown>) => valid({ messages: [user('x'), { role: 'assistant', parts: [part as never] }] });
    expect(paths(turn({ type: 'web_search', id: 'ws_1', status: 'completed', query: 'q', results: [{ url: 'https://a.example' }] }))).to.deep.equal([]);
    expect(paths(turn({ type: 'web_search', id: '', status: 'searching' }))).to.deep.equal(['messages[1].parts[0].id', 'messages[1].parts[0].status']);
    expect(paths(valid({ messages: [{ role: 'user', parts: [{ type: 'web_search', id: 'w', status: 'completed' }] }] }))).to.deep.equal(['messages[0].parts[0]']);
  });

  it('takes hosted tools with their declaration, and hosted parts in user and assistant turns', () => {
    const tool = { name: 'code_execution', parameters: {}, kind: 'hosted' as const, providerTool: { dialect: 'd.hosted', definition: { type: 'code_execution_20250825' } } };
    expect(paths(valid({ tools: [tool] }))).to.deep.equal([]);
    expect(paths(valid({ tools: [{ name: 'code_execution', parameters: {}, kind: 'hosted' }] }))).to.deep.equal(['tools[0].providerTool']);
    const part = (p: Record<string, unknown>) => p as never;
    expect(paths(valid({ messages: [user('x'), { role: 'assistant', parts: [part({ type: 'hosted_tool', dialect: 'd.hosted', block: { type: 'server_tool_use' } })] }] }))).to.deep.equal([]);
    expect(paths(valid({ messages: [{ role: 'user', parts: [part({ type: 'hosted_tool', dialect: 'd.hosted', block: { type: 'container_upload' } })] }] }))).to.deep.equal([]);
    expect(paths(valid({ messages: [user('x'), { role: 'assistant', parts: [part({ type: 'hosted_tool', dialect: '', block: [] })] }] })))
      .to.deep.equal(['messages[1].parts[0].dialect', 'messages[1].parts[0].block']);
  });

  it('takes a hosted part that stands for the turns a provider compacted, its summary a text when it has one', () => {
    const compaction = (record: unknown) => valid({ messages: [{ role: 'user', parts: [{ type: 'hosted_tool', dialect: 'd.hosted', block: { type: 'compaction' }, compaction: record } as never] }] });
    expect(paths(compaction({ summary: 'earlier turns' }))).to.deep.equal([]);
    expect(paths(compaction({}))).to.deep.equal([]);
    expect(paths(compaction('earlier turns'))).to.deep.equal(['messages[0].parts[0].compaction']);
    expect(paths(compaction({ summary: 7 }))).to.deep.equal(['messages[0].parts[0].compaction.summary']);
    expect(paths(compaction({ summary: 'x'.repeat(CALL_LIMITS.textChars + 1) }))).to.deep.equal(['messages[0].parts[0].compaction.summary']);
  });

  it('namespaced tools: unique per (namespace, name), only functions and custom tools, one tool search, optional only on a hosted tool', () => {
    const fn = (name: string, namespace?: string) => ({ name, parameters: {}, ...(namespace !== undefined ? { namespace } : {}) });
    expect(paths(valid({ tools: [fn('a'), fn('a', 'n1'), fn('a', 'n2')] }))).to.deep.equal([]);
    expect(paths(valid({ tools: [fn('a', 'n1'), fn('a', 'n1')] }))).to.deep.equal(['tools[1].name']);
    expect(paths(valid({ tools: [fn('a', ' n')] }))).to.deep.equal(['tools[0].namespace']);
    expect(paths(valid({ tools: [{ ...fn('s', 'n'), kind: 'tool_search' }] }))).to.deep.equal(['tools[0].namespace']);
    expect(paths(valid({ tools: [{ ...fn('s'), kind: 'tool_search' }, { ...fn('t'), kind: 'tool_search' }] }))).to.deep.equal(['tools[1].kind']);
    expect(paths(valid({ tools: [{ ...fn('s'), optional: true }] }))).to.deep.equal(['tools[0].optional']);
  });

  it('toolset members: only provider tools, a non-empty toolset name on the tool and on its calls', () => {
    const member = (name: string, toolset: unknown) => ({ name, parameters: {}, kind: 'provider' as const, providerTool: { dialect: 'd.tool', definition: { type: 'set_1' } }, toolset: toolset as string });
    expect(paths(valid({ tools: [member('a', 'set'), member('b', 'set')] }))).to.deep.equal([]);
    expect(paths(valid({ tools: [member('a', '')] }))).to.deep.equal(['tools[0].toolset']);
    expect(paths(valid({ tools: [{ name: 'a', parameters: {}, toolset: 'set' }] }))).to.deep.equal(['tools[0].toolset']);
    const called = (toolset: unknown) => valid({ messages: [user('x'), { role: 'assistant', parts: [{ type: 'tool_call', id: 'c', name: 'a', arguments: '{}', toolset: toolset as string }] }] });
    expect(paths(called('set'))).to.deep.equal([]);
    expect(paths(called(7))).to.deep.equal(['messages[1].parts[0].toolset']);
  });
});

describe('canonical/unansweredResult', () => {
  const call = (id: string): Message => ({ role: 'assistant', parts: [{ type: 'tool_call', id, name: 'w', arguments: '{}' }] });
  const result = (callId: string): Message => ({ role: 'tool', parts: [{ type: 'tool_result', callId, content: 'ok' }] });

  it('names the first result from an index on whose call is nowhere in the messages, and where its call id is', () => {
    expect(unansweredResult([user('q'), call('a'), result('a')], 2)).to.equal(undefined);
    expect(unansweredResult([user('q'), call('a'), result('a'), result('b'), result('c')], 2)).to.deep.equal({ callId: 'b', path: 'messages[3].parts[0].callId' });
    const two: Message = { role: 'tool', parts: [{ type: 'tool_result', callId: 'a', content: 'ok' }, { type: 'tool_result', callId: 'x', content: 'ok' }] };
    expect(unansweredResult([user('q'), call('a'), two], 2)?.path).to.equal('messages[2].parts[1].callId');
    // A call made after the index (the request's own history) counts too.
    expect(unansweredResult([user('q'), call('a'), result('a')], 1)).to.equal(undefined);
  });

  it('does not look at results before the index (the stored conversation was checked when it was stored)', () => {
    expect(unansweredResult([result('gone'), user('q')], 1)).to.equal(undefined);
    expect(unansweredResult([result('gone'), user('q')], 0)?.callId).to.equal('gone');
  });
});
