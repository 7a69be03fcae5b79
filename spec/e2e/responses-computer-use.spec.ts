import { expect } from 'chai';
import { toFile } from 'openai';
import type { Response, ResponseCreateParamsNonStreaming, ResponseInputItem, Tool } from 'openai/resources/responses/responses';
import { askClientToolItems, useUpstreams } from '../helpers/upstreams.js';

type Json = Record<string, any>;

const COMPUTER: Tool = { type: 'computer' };
const PREVIEW: Tool = { type: 'computer_use_preview', display_width: 1024, display_height: 768, environment: 'browser' };

const ACTIONS = [{ type: 'click', button: 'left', x: 512, y: 40 }, { type: 'type', text: 'weather in Oslo' }, { type: 'keypress', keys: ['ENTER'] }];
const CHECKS = [{ id: 'cu_sc_1', code: 'malicious_instructions', message: 'The page asks for something the user did not.' }];
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
const SCREENSHOT = `data:image/png;base64,${PNG}`;

/** The client's answer to a computer call, as a computer use loop writes it: the screenshot after the actions, the safety checks it acknowledges. */
const screenshotOutput = (callId: string, acknowledged: Json[] = []): ResponseInputItem => ({
  type: 'computer_call_output', call_id: callId, output: { type: 'computer_screenshot', image_url: SCREENSHOT },
  ...(acknowledged.length > 0 ? { acknowledged_safety_checks: acknowledged } : {}),
} as ResponseInputItem);

/** The computer calls of a response, with the fields a client acts on. */
function computerCalls(response: Response): Json[] {
  return response.output.filter((i) => i.type === 'computer_call').map((i: Json) => ({
    call_id: i.call_id, status: i.status, pending_safety_checks: i.pending_safety_checks,
    ...(i.actions !== undefined ? { actions: i.actions } : {}), ...(i.action !== undefined ? { action: i.action } : {}),
  }));
}

/** The computer call of a response, as the client sends it back on its next turn. */
function callItem(response: Response): ResponseInputItem {
  const item = response.output.find((i) => i.type === 'computer_call');
  expect(item, 'a computer_call item').to.not.equal(undefined);
  return item as unknown as ResponseInputItem;
}

/**
 * OpenAI's computer use for Responses clients (the GA `computer` tool and `computer_use_preview`:
 * OpenAI's schema, the client runs the actions and answers with screenshots), through the official
 * SDK. Both were refused (400). Now an openai-responses upstream gets the tool as declared, its
 * `computer_call` items (with their pending safety checks) and the client's `computer_call_output`
 * items (with the checks it acknowledges) go back and forth as they are; another provider gets a
 * function named computer with lip's schema of OpenAI's actions, its model's call still reaches
 * the client as a `computer_call`, and the client's screenshot reaches that model as an image of
 * the tool result.
 */
describe('e2e: OpenAI computer use for Responses clients', function () {
  this.timeout(20_000);
  const up = useUpstreams({ or: { kind: 'openai-responses' }, an: { kind: 'anthropic' }, gem: { kind: 'gemini' } });
  const emulators = up.emulators;

  const turn = (model: string, tools: Tool[], more: ResponseInputItem[] = []): ResponseCreateParamsNonStreaming => ({
    model, tools, input: [{ role: 'user', content: 'What is the weather in Oslo? Use the browser.' }, ...more],
  });

  for (const stream of [false, true]) {
    const mode = stream ? 'streaming' : 'non-streaming';
    const ask = (params: ResponseCreateParamsNonStreaming) => askClientToolItems(up.openai(), params, stream, ['computer_call']);

    it(`openai-responses upstream: the tool goes up as declared; computer_call comes back with its safety checks, the client's screenshot and acknowledgement go up as written (${mode})`, async () => {
      const or = emulators.or!;
      or.enqueue({ toolCalls: [{ id: 'call_cu1', name: 'computer', clientItem: 'computer_call', args: JSON.stringify({ actions: ACTIONS }), safetyChecks: CHECKS }], finish: 'tool_calls' });
      const first = await ask(turn('or:gpt-5.4', [COMPUTER]));
      expect(or.requests[0]!.body.tools).to.deep.equal([COMPUTER]);
      expect(computerCalls(first)).to.deep.equal([{ call_id: 'call_cu1', status: 'completed', pending_safety_checks: CHECKS, actions: ACTIONS }]);

      or.enqueue({ text: 'It is 4°C and cloudy in Oslo.' });
      const second = await ask(turn('or:gpt-5.4', [COMPUTER], [callItem(first), screenshotOutput('call_cu1', CHECKS)]));
      expect(second.output_text).to.equal('It is 4°C and cloudy in Oslo.');
      const sent = or.requests[1]!.body;
      expect(sent.tools).to.deep.equal([COMPUTER]);
      expect(sent.input.slice(1)).to.deep.equal([
        { type: 'computer_call', id: 'call_cu1', call_id: 'call_cu1', status: 'completed', actions: ACTIONS, pending_safety_checks: CHECKS },
        screenshotOutput('call_cu1', CHECKS),
      ]);
    });

    it(`anthropic upstream: a tool named computer with one action per call (the preview tool); the tool_use comes back as a computer_call, the screenshot goes up as an image of the tool_result (${mode})`, async () => {
      const an = emulators.an!;
      an.enqueue({ toolCalls: [{ id: 'toolu_cu1', name: 'computer', args: '{"type":"double_click","x":300,"y":200,"keys":null}' }], finish: 'tool_calls' });
      const first = await ask(turn('an:claude-sonnet-4-6', [PREVIEW]));
      const [tool] = an.requests[0]!.body.tools as Json[];
      expect(tool).to.deep.include({ name: 'computer' });
      expect(tool!.description).to.contain('1024x768 pixels').and.to.contain('browser');
      expect(tool!.input_schema).to.deep.include({ type: 'object', required: ['type'] });
      expect(tool!.input_schema.properties.type.enum).to.deep.equal(['click', 'double_click', 'drag', 'keypress', 'move', 'screenshot', 'scroll', 'type', 'wait']);
      expect(computerCalls(first)).to.deep.equal([{ call_id: 'toolu_cu1', status: 'completed', pending_safety_checks: [], action: { type: 'double_click', x: 300, y: 200, keys: null } }]);

      an.enqueue({ text: 'It is 4°C in Oslo.' });
      await ask(turn('an:claude-sonnet-4-6', [PREVIEW], [callItem(first), screenshotOutput('toolu_cu1')]));
      const history = (an.requests[1]!.body.messages as Json[]).slice(1);
      expect(history).to.deep.equal([
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_cu1', name: 'computer', input: { type: 'double_click', x: 300, y: 200, keys: null } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_cu1', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } }] }] },
      ]);
    });

    it(`gemini upstream: a function declaration named computer taking a batch; the functionCall comes back as a computer_call with its actions, the screenshot goes up inline after the functionResponse (${mode})`, async () => {
      const gem = emulators.gem!;
      gem.enqueue({ toolCalls: [{ name: 'computer', args: JSON.stringify({ actions: ACTIONS }) }], finish: 'tool_calls' });
      const first = await ask(turn('gem:gemini-2.5-pro', [COMPUTER]));
      const declared = (gem.requests[0]!.body.tools as Json[]).flatMap((t) => t.functionDeclarations ?? []);
      expect(declared.map((d) => d.name)).to.deep.equal(['computer']);
      expect(JSON.stringify(declared[0])).to.contain('"required":["actions"]');
      const [call] = computerCalls(first);
      expect(call).to.deep.include({ status: 'completed', pending_safety_checks: [], actions: ACTIONS });
      expect(call!.call_id).to.be.a('string').and.not.equal('');

      gem.enqueue({ text: 'It is 4°C in Oslo.' });
      await ask(turn('gem:gemini-2.5-pro', [COMPUTER], [callItem(first), screenshotOutput(call!.call_id)]));
      const parts = (gem.requests[1]!.body.contents as { parts: Json[] }[]).flatMap((c) => c.parts);
      expect(parts.filter((p) => p.functionCall).map((p) => p.functionCall)).to.deep.equal([{ name: 'computer', args: { actions: ACTIONS } }]);
      const at = parts.findIndex((p) => p.functionResponse);
      expect(parts[at]!.functionResponse.name).to.equal('computer');
      expect(parts[at + 1]).to.deep.equal({ inlineData: { mimeType: 'image/png', data: PNG } });
    });
  }

  it("a screenshot uploaded to lip's Files API and named by file_id reaches the Anthropic upstream as the tool result's image", async () => {
    const an = emulators.an!;
    const client = up.openai();
    const file = await client.files.create({ file: await toFile(Buffer.from(PNG, 'base64'), 'shot.png', { type: 'image/png' }), purpose: 'vision' });
    an.enqueue({ toolCalls: [{ id: 'toolu_f1', name: 'computer', args: '{"type":"screenshot"}' }], finish: 'tool_calls' });
    const first = await client.responses.create(turn('an:claude-sonnet-4-6', [PREVIEW]));
    an.enqueue({ text: 'Seen.' });
    const byId = { type: 'computer_call_output', call_id: 'toolu_f1', output: { type: 'computer_screenshot', file_id: file.id } } as ResponseInputItem;
    await client.responses.create(turn('an:claude-sonnet-4-6', [PREVIEW], [callItem(first), byId]));
    const result = ((an.requests[1]!.body.messages as Json[]).at(-1)!.content as Json[])[0]!;
    expect(result).to.deep.include({ type: 'tool_result', tool_use_id: 'toolu_f1', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } }] });
  });

  it('a stored response keeps its computer_call with the safety checks: retrieved again, and sent upstream when continued with previous_response_id', async () => {
    const or = emulators.or!;
    or.enqueue({ toolCalls: [{ id: 'call_cu1', name: 'computer', clientItem: 'computer_call', args: JSON.stringify({ type: 'screenshot' }), safetyChecks: CHECKS }], finish: 'tool_calls' });
    const first = await up.openai().responses.create(turn('or:computer-use-preview', [PREVIEW]));
    const retrieved = await up.openai().responses.retrieve(first.id);
    expect(computerCalls(retrieved)).to.deep.equal([{ call_id: 'call_cu1', status: 'completed', pending_safety_checks: CHECKS, action: { type: 'screenshot' } }]);

    or.enqueue({ text: 'I see a search page.' });
    await up.openai().responses.create({ model: 'or:computer-use-preview', tools: [PREVIEW], previous_response_id: first.id, input: [screenshotOutput('call_cu1', CHECKS)] });
    const sent = or.requests[1]!.body;
    expect(sent.input.slice(1)).to.deep.equal([
      { type: 'computer_call', id: 'call_cu1', call_id: 'call_cu1', status: 'completed', action: { type: 'screenshot' }, pending_safety_checks: CHECKS },
      screenshotOutput('call_cu1', CHECKS),
    ]);
  });

  it('a malformed computer call is still a 400 naming the field; nothing goes upstream', async () => {
    const err = await up.openai().responses.create(turn('or:gpt-5.4', [COMPUTER], [{ type: 'computer_call', call_id: 'c', status: 'completed', pending_safety_checks: [] } as unknown as ResponseInputItem]))
      .then(() => undefined, (e: unknown) => e as { status?: number; message?: string });
    expect(err?.status).to.equal(400);
    expect(err?.message).to.include('input[1].action');
    expect(emulators.or!.requests).to.have.length(0);
  });
});
