import { expect } from 'chai';
import OpenAI from 'openai';
import type { ResponseCreateParamsNonStreaming, ResponseInputItem, Tool } from 'openai/resources/responses/responses';
import type { Script } from '../helpers/emulators/index.js';
import { askResponses, useUpstreams } from '../helpers/upstreams.js';

type Json = Record<string, any>;

const PTC: Tool = { type: 'programmatic_tool_calling' };
const WEATHER: Tool = { type: 'function', name: 'get_weather', strict: false, parameters: { type: 'object', properties: { city: { type: 'string' } } }, allowed_callers: ['programmatic'] };
const BY_PROGRAM = { type: 'program' as const, caller_id: 'call_prog1' };

/** Items as OpenAI writes them (their ids and opaque fields must come back intact). */
const PROGRAM = {
  id: 'prog_68d1a2', type: 'program', call_id: 'call_prog1',
  code: 'const [p, o] = await Promise.all([get_weather({city: "Paris"}), get_weather({city: "Oslo"})]);\nreturn JSON.parse(p).temp - JSON.parse(o).temp;',
  fingerprint: 'fp_68d1a2c4e9b0',
};
const PROGRAM_OUTPUT = { id: 'progo_68d1a3', type: 'program_output', call_id: 'call_prog1', result: '9', status: 'completed' };
const COMPACTION = { id: 'cmp_68d1b0', type: 'compaction', encrypted_content: 'gAAAAABo0bC7-openai-compacted-context' };

/** The program and the two calls it made. */
const PROGRAM_SCRIPT: Script = {
  hosted: [PROGRAM],
  toolCalls: [
    { id: 'call_w1', name: 'get_weather', args: ['{"city":', '"Paris"}'], caller: BY_PROGRAM },
    { id: 'call_w2', name: 'get_weather', args: '{"city":"Oslo"}', caller: BY_PROGRAM },
  ],
};
const DONE_SCRIPT: Script = { hosted: [PROGRAM_OUTPUT], text: 'Paris is 9 degrees warmer than Oslo.' };
const answers: ResponseInputItem[] = [
  { type: 'function_call_output', call_id: 'call_w1', output: '{"temp":21}', caller: BY_PROGRAM },
  { type: 'function_call_output', call_id: 'call_w2', output: '{"temp":12}', caller: BY_PROGRAM },
];
const question = 'How much warmer is Paris than Oslo?';

/** An upstream input item without what lip never sends of a client's own items. */
const sentItems = (n: number, up: () => { requests: { body: Json }[] }) => up().requests[n]!.body.input as Json[];

/**
 * OpenAI's programmatic tool calling, additional_tools items and compaction for Responses clients
 * through lip, with the official SDK against the Responses emulator (which, with `checkState`,
 * refuses a program or compaction item it did not issue, and a program's call sent without its
 * program): the items pass as OpenAI wrote them, streamed and whole, both ways; the calls a program
 * makes reach the client as function calls naming their caller; tools added by an item reach
 * every provider; a backend of another provider refuses OpenAI's compaction before sending, so a
 * failover route moves on to OpenAI, and a route without it answers 400.
 */
describe('e2e: programmatic tool calling, added tools and compaction for Responses clients', function () {
  this.timeout(20_000);
  const up = useUpstreams({ or: { kind: 'openai-responses' }, an: { kind: 'anthropic' } });
  const emulator = () => up.emulators.or!;
  const openai = (): OpenAI => up.openai();
  const ask = (params: ResponseCreateParamsNonStreaming, stream: boolean) => askResponses(openai(), params, stream);

  for (const stream of [false, true]) {
    const mode = stream ? 'streaming' : 'non-streaming';

    it(`programmatic tool calling: the program and its calls come back as written, the client answers them, the program resumes (${mode})`, async () => {
      emulator().checkState = true;
      emulator().enqueue(PROGRAM_SCRIPT);
      const first = await ask({ model: 'or:gpt-5.6', input: question, tools: [PTC, WEATHER], store: false }, stream);
      const sent = emulator().requests[0]!.body;
      expect(sent.tools).to.deep.equal([PTC, WEATHER]);
      expect(first.response.output.map((i) => i.type)).to.deep.equal(['program', 'function_call', 'function_call']);
      expect(first.response.output[0]).to.deep.equal(PROGRAM);
      const calls = first.response.output.filter((i) => i.type === 'function_call');
      expect(calls.map((c) => [c.call_id, c.name, c.arguments, c.caller])).to.deep.equal([
        ['call_w1', 'get_weather', '{"city":"Paris"}', BY_PROGRAM], ['call_w2', 'get_weather', '{"city":"Oslo"}', BY_PROGRAM],
      ]);
      if (stream) {
        const added = first.events.filter((e) => e.type === 'response.output_item.added').map((e) => (e as { item: Json }).item);
        expect(added[0]).to.deep.equal(PROGRAM);
        expect(added.slice(1).map((i) => i.caller)).to.deep.equal([BY_PROGRAM, BY_PROGRAM]);
        expect(first.events.filter((e) => e.type === 'response.function_call_arguments.delta').map((e) => (e as { delta: string }).delta)).to.deep.equal(['{"city":', '"Paris"}', '{"city":"Oslo"}']);
      }

      emulator().enqueue(DONE_SCRIPT);
      const second = await ask({ model: 'or:gpt-5.6', tools: [PTC, WEATHER], store: false, input: [{ role: 'user', content: question }, ...(first.response.output as ResponseInputItem[]), ...answers] }, stream);
      expect(second.response.output[0]).to.deep.equal(PROGRAM_OUTPUT);
      expect(second.response.output_text).to.equal('Paris is 9 degrees warmer than Oslo.');
      expect(sentItems(1, emulator)).to.deep.equal([
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: question }] },
        PROGRAM,
        { type: 'function_call', call_id: 'call_w1', name: 'get_weather', arguments: '{"city":"Paris"}', caller: BY_PROGRAM },
        { type: 'function_call', call_id: 'call_w2', name: 'get_weather', arguments: '{"city":"Oslo"}', caller: BY_PROGRAM },
        { type: 'function_call_output', call_id: 'call_w1', output: '{"temp":21}', caller: BY_PROGRAM },
        { type: 'function_call_output', call_id: 'call_w2', output: '{"temp":12}', caller: BY_PROGRAM },
      ]);
    });

    it(`compaction: a compaction_trigger reaches OpenAI last; its compaction item comes back as written and goes back intact (${mode})`, async () => {
      emulator().checkState = true;
      emulator().enqueue({ hosted: [COMPACTION] });
      const history: ResponseInputItem[] = [{ role: 'user', content: 'Fix a.ts.' }, { type: 'message', role: 'assistant', content: 'Fixed a.ts.' } as ResponseInputItem];
      const compacted = await ask({ model: 'or:gpt-5.6', input: [...history, { type: 'compaction_trigger' }], store: false }, stream);
      expect((emulator().requests[0]!.body.input as Json[]).at(-1)).to.deep.equal({ type: 'compaction_trigger' });
      expect(compacted.response.output).to.deep.equal([COMPACTION]);
      if (stream) expect(compacted.events.filter((e) => e.type === 'response.output_item.done').map((e) => (e as { item: unknown }).item)).to.deep.equal([COMPACTION]);

      emulator().enqueue({ text: 'b.ts is fixed too.' });
      const next = await ask({ model: 'or:gpt-5.6', input: [...(compacted.response.output as ResponseInputItem[]), { role: 'user', content: 'Now b.ts.' }], store: false }, stream);
      expect(next.response.output_text).to.equal('b.ts is fixed too.');
      expect(sentItems(1, emulator)).to.deep.equal([COMPACTION, { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Now b.ts.' }] }]);
    });
  }

  it('a program continued with previous_response_id: the stored program, its calls and the new answers reach the upstream', async () => {
    emulator().checkState = true;
    emulator().enqueue(PROGRAM_SCRIPT, DONE_SCRIPT);
    const first = await openai().responses.create({ model: 'or:gpt-5.6', input: question, tools: [PTC, WEATHER] });
    const second = await openai().responses.create({ model: 'or:gpt-5.6', previous_response_id: first.id, input: answers, tools: [PTC, WEATHER] });
    expect(second.output_text).to.equal('Paris is 9 degrees warmer than Oslo.');
    expect(sentItems(1, emulator).map((i) => i.type)).to.deep.equal(['message', 'program', 'function_call', 'function_call', 'function_call_output', 'function_call_output']);
    expect(sentItems(1, emulator)[1]).to.deep.equal(PROGRAM);
    const listed = await openai().responses.inputItems.list(second.id, { order: 'asc' });
    expect(listed.data.map((i) => [i.type, (i as { caller?: unknown }).caller])).to.deep.equal([['function_call_output', BY_PROGRAM], ['function_call_output', BY_PROGRAM]]);
  });

  it('a compaction continued with previous_response_id: the stored compaction item goes back, the trigger is not repeated', async () => {
    emulator().checkState = true;
    emulator().enqueue({ hosted: [COMPACTION] }, { text: 'Continuing from the compacted context.' });
    const compacted = await openai().responses.create({ model: 'or:gpt-5.6', input: [{ role: 'user', content: 'A long session.' }, { type: 'compaction_trigger' }] });
    const next = await openai().responses.create({ model: 'or:gpt-5.6', previous_response_id: compacted.id, input: 'Go on.' });
    expect(next.output_text).to.equal('Continuing from the compacted context.');
    expect(sentItems(1, emulator)).to.deep.equal([
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'A long session.' }] },
      COMPACTION,
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Go on.' }] },
    ]);
    const listed = await openai().responses.inputItems.list(compacted.id, { order: 'asc' });
    expect(listed.data.map((i) => i.type)).to.deep.equal(['message']);
  });

  it('server-side compaction: context_management reaches the upstream as written', async () => {
    emulator().enqueue({ hosted: [COMPACTION], text: 'Done.' });
    const response = await openai().responses.create({ model: 'or:gpt-5.6', input: 'Go on.', context_management: [{ type: 'compaction', compact_threshold: 200_000 }] });
    expect(emulator().requests[0]!.body.context_management).to.deep.equal([{ type: 'compaction', compact_threshold: 200_000 }]);
    expect(response.output[0]).to.deep.equal(COMPACTION);
  });

  describe('additional_tools', () => {
    const WRITE: Tool = { type: 'function', name: 'write_file', strict: false, description: 'Writes a file', parameters: { type: 'object', properties: { path: { type: 'string' }, text: { type: 'string' } } } };
    const READ: Tool = { type: 'function', name: 'read_file', strict: false, parameters: { type: 'object', properties: { path: { type: 'string' } } } };
    const added = { type: 'additional_tools', role: 'developer', tools: [WRITE] } as ResponseInputItem;
    const input: ResponseInputItem[] = [{ role: 'user', content: 'Read a.ts.' }, added, { role: 'user', content: 'Now write b.ts.' }];

    it('an openai-responses upstream gets the item in place as written, and only the request\'s tools in tools', async () => {
      emulator().enqueue({ toolCalls: [{ id: 'call_wr', name: 'write_file', args: '{"path":"b.ts","text":"x"}' }] });
      const response = await openai().responses.create({ model: 'or:gpt-5.6', tools: [READ], input });
      expect(emulator().requests[0]!.body.tools.map((t: Json) => t.name)).to.deep.equal(['read_file']);
      expect(sentItems(0, emulator)[1]).to.deep.equal(added);
      expect(response.output[0]).to.deep.include({ type: 'function_call', name: 'write_file' });
    });

    for (const stream of [false, true]) {
      it(`an anthropic upstream gets the added tool declared, and its model's call of it reaches the client as a function call (${stream ? 'streaming' : 'non-streaming'})`, async () => {
        up.emulators.an!.enqueue({ toolCalls: [{ id: 'toolu_wr', name: 'write_file', args: '{"path":"b.ts","text":"x"}' }] });
        const { response } = await ask({ model: 'an:claude-sonnet-4-6', tools: [READ], input }, stream);
        const sent = up.emulators.an!.requests[0]!.body;
        expect(sent.tools.map((t: Json) => t.name)).to.deep.equal(['read_file', 'write_file']);
        expect(JSON.stringify(sent.messages)).to.not.contain('additional_tools');
        expect(response.output.map((i) => [i.type, (i as { name?: string }).name])).to.deep.equal([['function_call', 'write_file']]);
      });
    }

    it('a conversation continued through previous_response_id still declares the added tool to an anthropic upstream', async () => {
      up.emulators.an!.enqueue({ text: 'Read it.' });
      const first = await openai().responses.create({ model: 'an:claude-sonnet-4-6', tools: [READ], input });
      up.emulators.an!.enqueue({ toolCalls: [{ id: 'toolu_wr2', name: 'write_file', args: '{"path":"c.ts","text":"y"}' }] });
      const next = await openai().responses.create({ model: 'an:claude-sonnet-4-6', tools: [READ], previous_response_id: first.id, input: 'And c.ts.' });
      const sent = up.emulators.an!.requests[1]!.body;
      expect(sent.tools.map((t: Json) => t.name)).to.deep.equal(['read_file', 'write_file']);
      expect(JSON.stringify(sent.messages)).to.not.contain('additional_tools');
      expect(next.output.map((i) => [i.type, (i as { name?: string }).name])).to.deep.equal([['function_call', 'write_file']]);
    });

    it('a tool declared otherwise than tools does is a 400 naming the item\'s tool; nothing goes upstream', async () => {
      const clash = { type: 'additional_tools', role: 'developer', tools: [{ ...READ, description: 'Reads' }] } as ResponseInputItem;
      const err = await openai().responses.create({ model: 'an:claude-sonnet-4-6', tools: [READ], input: [{ role: 'user', content: 'x' }, clash] }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(OpenAI.BadRequestError);
      expect((err as InstanceType<typeof OpenAI.BadRequestError>).error).to.deep.include({ code: 'LIP_ERR_REQUEST_INVALID', param: 'input[1].tools[0]' });
      expect(up.emulators.an!.requests).to.have.length(0);
    });
  });

  describe('routes', () => {
    const compactedInput: ResponseInputItem[] = [COMPACTION as ResponseInputItem, { role: 'user', content: 'Now b.ts.' }];

    it('a failover route [anthropic, openai-responses] serves OpenAI\'s compaction item from the second; the first upstream sees nothing', async () => {
      emulator().enqueue({ text: 'On it.' });
      const { data, response } = await openai().responses.create({ model: 'an:claude-sonnet-4-6|or:gpt-5.6', input: compactedInput }).withResponse();
      expect(response.headers.get('x-lip-backend')).to.equal('or:gpt-5.6');
      expect(data.output_text).to.equal('On it.');
      expect(sentItems(0, emulator)[0]).to.deep.equal(COMPACTION);
      expect(up.emulators.an!.requests).to.have.length(0);
    });

    it('a failover route [anthropic, openai-responses] serves programmatic tool calling from the second, streamed', async () => {
      emulator().enqueue(PROGRAM_SCRIPT);
      const { response } = await ask({ model: 'an:claude-sonnet-4-6|or:gpt-5.6', input: question, tools: [PTC, WEATHER] }, true);
      expect(response.output[0]).to.deep.equal(PROGRAM);
      expect(up.emulators.an!.requests).to.have.length(0);
    });

    it('a route to another provider alone is a 400 LIP_ERR_REQUEST_UNSUPPORTED naming the item (or the tool), streamed or not', async () => {
      for (const stream of [false, true]) {
        for (const [params, named] of [
          [{ model: 'an:claude-sonnet-4-6', input: compactedInput }, 'compaction block'],
          [{ model: 'an:claude-sonnet-4-6', input: [{ role: 'user', content: 'x' }, { type: 'compaction_trigger' }] }, 'the hosted compaction_trigger'],
          [{ model: 'an:claude-sonnet-4-6', input: 'x', context_management: [{ type: 'compaction', compact_threshold: 1000 }] }, 'the hosted context_management'],
          [{ model: 'an:claude-sonnet-4-6', input: question, tools: [PTC, WEATHER] }, '"programmatic_tool_calling"'],
        ] as [ResponseCreateParamsNonStreaming, string][]) {
          const err = await ask(params, stream).catch((e: unknown) => e);
          expect(err, `${named} ${String(stream)}`).to.be.instanceOf(OpenAI.BadRequestError);
          const refused = err as InstanceType<typeof OpenAI.BadRequestError>;
          expect(refused.error).to.deep.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', type: 'invalid_request_error' });
          expect(refused.message).to.contain(named);
          expect(refused.message).to.not.contain(COMPACTION.encrypted_content);
        }
      }
      expect(up.emulators.an!.requests).to.have.length(0);
    });
  });

  describe('additional_tools under a tool policy (ref-tool-policy blocking write_file)', () => {
    const blocked = useUpstreams({ or: { kind: 'openai-responses' }, an: { kind: 'anthropic' } }, 'features:\n  - { id: ref-tool-policy, config: { block_names: [write_file] } }');
    const READ: Tool = { type: 'function', name: 'read_file', strict: false, parameters: { type: 'object', properties: { path: { type: 'string' } } } };
    const WRITE: Tool = { type: 'function', name: 'write_file', strict: false, parameters: { type: 'object', properties: { path: { type: 'string' } } } };
    const GREP: Tool = { type: 'function', name: 'grep', strict: false, parameters: { type: 'object', properties: { pattern: { type: 'string' } } } };
    const input = (tools: Tool[]): ResponseInputItem[] => [{ role: 'user', content: 'Read a.ts.' }, { type: 'additional_tools', role: 'developer', tools } as ResponseInputItem, { role: 'user', content: 'Now b.ts.' }];

    it('an openai-responses upstream never sees the blocked tool: the item keeps the others, an item of it alone is left out', async () => {
      const client = blocked.openai();
      blocked.emulators.or!.enqueue({ text: 'Done.' });
      await client.responses.create({ model: 'or:gpt-5.6', tools: [READ], input: input([WRITE, GREP]) });
      const items = sentItems(0, () => blocked.emulators.or!);
      expect(items[1]).to.deep.equal({ type: 'additional_tools', role: 'developer', tools: [GREP] });
      expect(JSON.stringify(items)).to.not.contain('write_file');
      blocked.emulators.or!.enqueue({ text: 'Done.' });
      await client.responses.create({ model: 'or:gpt-5.6', tools: [READ], input: input([WRITE]) });
      expect(sentItems(1, () => blocked.emulators.or!).map((i) => i.type)).to.deep.equal(['message', 'message']);
      expect(blocked.emulators.or!.requests[1]!.body.tools.map((t: Json) => t.name)).to.deep.equal(['read_file']);
    });

    for (const stream of [false, true]) {
      it(`an anthropic upstream is declared the added tools but the blocked one (${stream ? 'streaming' : 'non-streaming'})`, async () => {
        const client = blocked.openai();
        blocked.emulators.an!.enqueue({ text: 'Done.' });
        const { response } = await askResponses(client, { model: 'an:claude-sonnet-4-6', tools: [READ], input: input([WRITE, GREP]) }, stream);
        expect(response.output_text).to.equal('Done.');
        expect(blocked.emulators.an!.requests[0]!.body.tools.map((t: Json) => t.name)).to.deep.equal(['read_file', 'grep']);
      });
    }
  });
});
