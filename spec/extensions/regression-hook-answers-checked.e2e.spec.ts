import { expect } from 'chai';
import type { LipEvent } from '../../lib/canonical/index.js';
import type { CompletionGate, EventMutator, StreamObserver, ToolReactor } from '../../lib/extensions/sdk.js';
import { CLIENT_DRIVERS, type ClientResult, type ClientTool } from '../helpers/clients/index.js';
import { chatUpstreamConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator, type Script } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { bundles, useTestFeatures } from './test-feature.js';

/** What the fail_open hooks of `test-hooks` answer in one scenario (each unset one passes). */
interface Answers {
  readonly appliesTo?: NonNullable<StreamObserver['appliesTo']>;
  readonly mutate?: EventMutator['mutate'];
  readonly react?: ToolReactor['react'];
  readonly gate?: CompletionGate['gate'];
}

interface Scenario {
  readonly name: string;
  readonly tools?: true;
  readonly answers: Answers;
  /** The hook whose failure is logged. */
  readonly hook: string;
}

const TOOLS: ClientTool[] = [{ name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }];
const TEXT: Script = { text: 'hi there', usage: { input: 3, output: 2 } };
const TOOL_CALL: Script = { toolCalls: [{ id: 'call_1', name: 'get_weather', args: '{"city":"x"}' }], finish: 'tool_calls' };
const malformed = (events: readonly Record<string, unknown>[]) => events as unknown as LipEvent[];
const whole = (...events: Record<string, unknown>[]) => malformed([{ type: 'response_started' }, { type: 'message_started' }, ...events]);

const SCENARIOS: Scenario[] = [
  {
    name: 'a tool reactor replaces the call with a tool call without its id', tools: true, hook: 'reactor',
    answers: { react: () => ({ action: 'replace', events: malformed([{ type: 'tool_call_started', name: 'get_weather' }, { type: 'tool_call_delta', args: '{}' }, { type: 'tool_call_finished' }]) }) },
  },
  {
    name: 'a tool reactor replaces the call with a tool call without its name', tools: true, hook: 'reactor',
    answers: { react: () => ({ action: 'replace', events: malformed([{ type: 'tool_call_started', id: 'call_zz' }, { type: 'tool_call_finished', id: 'call_zz' }]) }) },
  },
  {
    name: 'a completion gate replaces the answer with a tool call without its id', tools: true, hook: 'gate',
    answers: { gate: () => ({ action: 'replace', events: whole({ type: 'tool_call_started', name: 'get_weather' }, { type: 'tool_call_delta', args: '{}' }, { type: 'tool_call_finished' }, { type: 'response_finished', reason: 'tool_calls' }) }) },
  },
  {
    name: 'a completion gate rejects with a message that cannot be made text', hook: 'gate',
    answers: { gate: () => ({ action: 'reject', message: { toString() { throw new Error('no text'); } } as unknown as string }) },
  },
  {
    name: 'a completion gate answers an object whose action throws when read', hook: 'gate',
    answers: { gate: () => Object.defineProperty({}, 'action', { get() { throw new Error('no action'); } }) as ReturnType<CompletionGate['gate']> },
  },
  {
    name: 'an event mutator answers usage null', hook: 'mutator',
    answers: { mutate: (e) => (e.type === 'usage' ? { type: 'usage', usage: null } as unknown as LipEvent : e) },
  },
  {
    name: 'an event mutator answers usage that is not counted in numbers', hook: 'mutator',
    answers: { mutate: (e) => (e.type === 'usage' ? { type: 'usage', usage: { inputTokens: 'many', outputTokens: -5 } } as unknown as LipEvent : e) },
  },
  {
    name: 'an event mutator empties a tool call\'s name', tools: true, hook: 'mutator',
    answers: { mutate: (e) => (e.type === 'tool_call_started' ? { ...e, name: '' } : e) },
  },
  {
    name: 'a fail_open stream observer\'s appliesTo throws', hook: 'observer',
    answers: { appliesTo: () => { throw new Error('appliesTo bug'); } },
  },
];

/**
 * Found by probing the extension hooks: answers of fail_open hooks that the stage checks let
 * through, or that broke the checks themselves. A tool reactor's or a gate's replacement tool
 * call without its id went out as `"id":undefined` in Chat and Anthropic streams (invalid JSON:
 * the official SDKs threw) and without any id in whole answers. Each is now that hook's failure:
 * the hook is skipped, the failure logged with its name, and every client gets the upstream's
 * own answer. A gate's answer that threw when read (a reject message whose `toString` throws, a
 * getter) failed every request with a 500, whatever the gate's failure mode, and so did a stream
 * hook whose `appliesTo` threw. An event mutator was
 * checked only for the string fields of some types: usage null failed the request with a 500
 * that no log line tied to the hook, and usage counted in strings or an empty tool name went out
 * to the client.
 */
describe('regression: a hook\'s malformed answer is its failure, never the client\'s', function () {
  this.timeout(120_000);
  useTestFeatures();
  let upstream: Emulator;
  let lip: RunningLip;
  let answers: Answers = {};
  let strictAppliesTo: Answers['appliesTo'];
  before(async () => {
    const mutator: EventMutator = { id: 'mutator', failureMode: 'fail_open', mutate: (event, ctx) => answers.mutate?.(event, ctx) ?? event };
    const reactor: ToolReactor = { id: 'reactor', failureMode: 'fail_open', react: (tool, ctx) => answers.react?.(tool, ctx) ?? { action: 'pass' } };
    const gate: CompletionGate = { id: 'gate', failureMode: 'fail_open', gate: (completion, ctx) => answers.gate?.(completion, ctx) ?? { action: 'pass_original' } };
    const observer: StreamObserver = { id: 'observer', failureMode: 'fail_open', appliesTo: (call, target) => answers.appliesTo?.(call, target) ?? true, event: () => undefined };
    const strict: StreamObserver = { id: 'strict-observer', failureMode: 'fail_closed', appliesTo: (call, target) => strictAppliesTo?.(call, target) ?? true, event: () => undefined };
    bundles['test-hooks'] = () => ({ eventMutators: [mutator], toolReactors: [reactor], completionGates: [gate], streamObservers: [observer, strict] });
    upstream = await startOpenAIChatEmulator();
    lip = await startLip(chatUpstreamConfig(upstream.url, ['features:', '  - { id: test-hooks }']));
  });
  after(async () => {
    await lip?.close();
    await upstream?.close();
  });

  const expectOriginal = (r: ClientResult, tools: boolean) => {
    expect(r.error).to.equal(undefined);
    if (tools) {
      expect(r.toolCalls.map((c) => ({ name: c.name, args: c.args }))).to.deep.equal([{ name: 'get_weather', args: { city: 'x' } }]);
      expect(r.toolCalls[0]!.id).to.be.a('string').and.not.equal('');
    } else {
      expect(r.text).to.equal('hi there');
      expect(r.usage).to.include({ inputTokens: 3, outputTokens: 2 });
    }
  };

  for (const scenario of SCENARIOS) {
    describe(scenario.name, () => {
      before(() => {
        answers = scenario.answers;
        upstream.defaultScript = scenario.tools ? TOOL_CALL : TEXT;
      });
      after(() => { answers = {}; });
      for (const [frontend, driver] of Object.entries(CLIENT_DRIVERS)) {
        for (const stream of [true, false]) {
          it(`${frontend} (${stream ? 'streamed' : 'not streamed'}): the upstream's own answer`, async () => {
            const r = await driver.run(lip.url, { model: 'up:chat', stream, messages: [{ role: 'user', text: 'hello' }], ...(scenario.tools ? { tools: TOOLS } : {}) });
            expectOriginal(r, scenario.tools === true);
          });
        }
      }
      it('the failure is logged with the hook\'s name', () => {
        expect(lip.logs.some((l) => l.message === 'extension hook failed; skipped (fail_open)' && l.feature === 'test-hooks' && l.hook === scenario.hook)).to.equal(true);
      });
    });
  }

  describe('a fail_closed stream observer\'s appliesTo throws', () => {
    before(() => {
      strictAppliesTo = () => { throw new Error('appliesTo bug'); };
      upstream.defaultScript = TEXT;
    });
    after(() => { strictAppliesTo = undefined; });
    for (const [frontend, driver] of Object.entries(CLIENT_DRIVERS)) {
      for (const stream of [true, false]) {
        it(`${frontend} (${stream ? 'streamed' : 'not streamed'}): the attempt fails with the hook's failure before its upstream is called (its only candidate: every candidate failed)`, async () => {
          const calls = upstream.requests.length;
          const r = await driver.run(lip.url, { model: 'up:chat', stream, messages: [{ role: 'user', text: 'hello' }] });
          expect(r.error?.status).to.equal(502);
          expect(r.error?.message).to.contain('extension hook test-hooks/strict-observer (final_stream_observation) failed: appliesTo bug');
          expect(upstream.requests.length).to.equal(calls);
        });
      }
    }
    it('the failure is logged with the hook\'s name', () => {
      expect(lip.logs.some((l) => l.message === 'extension hook failed (fail_closed)' && l.feature === 'test-hooks' && l.hook === 'strict-observer' && l.error === 'appliesTo bug')).to.equal(true);
    });
  });
});
