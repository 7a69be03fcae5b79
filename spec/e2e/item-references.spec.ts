import { expect } from 'chai';
import OpenAI from 'openai';
import type { Response, ResponseInputItem } from 'openai/resources/responses/responses';
import { KINDS } from '../backends/kinds.js';
import { QUESTION, TOOLS, TOOL_RESULT } from '../helpers/clients/follow-up.js';
import { useStateCheckingKinds } from '../helpers/state-checking-kinds.js';
import { openaiRejection as rejection } from '../helpers/openai-errors.js';

const ALICE = 'alice-key-0123456789';
const BOB = 'bob-key-0123456789ab';
const idOf = (kind: string) => `ir-${kind}`;
const tools = TOOLS.map((t) => ({ type: 'function' as const, name: t.name, description: t.description ?? null, parameters: t.parameters, strict: false }));

/**
 * Responses `item_reference`: a client names items of its stored responses by id instead of
 * sending them again. Through the official SDK, for every backend kind with its emulator
 * refusing a follow-up whose provider state (signatures, encrypted reasoning) is missing or
 * altered: turn 1 (stored) yields reasoning and a tool call; turn 2 sends only references to
 * the question (an input item) and to the turn's output items, with the tool result; the
 * upstream gets the whole history with every token verbatim. Then what a reference cannot name
 * (another principal's response, a deleted one, an id lip did not make) is the 404 naming the
 * reference, and counting tokens resolves references as a generation does.
 */
describe('e2e: Responses item references resolve against the caller\'s stored responses', function () {
  this.timeout(20_000);
  const kinds = useStateCheckingKinds((k) => idOf(k.kind), `auth: { api_keys: [ { id: alice, key: "${ALICE}" }, { id: bob, key: "${BOB}" } ] }`);
  const emulators = kinds.emulators;
  let alice: OpenAI;
  let bob: OpenAI;
  before(() => {
    alice = new OpenAI({ baseURL: `${kinds.lip().url}/v1`, apiKey: ALICE, maxRetries: 0 });
    bob = new OpenAI({ baseURL: `${kinds.lip().url}/v1`, apiKey: BOB, maxRetries: 0 });
  });

  /** Turn 1, stored: the question, answered with the kind's reasoning and a call of get_weather. */
  const firstTurn = async (kind: string, stream = false): Promise<Response> => {
    const k = KINDS.find((c) => c.kind === kind)!;
    emulators.get(kind)!.enqueue({ reasoning: k.reasoning, toolCalls: [{ id: 'call_r', name: 'get_weather', args: '{"city":"Paris"}', signature: 'ts-call' }] });
    const params = { model: `${idOf(kind)}:model-x`, input: QUESTION, tools, reasoning: { effort: 'medium' as const, summary: 'auto' as const } };
    if (!stream) return alice.responses.create(params);
    return alice.responses.stream(params).finalResponse();
  };

  for (const k of KINDS) {
    it(`${k.kind}: a turn of references to the stored question and output, and the tool result, reaches the upstream whole, every token verbatim`, async () => {
      const first = await firstTurn(k.kind);
      const question = (await alice.responses.inputItems.list(first.id)).data;
      expect(question.map((item) => item.type)).to.deep.equal(['message']);
      const call = first.output.find((item) => item.type === 'function_call') as { call_id: string } | undefined;
      expect(call, 'turn 1 called a tool').to.not.equal(undefined);
      const emu = emulators.get(k.kind)!;
      emu.enqueue({ text: 'Sunny.' });
      const input = [
        { type: 'item_reference', id: question[0]!.id },
        ...first.output.map((item) => ({ type: 'item_reference', id: item.id! })),
        { type: 'function_call_output', call_id: call!.call_id, output: TOOL_RESULT },
      ] as ResponseInputItem[];
      // The emulator refuses (the SDK throws) when a token it issued is missing or altered.
      const second = await alice.responses.create({ model: `${idOf(k.kind)}:model-x`, input, tools, reasoning: { effort: 'medium', summary: 'auto' } });
      expect(second.output_text).to.equal('Sunny.');
      const replay = emu.requests[1]!;
      if (k.kind !== 'openai-chat') expect(k.replayedReasoning(replay)).to.deep.equal(k.ownReplay);
      expect(k.toolHistory(replay)).to.deep.equal({ calls: [{ name: 'get_weather', args: { city: 'Paris' } }], results: [TOOL_RESULT] });
      expect(replay.raw, 'the question came from the reference').to.contain(QUESTION);
      // What the second request stored is the resolved input: its items list the question again.
      const listed = (await alice.responses.inputItems.list(second.id, { order: 'asc' })).data;
      expect(listed[0]).to.deep.include({ type: 'message', role: 'user' });
    });
  }

  it('resolves references to items of a streamed response, and the `{id}` form OpenAI\'s SDK types without a type', async () => {
    const first = await firstTurn('anthropic', true);
    const call = first.output.find((item) => item.type === 'function_call') as { call_id: string };
    const emu = emulators.get('anthropic')!;
    emu.enqueue({ text: 'Sunny.' });
    const input = [
      { role: 'user', content: QUESTION },
      ...first.output.map((item) => ({ id: item.id! })),
      { type: 'function_call_output', call_id: call.call_id, output: TOOL_RESULT },
    ] as ResponseInputItem[];
    const second = await alice.responses.stream({ model: `${idOf('anthropic')}:model-x`, input, tools }).finalResponse();
    expect(second.output_text).to.equal('Sunny.');
    const k = KINDS.find((c) => c.kind === 'anthropic')!;
    expect(k.replayedReasoning(emu.requests[1]!)).to.deep.equal(k.ownReplay);
  });

  it('a reference to no item of the caller\'s stored responses is the 404 naming it: unknown, another principal\'s, deleted', async () => {
    const first = await firstTurn('openai-chat');
    const item = first.output[0]!.id!;
    const ask = (client: OpenAI, id: string) => client.responses.create({ model: `${idOf('openai-chat')}:model-x`, input: [{ role: 'user', content: 'Hi' }, { type: 'item_reference', id }] });
    for (const [client, id] of [[alice, 'msg_nope'], [bob, item], [alice, `${item.slice(0, -1)}z`]] as const) {
      const err = await rejection(ask(client, id));
      expect(err.status, id).to.equal(404);
      expect(err.error).to.deep.include({ param: 'input[1].id', code: 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND' });
      expect(err.message).to.contain(`Item with id '${id}' not found.`);
    }
    const empty = await rejection(ask(alice, ''));
    expect(empty.status).to.equal(400);
    expect(empty.error).to.deep.include({ param: 'input[1].id' });
    await alice.responses.delete(first.id);
    const deleted = await rejection(ask(alice, item));
    expect(deleted.status).to.equal(404);
    expect(emulators.get('openai-chat')!.requests).to.have.length(1); // none of these reached the upstream
  });

  it('counting input tokens resolves references: the same count as the items sent themselves', async () => {
    const first = await firstTurn('openai-chat');
    const model = `${idOf('openai-chat')}:model-x`;
    const byReference = await alice.responses.inputTokens.count({ model, input: first.output.map((item) => ({ type: 'item_reference', id: item.id! })) as ResponseInputItem[] });
    const bySending = await alice.responses.inputTokens.count({ model, input: first.output as ResponseInputItem[] });
    expect(byReference.input_tokens).to.be.greaterThan(0);
    expect(byReference.input_tokens).to.equal(bySending.input_tokens);
    const err = await rejection(alice.responses.inputTokens.count({ model, input: [{ type: 'item_reference', id: 'fc_unknown' }] as ResponseInputItem[] }));
    expect(err.status).to.equal(404);
  });
});
