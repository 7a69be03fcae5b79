import { expect } from 'chai';
import type { ChatCompletion } from 'openai/resources/chat/completions';
import { FRONTENDS } from '../../lib/frontends/registry.js';
import { plainCallId } from '../../lib/frontends/state-envelope.js';
import { KINDS, type KindCase } from '../backends/kinds.js';
import { CLIENT_DRIVERS, type ClientResult } from '../helpers/clients/index.js';
import { FOLLOW_UP, QUESTION, TOOLS } from '../helpers/clients/follow-up.js';
import type { RecordedRequest, Script } from '../helpers/emulators/index.js';
import type { RunningLip } from '../helpers/lip.js';
import { useStateCheckingKinds } from '../helpers/state-checking-kinds.js';

/** Every token a kind's turn hands out, as the emulators write them (KINDS' reasoning scripts plus a signed call). */
const SECRETS = ['sig-1', 'redacted-blob', 'enc-opaque', 'ts-1', 'ts-call'];
const idOf = (k: KindCase) => `st-${k.kind}`;
const kind = (name: string) => KINDS.find((k) => k.kind === name)!;
/** Turn 1: reasoning (the kind's own tokens) and a tool call (Gemini signs it). */
const turnOne = (k: KindCase): Script => ({ reasoning: k.reasoning, toolCalls: [{ id: 'call_r', name: 'get_weather', args: '{"city":"Paris"}', signature: 'ts-call' }] });
/** Turn 1 with interleaved thinking: the kind's reasoning, a call, more signed thinking, a second call. */
const interleaved = (k: KindCase): Script => ({
  reasoning: k.reasoning,
  toolCalls: [
    { id: 'call_r', name: 'get_weather', args: '{"city":"Paris"}' },
    { id: 'call_t', name: 'get_time', args: '{"zone":"CET"}', reasoning: { text: ['Now the ', 'time.'], signature: 'sig-2' } },
  ],
});
/** An Anthropic or Bedrock request's assistant turns in order: thinking by signature, redacted thinking by data, calls by name (text left out). */
const assistantOrder = (request: RecordedRequest): string[] => (request.body.messages as { role: string; content: Record<string, any>[] }[])
  .filter((m) => m.role === 'assistant').flatMap((m) => m.content).flatMap((b) => {
    const label = b.type === 'thinking' ? b.signature : b.type === 'redacted_thinking' ? b.data : b.type === 'tool_use' ? b.name
      : b.reasoningContent?.reasoningText?.signature ?? b.reasoningContent?.redactedContent ?? b.toolUse?.name;
    return typeof label === 'string' ? [label] : [];
  });

/**
 * Provider state survives a client round trip through every client protocol (issue #14). For
 * each client protocol x backend kind, through the official SDKs: turn 1 yields reasoning and a
 * tool call; the client sends its own output back with the tool result; the emulator, with
 * `checkState` on, refuses the follow-up as the real provider does if any token it issued is
 * missing or altered (Anthropic thinking signature and redacted data, OpenAI encrypted reasoning
 * with its item id, Gemini thoughtSignature on the functionCall part, Bedrock's reasoning
 * signature and redacted content). OpenAI Chat issues no state: its tool-call ids stay plain.
 * Anthropic's interleaved thinking (thinking between a turn's tool calls, Claude on Bedrock too)
 * comes back whole, the thinking before a call before that call.
 * Then: dropping or altering a token gets the provider's 400; a forged envelope gets lip's 400;
 * and state of one dialect is never sent to a backend of another (failover across providers).
 */
describe('e2e: provider state survives a round trip through every client protocol', function () {
  const kinds = useStateCheckingKinds(idOf);
  const emulators = kinds.emulators;
  let lip: RunningLip;
  before(() => {
    lip = kinds.lip();
  });

  const first = async (frontend: string, k: KindCase, stream: boolean): Promise<ClientResult> => {
    emulators.get(k.kind)!.enqueue(turnOne(k));
    const r = await CLIENT_DRIVERS[frontend]!.run(lip.url, { model: `${idOf(k)}:model-x`, stream, tools: TOOLS, reasoning: true, messages: [{ role: 'user', text: QUESTION }] });
    expect(r.error, JSON.stringify(r.error)).to.equal(undefined);
    expect(r.toolCalls.map((c) => c.name)).to.deep.equal(['get_weather']);
    return r;
  };

  for (const frontend of Object.keys(FRONTENDS)) {
    for (const k of KINDS) {
      for (const stream of [true, false]) {
        it(`${frontend} client -> ${k.kind}: every token of a ${stream ? 'streamed' : 'whole'} turn comes back verbatim`, async () => {
          const emu = emulators.get(k.kind)!;
          const r = await first(frontend, k, stream);
          emu.enqueue({ text: 'Sunny.' });
          await FOLLOW_UP[frontend]!(lip.url, `${idOf(k)}:model-x`, r); // the SDK throws on the emulator's refusal
          const replay = emu.requests[1]!;
          if (k.kind === 'openai-chat') {
            // No opaque state: nothing is sealed into what the client sees.
            if (frontend !== 'gemini') expect(r.toolCalls[0]!.id).to.equal('call_r');
            expect(JSON.stringify(r.raw)).not.to.contain('lip1');
          } else {
            expect(k.replayedReasoning(replay)).to.deep.equal(k.ownReplay);
          }
          if (k.kind === 'openai-responses') {
            // The reasoning's summary goes back with its encrypted content (a whole answer to a Chat client once lost it).
            const items = (replay.body.input as { type: string; summary?: { text: string }[] }[]).filter((i) => i.type === 'reasoning');
            expect(items.map((i) => i.summary?.map((p) => p.text))).to.deep.equal([['Thinking']]);
          }
          expect(replay.raw, 'no envelope reaches the upstream').not.to.contain('lip1');
          expect(k.toolHistory(replay).calls).to.deep.equal([{ name: 'get_weather', args: { city: 'Paris' } }]);
        });
      }
    }
  }

  // Anthropic's interleaved thinking (Claude on Bedrock too): the turn's thinking after its first
  // call must come back, unchanged, with the rest of the turn's.
  for (const frontend of Object.keys(FRONTENDS)) {
    for (const k of [kind('anthropic'), kind('bedrock')]) {
      for (const stream of [true, false]) {
        it(`${frontend} client -> ${k.kind}: a ${stream ? 'streamed' : 'whole'} turn's thinking between its tool calls comes back before its call`, async () => {
          const emu = emulators.get(k.kind)!;
          emu.enqueue(interleaved(k));
          const r = await CLIENT_DRIVERS[frontend]!.run(lip.url, { model: `${idOf(k)}:model-x`, stream, tools: TOOLS, reasoning: true, messages: [{ role: 'user', text: QUESTION }] });
          expect(r.error, JSON.stringify(r.error)).to.equal(undefined);
          expect(r.toolCalls.map((c) => c.name)).to.deep.equal(['get_weather', 'get_time']);
          emu.enqueue({ text: 'Sunny.' });
          await FOLLOW_UP[frontend]!(lip.url, `${idOf(k)}:model-x`, r); // the emulator refuses a turn that lacks any of its thinking
          // A Converse turn's reasoning goes ahead of its tool use (bedrock/encode-messages.ts).
          const order = k.kind === 'bedrock' ? ['sig-1', 'redacted-blob', 'sig-2', 'get_weather', 'get_time'] : ['sig-1', 'redacted-blob', 'get_weather', 'sig-2', 'get_time'];
          expect(assistantOrder(emu.requests[1]!)).to.deep.equal(order);
        });
      }
    }
  }

  describe('the emulators refuse a follow-up that lacks or alters a token they issued', () => {
    for (const k of KINDS.filter((c) => c.kind !== 'openai-chat')) {
      it(`${k.kind}: a Chat client that drops the state from its tool-call ids gets the provider's 400`, async () => {
        const r = await first('openai-chat', k, true);
        const raw = structuredClone(r.raw) as ChatCompletion;
        const call = raw.choices[0]!.message.tool_calls![0]! as { id: string };
        expect(call.id, 'the id carries the state').to.not.equal(plainCallId(call.id));
        call.id = plainCallId(call.id);
        const stripped = { ...r, raw, toolCalls: [{ ...r.toolCalls[0]!, id: call.id }] };
        const err = await FOLLOW_UP['openai-chat']!(lip.url, `${idOf(k)}:model-x`, stripped).then(() => undefined, (e: { status?: number; message?: string }) => e);
        expect(err?.status, 'refused').to.equal(400);
        expect(emulators.get(k.kind)!.requests).to.have.length(2);
      });
    }

    it('anthropic: an altered thinking signature is refused', async () => {
      const k = kind('anthropic');
      const r = await first('anthropic', k, false);
      const raw = structuredClone(r.raw) as { content: { type: string; signature?: string }[] };
      raw.content.find((b) => b.type === 'thinking')!.signature = 'sig-2';
      const err = await FOLLOW_UP.anthropic!(lip.url, `${idOf(k)}:model-x`, { ...r, raw }).then(() => undefined, (e: { status?: number; message?: string }) => e);
      expect(err?.status).to.equal(400);
      expect(err?.message).to.contain('Invalid `signature` in `thinking` block');
    });

    it('gemini: a functionCall part without its thoughtSignature is refused', async () => {
      const k = kind('gemini');
      const r = await first('gemini', k, false);
      const raw = structuredClone(r.raw) as { candidates: { content: { parts: Record<string, unknown>[] } }[] };
      for (const part of raw.candidates[0]!.content.parts) if (part.functionCall) delete part.thoughtSignature;
      const err = await FOLLOW_UP.gemini!(lip.url, `${idOf(k)}:model-x`, { ...r, raw }).then(() => undefined, (e: { status?: number; message?: string }) => e);
      expect(err?.status).to.equal(400);
      expect(err?.message).to.contain('missing a thought_signature');
    });
  });

  describe('a forged envelope is a clean 400 from lip, never a crash', () => {
    const forged: Record<string, string> = {
      anthropic: JSON.stringify({ model: 'st-anthropic:model-x', max_tokens: 10, messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: [{ type: 'thinking', thinking: 't', signature: 'lip1.anthropic.thinking.%%%' }] }, { role: 'user', content: 'again' }] }),
      gemini: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'q' }] }, { role: 'model', parts: [{ text: '', thought: true, thoughtSignature: Buffer.from('lip1.x.bm90IGpzb24').toString('base64') }] }, { role: 'user', parts: [{ text: 'again' }] }] }),
      'openai-chat': JSON.stringify({ model: 'st-anthropic:model-x', messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: null, tool_calls: [{ id: 'call_1_lip1_WyJub3QiXQ', type: 'function', function: { name: 'f', arguments: '{}' } }] }, { role: 'tool', tool_call_id: 'call_1_lip1_WyJub3QiXQ', content: 'r' }] }),
      'openai-responses': JSON.stringify({ model: 'st-anthropic:model-x', input: [{ role: 'user', content: 'q' }, { type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: 'lip1.openai.responses.reasoning.eyJvIjo1fQ' }] }),
    };
    const paths: Record<string, string> = {
      anthropic: '/v1/messages', gemini: '/v1beta/models/st-anthropic:model-x:generateContent', 'openai-chat': '/v1/chat/completions', 'openai-responses': '/v1/responses',
    };
    for (const frontend of Object.keys(FRONTENDS)) {
      it(`${frontend}`, async () => {
        const res = await fetch(`${lip.url}${paths[frontend]}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer k', 'x-api-key': 'k' }, body: forged[frontend] });
        expect(res.status).to.equal(400);
        expect(await res.text()).to.contain('lip state envelope');
        expect(emulators.get('anthropic')!.requests).to.have.length(0);
      });
    }
  });

  describe('state goes home to its own dialect only (a conversation that moves to another provider)', () => {
    for (const frontend of Object.keys(FRONTENDS)) {
      it(`${frontend} client: a follow-up that fails over from anthropic to gemini sends the tokens to anthropic only`, async () => {
        const anthropic = emulators.get('anthropic')!;
        const gemini = emulators.get('gemini')!;
        const r = await first(frontend, kind('anthropic'), true);
        anthropic.enqueue({ status: 503, error: { message: 'overloaded', type: 'overloaded_error' } });
        gemini.enqueue({ text: 'Sunny.' });
        await FOLLOW_UP[frontend]!(lip.url, 'st-anthropic:model-x|st-gemini:model-x', r);
        expect(kind('anthropic').replayedReasoning(anthropic.requests[1]!), 'the own provider gets them verbatim').to.deep.equal(kind('anthropic').ownReplay);
        const raw = gemini.requests[0]!.raw;
        for (const secret of SECRETS) expect(raw, secret).not.to.contain(secret);
        expect(raw).not.to.contain('lip1');
      });
    }

    const moves: [string, string][] = [['anthropic', 'gemini'], ['gemini', 'anthropic'], ['openai-responses', 'bedrock'], ['bedrock', 'openai-responses']];
    for (const frontend of Object.keys(FRONTENDS)) {
      for (const [from, to] of moves) {
        it(`${frontend} client: ${from} turn, follow-up on ${to}: none of ${from}'s tokens reach ${to}`, async () => {
          const r = await first(frontend, kind(from), true);
          const target = emulators.get(to)!;
          target.enqueue({ text: 'Sunny.' });
          await FOLLOW_UP[frontend]!(lip.url, `${idOf(kind(to))}:model-x`, r); // the target refuses any token it did not issue
          const raw = target.requests[0]!.raw;
          for (const secret of SECRETS) expect(raw, secret).not.to.contain(secret);
          expect(raw).not.to.contain('lip1');
          expect(kind(to).toolHistory(target.requests[0]!).calls).to.deep.equal([{ name: 'get_weather', args: { city: 'Paris' } }]);
        });
      }
    }
  });
});
