import { expect } from 'chai';
import fc from 'fast-check';
import OpenAI from 'openai';
import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { Response, ResponseInputItem, ResponseStreamEvent } from 'openai/resources/responses/responses';
import type { Message } from '../../lib/canonical/index.js';
import { TOOLS, type Expected } from '../conformance/scenarios.js';
import { startScriptedLip, type ScriptedLip } from '../helpers/scripted-backend.js';
import { fuzzParameters, fuzzTimeout } from './fuzz-parameters.js';
import { answer, type Answer } from './generated-answers.js';

/** The Response object without `output_text`, which the SDK adds to what it reads. */
function wire(response: Response): Record<string, unknown> {
  const { output_text: _, ...rest } = response as Response & { output_text?: string };
  return rest;
}

/** What the assistant's turn of a continued conversation carries, in the terms of `Expected`. */
function turnOf(messages: readonly Message[]): Pick<Expected, 'text' | 'reasoning' | 'toolCalls'> {
  const parts = messages.filter((m) => m.role === 'assistant').flatMap((m) => m.parts);
  return {
    text: parts.map((p) => (p.type === 'text' ? p.text : '')).join(''),
    reasoning: parts.map((p) => (p.type === 'reasoning' ? p.text ?? '' : '')).join(''),
    toolCalls: parts.flatMap((p) => (p.type === 'tool_call' ? [{ id: p.id, name: p.name, args: JSON.parse(p.arguments) as unknown }] : [])),
  };
}

/**
 * Runs `body` with a system clock that moves on a second at every read when `moving` (each
 * request then straddles seconds, as some do on any clock): what is stored must not read it again.
 */
async function onClock<T>(moving: boolean, body: () => Promise<T>): Promise<T> {
  if (!moving) return body();
  const realNow = Date.now;
  let reads = 0;
  Date.now = () => realNow() + 1000 * ++reads;
  try {
    return await body();
  } finally {
    Date.now = realNow;
  }
}

/**
 * Stored answers read back as they were answered: any generated answer (generated-answers.ts),
 * streamed or not, is stored by lip (Responses' default `store`, Chat's `store: true`) and the
 * official SDK reads it back by id, on the system clock or one that moves on a second at every
 * read. The Responses object `retrieve` answers must be the very
 * object the create answered (or the stream's final event carried), field for field, times
 * included; its input items are the request's; and continuing it (`previous_response_id`, with
 * an output for each of its tool calls) sends the upstream the stored turn again: its text, its
 * tool calls with their ids and arguments, its reasoning. A stored chat completion's
 * `retrieve` is the create's answer (choices and usage), or what the stream's chunks assembled.
 */
describe('fuzz: stored answers read back as they were answered', function () {
  this.timeout(fuzzTimeout(300));
  let lip: ScriptedLip;
  let client: OpenAI;
  let n = 0;
  before(async () => {
    lip = await startScriptedLip({ next: [{ type: 'response_started' }, { type: 'text_delta', text: 'ok' }, { type: 'response_finished', reason: 'stop' }] });
    client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'sk-fuzz', maxRetries: 0 });
  });
  after(() => lip.close());

  const play = async <T>(a: Answer, run: (model: string) => Promise<T>): Promise<T> => {
    const name = `gen${n++}`;
    lip.backend.scripts.set(name, a.events);
    try {
      return await run(`script:${name}`);
    } finally {
      lip.backend.scripts.delete(name);
    }
  };

  it('Responses: retrieve is the answer, the input items are the request, a continuation sends the turn again', async () => {
    await fc.assert(fc.asyncProperty(answer, fc.boolean(), fc.boolean(), async (a, stream, moving) => onClock(moving, async () => {
      const tools = a.tools ? TOOLS.map((t) => ({ type: 'function' as const, name: t.name, description: t.description, parameters: t.parameters, strict: false })) : undefined;
      const request = { input: 'Hi', ...(tools ? { tools } : {}), ...(a.reasoning ? { reasoning: { effort: 'low' as const, summary: 'auto' as const } } : {}) };
      const answered = await play(a, async (model) => {
        if (!stream) return client.responses.create({ model, ...request });
        const events: ResponseStreamEvent[] = [];
        for await (const event of await client.responses.create({ model, ...request, stream: true })) events.push(event);
        const last = events.at(-1)!;
        expect(last.type).to.be.oneOf(['response.completed', 'response.incomplete']);
        return (last as ResponseStreamEvent & { response: Response }).response;
      });
      const retrieved = await client.responses.retrieve(answered.id);
      expect(wire(retrieved)).to.deep.equal(wire(answered));
      const items = (await client.responses.inputItems.list(answered.id)).data;
      expect(items.map((i) => [i.type, (i as { role?: string }).role])).to.deep.equal([['message', 'user']]);
      // The next turn: an output for each call it made, then a message.
      const outputs: ResponseInputItem[] = a.expected.toolCalls.map((c) => ({ type: 'function_call_output', call_id: c.id, output: `result of ${c.id}` }));
      const next = await client.responses.create({ model: 'script:next', previous_response_id: answered.id, input: [...outputs, { role: 'user', content: 'more' }], ...(tools ? { tools } : {}) });
      expect(next.output_text).to.equal('ok');
      const sent = lip.backend.lastCall.messages;
      expect(turnOf(sent)).to.deep.equal({ text: a.expected.text, reasoning: a.expected.reasoning, toolCalls: a.expected.toolCalls });
      const results = sent.flatMap((m) => m.parts).flatMap((p) => (p.type === 'tool_result' ? [p.callId] : []));
      expect(results).to.deep.equal(a.expected.toolCalls.map((c) => c.id));
    })), fuzzParameters(0.3));
  });

  it('Chat Completions: retrieve of a stored completion is the answer, or what its stream assembled', async () => {
    await fc.assert(fc.asyncProperty(answer, fc.boolean(), fc.boolean(), async (a, stream, moving) => onClock(moving, async () => {
      const tools = a.tools ? TOOLS.map((t) => ({ type: 'function' as const, function: t })) : undefined;
      const request = { messages: [{ role: 'user' as const, content: 'Hi' }], store: true, ...(tools ? { tools } : {}) };
      if (!stream) {
        const made = await play(a, (model) => client.chat.completions.create({ model, ...request }));
        const got = await client.chat.completions.retrieve(made.id) as ChatCompletion;
        expect(got).to.deep.include({ id: made.id, object: 'chat.completion', created: made.created, model: made.model });
        expect(got.choices).to.deep.equal(made.choices);
        expect(got.usage).to.deep.equal(made.usage);
        return;
      }
      const chunks = await play(a, async (model) => {
        const read: ChatCompletionChunk[] = [];
        for await (const chunk of await client.chat.completions.create({ model, ...request, stream: true, stream_options: { include_usage: true } })) read.push(chunk);
        return read;
      });
      expect(new Set(chunks.map((c) => c.id)).size).to.equal(1);
      const got = await client.chat.completions.retrieve(chunks[0]!.id) as ChatCompletion;
      const message = got.choices[0]!.message;
      const streamedText = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
      const streamedRefusal = chunks.map((c) => (c.choices[0]?.delta as { refusal?: string | null } | undefined)?.refusal ?? '').join('');
      expect(message.content ?? '').to.equal(streamedText).and.equal(a.expected.refusal?.text ?? a.expected.text);
      expect(message.refusal ?? '').to.equal(streamedRefusal).and.equal(a.expected.refusal?.refusal ?? '');
      expect((message.tool_calls ?? []).map((c) => ({ id: c.id, name: (c as { function: { name: string } }).function.name, args: JSON.parse((c as { function: { arguments: string } }).function.arguments) as unknown })))
        .to.deep.equal(a.expected.toolCalls);
      expect(got.choices[0]!.finish_reason).to.equal(chunks.flatMap((c) => c.choices.map((ch) => ch.finish_reason)).find((r) => r !== null));
      const usage = chunks.at(-1)!.usage;
      if (usage) expect(got.usage).to.deep.equal(usage);
    })), fuzzParameters(0.3));
  });
});
