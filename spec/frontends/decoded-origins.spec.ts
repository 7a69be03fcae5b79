import { expect } from 'chai';
import { decodeMessagesRequest } from '../../lib/frontends/anthropic/decode-request.js';
import { decodeGenerateContent } from '../../lib/frontends/gemini/decode-request.js';
import { decodeChatRequest } from '../../lib/frontends/openai-chat/decode-request.js';
import { decodeResponsesRequest } from '../../lib/frontends/openai-responses/decode-request.js';
import { originsLater, type OriginRecorder } from '../../lib/frontends/protocol.js';

/** `value` and everything in it frozen: a write to it throws (these modules are strict). */
function frozen<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) frozen(v);
    Object.freeze(value);
  }
  return value;
}

const DECODERS = {
  'openai-chat': {
    decode: (body: unknown, recorder?: OriginRecorder) => decodeChatRequest(body, recorder),
    body: {
      model: 'm',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: [{ type: 'text', text: 'weather?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'w', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
      ],
      tools: [{ type: 'function', function: { name: 'w', parameters: { type: 'object', properties: {} } } }],
      tool_choice: 'auto',
    },
    // The leading system message is the call's system prompt: the call's messages[0] is the client's messages[1].
    expected: { message: 'messages[1]', part: { at: 'messages[2].tool_calls[0]', fields: { name: 'function.name', arguments: 'function.arguments' } }, tool: 'tools[0].function' },
  },
  'openai-responses': {
    decode: (body: unknown, recorder?: OriginRecorder) => decodeResponsesRequest(body, recorder),
    body: {
      model: 'm',
      input: [
        { role: 'developer', content: 'be brief' },
        { role: 'user', content: [{ type: 'input_text', text: 'weather?' }] },
        { type: 'function_call', call_id: 'call_1', name: 'w', arguments: '{}' },
        { type: 'function_call_output', call_id: 'call_1', output: 'sunny' },
      ],
      tools: [{ type: 'function', name: 'w', parameters: { type: 'object', properties: {} } }],
    },
    expected: { message: 'input[1]', part: { at: 'input[2]', fields: { id: 'call_id' } }, tool: 'tools[0]' },
  },
  anthropic: {
    decode: (body: unknown, recorder?: OriginRecorder) => decodeMessagesRequest(body, [], recorder),
    body: {
      model: 'm',
      max_tokens: 100,
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'weather?' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } }] },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'w', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'sunny' }] },
      ],
      tools: [{ name: 'w', input_schema: { type: 'object', properties: {} } }],
    },
    expected: { message: 'messages[0]', part: { at: 'messages[1].content[0]', fields: { callId: 'tool_use_id' } }, tool: 'tools[0]' },
  },
  gemini: {
    decode: (body: unknown, recorder?: OriginRecorder) => decodeGenerateContent(body, 'gemini-2.5-flash', false, recorder),
    body: {
      contents: [
        { role: 'user', parts: [{ text: 'weather?' }, { inline_data: { mime_type: 'image/png', data: 'iVBORw0KGgo=' } }] },
        { role: 'model', parts: [{ functionCall: { name: 'w', args: {} } }] },
        { role: 'user', parts: [{ functionResponse: { name: 'w', response: { sky: 'sunny' } } }] },
      ],
      tools: [{ functionDeclarations: [{ name: 'w', parameters: { type: 'OBJECT', properties: {} } }] }],
    },
    expected: { message: 'contents[0]', part: { at: 'contents[1].parts[0].functionCall' }, tool: 'tools[0].functionDeclarations[0]' },
  },
};

/**
 * Where a call's messages, parts and tools came from (DecodedRequest.origins) names the client's
 * fields when a canonical check refuses the call, which is rare; recording them while decoding
 * cost every request an object and a path string per message, part and tool. The decoders now
 * record nothing, and DecodedRequest.origins decodes the body again with a recorder when asked.
 */
describe('frontends: a decoded call\'s origins are recorded only when asked for, by decoding the body again', () => {
  for (const [id, { decode, body, expected }] of Object.entries(DECODERS)) {
    it(`${id}: origins() decodes the body again, recording what the decoder records when given a recorder`, () => {
      const decoded = decode(frozen(structuredClone(body)));
      expect(decoded.origins).to.be.a('function');
      const origins = decoded.origins!();
      expect(origins?.messages?.[0]?.at).to.equal(expected.message);
      expect(origins?.messages?.[1]?.parts?.[0]).to.deep.equal(expected.part);
      expect(origins?.tools?.[0]?.at).to.equal(expected.tool);
      const recorder: OriginRecorder = {};
      decode(structuredClone(body), recorder);
      expect(origins).to.deep.equal(recorder.origins);
    });

    it(`${id}: decoding leaves the body as it was (origins() reads it again)`, () => {
      const sent = frozen(structuredClone(body));
      const decoded = decode(sent);
      decoded.origins!();
      expect(sent).to.deep.equal(body);
    });
  }

  it('has no origins, so the canonical paths are named, when decoding again throws', () => {
    expect(originsLater(() => {
      throw new Error('changed');
    })()).to.equal(undefined);
    expect(originsLater((recorder) => (recorder.origins = { tools: [] }))()).to.deep.equal({ tools: [] });
  });

  it('gemini: a request naming a cachedContent has none (its contents are merged)', () => {
    const decoded = decodeGenerateContent({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }], cachedContent: { name: 'cachedContents/abc', contents: [{ role: 'user', parts: [{ text: 'cached' }] }] } }, 'gemini-2.5-flash', false);
    expect(decoded.origins).to.equal(undefined);
  });
});
