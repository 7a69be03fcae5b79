import { expect } from 'chai';
import { of } from 'rxjs';
import type { LipEvent } from '../../../lib/canonical/index.js';
import { holdUntilOutput } from '../../../lib/routing/operators/hold-until-output.js';
import { testScheduler } from '../../helpers/marbles.js';

const e: Record<string, LipEvent> = {
  s: { type: 'response_started' },
  m: { type: 'message_started' },
  u: { type: 'usage', usage: { inputTokens: 1 } },
  t: { type: 'text_delta', text: 'hi' },
  e: { type: 'text_delta', text: '' },
  c: { type: 'tool_call_started', id: '1', name: 'f' },
  f: { type: 'response_finished', reason: 'stop' },
};

describe('routing/operators/holdUntilOutput', () => {
  it('holds lifecycle events until the first output, then releases them in order', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-s--m--u--t------u--f-|', e).pipe(holdUntilOutput())).toBe('----------(smut)-u--f-|', e);
    });
  });

  it('a tool call start is output too; an empty text delta is not', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-s-e-c-----|', e).pipe(holdUntilOutput())).toBe('-----(sec)-|', e);
    });
  });

  it('discards what it held when the source fails before output', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-s--m--#', e).pipe(holdUntilOutput())).toBe('-------#', e);
    });
  });

  it('passes a failure after output through unchanged', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-s-t-----#', e).pipe(holdUntilOutput())).toBe('---(st)--#', e);
    });
  });

  it('releases held events when the source completes without output', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-s-m-f-|', e).pipe(holdUntilOutput())).toBe('-------(smf|)', e);
    });
  });

  it('unsubscribes the source when the consumer leaves early', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-s-m-----t-|', e);
      expectObservable(source.pipe(holdUntilOutput()), '^---!').toBe('-----', e);
      expectSubscriptions(source.subscriptions).toBe('^---!');
    });
  });

  it('works on a synchronous source: everything in order, in one go', () => {
    const seen: string[] = [];
    of(e.s!, e.m!, e.u!, e.t!, e.f!).pipe(holdUntilOutput()).subscribe((ev) => seen.push(ev.type));
    expect(seen).to.deep.equal(['response_started', 'message_started', 'usage', 'text_delta', 'response_finished']);
  });
});

describe('routing/operators/holdUntilOutput with a synchronous source', () => {
  it('stops the source when the consumer leaves mid-burst', async () => {
    const { take } = await import('rxjs');
    const { syncSource } = await import('./sync-source.js');
    const { source, probe } = syncSource();
    source.pipe(holdUntilOutput(), take(3)).subscribe();
    expect([probe.emitted, probe.tornDown]).to.deep.equal([2, true]);
  });
});
