import { expect } from 'chai';
import fc from 'fast-check';
import { PassThrough } from 'node:stream';
import OpenAI from 'openai';
import { Observable } from 'rxjs';
import type { Backend } from '../../lib/backends/backend.js';
import type { Call, LipEvent, Message } from '../../lib/canonical/index.js';
import { runtimeWith } from '../../lib/core/runtime.js';
import { createLogger } from '../../lib/observability/logger.js';
import { LipServer } from '../../lib/server/lip-server.js';
import { testConfig } from '../helpers/config.js';
import { requireRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { fuzzParameters, fuzzTimeout } from './fuzz-parameters.js';

type Json = Record<string, any>;

/** What a message said, in one line: its role and the text of each part (tool calls and results by id). */
function line(m: Message): string {
  return `${m.role}:${m.parts.map((p) => (p.type === 'text' ? p.text : p.type === 'tool_call' ? `call(${p.id})` : p.type === 'tool_result' ? `result(${p.callId})` : p.type)).join('+')}`;
}

/**
 * An upstream whose answer is what it was sent: the conversation, one message per line, so that
 * every answer shows which history the instance rebuilt. A request whose last text asks for a
 * tool gets a tool call too (its id made from the history's length, the same on every instance).
 */
class EchoBackend implements Backend {
  readonly kind = 'echo';
  readonly models = ['m'];
  constructor(readonly id: string) {}
  stream(call: Call): Observable<LipEvent> {
    return new Observable<LipEvent>((subscriber) => {
      const seen = call.messages.map(line).join(' | ');
      const wantsTool = /tool/.test(line(call.messages.at(-1)!)) && call.tools.length > 0;
      const events: LipEvent[] = [{ type: 'response_started' }, { type: 'text_delta', text: seen }];
      if (wantsTool) {
        const id = `call_${call.messages.length}`;
        events.push({ type: 'tool_call_started', id, name: call.tools[0]!.name }, { type: 'tool_call_delta', id, args: '{}' }, { type: 'tool_call_finished', id });
      }
      events.push({ type: 'response_finished', reason: wantsTool ? 'tool_calls' : 'stop' });
      for (const event of events) subscriber.next(event);
      subscriber.complete();
    });
  }
}

interface Deployment {
  readonly name: string;
  readonly clients: readonly OpenAI[];
  close(): Promise<void>;
}

async function deploy(name: string, instances: number, extraYaml: string): Promise<Deployment> {
  const servers: LipServer[] = [];
  for (let i = 0; i < instances; i++) {
    const config = testConfig('  - { id: echo, kind: localstub }', `routing: { default_route: "echo:m" }\n${extraYaml}`);
    const sink = new PassThrough();
    sink.resume();
    const server = new LipServer(runtimeWith(config, new Map([['echo', new EchoBackend('echo')]])), createLogger({ level: 'error', format: 'json', stream: sink }));
    await server.listen('127.0.0.1', 0);
    servers.push(server);
  }
  return {
    name,
    clients: servers.map((s) => new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'sk-scale-out', maxRetries: 0 })),
    close: async () => { await Promise.all(servers.map((s) => s.shutdown(1_000))); },
  };
}

const TOOL = { type: 'function' as const, name: 'lookup', description: 'Looks it up', parameters: { type: 'object', properties: {} }, strict: false };

/** One step: which instance (of the shared deployment) takes it, and what it asks. */
type Step =
  | { readonly op: 'create'; readonly at: number; readonly text: string; readonly previous?: number; readonly conversation?: number; readonly store: boolean; readonly stream: boolean; readonly background: boolean; readonly tools: boolean; readonly answerCalls: boolean }
  | { readonly op: 'retrieve' | 'delete'; readonly at: number; readonly response: number }
  | { readonly op: 'inputItems'; readonly at: number; readonly response: number; readonly order: 'asc' | 'desc'; readonly limit?: number }
  | { readonly op: 'conversation.create'; readonly at: number; readonly texts: readonly string[] }
  | { readonly op: 'conversation.retrieve' | 'conversation.delete'; readonly at: number; readonly conversation: number }
  | { readonly op: 'conversation.items'; readonly at: number; readonly conversation: number; readonly order: 'asc' | 'desc'; readonly limit?: number }
  | { readonly op: 'conversation.add'; readonly at: number; readonly conversation: number; readonly texts: readonly string[] }
  | { readonly op: 'conversation.deleteItem'; readonly at: number; readonly conversation: number; readonly item: number }
  | { readonly op: 'chat.create'; readonly at: number; readonly text: string; readonly stream: boolean; readonly tag: string }
  | { readonly op: 'chat.retrieve' | 'chat.delete'; readonly at: number; readonly completion: number }
  | { readonly op: 'chat.update'; readonly at: number; readonly completion: number; readonly tag: string }
  | { readonly op: 'chat.list'; readonly at: number; readonly tag?: string; readonly order: 'asc' | 'desc'; readonly limit?: number }
  | { readonly op: 'chat.messages'; readonly at: number; readonly completion: number; readonly order: 'asc' | 'desc' };

const at = fc.nat(2);
const pick = fc.nat(7);
const words = fc.constantFrom('hello', 'more', 'use a tool', 'why?', 'ok');
const order = fc.constantFrom<'asc' | 'desc'>('asc', 'desc');
const limit = fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined });
const tag = fc.constantFrom('a', 'b');

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ op: fc.constant('create' as const), at, text: words, previous: fc.option(pick, { nil: undefined }), conversation: fc.option(pick, { nil: undefined, freq: 3 }), store: fc.constantFrom(true, true, true, false), stream: fc.boolean(), background: fc.constantFrom(false, false, false, true), tools: fc.boolean(), answerCalls: fc.boolean() }, { requiredKeys: ['op', 'at', 'text', 'store', 'stream', 'background', 'tools', 'answerCalls'] }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constantFrom('retrieve' as const, 'delete' as const), at, response: pick }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('inputItems' as const), at, response: pick, order, limit }, { requiredKeys: ['op', 'at', 'response', 'order'] }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('conversation.create' as const), at, texts: fc.array(words, { maxLength: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('conversation.retrieve' as const, 'conversation.delete' as const), at, conversation: pick }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('conversation.items' as const), at, conversation: pick, order, limit }, { requiredKeys: ['op', 'at', 'conversation', 'order'] }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('conversation.add' as const), at, conversation: pick, texts: fc.array(words, { minLength: 1, maxLength: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('conversation.deleteItem' as const), at, conversation: pick, item: pick }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('chat.create' as const), at, text: words, stream: fc.boolean(), tag }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constantFrom('chat.retrieve' as const, 'chat.delete' as const), at, completion: pick }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('chat.update' as const), at, completion: pick, tag }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('chat.list' as const), at, tag: fc.option(tag, { nil: undefined }), order, limit }, { requiredKeys: ['op', 'at', 'order'] }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('chat.messages' as const), at, completion: pick, order }) },
);

/** Ids lip makes (random, so told apart by the order each first appears in a deployment's answers). */
const ID = /\b[a-z]{2,8}[-_][A-Za-z0-9]{16,}\b/g;

/** The ids each deployment made, by first appearance; answers rewritten with them. */
class Ids {
  private readonly seen = new Map<string, string>();
  name(id: string): string {
    let named = this.seen.get(id);
    if (named === undefined) this.seen.set(id, (named = `${/^[a-z]+/.exec(id)![0]}#${this.seen.size}`));
    return named;
  }
  /** The real id of a named one (what a later step refers to). */
  real(named: string): string | undefined {
    for (const [id, n] of this.seen) if (n === named) return id;
    return undefined;
  }
  /** `value` with every id named, and the times lip stamps left out. */
  normal(value: unknown): unknown {
    if (typeof value === 'string') return value.replace(ID, (id) => this.name(id));
    if (Array.isArray(value)) return value.map((v) => this.normal(v));
    if (value !== null && typeof value === 'object') {
      const out: Json = {};
      for (const [k, v] of Object.entries(value)) if (k !== 'created_at' && k !== 'completed_at' && k !== 'created' && k !== 'output_text') out[k] = this.normal(v);
      return out;
    }
    return value;
  }
}

/** The ids (named) of the responses, conversations and stored chat completions made so far in one run, in the order made; the run's own metadata value. */
interface Made { readonly run: string; responses: string[]; conversations: string[]; completions: string[] }

async function outcome(run: () => Promise<unknown>): Promise<unknown> {
  try {
    return { ok: await run() };
  } catch (err) {
    if (err instanceof OpenAI.APIError) return { status: err.status, error: (err.error as Json | undefined) ?? null };
    throw err;
  }
}

/** Plays one step on `client`; answers what the client saw, normalised by `ids`. */
async function play(client: OpenAI, s: Step, ids: Ids, made: Made): Promise<unknown> {
  const idOf = (list: readonly string[], n: number | undefined) => (n === undefined || list.length === 0 ? undefined : ids.real(list[n % list.length]!) ?? 'resp_unknown000000');
  switch (s.op) {
    case 'create': {
      const previous = idOf(made.responses, s.previous);
      const conversation = idOf(made.conversations, s.conversation);
      // The previous response's tool calls answered first, when the step says so (else the next turn leaves them open).
      const input: Json[] = [];
      if (previous !== undefined && s.answerCalls) {
        const before = await outcome(() => client.responses.retrieve(previous));
        for (const item of ((before as { ok?: Json }).ok?.output ?? []) as Json[]) if (item.type === 'function_call') input.push({ type: 'function_call_output', call_id: item.call_id, output: 'found' });
      }
      input.push({ role: 'user', content: s.text });
      const body: Json = { model: 'echo:m', input, store: s.store, ...(s.background ? { background: true } : {}), ...(previous ? { previous_response_id: previous } : {}), ...(conversation ? { conversation } : {}), ...(s.tools ? { tools: [TOOL] } : {}) };
      const answer = await outcome(async () => {
        if (!s.stream) return client.responses.create(body as never);
        let last: Json | undefined;
        for await (const event of await client.responses.create({ ...body, stream: true } as never) as unknown as AsyncIterable<Json>) last = event;
        return last?.response ?? last;
      });
      const normal = ids.normal(answer) as { ok?: Json };
      if (normal.ok?.id !== undefined) made.responses.push(normal.ok.id as string);
      if (!s.background || normal.ok?.id === undefined) return normal;
      // A background response: also how it ended, as this instance reads it once it has.
      const id = ids.real(normal.ok.id as string)!;
      let ended: unknown;
      for (let polls = 0; polls < 500; polls++) {
        ended = await outcome(() => client.responses.retrieve(id));
        const status = (ended as { ok?: Json }).ok?.status;
        if (status !== 'queued' && status !== 'in_progress') break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return [normal, ids.normal(ended)];
    }
    case 'retrieve':
      return ids.normal(await outcome(() => client.responses.retrieve(idOf(made.responses, s.response) ?? 'resp_none00000000')));
    case 'delete':
      return ids.normal(await outcome(() => client.responses.delete(idOf(made.responses, s.response) ?? 'resp_none00000000')));
    case 'inputItems':
      return ids.normal(await outcome(async () => (await client.responses.inputItems.list(idOf(made.responses, s.response) ?? 'resp_none00000000', { order: s.order, ...(s.limit ? { limit: s.limit } : {}) })).data));
    case 'conversation.create': {
      const normal = ids.normal(await outcome(() => client.conversations.create({ items: s.texts.map((t) => ({ type: 'message', role: 'user', content: t })) }))) as { ok?: Json };
      if (normal.ok?.id !== undefined) made.conversations.push(normal.ok.id as string);
      return normal;
    }
    case 'conversation.retrieve':
      return ids.normal(await outcome(() => client.conversations.retrieve(idOf(made.conversations, s.conversation) ?? 'conv_none00000000')));
    case 'conversation.delete':
      return ids.normal(await outcome(() => client.conversations.delete(idOf(made.conversations, s.conversation) ?? 'conv_none00000000')));
    case 'conversation.items': {
      const conv = idOf(made.conversations, s.conversation) ?? 'conv_none00000000';
      return ids.normal(await outcome(async () => (await client.conversations.items.list(conv, { order: s.order, ...(s.limit ? { limit: s.limit } : {}) })).data));
    }
    case 'conversation.add':
      return ids.normal(await outcome(async () => (await client.conversations.items.create(idOf(made.conversations, s.conversation) ?? 'conv_none00000000', { items: s.texts.map((t) => ({ type: 'message' as const, role: 'user' as const, content: t })) })).data));
    case 'conversation.deleteItem': {
      // The item picked from the conversation's items as this instance lists them now.
      const conv = idOf(made.conversations, s.conversation) ?? 'conv_none00000000';
      const listed = await outcome(async () => (await client.conversations.items.list(conv, { order: 'asc' })).data);
      const known = ((listed as { ok?: Json[] }).ok ?? []).map((i) => i.id as string);
      const item = known.length > 0 ? known[s.item % known.length]! : 'msg_none00000000';
      return ids.normal([listed, await outcome(() => client.conversations.items.delete(item, { conversation_id: conv }))]);
    }
    case 'chat.create': {
      // Stored, tagged with the run (a list shows only this run's completions) and a tag of two.
      const body = { model: 'echo:m', messages: [{ role: 'user' as const, content: s.text }], store: true, metadata: { run: made.run, tag: s.tag } };
      const answer = await outcome(async () => {
        if (!s.stream) return client.chat.completions.create(body);
        let text = '';
        let id = '';
        for await (const chunk of await client.chat.completions.create({ ...body, stream: true })) {
          id = chunk.id;
          text += chunk.choices[0]?.delta.content ?? '';
        }
        return { id, text };
      });
      const normal = ids.normal(answer) as { ok?: Json };
      if (normal.ok?.id !== undefined) made.completions.push(normal.ok.id as string);
      return normal;
    }
    case 'chat.retrieve':
      return ids.normal(await outcome(() => client.chat.completions.retrieve(idOf(made.completions, s.completion) ?? 'chatcmpl-none00000000')));
    case 'chat.delete':
      return ids.normal(await outcome(() => client.chat.completions.delete(idOf(made.completions, s.completion) ?? 'chatcmpl-none00000000')));
    case 'chat.update':
      return ids.normal(await outcome(() => client.chat.completions.update(idOf(made.completions, s.completion) ?? 'chatcmpl-none00000000', { metadata: { run: made.run, tag: s.tag } })));
    case 'chat.list':
      return ids.normal(await outcome(async () => (await client.chat.completions.list({ metadata: { run: made.run, ...(s.tag ? { tag: s.tag } : {}) }, order: s.order, ...(s.limit ? { limit: s.limit } : {}) })).data));
    case 'chat.messages':
      return ids.normal(await outcome(async () => (await client.chat.completions.messages.list(idOf(made.completions, s.completion) ?? 'chatcmpl-none00000000', { order: s.order })).data));
  }
}

/**
 * Scale-out without a difference a client can see: three lip instances sharing one redis-server
 * (`continuity.store: redis`) against one lip on its memory store. The same generated steps go
 * to both, each step on the single instance and on any of the three: Responses created (stored
 * or not, streamed or not, in the background or not (then read until it ended), continuing an
 * earlier response, a deleted or unknown one included, or adding a turn to a conversation;
 * answering the earlier turn's tool calls or not), retrieved, deleted, their input items listed
 * (either order, pages); conversations created, read, deleted, their items listed, added and
 * deleted; chat completions stored (streamed or not), retrieved, their metadata replaced,
 * deleted, listed (by metadata, either order, pages), their messages listed. The upstream
 * answers with the conversation it was sent, so every answer shows the history the instance
 * rebuilt. Every answer, success or error, must be the same in both deployments, ids told apart
 * by the order they first appear and the timestamps left out (spec/e2e/continuity-redis.spec.ts
 * has the examples over `lip serve` processes).
 */
describe('fuzz: three instances on Redis answer as one instance does', function () {
  this.timeout(fuzzTimeout(1_500));
  let redis: RedisServer;
  let single: Deployment;
  let shared: Deployment;
  let runs = 0;

  before(async function () {
    redis = await requireRedisServer(this);
    single = await deploy('one instance, memory', 1, 'continuity: { store: memory }');
    shared = await deploy('three instances, redis', 3, `continuity: { store: redis }\nredis: { url: "${redis.url}", key_prefix: "lip-fz-scale-${process.pid}:" }`);
  });
  after(async () => {
    await single?.close();
    await shared?.close();
    await redis?.close();
  });

  it('every step answers the same', async () => {
    await fc.assert(fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 14 }), async (steps) => {
      const run = `run${++runs}`;
      const sides = [
        { deployment: single, ids: new Ids(), made: { run, responses: [], conversations: [], completions: [] } as Made },
        { deployment: shared, ids: new Ids(), made: { run, responses: [], conversations: [], completions: [] } as Made },
      ];
      for (const [i, s] of steps.entries()) {
        const answers = [];
        for (const side of sides) answers.push(await play(side.deployment.clients[s.at % side.deployment.clients.length]!, s, side.ids, side.made));
        expect(answers[1], `step ${i}: ${JSON.stringify(s)}`).to.deep.equal(answers[0]);
      }
    }), fuzzParameters(0.3));
  });
});
