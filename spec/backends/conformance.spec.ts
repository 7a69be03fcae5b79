import { expect } from 'chai';
import { performance } from 'node:perf_hooks';
import { collectEvents, emptyCall, type Call, type LipEvent } from '../../lib/canonical/index.js';
import type { Runtime } from '../../lib/core/runtime.js';
import { backendOf, drain, runtimeFor, type Emulator } from '../helpers/emulators/index.js';
import { KINDS, SHARED_USAGE } from './kinds.js';

const MODEL = 'model-x';
const hello = (overrides: Partial<Call> = {}): Call => emptyCall({ model: MODEL, stream: true, messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }], ...overrides });
const tools = [
  { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
  { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string' } } } },
];

/**
 * One suite, every HTTP backend kind against its wire-exact emulator: the same scenarios, the
 * same canonical expectations; only what the protocols genuinely differ in comes from KINDS.
 * Every stream is checked against the canonical SequenceValidator. Each kind runs twice: with
 * a streamed upstream request, and with `Target.whole` (one JSON answer, what a non-streaming
 * client gets); every request's recorded wire mode is asserted, and where the two ways differ
 * (faults after output, a truncated body) the expectation says how.
 */
// A kind whose upstream only streams (openai-codex) has no whole mode of its own to test.
for (const k of KINDS) for (const whole of k.streamsOnly ? [false] : [false, true]) {
  const mode = whole ? 'whole JSON answer' : 'streamed';
  const target = { model: MODEL, candidateKey: `b:${MODEL}`, ...(whole ? { whole } : {}) };
  describe(`backends/${k.kind}: conformance against the emulator (${mode})`, () => {
    let emu: Emulator;
    let runtime: Runtime;
    before(async () => {
      emu = await k.start();
      runtime = runtimeFor(k.row('b', emu));
    });
    beforeEach(() => {
      emu.reset();
      emu.handler = undefined;
    });
    afterEach(function () {
      // Every generation went out in the mode under test (stream: true / false, Gemini's path).
      const generations = emu.requests.filter((r) => r.route === 'generate');
      if (this.currentTest?.state === 'passed') expect(generations.map((r) => r.stream)).to.deep.equal(generations.map(() => !whole));
    });
    after(async () => {
      await runtime.close();
      await emu.close();
    });
    const run = (call: Call = hello()) => drain(backendOf(runtime, 'b').stream(call, target));

    it('streams plain text with the response id, the model and canonical usage', async () => {
      emu.enqueue({ id: 'up-1', model: 'model-x-001', text: ['Hello', ', world'], usage: SHARED_USAGE });
      const { events, error, violations } = await run();
      expect(error).to.equal(undefined);
      expect(violations).to.deep.equal([]);
      expect(events[0]).to.deep.equal(k.identity === false ? { type: 'response_started' } : { type: 'response_started', id: 'up-1', model: 'model-x-001' });
      // A whole answer has the text in one piece (Gemini's keeps one part per streamed chunk).
      const texts = whole && k.kind !== 'gemini' ? [{ type: 'text_delta', text: 'Hello, world' }] : [{ type: 'text_delta', text: 'Hello' }, { type: 'text_delta', text: ', world' }];
      expect(events.filter((e) => e.type === 'text_delta')).to.deep.equal(texts);
      const collected = collectEvents(events);
      expect(collected.usage).to.deep.equal(k.usage);
      expect(collected.finishReason).to.equal('stop');
      expect(emu.requests[0]!.path).to.equal(whole ? k.path(MODEL).replace(':streamGenerateContent', ':generateContent').replace(/\/converse-stream$/, '/converse') : k.path(MODEL));
      expect(emu.requests[0]!.headers.accept).to.equal(whole ? 'application/json' : k.streamAccept ?? 'text/event-stream');
    });

    it('reassembles two parallel tool calls and finishes with tool_calls', async () => {
      emu.enqueue({ toolCalls: [{ id: 'call_a', name: 'get_weather', args: ['{"city":', '"Paris"}'] }, { id: 'call_b', name: 'get_time', args: '{"zone":"CET"}' }] });
      const { events, violations } = await run(hello({ tools }));
      expect(violations).to.deep.equal([]);
      const collected = collectEvents(events);
      expect(collected.toolCalls.map((c) => [c.name, JSON.parse(c.arguments)])).to.deep.equal([['get_weather', { city: 'Paris' }], ['get_time', { zone: 'CET' }]]);
      expect(new Set(collected.toolCalls.map((c) => c.id)).size).to.equal(2);
      expect(collected.finishReason).to.equal('tool_calls');
    });

    it('streams reasoning in its own dialect (signatures, opaque payloads)', async () => {
      emu.enqueue({ reasoning: k.reasoning, text: 'Answer.' });
      // A whole answer with a budget that an Anthropic backend still takes unstreamed (see anthropic/source.spec.ts).
      const { events, violations } = await run(hello({ options: { reasoning: whole ? { budgetTokens: 2048 } : { effort: 'high' } } }));
      expect(violations).to.deep.equal([]);
      expect(events.filter((e) => e.type.startsWith('reasoning'))).to.deep.equal(whole ? joinedReasoning(k.reasoningEvents) : k.reasoningEvents);
      expect(events.findIndex((e) => e.type === 'text_delta')).to.be.greaterThan(events.findIndex((e) => e.type === 'reasoning_delta'));
    });

    it('replays its own reasoning, the tool call and the tool result in the next turn', async () => {
      emu.enqueue({ text: 'It is 21 degrees.' });
      const { error } = await run(hello({ messages: k.history, tools }));
      expect(error).to.equal(undefined);
      k.checkReplay(emu.requests[0]!);
    });

    it('maps a length stop', async () => {
      emu.enqueue({ text: 'cut sh', finish: 'length' });
      const { events } = await run(hello({ options: { maxOutputTokens: 3 } }));
      expect(events.at(-1)).to.deep.include({ type: 'response_finished', reason: 'length' });
    });

    it('surfaces an upstream 400 with its status, not retryable', async () => {
      emu.enqueue({ status: 400, error: { message: 'tools[0].parameters is invalid' } });
      const { events, error } = await run();
      expect(events).to.deep.equal([]);
      expect(error).to.include({ code: 'LIP_ERR_UPSTREAM_STATUS', status: 400, retryable: false });
      expect(error!.message).to.contain('tools[0].parameters is invalid');
    });

    it('treats 5xx, 408 and 409 as retryable', async () => {
      for (const status of [500, 503, 408, 409]) {
        emu.enqueue({ status });
        const { error } = await run();
        expect(error).to.include({ code: 'LIP_ERR_UPSTREAM_STATUS', status: k.clientStatus?.(status) ?? status, retryable: true });
        expect(error!.detail).to.deep.include({ upstream_status: status });
      }
    });

    it('reports a reset after output as LIP_ERR_UPSTREAM_RESET, after the output that arrived', async () => {
      emu.enqueue({ text: ['one', 'two', 'three'], fault: { reset: 'after_output' } });
      const { events, error, violations } = await run();
      expect(violations).to.deep.equal([]);
      // A whole answer cut in the middle has delivered nothing: the reset stays retryable.
      expect(events.filter((e) => e.type === 'text_delta')).to.deep.equal(whole ? [] : [{ type: 'text_delta', text: 'one' }]);
      expect(error).to.include({ code: 'LIP_ERR_UPSTREAM_RESET' });
      if (whole) expect(error!.retryable).to.equal(true);
    });

    it('fails over-able before output: reset before the first byte, a body cut before any output', async () => {
      emu.enqueue({ fault: { reset: 'before_first_byte' } }, { fault: { reset: 'after_first_byte' } });
      if (!whole) emu.enqueue({ text: 'x', fault: { endAt: 0 } });
      for (let i = 0; i < (whole ? 2 : 3); i++) {
        const { events, error } = await run();
        expect(events.some((e: LipEvent) => e.type === 'text_delta')).to.equal(false);
        expect(error!.retryable, error!.code).to.equal(true);
      }
    });

    if (whole) {
      it('rejects a whole answer that ends cleanly but cut short as LIP_ERR_UPSTREAM_MALFORMED', async () => {
        emu.enqueue({ text: 'x', fault: { endAt: 0 } });
        const { events, error } = await run();
        expect(events).to.deep.equal([]);
        expect(error).to.include({ code: 'LIP_ERR_UPSTREAM_MALFORMED' });
        expect(error!.message).to.contain('not JSON');
      });

      it('rejects a whole answer over http_client.max_line_bytes as LIP_ERR_UPSTREAM_LIMIT_EXCEEDED', async () => {
        const small = runtimeFor(k.row('b', emu), {}, 'http_client: { max_line_bytes: 64KiB }');
        try {
          emu.enqueue({ text: 'x', fault: { hugeLine: { bytes: 256 * 1024 } } });
          const { error } = await drain(backendOf(small, 'b').stream(hello(), target));
          expect(error).to.include({ code: 'LIP_ERR_UPSTREAM_LIMIT_EXCEEDED' });
        } finally {
          await small.close();
        }
      });
    }

    if (!whole) it('rejects a JSON answer to a streamed request', async () => {
      // A server that ignores `stream: true` answers one JSON body.
      emu.enqueue({ headers: { 'content-type': 'application/json' }, rawFrames: ['{"not":"sse"}'] });
      const { error } = await run();
      expect(error).to.include({ code: 'LIP_ERR_UPSTREAM_MALFORMED' });
      expect(error!.message).to.contain('instead of an event stream');
    });

    it('rejects a malformed frame', async () => {
      emu.enqueue({ text: ['a', 'b'], fault: { malformedAt: 1 } });
      expect((await run()).error).to.include({ code: 'LIP_ERR_UPSTREAM_MALFORMED' });
    });

    it(`turns an in-band upstream error ${whole ? 'in a 200 body' : 'after output'} into LIP_ERR_UPSTREAM_STREAM_ERROR`, async () => {
      emu.enqueue({ text: 'partial', streamError: { message: 'upstream broke' } });
      const { events, error, violations } = await run();
      expect(violations).to.deep.equal([]);
      expect(events.some((e) => e.type === 'text_delta')).to.equal(!whole);
      expect(error).to.include({ code: 'LIP_ERR_UPSTREAM_STREAM_ERROR' });
      expect(error!.message).to.contain('upstream broke');
    });

    // The emulator reports a close only when it comes before the response ended: awaiting it
    // proves the unsubscribe cut the stream short (no wall-clock bound; see docs/reliability.md).
    if (whole) {
      it('closes the upstream connection on an unsubscribe while the whole answer is awaited', async () => {
        emu.enqueue({ text: 'never', fault: { stall: 'before_first_token' } });
        const closed = emu.nextClose();
        const events: LipEvent[] = [];
        const sub = backendOf(runtime, 'b').stream(hello(), target).subscribe((event) => events.push(event));
        await until(() => emu.requests.length === 1);
        sub.unsubscribe();
        await closed;
        expect(events).to.deep.equal([]);
        expect(emu.closes).to.have.length(1);
      });
    } else it('closes the upstream connection on an unsubscribe, before the stream could end', async () => {
      emu.enqueue({ text: ['a', 'b', 'c', 'd', 'e', 'f', 'g'], dripMs: 30 });
      const closed = emu.nextClose();
      let at = 0;
      await new Promise<void>((resolve) => {
        const sub = backendOf(runtime, 'b').stream(hello(), target).subscribe((event) => {
          if (event.type === 'text_delta') {
            at = performance.now();
            sub.unsubscribe();
            resolve();
          }
        });
      });
      const close = await closed;
      expect(close.at).to.be.at.least(at);
      expect(emu.closes).to.have.length(1);
    });

    if (!whole && k.liveModels === false) it('has no live model list (its inventory is the configured models)', () => {
      expect(backendOf(runtime, 'b').listModels).to.equal(undefined);
      expect(backendOf(runtime, 'b').models.length).to.be.greaterThan(0);
    });
    if (!whole && k.liveModels !== false) it('lists the upstream models with its key', async () => {
      emu.models = ['m-2', 'm-1'];
      expect(await backendOf(runtime, 'b').listModels!()).to.deep.equal(['m-1', 'm-2']);
      expect(emu.requests[0]).to.include({ method: 'GET', key: k.recordedKey ?? 'test-key-0123456789' });
    });
  });
}

/** The reasoning events of a whole answer: each block's deltas arrive as one. */
function joinedReasoning(events: readonly LipEvent[]): LipEvent[] {
  const out: LipEvent[] = [];
  for (const e of events) {
    const last = out[out.length - 1];
    if (e.type === 'reasoning_delta' && last?.type === 'reasoning_delta') out[out.length - 1] = { type: 'reasoning_delta', text: last.text + e.text };
    else out.push(e);
  }
  return out;
}

/** Resolves once `check` holds (polled every few milliseconds; the mocha timeout bounds it). */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
}
