import { expect } from 'chai';
import { FRONTENDS } from '../../lib/frontends/registry.js';
import { clientPath } from '../../lib/frontends/protocol.js';

describe('frontends/clientPath: canonical option paths named as the client wrote them', () => {
  const fields = (id: string) => FRONTENDS[id]!.optionFields;

  it('maps each protocol\'s option to its own field', () => {
    expect(clientPath(fields('openai-chat'), 'options.topP', {})).to.equal('top_p');
    expect(clientPath(fields('openai-responses'), 'options.maxOutputTokens', {})).to.equal('max_output_tokens');
    expect(clientPath(fields('openai-responses'), 'options.verbosity', {})).to.equal('text.verbosity');
    expect(clientPath(fields('anthropic'), 'options.reasoning.budgetTokens', {})).to.equal('thinking.budget_tokens');
    expect(clientPath(fields('gemini'), 'options.topK', {})).to.equal('generationConfig.topK');
  });

  it('picks the field the body used when several carry the option, and keeps an index', () => {
    expect(clientPath(fields('openai-chat'), 'options.maxOutputTokens', { max_tokens: 0 })).to.equal('max_tokens');
    expect(clientPath(fields('openai-chat'), 'options.maxOutputTokens', { max_completion_tokens: 0 })).to.equal('max_completion_tokens');
    expect(clientPath(fields('openai-chat'), 'options.stopSequences[2]', {})).to.equal('stop[2]');
    expect(clientPath(fields('gemini'), 'options.stopSequences[0]', {})).to.equal('generationConfig.stopSequences[0]');
  });

  it('names the conversation by its field (input, contents), but not an item of it', () => {
    expect(clientPath(fields('openai-responses'), 'messages', {}, FRONTENDS['openai-responses']!.messagesField)).to.equal('input');
    expect(clientPath(fields('gemini'), 'messages', {}, FRONTENDS.gemini!.messagesField)).to.equal('contents');
    expect(clientPath(fields('openai-chat'), 'messages', {}, FRONTENDS['openai-chat']!.messagesField)).to.equal('messages');
    expect(clientPath(fields('gemini'), 'messages[2].parts[0]', {}, 'contents')).to.equal('messages[2].parts[0]');
  });

  it('leaves other paths and unmapped options alone', () => {
    expect(clientPath(fields('openai-chat'), 'messages[0].parts[1].text', {})).to.equal('messages[0].parts[1].text');
    expect(clientPath(fields('openai-chat'), 'options.topK', {})).to.equal('options.topK');
    expect(clientPath(undefined, 'options.temperature', {})).to.equal('options.temperature');
    // A prefix of another option's name is not that option.
    expect(clientPath({ top: 'x' }, 'options.topP', {})).to.equal('options.topP');
  });

  it('names a message, part, tool or the tool choice by the decoder\'s origins, a field the body lacks by its object', () => {
    const body = { messages: [{ role: 'system' }, { role: 'assistant', tool_calls: [{ id: 'a', function: { name: 'f' } }] }], tools: [{ function: { name: 'f' } }] };
    const origins = {
      messages: [undefined, { at: 'messages[1]', parts: [{ at: 'messages[1].tool_calls[0]', fields: { name: 'function.name' } }] }],
      tools: [{ at: 'tools[0].function' }],
      toolChoice: { at: 'tool_choice' },
    };
    expect(clientPath(undefined, 'messages[1].parts[0].id', body, 'messages', origins)).to.equal('messages[1].tool_calls[0].id');
    expect(clientPath(undefined, 'messages[1].parts[0].name', body, 'messages', origins)).to.equal('messages[1].tool_calls[0].function.name');
    // A field of no counterpart in the body: the object; a part without an origin: its message; a stored turn: the conversation.
    expect(clientPath(undefined, 'messages[1].parts[0].namespace', body, 'messages', origins)).to.equal('messages[1].tool_calls[0]');
    expect(clientPath(undefined, 'messages[1].parts[3].text', body, 'messages', origins)).to.equal('messages[1]');
    expect(clientPath(undefined, 'messages[0].parts[0].text', body, 'input', origins)).to.equal('input');
    expect(clientPath(undefined, 'tools[0].name', body, 'messages', origins)).to.equal('tools[0].function.name');
    expect(clientPath(undefined, 'tools[0].parameters', body, 'messages', origins)).to.equal('tools[0].function');
    expect(clientPath(undefined, 'toolChoice', body, 'messages', origins)).to.equal('tool_choice');
  });
});
