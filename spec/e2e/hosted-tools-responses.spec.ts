import { expect } from 'chai';
import OpenAI from 'openai';
import type { Response, ResponseCreateParamsNonStreaming, ResponseInputItem, ResponseStreamEvent, Tool } from 'openai/resources/responses/responses';
import { openaiResponsesProtocol, type Script } from '../helpers/emulators/index.js';
import { parseSse } from '../helpers/sse-client.js';
import { askResponses, useUpstreams } from '../helpers/upstreams.js';

const OUTPUTS = 'code_interpreter_call.outputs' as const;
const CODE: Tool = { type: 'code_interpreter', container: { type: 'auto', memory_limit: '4g' } };
const IMAGE: Tool = { type: 'image_generation', partial_images: 1, size: '1024x1024', quality: 'low' };
const WIKI: Tool = { type: 'mcp', server_label: 'deepwiki', server_url: 'https://mcp.deepwiki.example/mcp', require_approval: 'never' };

/** Items as OpenAI writes them (the upstream's own ids, which must come back intact). */
const CI_ITEM = {
  id: 'ci_68a1f0c2e4', type: 'code_interpreter_call', status: 'completed', container_id: 'cntr_68a1f0b9',
  code: 'import math\nprint(math.sqrt(2))\n', outputs: [{ type: 'logs', logs: '1.4142135623730951\n' }],
};
const IG_ITEM = {
  id: 'ig_68a1f3d7', type: 'image_generation_call', status: 'completed', background: 'opaque', output_format: 'png', quality: 'low', size: '1024x1024',
  result: 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', revised_prompt: 'A small red square',
};
const LIST_ITEM = {
  id: 'mcpl_68a1f5', type: 'mcp_list_tools', server_label: 'deepwiki',
  tools: [{ name: 'ask_question', description: 'Ask about a repository', input_schema: { type: 'object', properties: { repoName: { type: 'string' } } }, annotations: null }],
};
const MCP_ITEM = {
  id: 'mcp_68a1f6', type: 'mcp_call', status: 'completed', server_label: 'deepwiki', name: 'ask_question', approval_request_id: null,
  arguments: '{"repoName":"lip/lip","question":"What is it?"}', output: 'A streaming LLM proxy.', error: null,
};
const APPROVAL_ITEM = { id: 'mcpr_68a1f7', type: 'mcp_approval_request', server_label: 'deepwiki', name: 'ask_question', arguments: '{"repoName":"lip/lip"}' };

const CODE_SCRIPT: Script = { hosted: [CI_ITEM], text: ['The square root of 2 ', 'is 1.4142.'] };
const IMAGE_SCRIPT: Script = { hosted: [IG_ITEM], text: 'Here is your square.' };
const MCP_SCRIPT: Script = { hosted: [LIST_ITEM, MCP_ITEM], text: 'lip is a streaming LLM proxy.' };

/** The output items without what differs between two answers (lip's message ids) and what the SDK's stream helper adds (`parsed`). */
function comparable(r: Response): unknown {
  const items = r.output.map((item) => (item.type === 'message' ? { ...item, id: '<id>' } : item));
  return JSON.parse(JSON.stringify(items, (key, value) => (key === 'parsed' ? undefined : value)));
}

/** An event without its place in its own stream. */
const unplaced = ({ sequence_number: _s, ...event }: Record<string, unknown>) => event;

/**
 * OpenAI's hosted tools other than web search (code interpreter, image generation, remote MCP)
 * for Responses clients through lip, with the official SDK against the Responses emulator: the
 * tools reach the openai-responses upstream as declared, their items come back as the upstream
 * wrote them (streamed with their own events, in order, at consistent output indexes), and go
 * back upstream as written on the next turn, sent by the client or continued with
 * `previous_response_id`. A route moves on from a backend of another provider before sending;
 * a route with none that can run them is a 400.
 */
describe('e2e: hosted tools for Responses clients', function () {
  this.timeout(20_000);
  const up = useUpstreams({ or: { kind: 'openai-responses' }, an: { kind: 'anthropic' }, gem: { kind: 'gemini' } });
  const emulator = () => up.emulators.or!;
  const openai = (): OpenAI => up.openai();

  const ask = (params: ResponseCreateParamsNonStreaming, stream: boolean) => askResponses(openai(), params, stream);

  /** The events the upstream streamed for its first `count` output items (the hosted ones), as the emulator wrote them for request `n`. */
  function upstreamItemEvents(script: Script, count: number, n = 0): Record<string, unknown>[] {
    const request = emulator().requests[n]!;
    const wire = openaiResponsesProtocol.frames(script, { ...request, stream: true }).map((f) => f.text).join('');
    return parseSse(wire).messages.map((m) => JSON.parse(m.data) as Record<string, unknown>)
      .filter((e) => typeof e.output_index === 'number' && e.output_index < count).map(unplaced);
  }

  /** What the client saw of the same items: the events at those output indexes, sequence numbers counting on. */
  function clientItemEvents(events: readonly ResponseStreamEvent[], count: number): Record<string, unknown>[] {
    events.forEach((e, i) => expect(e.sequence_number, `sequence_number of event ${i}`).to.equal(i));
    return events.filter((e) => 'output_index' in e && e.output_index < count).map((e) => unplaced(e as unknown as Record<string, unknown>));
  }

  for (const stream of [false, true]) {
    const mode = stream ? 'streaming' : 'non-streaming';

    it(`code interpreter: the tool and include reach the upstream as declared; the code_interpreter_call item comes back as written (${mode})`, async () => {
      emulator().enqueue(CODE_SCRIPT);
      const { response, events } = await ask({ model: 'or:gpt-5.4', input: 'What is sqrt(2)?', tools: [CODE], include: [OUTPUTS] }, stream);
      const sent = emulator().requests[0]!.body;
      expect(sent.tools).to.deep.equal([CODE]);
      expect(sent.include).to.deep.equal([OUTPUTS]);
      expect(sent.stream, 'a whole upstream answer for a whole client').to.equal(stream);
      expect(response.output.map((item) => item.type)).to.deep.equal(['code_interpreter_call', 'message']);
      expect(response.output[0]).to.deep.equal(CI_ITEM);
      expect(response.output_text).to.equal('The square root of 2 is 1.4142.');
      if (stream) {
        const seen = clientItemEvents(events, 1);
        expect(seen).to.deep.equal(upstreamItemEvents(CODE_SCRIPT, 1));
        expect(seen.map((e) => e.type)).to.deep.equal([
          'response.output_item.added', 'response.code_interpreter_call.in_progress',
          'response.code_interpreter_call_code.delta', 'response.code_interpreter_call_code.delta', 'response.code_interpreter_call_code.done',
          'response.code_interpreter_call.interpreting', 'response.code_interpreter_call.completed', 'response.output_item.done',
        ]);
        expect(seen.filter((e) => e.type === 'response.code_interpreter_call_code.delta').map((e) => e.delta)).to.deep.equal(['import math\n', 'print(math.sqrt(2))\n']);
        const message = events.filter((e) => e.type === 'response.output_text.delta');
        expect(message.map((e) => e.output_index)).to.deep.equal([1, 1]);
        expect(events.findIndex((e) => e.type === 'response.output_text.delta')).to.be.greaterThan(events.findIndex((e) => e.type === 'response.output_item.done'));
      }
    });

    it(`code interpreter without include: the upstream is not asked for outputs, and the item has none (${mode})`, async () => {
      emulator().enqueue(CODE_SCRIPT);
      const { response } = await ask({ model: 'or:gpt-5.4', input: 'What is sqrt(2)?', tools: [CODE] }, stream);
      expect(emulator().requests[0]!.body).not.to.have.property('include');
      expect(response.output[0]).to.deep.equal({ ...CI_ITEM, outputs: null });
    });

    it(`image generation: the image_generation_call item with its result, a partial image on the way (${mode})`, async () => {
      emulator().enqueue(IMAGE_SCRIPT);
      const { response, events } = await ask({ model: 'or:gpt-5.4', input: 'Draw a red square', tools: [IMAGE] }, stream);
      expect(emulator().requests[0]!.body.tools).to.deep.equal([IMAGE]);
      expect(response.output[0]).to.deep.equal(IG_ITEM);
      expect(response.output_text).to.equal('Here is your square.');
      if (stream) {
        const seen = clientItemEvents(events, 1);
        expect(seen).to.deep.equal(upstreamItemEvents(IMAGE_SCRIPT, 1));
        const partial = seen.filter((e) => e.type === 'response.image_generation_call.partial_image');
        expect(partial).to.have.length(1);
        expect(partial[0]).to.deep.include({ output_index: 0, item_id: IG_ITEM.id, partial_image_index: 0 });
        expect(IG_ITEM.result.startsWith(partial[0]!.partial_image_b64 as string)).to.equal(true);
        expect(seen.map((e) => e.type)).to.deep.equal([
          'response.output_item.added', 'response.image_generation_call.in_progress', 'response.image_generation_call.generating',
          'response.image_generation_call.partial_image', 'response.image_generation_call.completed', 'response.output_item.done',
        ]);
      }
    });

    it(`remote MCP: the mcp_list_tools and mcp_call items, each at its own output index (${mode})`, async () => {
      emulator().enqueue(MCP_SCRIPT);
      const { response, events } = await ask({ model: 'or:gpt-5.4', input: 'What is lip?', tools: [WIKI] }, stream);
      expect(emulator().requests[0]!.body.tools).to.deep.equal([WIKI]);
      expect(response.output.slice(0, 2)).to.deep.equal([LIST_ITEM, MCP_ITEM]);
      expect(response.output[2]).to.deep.include({ type: 'message' });
      if (stream) {
        const seen = clientItemEvents(events, 2);
        expect(seen).to.deep.equal(upstreamItemEvents(MCP_SCRIPT, 2));
        expect(seen.map((e) => [e.type, e.output_index])).to.deep.equal([
          ['response.output_item.added', 0], ['response.mcp_list_tools.in_progress', 0], ['response.mcp_list_tools.completed', 0], ['response.output_item.done', 0],
          ['response.output_item.added', 1], ['response.mcp_call.in_progress', 1], ['response.mcp_call_arguments.delta', 1],
          ['response.mcp_call_arguments.done', 1], ['response.mcp_call.completed', 1], ['response.output_item.done', 1],
        ]);
      }
    });
  }

  it('a streaming client ends with the same output as a non-streaming one', async () => {
    const script: Script = { hosted: [CI_ITEM, IG_ITEM, LIST_ITEM, MCP_ITEM], text: 'All done.' };
    emulator().enqueue(script, script);
    const params: ResponseCreateParamsNonStreaming = { model: 'or:gpt-5.4', input: 'Do it all', tools: [CODE, IMAGE, WIKI], include: [OUTPUTS] };
    const whole = await ask(params, false);
    const streamed = await ask(params, true);
    expect(comparable(streamed.response)).to.deep.equal(comparable(whole.response));
    expect(whole.response.output.slice(0, 4)).to.deep.equal([CI_ITEM, IG_ITEM, LIST_ITEM, MCP_ITEM]);
  });

  it('a tool_choice of a hosted tool reaches the upstream in OpenAI\'s form', async () => {
    emulator().enqueue(CODE_SCRIPT, MCP_SCRIPT);
    await openai().responses.create({ model: 'or:gpt-5.4', input: 'x', tools: [CODE, WIKI], tool_choice: { type: 'code_interpreter' } });
    await openai().responses.create({ model: 'or:gpt-5.4', input: 'x', tools: [CODE, WIKI], tool_choice: { type: 'mcp', server_label: 'deepwiki' } });
    expect(emulator().requests.map((r) => r.body.tool_choice)).to.deep.equal([{ type: 'code_interpreter' }, { type: 'mcp', server_label: 'deepwiki' }]);
  });

  it('the output sent back as input reaches the upstream with its items as written, ids intact', async () => {
    emulator().enqueue(CODE_SCRIPT);
    const first = await openai().responses.create({ model: 'or:gpt-5.4', input: 'What is sqrt(2)?', tools: [CODE], include: [OUTPUTS], store: false });
    emulator().enqueue({ text: 'About 1.41.' });
    const second = await openai().responses.create({
      model: 'or:gpt-5.4', tools: [CODE], include: [OUTPUTS], store: false,
      input: [{ role: 'user', content: 'What is sqrt(2)?' }, ...(first.output as ResponseInputItem[]), { role: 'user', content: 'Rounded?' }],
    });
    expect(second.output_text).to.equal('About 1.41.');
    expect(emulator().requests[1]!.body.input).to.deep.equal([
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'What is sqrt(2)?' }] },
      CI_ITEM,
      { type: 'message', role: 'assistant', content: 'The square root of 2 is 1.4142.' },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Rounded?' }] },
    ]);
  });

  it('an MCP approval: the request comes back, the client\'s answer goes upstream in place after it', async () => {
    emulator().enqueue({ hosted: [LIST_ITEM, APPROVAL_ITEM] });
    const first = await openai().responses.stream({ model: 'or:gpt-5.4', input: 'What is lip?', tools: [{ ...WIKI, require_approval: 'always' }], store: false }).finalResponse();
    expect(first.output).to.deep.equal([LIST_ITEM, APPROVAL_ITEM]);
    emulator().enqueue(MCP_SCRIPT);
    const answer = { type: 'mcp_approval_response' as const, approval_request_id: APPROVAL_ITEM.id, approve: true };
    await openai().responses.create({
      model: 'or:gpt-5.4', tools: [{ ...WIKI, require_approval: 'always' }], store: false,
      input: [{ role: 'user', content: 'What is lip?' }, ...(first.output as ResponseInputItem[]), answer],
    });
    expect(emulator().requests[1]!.body.input).to.deep.equal([
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'What is lip?' }] }, LIST_ITEM, APPROVAL_ITEM, answer,
    ]);
  });

  it('a stored response keeps its items: retrieved again, listed among input items, and sent upstream when continued with previous_response_id', async () => {
    emulator().enqueue(CODE_SCRIPT);
    const first = await openai().responses.stream({ model: 'or:gpt-5.4', input: 'What is sqrt(2)?', tools: [CODE], include: [OUTPUTS] }).finalResponse();
    const retrieved = await openai().responses.retrieve(first.id);
    expect(comparable(retrieved)).to.deep.equal(comparable(first));
    expect(retrieved.output[1]!.id).to.equal(first.output[1]!.id);

    emulator().enqueue({ text: 'About 1.41.' });
    const second = await openai().responses.create({ model: 'or:gpt-5.4', previous_response_id: first.id, input: 'Rounded?', tools: [CODE], include: [OUTPUTS] });
    const input = emulator().requests[1]!.body.input as Record<string, unknown>[];
    expect(input.map((item) => item.type)).to.deep.equal(['message', 'code_interpreter_call', 'message', 'message']);
    expect(input[1]).to.deep.equal(CI_ITEM);
    expect(emulator().requests[1]!.body.include).to.deep.equal([OUTPUTS]);

    // A request whose own input holds a hosted item lists it among its input items.
    emulator().enqueue({ text: 'Yes.' });
    const third = await openai().responses.create({
      model: 'or:gpt-5.4', tools: [CODE], input: [{ role: 'user', content: 'What is sqrt(2)?' }, CI_ITEM as ResponseInputItem, { role: 'user', content: 'Sure?' }],
    });
    const listed = await openai().responses.inputItems.list(third.id, { order: 'asc' });
    expect(listed.data.map((item) => item.type)).to.deep.equal(['message', 'code_interpreter_call', 'message']);
    expect(listed.data[1]).to.deep.equal(CI_ITEM);
    expect(second.previous_response_id).to.equal(first.id);
  });

  for (const [row, model] of [['an', 'claude-sonnet-4-6'], ['gem', 'gemini-2.5-pro']] as const) {
    it(`a failover route [${row}, openai-responses] serves a code interpreter request from the second; the first upstream sees nothing`, async () => {
      emulator().enqueue(CODE_SCRIPT);
      const { data, response } = await openai().responses.create({ model: `${row}:${model}|or:gpt-5.4`, input: 'What is sqrt(2)?', tools: [CODE], include: [OUTPUTS] }).withResponse();
      expect(response.headers.get('x-lip-backend')).to.equal('or:gpt-5.4');
      expect(data.output[0]).to.deep.equal(CI_ITEM);
      expect(up.emulators[row]!.requests).to.have.length(0);
      expect(emulator().requests).to.have.length(1);
    });
  }

  it('a route to a non-OpenAI backend alone is a 400 LIP_ERR_REQUEST_UNSUPPORTED in OpenAI\'s error envelope, streamed or not', async () => {
    for (const stream of [false, true]) {
      const err = await ask({ model: 'gem:gemini-2.5-pro', input: 'What is sqrt(2)?', tools: [CODE] }, stream).catch((e: unknown) => e);
      expect(err, String(stream)).to.be.instanceOf(OpenAI.BadRequestError);
      const refused = err as InstanceType<typeof OpenAI.BadRequestError>;
      expect(refused.status).to.equal(400);
      expect(refused.error).to.have.all.keys('message', 'type', 'param', 'code');
      expect(refused.error).to.deep.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', type: 'invalid_request_error' });
      expect(refused.message).to.match(/code_interpreter/);
    }
    expect(up.emulators.gem!.requests).to.have.length(0);
  });
});
