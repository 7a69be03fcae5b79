import { expect } from 'chai';
import { failedOutput } from '../../lib/backends/failed-tool-result.js';
import { chatOptions, encodeChatRequest } from '../../lib/backends/openai-chat/index.js';
import { encodeOpenResponsesRequest, encodeResponsesRequest, responsesOptions } from '../../lib/backends/openai-responses/index.js';
import { codexOptions, encodeCodexRequest } from '../../lib/backends/openai-codex/index.js';
import { emptyCall, type Call, type ToolResultPart } from '../../lib/canonical/index.js';

type Content = ToolResultPart['content'];

/** A conversation whose one tool call failed, its result `content`. */
const failed = (content: Content, isError = true): Call => emptyCall({
  model: 'm',
  messages: [
    { role: 'user', parts: [{ type: 'text', text: 'hi' }] },
    { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_1', name: 'f', arguments: '{}' }] },
    { role: 'tool', parts: [{ type: 'tool_result', callId: 'call_1', content, isError }] },
  ],
});

const chat = (c: Call) => (encodeChatRequest(c, 'gpt', chatOptions({ id: 'b', kind: 'openai-chat', models: [] })).messages as any[]).find((m) => m.role === 'tool').content;
const outputOf = (body: Record<string, unknown>) => (body.input as any[]).find((i) => i.type === 'function_call_output').output;
const responses = (c: Call) => outputOf(encodeResponsesRequest(c, 'gpt-5', responsesOptions({ id: 'b', kind: 'openai-responses', models: [] })));
const open = (c: Call) => outputOf(encodeOpenResponsesRequest(c, 'm', responsesOptions({ id: 'ors', kind: 'custom-openresponses', models: [], profile: 'openresponses' }), 'ors'));
const codex = (c: Call) => outputOf(encodeCodexRequest(c, 'gpt-5.4', codexOptions({ id: 'cx', kind: 'openai-codex', models: [] }), { conversationId: 'c', turn: 1, bump: false }));

const image = { type: 'image', data: 'AAAA', mediaType: 'image/png' } as const;

describe('backends/failed-tool-result', () => {
  describe('failedOutput', () => {
    const text = (t: string) => ({ t });
    it('leaves a result that did not fail as it is', () => {
      expect(failedOutput('ok', undefined, text)).to.equal('ok');
      expect(failedOutput('', false, text)).to.equal('');
      const parts = [{ t: 'a' }];
      expect(failedOutput(parts, false, text)).to.equal(parts);
    });
    it('prefixes a failed string, says (no output) for an empty one', () => {
      expect(failedOutput('Permission denied', true)).to.equal('Error: Permission denied');
      expect(failedOutput('', true)).to.equal('Error: (no output)');
    });
    it('puts a text part before failed parts; an empty list is the string', () => {
      expect(failedOutput([{ t: 'a' }], true, text)).to.deep.equal([{ t: 'Error: ' }, { t: 'a' }]);
      expect(failedOutput([], true, text)).to.equal('Error: (no output)');
    });
  });

  // Chat Completions and the Responses API have no error flag on a tool's output: a failure sent as
  // plain content reads as a success (an Anthropic client's `is_error: true` was lost).
  describe('a failed result on a protocol with no error flag', () => {
    it('openai-chat: the tool message says Error:', () => {
      expect(chat(failed('Permission denied'))).to.equal('Error: Permission denied');
      expect(chat(failed(''))).to.equal('Error: (no output)');
      expect(chat(failed([image]))).to.equal('Error: (no output)');
      expect(chat(failed([{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }]))).to.deep.equal([
        { type: 'text', text: 'Error: ' }, { type: 'text', text: 'a' }, { type: 'text', text: 'b' },
      ]);
      expect(chat(failed('{"temp":21}', false))).to.equal('{"temp":21}');
    });

    for (const [name, encode] of [['openai-responses', responses], ['openresponses profile', open], ['openai-codex', codex]] as const) {
      it(`${name}: the function_call_output says Error:`, () => {
        expect(encode(failed('Permission denied'))).to.equal('Error: Permission denied');
        expect(encode(failed(''))).to.equal('Error: (no output)');
        expect(encode(failed([]))).to.equal('Error: (no output)');
        expect(encode(failed([{ type: 'text', text: 'denied' }, image]))).to.deep.equal([
          { type: 'input_text', text: 'Error: ' }, { type: 'input_text', text: 'denied' }, { type: 'input_image', image_url: 'data:image/png;base64,AAAA', detail: 'auto' },
        ]);
        expect(encode(failed('{"temp":21}', false))).to.equal('{"temp":21}');
      });
    }
  });
});
