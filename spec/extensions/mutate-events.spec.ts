import { expect } from 'chai';
import { take } from 'rxjs';
import type { LipEvent } from '../../lib/canonical/index.js';
import { LipError } from '../../lib/errors/index.js';
import { mutateEvents } from '../../lib/extensions/mutate-events.js';
import type { EventMutator } from '../../lib/extensions/sdk.js';
import { testScheduler } from '../helpers/marbles.js';
import { syncSource } from '../routing/operators/sync-source.js';
import { failures, hookContext, hookSet } from './fixtures.js';

const ev: Record<string, LipEvent> = {
  s: { type: 'response_started' },
  m: { type: 'message_started' },
  a: { type: 'text_delta', text: 'a cat' },
  A: { type: 'text_delta', text: 'a dog' },
  f: { type: 'response_finished', reason: 'stop' },
};
const catToDog: EventMutator = { id: 'cat-to-dog', mutate: (e) => (e.type === 'text_delta' ? { ...e, text: e.text.replace('cat', 'dog') } : e) };
const op = (...mutators: EventMutator[]) => mutateEvents(hookSet({ eventMutators: mutators }).get('eventMutators'), () => hookContext(), failures().failures);

describe('extensions/mutateEvents', () => {
  it('maps each event through the mutators in order, keeping timing', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-s-m-a-f-|', ev).pipe(op(catToDog))).toBe('-s-m-A-f-|', ev);
    });
  });

  it('an answer of another type is the hook\'s failure: a fail_open mutator is skipped', () => {
    const typeChanger: EventMutator = { id: 'bad', mutate: (e) => (e.type === 'text_delta' ? { type: 'warning', code: 'x', message: 'y' } : e) };
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-s-a-f|', ev).pipe(op(typeChanger, { ...catToDog, order: 200 }))).toBe('-s-A-f|', ev);
    });
  });

  it('an answer of the same type with malformed fields is the hook\'s failure, logged with its name (fail_open: the event goes on as it was)', () => {
    const ev2: Record<string, LipEvent> = {
      ...ev,
      s: { type: 'response_started', id: 'r1' },
      u: { type: 'usage', usage: { inputTokens: 3, outputTokens: 2 } },
      c: { type: 'tool_call_started', id: 'c1', name: 'get_weather' },
      x: { type: 'tool_call_finished', id: 'c1' },
      f: { type: 'response_finished', reason: 'tool_calls' },
    };
    const answers: [string, (e: LipEvent) => unknown, string][] = [
      ['usage null', (e) => (e.type === 'usage' ? { type: 'usage', usage: null } : e), 'usage.usage must be an object (got null)'],
      ['usage not counted in numbers', (e) => (e.type === 'usage' ? { type: 'usage', usage: { inputTokens: 'many', outputTokens: -5 } } : e), 'usage.usage.inputTokens must be a finite number of at least 0 (got string)'],
      ['logprobs that are no list', (e) => (e.type === 'text_delta' ? { ...e, logprobs: 'garbage' } : e), 'text_delta.logprobs must be an array (got string)'],
      ['a response id that is no string', (e) => (e.type === 'response_started' ? { type: 'response_started', id: { x: 1 }, model: 7 } : e), 'response_started.id must be a string (got object)'],
      ['an empty tool name', (e) => (e.type === 'tool_call_started' ? { ...e, name: '' } : e), 'tool_call_started.name must be a non-empty string (got string)'],
      ['an unknown finish reason', (e) => (e.type === 'response_finished' ? { ...e, reason: 'banana' } : e), 'response_finished.reason must be one of stop, length, tool_calls, content_filter, stop_sequence, other (got string)'],
    ];
    for (const [name, mutate, problem] of answers) {
      const f = failures();
      const garbage: EventMutator = { id: 'garbage', mutate: mutate as EventMutator['mutate'] };
      const stage = mutateEvents(hookSet({ eventMutators: [garbage] }).get('eventMutators'), () => hookContext(), f.failures);
      testScheduler().run(({ cold, expectObservable }) => {
        expectObservable(cold('-s-m-a-c-x-u-f|', ev2).pipe(stage)).toBe('-s-m-a-c-x-u-f|', ev2);
      });
      expect(f.logger.lines, name).to.have.length(1);
      expect(f.logger.lines[0], name).to.nested.include({ message: 'extension hook failed; skipped (fail_open)', 'meta.hook': 'garbage', 'meta.stage': 'stream_event_mutation', 'meta.error': problem });
    }
  });

  it('a fail_closed mutator that throws errors the attempt with a retryable LIP_ERR_EXTENSION_FAILED', () => {
    const strict: EventMutator = { id: 'strict', failureMode: 'fail_closed', mutate: (e) => { if (e.type === 'text_delta') throw new Error('nope'); return e; } };
    const err = new LipError('LIP_ERR_EXTENSION_FAILED', 'extension hook f0/strict (stream_event_mutation) failed: nope', { retryable: true });
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-s-a-f|', ev);
      expectObservable(source.pipe(op(strict))).toBe('-s-#', ev, err);
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  it('early unsubscription reaches the source', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-s-a-f|', ev);
      expectObservable(source.pipe(op(catToDog)), '^--!').toBe('-s-', ev);
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  it('a synchronous source stops when unsubscribed mid-burst', () => {
    const { source, probe } = syncSource();
    const seen: string[] = [];
    source.pipe(op(catToDog), take(2)).subscribe((e) => seen.push(e.type));
    expect(seen).to.have.length(2);
    expect(probe.tornDown).to.equal(true);
  });
});
