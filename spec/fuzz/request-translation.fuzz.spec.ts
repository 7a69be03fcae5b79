import { expect } from 'chai';
import fc from 'fast-check';
import type { Call } from '../../lib/canonical/index.js';
import { FRONTENDS } from '../../lib/frontends/registry.js';
import type { GenerateRoute } from '../../lib/frontends/protocol.js';
import { KINDS, type KindCase } from '../backends/kinds.js';
import { TOOLS } from '../conformance/scenarios.js';
import { CLIENT_DRIVERS, type ClientMessage, type ClientRequest } from '../helpers/clients/index.js';
import type { Emulator } from '../helpers/emulators/index.js';
import { startLipOverKinds, type LipOverKinds, type RunningLip } from '../helpers/lip.js';
import { fuzzParameters, fuzzTimeout } from './fuzz-parameters.js';

/**
 * Requests across the translation matrix: a conversation (a system prompt, user turns of any
 * text with or without images, assistant turns with text and parallel tool calls of any JSON
 * arguments, each call's result) is sent by each frontend's official SDK, routed to each backend
 * kind, and the request the kind's emulator received is decoded again by lip's own decoder of
 * that provider's protocol. What it holds must be the conversation: the system prompt, every
 * turn's text and images in order, every tool call's name and arguments, every result paired
 * with its call and its content, the tools declared, the output limit and the temperature. Ids
 * may be rewritten (Gemini's are lip's own), tool results may travel one message each or
 * together, a Gemini client's result is its `{result}` object, and a result that is JSON text
 * reaches Gemini as that JSON value (docs/backends/gemini.md: a JSON string `"ok"` is the result
 * `ok`): nothing else may change.
 */

const USED = KINDS.filter((k) => ['openai-chat', 'openai-responses', 'anthropic', 'gemini'].includes(k.kind));
const idOf = (k: KindCase) => `q-${k.kind}`;

/** Text with something visible in it (providers refuse a whitespace-only block), of any graphemes and framing characters. */
const text = fc.tuple(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.constantFrom('a', 'é', '🙂', '"quoted"', '{"json":1}', '</s>', 'line\nbreak', '\\', 'data: x'),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
).map(([a, b, c]) => `${a}${b}${c}`);

/** An image of a few random bytes, PNG or JPEG by its declared type. */
const image = fc.record({ mime: fc.constantFrom('image/png' as const, 'image/jpeg' as const), data: fc.uint8Array({ minLength: 1, maxLength: 24 }).map((b) => Buffer.from(b).toString('base64')) });

interface Turn { readonly user: string; readonly images: readonly { mime: 'image/png' | 'image/jpeg'; data: string }[]; readonly assistant?: { readonly text?: string; readonly calls: readonly { name: string; args: Record<string, unknown> }[]; readonly results: readonly string[] } }

const turn: fc.Arbitrary<Turn> = fc.record({
  user: text,
  images: fc.oneof({ weight: 3, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(image, { minLength: 1, maxLength: 2 }) }),
  assistant: fc.option(fc.record({
    text: fc.option(text, { nil: undefined }),
    calls: fc.array(fc.record({
      name: fc.constantFrom(...TOOLS.map((t) => t.name)),
      args: fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
    }), { maxLength: 2 }),
    results: fc.array(text, { minLength: 2, maxLength: 2 }),
  }).filter((a) => a.text !== undefined || a.calls.length > 0), { nil: undefined }),
});

const conversation = fc.record({
  system: fc.option(text, { nil: undefined }),
  turns: fc.array(turn, { minLength: 1, maxLength: 3 }),
  last: text,
  maxOutputTokens: fc.integer({ min: 1, max: 8192 }),
  temperature: fc.option(fc.integer({ min: 0, max: 100 }).map((n) => n / 100), { nil: undefined }),
});

type Conversation = typeof conversation extends fc.Arbitrary<infer T> ? T : never;

/** The client's messages: each turn's user text, then the assistant's text and calls, then each call's result. */
function messagesOf(c: Conversation): ClientMessage[] {
  const out: ClientMessage[] = [];
  let n = 0;
  for (const t of c.turns) {
    out.push({ role: 'user', text: t.user, ...(t.images.length > 0 ? { images: t.images } : {}) });
    if (!t.assistant) continue;
    const calls = t.assistant.calls.map((call) => ({ id: `call_${++n}`, name: call.name, args: call.args }));
    out.push({ role: 'assistant', ...(t.assistant.text !== undefined ? { text: t.assistant.text } : {}), ...(calls.length > 0 ? { toolCalls: calls } : {}) });
    calls.forEach((call, i) => out.push({ role: 'tool', callId: call.id, name: call.name, content: t.assistant!.results[i]! }));
  }
  out.push({ role: 'user', text: c.last });
  return out;
}

type Item = { role: 'user' | 'assistant'; texts: string[]; images?: string[]; calls?: { name: string; args: unknown }[] } | { role: 'tool'; results: { call: number; content: string }[] };

/**
 * Adds a message's item, joined to the one before when it has the same role: protocols that
 * need turns to alternate (Anthropic, Gemini) send two user messages in a row as one message of
 * two text blocks, and tool results one message each or together.
 */
function push(items: Item[], item: Item): void {
  const last = items.at(-1);
  if (last?.role === 'tool' && item.role === 'tool') last.results.push(...item.results);
  else if (last !== undefined && last.role === item.role && last.role !== 'tool' && item.role !== 'tool' && last.calls === undefined) {
    last.texts.push(...item.texts);
    if (item.images) last.images = [...(last.images ?? []), ...item.images];
    if (item.calls) last.calls = item.calls;
  } else items.push(item);
}

/** What the conversation says, in a form every protocol keeps. */
function expected(c: Conversation): Item[] {
  const items: Item[] = [];
  let n = 0;
  for (const t of c.turns) {
    push(items, { role: 'user', texts: [t.user], ...(t.images.length > 0 ? { images: t.images.map((i) => `${i.mime};${i.data}`) } : {}) });
    if (!t.assistant) continue;
    const calls = t.assistant.calls.map((call) => ({ name: call.name, args: JSON.parse(JSON.stringify(call.args)) as unknown }));
    push(items, { role: 'assistant', texts: t.assistant.text !== undefined ? [t.assistant.text] : [], ...(calls.length > 0 ? { calls } : {}) });
    if (calls.length > 0) push(items, { role: 'tool', results: calls.map((_, i) => ({ call: n + i, content: t.assistant!.results[i]! })) });
    n += calls.length;
  }
  push(items, { role: 'user', texts: [c.last] });
  return items;
}

/** A decoded call in the same form: ids as the calls' order, consecutive results together, a Gemini client's `{result}` unwrapped. */
function normalised(call: Call, jsonValues = false): Item[] {
  const ids: string[] = [];
  const items: Item[] = [];
  for (const m of call.messages) {
    if (m.role === 'tool') {
      push(items, { role: 'tool', results: m.parts.flatMap((p) => (p.type === 'tool_result' ? [{ call: ids.indexOf(p.callId), content: jsonValues ? asJsonValue(unwrap(p.content)) : unwrap(p.content) }] : [])) });
      continue;
    }
    const texts = m.parts.flatMap((p) => (p.type === 'text' ? [p.text] : []));
    const images = m.parts.flatMap((p) => (p.type === 'image' ? [p.data !== undefined ? `${p.mediaType};${p.data}` : `url:${p.url}`] : []));
    const calls = m.parts.flatMap((p) => (p.type === 'tool_call' ? [{ name: p.name, args: JSON.parse(p.arguments || '{}') as unknown, id: p.id }] : []));
    ids.push(...calls.map((c) => c.id));
    if (m.role === 'user' || m.role === 'assistant') push(items, { role: m.role, texts, ...(images.length > 0 ? { images } : {}), ...(calls.length > 0 ? { calls: calls.map(({ name, args }) => ({ name, args })) } : {}) });
  }
  return items;
}

/** A text as the JSON value it may be (a JSON string as its contents), for results that travel as Gemini's JSON. */
function asJsonValue(text: string): string {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'string' ? value : JSON.stringify(value);
  } catch {
    return text;
  }
}

/** Expected items as Gemini carries them: every result as the JSON value its text may be. */
function asGeminiCarries(items: Item[]): Item[] {
  return items.map((item) => (item.role === 'tool' ? { role: 'tool', results: item.results.map((r) => ({ call: r.call, content: asJsonValue(r.content) })) } : item));
}

/** A tool result's content as text: a Gemini client sends `{result: text}`, which is that text. */
function unwrap(content: unknown): string {
  const textOf = typeof content === 'string' ? content : Array.isArray(content) ? content.map((p: { text?: string }) => p.text ?? '').join('') : JSON.stringify(content);
  try {
    const parsed = JSON.parse(textOf) as unknown;
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) && Object.keys(parsed).length === 1 && typeof (parsed as { result?: unknown }).result === 'string') return (parsed as { result: string }).result;
  } catch {
    // plain text
  }
  return textOf;
}

/** lip's decoder of a provider's generation requests (the frontend of the kind's protocol). */
function decoderOf(kind: string): GenerateRoute {
  const frontend = FRONTENDS[kind]!;
  return frontend.routes.find((r) => !/count|embed|batch/i.test(r.path)) as GenerateRoute;
}

describe('fuzz: requests across the frontend x backend matrix (official SDK -> lip -> emulator -> decoded again)', function () {
  this.timeout(fuzzTimeout(2_000));
  let lip: RunningLip;
  let emulators: readonly Emulator[] = [];
  let running: LipOverKinds | undefined;
  before(async () => {
    running = await startLipOverKinds(USED, idOf);
    ({ lip, emulators } = running);
  });
  after(() => running?.close());

  for (const [frontend, driver] of Object.entries(CLIENT_DRIVERS)) {
    USED.forEach((k, i) => {
      it(`${frontend} -> ${k.kind}`, async () => {
        await fc.assert(fc.asyncProperty(conversation, fc.boolean(), async (c, stream) => {
          const emu = emulators[i]!;
          emu.reset();
          const request: ClientRequest = {
            model: `${idOf(k)}:model-x`, stream, messages: messagesOf(c), tools: TOOLS, maxOutputTokens: c.maxOutputTokens,
            ...(c.temperature !== undefined ? { temperature: c.temperature } : {}),
            ...(c.system !== undefined ? { system: c.system } : {}),
          };
          const answer = await driver.run(lip.url, request);
          expect(answer.error, 'the request was served').to.equal(undefined);
          const sent = emu.requests.find((r) => r.route === 'generate')!;
          const call = decoderOf(k.kind).decode(sent.body, { params: { model: 'model-x' }, query: new URLSearchParams(), headers: {} }).call;
          expect(call.system.map((p) => p.text).join(''), 'system').to.equal(c.system ?? '');
          const gemini = k.kind === 'gemini';
          expect(normalised(call, gemini), 'messages').to.deep.equal(gemini ? asGeminiCarries(expected(c)) : expected(c));
          expect(call.tools.map((t) => t.name), 'tools').to.deep.equal(TOOLS.map((t) => t.name));
          // The Responses API takes no fewer than 16 output tokens: a smaller limit is sent as 16.
          const limit = k.kind === 'openai-responses' && c.maxOutputTokens !== undefined ? Math.max(16, c.maxOutputTokens) : c.maxOutputTokens;
          expect(call.options.maxOutputTokens, 'output limit').to.equal(limit);
          expect(call.options.temperature, 'temperature').to.equal(c.temperature);
        }), fuzzParameters(0.1));
      });
    });
  }
});
