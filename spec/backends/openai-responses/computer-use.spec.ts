import { expect } from 'chai';
import { ResponsesResponseDecoder, encodeResponsesRequest, responsesOptions } from '../../../lib/backends/openai-responses/index.js';
import { codexOptions, encodeCodexRequest } from '../../../lib/backends/openai-codex/index.js';
import { anthropicOptions, encodeAnthropicRequest } from '../../../lib/backends/anthropic/index.js';
import { encodeGeminiRequest } from '../../../lib/backends/gemini/index.js';
import { chatOptions, encodeChatRequest } from '../../../lib/backends/openai-chat/index.js';
import { encodeBedrockRequest } from '../../../lib/backends/bedrock/index.js';
import { TOOL_DIALECTS, validateSequence, type Call, type LipEvent } from '../../../lib/canonical/index.js';
import { decodeResponsesRequest } from '../../../lib/frontends/openai-responses/index.js';
import { decodeResponsesFrames } from './decode-frames.js';

type Json = Record<string, any>;

const OURS = TOOL_DIALECTS.openaiResponses;
const COMPUTER = { type: 'computer' };
const PREVIEW = { type: 'computer_use_preview', display_width: 1280, display_height: 800, environment: 'mac' };
const ACTIONS = [{ type: 'click', button: 'left', x: 400, y: 300 }, { type: 'type', text: 'hello' }];
const CHECKS = [{ id: 'cu_sc_1', code: 'irrelevant_domain', message: 'The page is off task.' }];
const PNG = 'iVBORw0KGgo=';
const SCREENSHOT = `data:image/png;base64,${PNG}`;
const BATCH_OUT = { type: 'computer_call_output', id: 'cuo_1', call_id: 'call_1', output: { type: 'computer_screenshot', image_url: SCREENSHOT }, acknowledged_safety_checks: CHECKS };
const ONE_OUT = { type: 'computer_call_output', call_id: 'call_2', output: { type: 'computer_screenshot', image_url: 'https://shots.example/2.png' } };

/** A Responses client's turn after two computer calls (a batch with a safety check, then one action), as lip's frontend decodes it. */
function clientCall(tool: Json = COMPUTER, choice?: string): Call {
  return decodeResponsesRequest({
    model: 'gpt-5.4', tools: [tool], ...(choice !== undefined ? { tool_choice: { type: choice } } : {}),
    input: [
      { role: 'user', content: 'Say hello in the notes app.' },
      { type: 'computer_call', id: 'cu_1', call_id: 'call_1', status: 'completed', actions: ACTIONS, pending_safety_checks: CHECKS },
      BATCH_OUT,
      { type: 'computer_call', id: 'cu_2', call_id: 'call_2', status: 'completed', action: { type: 'screenshot' }, pending_safety_checks: [] },
      ONE_OUT,
    ],
  }).call;
}

const encode = (c: Call) => encodeResponsesRequest(c, 'gpt-5.4', responsesOptions({ id: 'or', kind: 'openai-responses', models: [] })) as Json;
const calls = (events: LipEvent[]) => events.filter((e) => e.type.startsWith('tool_call'));

describe('backends: OpenAI computer use', () => {
  describe('openai-responses, the request', () => {
    it('sends the tool as declared, tool_choice by its type, and the history\'s computer calls and outputs as their own items (safety checks only when there are some)', () => {
      const body = encode(clientCall(PREVIEW, 'computer_use'));
      expect(body.tools).to.deep.equal([PREVIEW]);
      expect(body.tool_choice).to.deep.equal({ type: 'computer_use_preview' });
      expect(body.input.slice(1)).to.deep.equal([
        { type: 'computer_call', id: 'call_1', call_id: 'call_1', status: 'completed', actions: ACTIONS, pending_safety_checks: CHECKS },
        { type: 'computer_call_output', call_id: 'call_1', output: BATCH_OUT.output, acknowledged_safety_checks: CHECKS },
        { type: 'computer_call', id: 'call_2', call_id: 'call_2', status: 'completed', action: { type: 'screenshot' } },
        ONE_OUT,
      ]);
      expect(encode(clientCall()).tools).to.deep.equal([COMPUTER]);
    });

    it('makes a computer_call_output of a result not written as one from its image; one without an image goes as a function_call_output', () => {
      const c = clientCall();
      const plain = (parts: Call['messages'][number]['parts']) => parts.map((p) => (p.type === 'tool_result' ? { ...p, written: undefined } : p));
      const [first, second] = encode({ ...c, messages: c.messages.map((m) => (m.role === 'tool' ? { ...m, parts: plain(m.parts) } : m)) }).input.filter((i: Json) => i.type.endsWith('_output'));
      expect(first).to.deep.equal({ type: 'computer_call_output', call_id: 'call_1', output: { type: 'computer_screenshot', image_url: SCREENSHOT } });
      expect(second).to.deep.equal({ type: 'computer_call_output', call_id: 'call_2', output: { type: 'computer_screenshot', image_url: 'https://shots.example/2.png' } });
      const textOnly: Call = { ...c, messages: c.messages.map((m) => (m.role === 'tool' ? { ...m, parts: m.parts.map((p) => (p.type === 'tool_result' ? { type: 'tool_result', callId: p.callId, content: 'no screen' } : p)) } : m)) };
      expect(encode(textOnly).input.filter((i: Json) => i.type.endsWith('_output')).map((i: Json) => i.type)).to.deep.equal(['function_call_output', 'function_call_output']);
    });
  });

  describe('openai-responses, the answer', () => {
    const batch = { type: 'computer_call', id: 'cu_9', call_id: 'call_9', status: 'completed', actions: ACTIONS, pending_safety_checks: CHECKS };
    const one = { type: 'computer_call', id: 'cu_10', call_id: 'call_10', status: 'completed', action: { type: 'wait' }, pending_safety_checks: [] };
    const expected: LipEvent[] = [
      { type: 'tool_call_started', id: 'call_9', name: 'computer', providerFields: { dialect: OURS, value: { pending_safety_checks: CHECKS } } },
      { type: 'tool_call_delta', id: 'call_9', args: JSON.stringify({ actions: ACTIONS }) }, { type: 'tool_call_finished', id: 'call_9' },
      { type: 'tool_call_started', id: 'call_10', name: 'computer' }, { type: 'tool_call_delta', id: 'call_10', args: '{"type":"wait"}' }, { type: 'tool_call_finished', id: 'call_10' },
    ];

    it('decodes streamed computer_call items into calls of computer, started when done (with the done item\'s safety checks)', () => {
      const frames = [batch, one].flatMap((item, i) => [
        { type: 'response.output_item.added', output_index: i, item: { ...item, status: 'in_progress', pending_safety_checks: [] } },
        { type: 'response.output_item.done', output_index: i, item },
      ]);
      const out = decodeResponsesFrames([{ type: 'response.created', response: { id: 'r' } }, ...frames, { type: 'response.completed', response: { status: 'completed' } }]);
      expect(validateSequence(out)).to.deep.equal([]);
      expect(calls(out)).to.deep.equal(expected);
      expect(out.at(-1)).to.deep.include({ type: 'response_finished', reason: 'tool_calls' });
    });

    it('decodes them from a whole answer; a computer_call without a call_id is malformed', () => {
      const out: LipEvent[] = [];
      new ResponsesResponseDecoder('b', []).decode({ id: 'r', status: 'completed', output: [batch, one] }, out);
      expect(validateSequence(out)).to.deep.equal([]);
      expect(calls(out)).to.deep.equal(expected);
      expect(() => new ResponsesResponseDecoder('b', []).decode({ id: 'r', status: 'completed', output: [{ type: 'computer_call', action: { type: 'wait' } }] }, []))
        .to.throw().with.property('code', 'LIP_ERR_UPSTREAM_MALFORMED');
    });
  });

  describe('every other backend: a function named computer with lip\'s schema; the screenshots as images of the tool results', () => {
    const preview = () => clientCall(PREVIEW);

    it('openai-codex: a function, the history as function items, the screenshot as an input_image of the output, no safety checks', () => {
      const body = encodeCodexRequest(clientCall(), 'gpt-5.1-codex', codexOptions({ id: 'cx', kind: 'openai-codex', models: [] }), { conversationId: 'c', turn: 1, bump: false }) as Json;
      expect(body.tools).to.have.length(1);
      expect(body.tools[0]).to.deep.include({ type: 'function', name: 'computer' });
      expect(body.tools[0].parameters.required).to.deep.equal(['actions']);
      expect(body.input.map((i: Json) => i.type)).to.deep.equal(['message', 'function_call', 'function_call_output', 'function_call', 'function_call_output']);
      expect(body.input[1]).to.deep.include({ name: 'computer', arguments: JSON.stringify({ actions: ACTIONS }) });
      expect(body.input[2].output).to.have.length(1);
      expect(body.input[2].output[0]).to.deep.include({ type: 'input_image', image_url: SCREENSHOT });
      expect(JSON.stringify(body)).to.not.contain('safety');
    });

    it('anthropic: a tool named computer whose input is the action, the screenshot an image block of the tool_result', () => {
      const body = encodeAnthropicRequest(preview(), 'claude-sonnet-4-6', anthropicOptions({ id: 'an', kind: 'anthropic', models: [] })) as Json;
      expect(body.tools[0].name).to.equal('computer');
      expect(body.tools[0].description).to.contain('1280x800 pixels').and.to.contain('mac');
      expect(body.tools[0].input_schema.properties.type.enum).to.include('double_click');
      expect(body.messages[1].content[0]).to.deep.equal({ type: 'tool_use', id: 'call_1', name: 'computer', input: { actions: ACTIONS } });
      expect(body.messages[2].content[0]).to.deep.equal({ type: 'tool_result', tool_use_id: 'call_1', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } }] });
      expect(JSON.stringify(body)).to.not.contain('safety');
    });

    it('gemini: a function declaration named computer, the screenshot an inlineData part after the functionResponse', () => {
      const body = encodeGeminiRequest(preview()) as Json;
      expect(body.tools[0].functionDeclarations[0].name).to.equal('computer');
      const parts = (body.contents as Json[]).flatMap((c) => c.parts as Json[]);
      const at = parts.findIndex((p) => p.functionResponse?.name === 'computer');
      expect(parts[at + 1]).to.deep.equal({ inlineData: { mimeType: 'image/png', data: PNG } });
    });

    it('openai-chat: a function named computer, the screenshot an image_url part after the tool message', () => {
      const body = encodeChatRequest(preview(), 'gpt-4.1', chatOptions({ id: 'ch', kind: 'openai-chat', models: [] })) as Json;
      expect(body.tools[0].function.name).to.equal('computer');
      const at = (body.messages as Json[]).findIndex((m) => m.role === 'tool' && m.tool_call_id === 'call_1');
      expect(body.messages[at + 1].content).to.deep.include({ type: 'image_url', image_url: { url: SCREENSHOT } });
    });

    it('bedrock: a toolSpec named computer, the screenshot an image of the toolResult (inline: Converse takes no image URLs)', () => {
      const c = preview();
      const body = encodeBedrockRequest({ ...c, messages: c.messages.slice(0, 3) }, 'anthropic') as Json;
      expect(body.toolConfig.tools[0].toolSpec.name).to.equal('computer');
      const result = (body.messages as Json[]).flatMap((m) => m.content as Json[]).find((b) => b.toolResult?.toolUseId === 'call_1');
      expect(result!.toolResult.content).to.deep.equal([{ image: { format: 'png', source: { bytes: PNG } } }]);
    });
  });
});
