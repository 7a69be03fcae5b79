import { expect } from 'chai';
import { firstValueFrom, of, take, toArray } from 'rxjs';
import { COLLECT_LIMITS, type LipEvent } from '../../lib/canonical/index.js';
import { LipError } from '../../lib/errors/index.js';
import { gateCompletion } from '../../lib/extensions/gate-completion.js';
import type { CompletionGate, GateAnswer } from '../../lib/extensions/sdk.js';
import { testScheduler } from '../helpers/marbles.js';
import { syncSource } from '../routing/operators/sync-source.js';
import { endlessSource, failures, hookContext, hookSet } from './fixtures.js';

const ev: Record<string, LipEvent> = {
  s: { type: 'response_started' },
  m: { type: 'message_started' },
  t: { type: 'text_delta', text: 'secret plan' },
  R: { type: 'text_delta', text: '[withheld]' },
  f: { type: 'response_finished', reason: 'stop' },
};
const replacement = [ev.s!, ev.m!, ev.R!, ev.f!];
const op = (...gates: CompletionGate[]) => gateCompletion(hookSet({ completionGates: gates }).get('completionGates'), () => hookContext(), failures().failures);
const pass: CompletionGate = { id: 'pass', gate: () => ({ action: 'pass_original' }) };
const redact: CompletionGate = { id: 'redact', gate: (c) => (c.response.blocks.some((b) => b.type === 'text' && b.text.includes('secret')) ? { action: 'replace', events: replacement } : { action: 'pass_original' }) };

describe('extensions/gateCompletion', () => {
  it('holds the whole completion and releases it when the source completes', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-s-m-t-f-|', ev).pipe(op(pass))).toBe('---------(smtf|)', ev);
    });
  });

  it('replaces the completion with a canonical stream; later gates see the replacement', () => {
    const seen: string[] = [];
    const spy: CompletionGate = { id: 'spy', order: 200, gate: (c) => { seen.push(c.response.blocks.map((b) => (b.type === 'text' ? b.text : '')).join('')); return { action: 'pass_original' }; } };
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-s-m-t-f-|', ev).pipe(op(redact, spy))).toBe('---------(smRf|)', ev);
    });
    expect(seen).to.deep.equal(['[withheld]']);
  });

  it('a reject answer fails the attempt with LIP_ERR_EXTENSION_REJECTED', () => {
    const deny: CompletionGate = { id: 'deny', gate: () => ({ action: 'reject', message: 'unsafe answer' }) };
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-s-t-f|', ev).pipe(op(deny))).toBe('------#', ev, new LipError('LIP_ERR_EXTENSION_REJECTED', 'unsafe answer (f0/deny, completion_gating)', { status: 403 }));
    });
  });

  it('a replacement that is not a whole canonical stream is the gate\'s failure (fail_open: the original passes)', () => {
    const partial: CompletionGate = { id: 'partial', gate: () => ({ action: 'replace', events: [ev.R!] }) };
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-s-m-t-f|', ev).pipe(op(partial))).toBe('--------(smtf|)', ev);
    });
  });

  it('a replacement whose events are malformed (a tool call without its id, text that is no string, usage that is no object) is the gate\'s failure', () => {
    const tool = [ev.s!, ev.m!, { type: 'tool_call_started', name: 'get_weather' }, { type: 'tool_call_delta', args: '{}' }, { type: 'tool_call_finished' }, { type: 'response_finished', reason: 'tool_calls' }];
    const text = [ev.s!, ev.m!, { type: 'text_delta', text: null }, ev.f!];
    const usage = [ev.s!, ev.m!, ev.R!, { type: 'usage', usage: null }, ev.f!];
    for (const events of [tool, text, usage] as unknown as LipEvent[][]) {
      const f = failures();
      const gate: CompletionGate = { id: 'garbage', gate: () => ({ action: 'replace', events }) };
      const stage = gateCompletion(hookSet({ completionGates: [gate] }).get('completionGates'), () => hookContext(), f.failures);
      testScheduler().run(({ cold, expectObservable }) => {
        expectObservable(cold('-s-m-t-f|', ev).pipe(stage)).toBe('--------(smtf|)', ev);
      });
      expect(f.logger.lines).to.have.length(1);
      expect(f.logger.lines[0]).to.nested.include({ 'meta.hook': 'garbage', 'meta.stage': 'completion_gating' });
      expect(f.logger.lines[0]!.meta!.error).to.match(/^the replacement is not canonical: event 2: (tool_call_started\.id|text_delta\.text)|event 3: usage\.usage must be an object/);
    }
  });

  it('a source failure discards what was held; unsubscription reaches the source', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      expectObservable(cold('-s-t-#', ev).pipe(op(pass))).toBe('-----#', ev);
      const long = cold('-s-t-------f|', ev);
      expectObservable(long.pipe(op(pass)), '^---!').toBe('-----', ev);
      expectSubscriptions(long.subscriptions).toBe('^---!');
    });
  });

  it('waits for a gate that answers a promise', async () => {
    const slow: CompletionGate = { id: 'slow', gate: async () => ({ action: 'replace', events: replacement }) };
    const out = await firstValueFrom(of(ev.s!, ev.m!, ev.t!, ev.f!).pipe(op(slow), toArray()));
    expect(out).to.deep.equal(replacement);
    const failing: CompletionGate = { id: 'failing', failureMode: 'fail_closed', gate: () => Promise.reject(new Error('judge down')) };
    const err = await firstValueFrom(of(ev.s!, ev.f!).pipe(op(failing))).catch((e: unknown) => e);
    expect(err).to.include({ code: 'LIP_ERR_EXTENSION_FAILED', retryable: true });
  });

  describe('an answer that breaks when read is the gate\'s failure, not the request\'s', () => {
    const throwing = (what: string) => { throw new Error(`${what} getter broke`); };
    const answers: [string, () => GateAnswer][] = [
      ['a reject whose message cannot be made text', () => ({ action: 'reject', message: { toString: () => throwing('toString') } as unknown as string })],
      ['an answer whose action throws when read', () => Object.defineProperty({}, 'action', { get: () => throwing('action') }) as GateAnswer],
      ['a replace whose events throw when read', () => Object.defineProperty({ action: 'replace' }, 'events', { get: () => throwing('events') }) as GateAnswer],
      ['a proxy that throws whatever is read of it (its `then` first)', () => new Proxy({}, { get: (_t, key) => throwing(String(key)) }) as GateAnswer],
    ];
    for (const [name, answer] of answers) {
      it(`${name}: fail_open lets the original through and logs the gate; fail_closed fails the attempt (answered at once or by a promise)`, async () => {
        for (const later of [false, true]) {
          const f = failures();
          const open: CompletionGate = { id: 'breaks', gate: () => (later ? Promise.resolve(answer()) : answer()) };
          const out = await firstValueFrom(of(ev.s!, ev.m!, ev.t!, ev.f!).pipe(gateCompletion(hookSet({ completionGates: [open] }).get('completionGates'), () => hookContext(), f.failures), toArray()));
          expect(out).to.deep.equal([ev.s, ev.m, ev.t, ev.f]);
          expect(f.logger.lines).to.have.length(1);
          expect(f.logger.lines[0]).to.nested.include({ message: 'extension hook failed; skipped (fail_open)', 'meta.hook': 'breaks', 'meta.stage': 'completion_gating' });
          expect(f.logger.lines[0]!.meta!.error).to.match(/getter broke/);
          const closed: CompletionGate = { ...open, failureMode: 'fail_closed' };
          const err = await firstValueFrom(of(ev.s!, ev.m!, ev.t!, ev.f!).pipe(op(closed))).catch((e: unknown) => e);
          expect(err).to.include({ code: 'LIP_ERR_EXTENSION_FAILED', retryable: true });
          expect((err as LipError).message).to.match(/^extension hook f0\/breaks \(completion_gating\) failed: .*getter broke/);
        }
      });
    }
  });

  it('a synchronous source stops when unsubscribed (before anything was released)', () => {
    const { source, probe } = syncSource(50);
    source.pipe(op(pass), take(2)).subscribe();
    expect(probe.emitted).to.equal(50);
    expect(probe.tornDown).to.equal(true);
  });

  it('a completion that never ends fails with LIP_ERR_RESPONSE_TOO_LARGE past collect()\'s limits, instead of being held (the gates never asked)', function () {
    this.timeout(30_000);
    const MiB = 1024 * 1024;
    const chunk = 'x'.repeat(MiB);
    let asked = 0;
    const counting: CompletionGate = { id: 'counting', gate: () => { asked++; return { action: 'pass_original' }; } };
    const cases: [LipEvent[], LipEvent, number][] = [
      [[ev.s!, ev.m!], { type: 'text_delta', text: chunk }, COLLECT_LIMITS.textChars],
      [[ev.s!, ev.m!], { type: 'reasoning_delta', text: chunk }, COLLECT_LIMITS.reasoningChars],
      [[ev.s!, ev.m!, { type: 'tool_call_started', id: 'c1', name: 'f' }], { type: 'tool_call_delta', id: 'c1', args: chunk }, COLLECT_LIMITS.toolArgsChars],
    ];
    for (const [first, repeat, limit] of cases) {
      const { source, probe } = endlessSource(first, repeat, limit / MiB + 100);
      let error: LipError | undefined;
      const out: LipEvent[] = [];
      source.pipe(op(counting)).subscribe({ next: (e) => out.push(e), error: (err: LipError) => { error = err; } });
      expect(error?.code, repeat.type).to.equal('LIP_ERR_RESPONSE_TOO_LARGE');
      expect(probe.repeated, repeat.type).to.equal(limit / MiB + 1);
      expect(probe.tornDown).to.equal(true);
      expect(out).to.deep.equal([]);
    }
    expect(asked).to.equal(0);
  });
});
