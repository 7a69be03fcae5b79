import { expect } from 'chai';
import { FRONTENDS } from '../../lib/frontends/registry.js';
import { KINDS, SHARED_USAGE, type KindCase } from '../backends/kinds.js';
import { CLIENT_DRIVERS, type ClientRequest } from '../helpers/clients/index.js';
import type { Emulator, Script } from '../helpers/emulators/index.js';
import { testConfig } from '../helpers/config.js';
import { FOLLOW_UP, QUESTION, TOOL_RESULT, TOOLS } from '../helpers/clients/follow-up.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

/**
 * How a client request reaches the upstream. A non-streaming client call asks the upstream for
 * one JSON answer (Target.whole) unless the plan needs its first token: the `sse-` alias puts a
 * leaf TTFT budget on the same candidate, which keeps the upstream request streamed.
 */
const MODES = [
  { name: 'streaming', stream: true, prefix: '', upstreamStreams: true },
  { name: 'non-streaming, upstream JSON', stream: false, prefix: '', upstreamStreams: false },
  { name: 'non-streaming, upstream streamed', stream: false, prefix: 'sse-', upstreamStreams: true },
] as const;
const ALIASES = `model_aliases: [{ pattern: "^sse-(.*)$", replacement: "[ttft_timeout=60s]$1" }]`;
/** The key every backend row of KINDS sends upstream; it must never reach a client or the log. */
const UPSTREAM_KEY = 'test-key-0123456789';

/**
 * Every frontend x every backend kind, through the official SDKs (the client drivers of
 * spec/helpers/clients) against lip, against each kind's wire-exact emulator: plain text with
 * usage (cache tokens), two parallel tool calls, a tool-result follow-up turn, reasoning with
 * signatures carried into the next turn, a length stop, an upstream 400 and an upstream reset
 * after output (in-band error). Text, tool calls, length stops and 400s run in three MODES (streaming;
 * non-streaming with the upstream answering JSON; non-streaming with the upstream forced to
 * stream), reasoning both ways, and each asserts the upstream wire mode. No network, no keys.
 */
describe('e2e: the frontend x backend matrix through the official SDKs', function () {
  let lip: RunningLip;
  const emulators = new Map<string, Emulator>();
  before(async () => {
    for (const k of KINDS) emulators.set(k.kind, await k.start());
    const rows = KINDS.map((k) => k.row(idOf(k), emulators.get(k.kind)!)).join('\n');
    lip = await startLip(testConfig(rows, `logging: { access_log: true }\nrouting: { default_route: "${idOf(KINDS[0]!)}:model-x" }\n${ALIASES}`));
  });
  after(async () => {
    await lip?.close();
    await Promise.all([...emulators.values()].map((e) => e.close()));
  });

  after(() => {
    expect(lip.logs.some((line) => line.status === 400), 'the upstream 400s were logged').to.equal(true);
    expect(JSON.stringify(lip.logs)).not.to.contain(UPSTREAM_KEY);
  });

  for (const frontend of Object.keys(FRONTENDS)) {
    const driver = CLIENT_DRIVERS[frontend];
    for (const k of KINDS) {
      describe(`${frontend} -> ${k.kind}`, () => {
        const model = `${idOf(k)}:model-x`;
        let emu: Emulator;
        beforeEach(function () {
          if (!driver) throw new Error(`no client driver for the frontend "${frontend}" in spec/helpers/clients`);
          emu = emulators.get(k.kind)!;
          emu.reset();
          emu.handler = undefined;
        });
        const send = (request: Partial<ClientRequest>, script: Script) => {
          emu.enqueue(script);
          return driver!.run(lip.url, { model, stream: true, messages: [{ role: 'user', text: QUESTION }], ...request });
        };
        /** Every generation request went upstream in the mode's wire form (stream flag, Gemini path). */
        const expectUpstream = (streams: boolean) => {
          const generations = emu.requests.filter((r) => r.route === 'generate');
          expect(generations.map((r) => r.stream), 'upstream streamed').to.deep.equal(generations.map(() => streams || k.streamsOnly === true));
          expect(generations.length).to.be.greaterThan(0);
        };

        for (const { name: mode, stream, prefix, upstreamStreams } of MODES) {
          const send2 = (request: Partial<ClientRequest>, script: Script) => send({ stream, model: `${prefix}${model}`, ...request }, script);

          it(`plain text with usage and cache tokens (${mode})`, async () => {
            const r = await send2({}, { text: ['Hello', ' there'], usage: SHARED_USAGE });
            expect(r.error).to.equal(undefined);
            expect(r.text).to.equal('Hello there');
            expect(r.finishReason).to.equal('stop');
            for (const field of driver!.usageFields) {
              if (k.usage[field] !== undefined) expect(r.usage?.[field], field).to.equal(k.usage[field]);
            }
            expectUpstream(upstreamStreams);
          });

          it(`two parallel tool calls (${mode})`, async () => {
            const r = await send2({ tools: TOOLS }, {
              toolCalls: [{ id: 'call_a', name: 'get_weather', args: ['{"city":', '"Paris"}'] }, { id: 'call_b', name: 'get_time', args: '{"zone":"CET"}' }],
            });
            expect(r.error).to.equal(undefined);
            expect(r.toolCalls.map((c) => [c.name, c.args])).to.deep.equal([['get_weather', { city: 'Paris' }], ['get_time', { zone: 'CET' }]]);
            expect(new Set(r.toolCalls.map((c) => c.id)).size).to.equal(2);
            expect(r.finishReason).to.equal('tool_calls');
            expectUpstream(upstreamStreams);
          });

          it(`a length stop (${mode})`, async () => {
            const r = await send2({ maxOutputTokens: 5 }, { text: 'cut sho', finish: 'length' });
            expect(r.error).to.equal(undefined);
            expect(r.text).to.equal('cut sho');
            expect(r.finishReason).to.equal('length');
            expectUpstream(upstreamStreams);
          });

          it(`an upstream 400 is surfaced with its status, without the upstream key (${mode})`, async () => {
            const r = await send2({}, { status: 400, error: { message: `messages: unsupported content (key ${UPSTREAM_KEY})` } });
            expect(r.error?.status).to.equal(400);
            expect(r.error?.message).to.contain('messages: unsupported content');
            expect(r.error?.message).not.to.contain(UPSTREAM_KEY);
            expectUpstream(upstreamStreams);
          });
        }

        it('a tool-result follow-up turn reaches the upstream as tool history', async () => {
          const r = await send({
            tools: TOOLS,
            messages: [
              { role: 'user', text: QUESTION },
              { role: 'assistant', toolCalls: [{ id: 'call_1', name: 'get_weather', args: { city: 'Paris' } }] },
              { role: 'tool', callId: 'call_1', name: 'get_weather', content: TOOL_RESULT },
            ],
          }, { text: 'It is 21 degrees.' });
          expect(r.error).to.equal(undefined);
          expect(r.text).to.equal('It is 21 degrees.');
          const history = k.toolHistory(emu.requests[0]!);
          expect(history.calls).to.deep.equal([{ name: 'get_weather', args: { city: 'Paris' } }]);
          expect(history.results).to.have.length(1);
          expect(history.results[0]).to.contain('21');
        });

        for (const stream of [true, false]) it(`reasoning with signatures is carried into the next turn (whole, through every protocol; ${stream ? 'streaming' : 'non-streaming, upstream JSON'})`, async () => {
          const first = await send({ stream, tools: TOOLS, reasoning: true }, {
            reasoning: k.reasoning, toolCalls: [{ id: 'call_r', name: 'get_weather', args: '{"city":"Paris"}', signature: 'ts-call' }],
          });
          expect(first.error).to.equal(undefined);
          expect(first.toolCalls).to.have.length(1);
          emu.enqueue({ text: 'Sunny.' });
          await FOLLOW_UP[frontend]!(lip.url, model, first);
          const replayed = k.replayedReasoning(emu.requests[1]!);
          // Opaque state comes back whole through every client protocol (spec/e2e/provider-state.spec.ts);
          // so does Chat reasoning text, which a client of another protocol hands back as plain reasoning.
          expect(replayed).to.deep.equal(k.ownReplay);
          expect(k.toolHistory(emu.requests[1]!).calls).to.deep.equal([{ name: 'get_weather', args: { city: 'Paris' } }]);
          // The follow-up is a non-streaming SDK call: its upstream request asked for JSON.
          expect(emu.requests.map((r) => r.stream)).to.deep.equal(k.streamsOnly ? [true, true] : [stream, false]);
        });

        it('an upstream reset after output ends the stream with the protocol\'s in-band error', async () => {
          const r = await send({}, { text: ['partial ', 'answer'], fault: { reset: 'after_output' } });
          expect(r.text).to.equal('partial ');
          expect(r.error, 'in-band error').not.to.equal(undefined);
        });
      });
    }
  }
});

/** The backend id of a kind in the matrix config. */
function idOf(k: KindCase): string {
  return k.kind.replace('openai-', 'oa-');
}
