import { expect } from 'chai';
import { map, type SchedulerLike } from 'rxjs';
import { eventSink } from '../../lib/circuit/circuit-events.js';
import { LocalCircuitBreaker } from '../../lib/circuit/local-circuit-breaker.js';
import type { CircuitDecision, CircuitEvent, CircuitPolicy } from '../../lib/circuit/types.js';
import { ALLOW } from '../../lib/circuit/transitions.js';
import { testScheduler } from '../helpers/marbles.js';

const K = 'be:model';
/** Two failures open; open for 5 ms (5 frames); one probe. */
const P: CircuitPolicy = { failureThreshold: 2, openForMs: 5, halfOpenProbes: 1, keyTtlMs: 1_000 };

/**
 * Drives a breaker from a marble script, one command per frame, and answers with a letter:
 * commands `f` failure, `s` success, `x` cancelled, `i` ignored (each recorded with the last
 * decision), `c` check. Answers: after a record the state (`C` closed, `O` open, `H` half-open),
 * after a check `A` allowed, `P` probe, `R` refused.
 */
function driver(breaker: LocalCircuitBreaker) {
  let last: CircuitDecision | undefined;
  const outcomes = { f: 'failure', s: 'success', x: 'cancelled', i: 'ignored' } as const;
  return (command: string) => {
    if (command === 'c') {
      last = breaker.check(K);
      return last.probe ? 'P' : last.allowed ? 'A' : 'R';
    }
    breaker.record(K, outcomes[command as keyof typeof outcomes], last);
    const state = breaker.snapshot().find((row) => row.key === K)?.state ?? 'closed';
    return state === 'open' ? 'O' : state === 'half_open' ? 'H' : 'C';
  };
}

function breakerOn(scheduler: SchedulerLike, policy = P, events: CircuitEvent[] = []) {
  return new LocalCircuitBreaker(policy, scheduler, eventSink((e) => events.push(e)));
}

describe('circuit/LocalCircuitBreaker', () => {
  it('opens after failure_threshold consecutive failures and refuses until open_for has passed', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const b = breakerOn(ts);
      // opened at frame 2: refused through frame 6, the probe goes at frame 7 exactly
      expectObservable(cold('fcfcc-cc-c|').pipe(map(driver(b)))).toBe('CAORR-RP-R|');
    });
  });

  it('a success in between resets the streak', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('fsfc|').pipe(map(driver(breakerOn(ts))))).toBe('CCCA|');
    });
  });

  it('gives the exact wait at the boundary instant', () => {
    const ts = testScheduler();
    const seen: (number | undefined)[] = [];
    ts.run(({ cold }) => {
      const b = breakerOn(ts);
      cold('ff---c|').subscribe((command) => {
        if (command === 'f') b.record(K, 'failure');
        else seen.push(b.check(K).retryAfterMs, b.peek(K).retryAfterMs);
      });
      ts.schedule(() => seen.push(b.check(K).retryAfterMs), 5);
      ts.schedule(() => seen.push(b.check(K).retryAfterMs, Number(b.check(K).probe)), 6);
    });
    expect(seen).to.deep.equal([1, 1, 1, undefined, 0]);
  });

  it('half-open admits exactly half_open_probes probes; a probe success closes', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const b = breakerOn(ts, { ...P, halfOpenProbes: 2 });
      const probes: string[] = [];
      expectObservable(cold('ff----ccc|').pipe(map((c) => {
        if (c === 'f') { b.record(K, 'failure'); return 'O'; }
        const d = b.check(K);
        probes.push(JSON.stringify(d));
        return d.probe ? 'P' : 'R';
      }))).toBe('OO----PPR|');
      ts.flush();
      expect(probes.map((p) => JSON.parse(p).allowed)).to.deep.equal([true, true, false]);
    });
  });

  it('a probe failure re-opens for another open_for; a later probe success closes', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('ff----cfc----cc-cs-c|').pipe(map(driver(breakerOn(ts))))).toBe('CO----POR----PR-RC-A|');
    });
  });

  it('a cancelled or ignored probe releases its slot for the next probe', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('ff----cxcicfc|').pipe(map(driver(breakerOn(ts))))).toBe('CO----PHPHPOR|');
    });
  });

  it('holds a probe slot at most open_for: an unanswered probe does not wedge the circuit', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('ff----cc---c-c|').pipe(map(driver(breakerOn(ts))))).toBe('CO----PR---P-R|');
    });
  });

  it('ignores a late success while open and counts late failures without extending open_for', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const b = breakerOn(ts);
      // opened at 1; the failure at 3 does not push the probe past frame 6
      expectObservable(cold('ffsf--c|').pipe(map(driver(b)))).toBe('COOO--P|');
      ts.flush();
      expect(b.snapshot()[0]).to.deep.include({ failures: 3, opened_at: new Date(1).toISOString() });
    });
  });

  it('cancelled and ignored outcomes of ordinary attempts change nothing', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('fxicfc|').pipe(map(driver(breakerOn(ts))))).toBe('CCCAOR|');
    });
  });

  it('emits each transition once, at its virtual time', () => {
    const ts = testScheduler();
    const events: CircuitEvent[] = [];
    ts.run(({ cold }) => {
      cold('ff----cfc----cs|').subscribe(driver(breakerOn(ts, P, events)));
    });
    expect(events.map((e) => (e.type === 'transition' ? `${e.at}:${e.from}>${e.to}` : e.type))).to.deep.equal([
      '1:closed>open', '6:open>half_open', '7:half_open>open', '13:open>half_open', '14:half_open>closed',
    ]);
    expect(events[0]).to.deep.include({ key: K, failures: 2, origin: 'local' });
  });

  it('peek previews without taking a probe slot', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const b = breakerOn(ts);
      expectObservable(cold('ff----kkc|').pipe(map((c) => {
        if (c === 'f') { b.record(K, 'failure'); return 'O'; }
        const d = c === 'k' ? b.peek(K) : b.check(K);
        return d.probe ? 'P' : d.allowed ? 'A' : 'R';
      }))).toBe('OO----PPP|');
    });
  });

  it('lists circuits for /admin/circuits with times on the scheduler clock, and counts them in status', () => {
    const ts = testScheduler();
    const base = Date.UTC(2026, 4, 1, 12);
    ts.run(() => {
      const b = breakerOn(ts, { ...P, openForMs: 30_000, keyTtlMs: 600_000 });
      ts.schedule(() => {
        b.record('z:m', 'failure');
        b.record('a:m?temperature=0.2', 'failure');
        b.record('a:m?temperature=0.2', 'failure');
      }, base);
      ts.schedule(() => {
        expect(b.snapshot()).to.deep.equal([
          { key: 'a:m?temperature=0.2', state: 'open', failures: 2, opened_at: '2026-05-01T12:00:00.000Z', next_probe_at: '2026-05-01T12:00:30.000Z' },
          { key: 'z:m', state: 'closed', failures: 1, opened_at: null, next_probe_at: null },
        ]);
        expect(b.status()).to.deep.equal({ enabled: true, store: 'memory', healthy: true, detail: 'ok', since: null, open: 1, half_open: 0 });
      }, base + 10);
      ts.schedule(() => expect(b.status()).to.include({ open: 0, half_open: 1 }), base + 30_000);
    });
  });

  it('forget closes the circuits of the backends named (their transitions emitted), whatever their state; others stay', () => {
    const ts = testScheduler();
    const events: CircuitEvent[] = [];
    ts.run(() => {
      const b = breakerOn(ts, P, events);
      ts.schedule(() => {
        for (const key of ['be:model', 'be:model', 'be:other?temperature=0', 'bee:model', 'bee:model']) b.record(key, 'failure');
      }, 1);
      ts.schedule(() => {
        events.length = 0;
        b.forget(new Set(['be']));
        expect(b.snapshot().map((r) => `${r.key} ${r.state}`)).to.deep.equal(['bee:model open']);
        expect(b.check(K)).to.equal(ALLOW);
        expect(events).to.deep.equal([{ type: 'transition', key: K, from: 'open', to: 'closed', failures: 0, origin: 'local', at: 2 }]);
      }, 2);
      // Counted afresh: one failure does not open it again.
      ts.schedule(() => {
        b.record(K, 'failure');
        expect(b.peek(K).allowed).to.equal(true);
      }, 3);
    });
  });

  it('costs a closed, clean key one lookup: no clock read, the shared decision object', () => {
    const clockless: SchedulerLike = { now: () => { throw new Error('read the clock'); }, schedule: () => { throw new Error('scheduled'); } };
    const b = breakerOn(clockless);
    expect(b.check(K)).to.equal(ALLOW);
    expect(b.peek(K)).to.equal(ALLOW);
    b.record(K, 'success');
    b.record(K, 'cancelled', ALLOW);
    b.record(K, 'ignored');
    expect(b.snapshot.bind(b)).to.throw('read the clock');
  });
});
