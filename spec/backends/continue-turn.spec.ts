import { expect } from 'chai';
import { NEVER, Observable, of, lastValueFrom, toArray, throwError, concat } from 'rxjs';
import { continuePausedTurns, continueResumedAnswers, MAX_ANSWER_RESUMPTIONS, MAX_TURN_CONTINUATIONS, type PausedTurns } from '../../lib/backends/continue-turn.js';
import { emptyCall, validateSequence, type Call, type LipEvent } from '../../lib/canonical/index.js';

const TURNS: PausedTurns = { applies: () => true, paused: (e) => e.raw === 'pause_turn', reasoningDialect: 'd.thinking' };
const call = emptyCall({ model: 'm', messages: [{ role: 'user', parts: [{ type: 'text', text: 'search' }] }] });
const start: LipEvent[] = [{ type: 'response_started', id: 'r' }, { type: 'message_started' }];
const paused = (text: string, n: number): LipEvent[] => [
  ...start,
  { type: 'web_search', id: `s${n}`, status: 'completed', query: `q${n}`, dialect: 'd.search' },
  { type: 'text_delta', text },
  { type: 'usage', usage: { inputTokens: 100, outputTokens: 10 } },
  { type: 'response_finished', reason: 'other', raw: 'pause_turn' },
];
const done: LipEvent[] = [...start, { type: 'text_delta', text: 'Done.' }, { type: 'usage', usage: { inputTokens: 150, outputTokens: 5 } }, { type: 'response_finished', reason: 'stop', raw: 'end_turn' }];

/** Upstream calls whose first answers `first` and completes, the later ones open and never end; `torn`: the calls unsubscribed, by number. */
function firstThenOpen(first: readonly LipEvent[]) {
  const torn: number[] = [];
  let n = 0;
  const run = () => {
    const k = ++n;
    return new Observable<LipEvent>((subscriber) => {
      for (const e of k === 1 ? first : start) subscriber.next(e);
      if (k === 1) subscriber.complete();
      else NEVER.subscribe();
      return () => torn.push(k);
    });
  };
  return { run, torn, calls: () => n };
}

describe('backends/continue-turn', () => {
  it('continues a paused turn with the paused answer as history: one answer, its usage summed', async () => {
    const calls: Call[] = [];
    const run = (c: Call) => {
      calls.push(c);
      return of(...(calls.length === 1 ? paused('Looking. ', 1) : done));
    };
    const events = await lastValueFrom(continuePausedTurns(call, run, TURNS).pipe(toArray()));
    expect(validateSequence(events)).to.deep.equal([]);
    expect(events.filter((e) => e.type === 'response_started')).to.have.length(1);
    expect(events.filter((e) => e.type === 'text_delta').map((e) => (e as { text: string }).text).join('')).to.equal('Looking. Done.');
    expect(events.filter((e) => e.type === 'usage').at(-1)).to.deep.equal({ type: 'usage', usage: { inputTokens: 250, outputTokens: 15 } });
    expect(events.at(-1)).to.deep.equal({ type: 'response_finished', reason: 'stop', raw: 'end_turn' });
    expect(calls).to.have.length(2);
    expect(calls[1]!.messages).to.deep.equal([...call.messages, {
      role: 'assistant',
      parts: [{ type: 'web_search', id: 's1', status: 'completed', query: 'q1', dialect: 'd.search' }, { type: 'text', text: 'Looking. ' }],
    }]);
  });

  it('reports the message\'s records (a container) once, their latest form, before the end; the continuation is asked for with them', async () => {
    const record = (expires: string): LipEvent => ({ type: 'hosted_tool', id: 'cntr_1', dialect: 'd.hosted', phase: 'done', block: { id: 'cntr_1', expires_at: expires }, scope: 'message' });
    const calls: Call[] = [];
    const carried: unknown[] = [];
    const turns: PausedTurns = { ...TURNS, carry: (c, records) => { carried.push(records.map((r) => r.block)); return { ...c, metadata: { container: String(records[0]!.block!.id) } }; } };
    const run = (c: Call) => {
      calls.push(c);
      const part = calls.length === 1 ? paused('Looking. ', 1) : done;
      return of(...part.slice(0, -1), record(calls.length === 1 ? 't1' : 't2'), part.at(-1)!);
    };
    const events = await lastValueFrom(continuePausedTurns(call, run, turns).pipe(toArray()));
    expect(validateSequence(events)).to.deep.equal([]);
    expect(events.filter((e) => e.type === 'hosted_tool')).to.deep.equal([record('t2')]);
    expect(events.at(-2)).to.deep.equal(record('t2'));
    expect(carried).to.deep.equal([[{ id: 'cntr_1', expires_at: 't1' }]]);
    expect(calls[1]!.metadata).to.deep.equal({ container: 'cntr_1' });
  });

  it(`continues at most ${MAX_TURN_CONTINUATIONS} times, then the pause is the answer`, async () => {
    let n = 0;
    const events = await lastValueFrom(continuePausedTurns(call, () => of(...paused(`part ${++n}. `, n)), TURNS).pipe(toArray()));
    expect(n).to.equal(MAX_TURN_CONTINUATIONS + 1);
    expect(validateSequence(events)).to.deep.equal([]);
    expect(events.at(-1)).to.deep.equal({ type: 'response_finished', reason: 'other', raw: 'pause_turn' });
  });

  it('passes an answer that did not pause through as it is, and a continuation\'s failure as the stream\'s', async () => {
    const plain = await lastValueFrom(continuePausedTurns(call, () => of(...done), TURNS).pipe(toArray()));
    expect(plain).to.deep.equal(done);
    let first = true;
    const failing = () => {
      const events = first ? of(...paused('x', 1)) : concat(of(...start), throwError(() => new Error('boom')));
      first = false;
      return events;
    };
    const err = await lastValueFrom(continuePausedTurns(call, failing, TURNS).pipe(toArray())).catch((e: Error) => e);
    expect((err as Error).message).to.equal('boom');
  });

  it('unsubscribing aborts the upstream call that is running, the continuation too', () => {
    const upstream = firstThenOpen(paused('x', 1));
    const subscription = continuePausedTurns(call, upstream.run, TURNS).subscribe();
    expect(upstream.calls()).to.equal(2);
    subscription.unsubscribe();
    expect(upstream.torn).to.include(2);
  });

  describe('continueResumedAnswers (Gemini\'s CONTINUATION)', () => {
    const resumed = (c: Call, token: string): Call => ({ ...c, metadata: { token } });
    const part = (text: string, token?: string): LipEvent[] => [
      ...start, { type: 'text_delta', text }, { type: 'usage', usage: { inputTokens: 100, outputTokens: 10 } },
      token !== undefined ? { type: 'response_finished', reason: 'other', raw: 'CONTINUATION', resume: token } : { type: 'response_finished', reason: 'stop' },
    ];

    it('resumes the same call with the token: one answer, its usage summed, no token reaches the client', async () => {
      const calls: Call[] = [];
      const parts = [part('The quick ', 'a'), part('brown ', 'b'), part('fox.')];
      const run = (c: Call) => of(...parts[calls.push(c) - 1]!);
      const events = await lastValueFrom(continueResumedAnswers(call, run, resumed).pipe(toArray()));
      expect(validateSequence(events)).to.deep.equal([]);
      expect(events.filter((e) => e.type === 'response_started')).to.have.length(1);
      expect(events.filter((e) => e.type === 'text_delta').map((e) => (e as { text: string }).text).join('')).to.equal('The quick brown fox.');
      expect(events.filter((e) => e.type === 'usage').map((e) => (e as { usage: unknown }).usage)).to.deep.equal([
        { inputTokens: 100, outputTokens: 10 }, { inputTokens: 200, outputTokens: 20 }, { inputTokens: 300, outputTokens: 30 },
      ]);
      expect(events.at(-1)).to.deep.equal({ type: 'response_finished', reason: 'stop' });
      expect(calls.map((c) => c.metadata)).to.deep.equal([{}, { token: 'a' }, { token: 'b' }]);
      expect(calls[2]!.messages).to.equal(call.messages);
    });

    it('stops when a part makes no progress (the token it was asked with again) or after the most resumptions, the token left out', async () => {
      let n = 0;
      const same = await lastValueFrom(continueResumedAnswers(call, () => of(...part(`x${++n}`, 'a')), resumed).pipe(toArray()));
      expect(n).to.equal(2);
      expect(same.at(-1)).to.deep.equal({ type: 'response_finished', reason: 'other', raw: 'CONTINUATION' });
      n = 0;
      const endless = await lastValueFrom(continueResumedAnswers(call, () => of(...part(`x${++n}`, `t${n}`)), resumed).pipe(toArray()));
      expect(n).to.equal(MAX_ANSWER_RESUMPTIONS + 1);
      expect(validateSequence(endless)).to.deep.equal([]);
      expect(endless.at(-1)).to.deep.equal({ type: 'response_finished', reason: 'other', raw: 'CONTINUATION' });
    });

    it('an error of a later part is the answer\'s error; unsubscribing aborts the part that is running', async () => {
      const failing = (c: Call) => (c.metadata.token === undefined ? of(...part('a', 'a')) : concat(of(...start), throwError(() => new Error('reset'))));
      const err = await lastValueFrom(continueResumedAnswers(call, failing, resumed).pipe(toArray())).catch((e: Error) => e);
      expect((err as Error).message).to.equal('reset');
      const upstream = firstThenOpen(part('x', 'a'));
      const subscription = continueResumedAnswers(call, upstream.run, resumed).subscribe();
      expect(upstream.calls()).to.equal(2);
      subscription.unsubscribe();
      expect(upstream.torn).to.include(2);
    });
  });
});

