import { expect } from 'chai';
import { take } from 'rxjs';
import { COLLECT_LIMITS, type LipEvent } from '../../lib/canonical/index.js';
import { LipError } from '../../lib/errors/index.js';
import { reactToTools } from '../../lib/extensions/react-to-tools.js';
import type { FeatureBundle, ToolReactor } from '../../lib/extensions/sdk.js';
import { testScheduler } from '../helpers/marbles.js';
import { syncSource } from '../routing/operators/sync-source.js';
import { endlessSource, failures, hookContext, hookSet } from './fixtures.js';

const ev: Record<string, LipEvent> = {
  s: { type: 'response_started' },
  m: { type: 'message_started' },
  t: { type: 'text_delta', text: 'hi' },
  c: { type: 'tool_call_started', id: 'c1', name: 'secret' },
  d: { type: 'tool_call_delta', id: 'c1', args: '{"a":1}' },
  x: { type: 'tool_call_finished', id: 'c1' },
  C: { type: 'tool_call_started', id: 'c1', name: 'public' },
  D: { type: 'tool_call_delta', id: 'c1', args: '{"a":2}' },
  r: { type: 'text_delta', text: '[tool hidden]' },
  f: { type: 'response_finished', reason: 'tool_calls' },
  k: { type: 'tool_call_started', id: 'c1', name: 'secret', custom: true },
  K: { type: 'tool_call_started', id: 'c1', name: 'public', custom: true },
  p: { type: 'tool_call_started', id: 'c1', name: 'secret', caller: { dialect: 'anthropic.caller', value: { type: 'code_execution_20250825', tool_id: 'srvtoolu_1' } } },
  P: { type: 'tool_call_started', id: 'c1', name: 'public', caller: { dialect: 'anthropic.caller', value: { type: 'code_execution_20250825', tool_id: 'srvtoolu_1' } } },
  g: { type: 'response_finished', reason: 'stop' },
  n: { type: 'tool_call_started', id: 'c1', name: 'secret', namespace: 'mcp__vault' },
  N: { type: 'tool_call_started', id: 'c1', name: 'public', namespace: 'mcp__vault' },
};
const op = (bundle: FeatureBundle) => {
  const set = hookSet(bundle);
  return reactToTools({ finalizers: set.get('toolFinalizers'), policies: set.get('toolPolicies'), reactors: set.get('toolReactors') }, () => hookContext(), failures().failures);
};
const on = (name: string, reaction: ReturnType<ToolReactor['react']>): ToolReactor => ({ id: `on-${name}`, react: (tool) => (tool.name === name ? reaction : { action: 'pass' }) });

describe('extensions/reactToTools', () => {
  it('holds a tool call from start to finish, then passes it whole (the commit point moves to its end)', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-s-m-c-d-x------f|', ev).pipe(op({ toolReactors: [on('other', { action: 'swallow' })] }))).toBe('-s-m-----(cdx)--f|', ev);
    });
  });

  it('swallows a tool call; with none left, a tool_calls finish becomes stop', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-s-m-t-c-d-x-f|', ev).pipe(op({ toolReactors: [on('secret', { action: 'swallow' })] }))).toBe('-s-m-t-------g|', ev);
    });
  });

  it('replaces a tool call with content events', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-s-m-c-d-x-f|', ev).pipe(op({ toolReactors: [on('secret', { action: 'replace', events: [ev.r!] })] }))).toBe('-s-m-----r-g|', ev);
    });
  });

  it('rewrites name and arguments; later reactors see the rewrite', () => {
    const seen: string[] = [];
    const spy: ToolReactor = { id: 'spy', order: 200, react: (tool) => { seen.push(tool.name); return { action: 'pass' }; } };
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-s-m-c-d-x------f|', ev).pipe(op({ toolReactors: [on('secret', { action: 'rewrite', name: 'public', args: '{"a":2}' }), spy] })))
        .toBe('-s-m-----(CDx)--f|', ev);
    });
    expect(seen).to.deep.equal(['public']);
  });

  it('a rewritten custom call stays a custom call, and reactors see that it is one', () => {
    const seen: (boolean | undefined)[] = [];
    const spy: ToolReactor = { id: 'spy', order: 200, react: (tool) => { seen.push(tool.custom); return { action: 'pass' }; } };
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-s-m-k-d-x------f|', ev).pipe(op({ toolReactors: [on('secret', { action: 'rewrite', name: 'public', args: '{"a":2}' }), spy] })))
        .toBe('-s-m-----(KDx)--f|', ev);
    });
    expect(seen).to.deep.equal([true]);
  });

  it('a rewritten programmatic call keeps its caller (the code that made it gets the result), and reactors see it', () => {
    const seen: unknown[] = [];
    const spy: ToolReactor = { id: 'spy', order: 200, react: (tool) => { seen.push(tool.caller); return { action: 'pass' }; } };
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-s-m-p-d-x------f|', ev).pipe(op({ toolReactors: [on('secret', { action: 'rewrite', name: 'public', args: '{"a":2}' }), spy] })))
        .toBe('-s-m-----(PDx)--f|', ev);
    });
    expect(seen).to.deep.equal([{ dialect: 'anthropic.caller', value: { type: 'code_execution_20250825', tool_id: 'srvtoolu_1' } }]);
  });

  it('a rewritten call of a namespaced tool keeps its namespace, and reactors see it', () => {
    const seen: unknown[] = [];
    const spy: ToolReactor = { id: 'spy', order: 200, react: (tool) => { seen.push(tool.namespace); return { action: 'pass' }; } };
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-s-m-n-d-x------f|', ev).pipe(op({ toolReactors: [on('secret', { action: 'rewrite', name: 'public', args: '{"a":2}' }), spy] })))
        .toBe('-s-m-----(NDx)--f|', ev);
    });
    expect(seen).to.deep.equal(['mcp__vault']);
  });

  it('a policy deny fails the attempt with LIP_ERR_EXTENSION_REJECTED and cancels the source', () => {
    const err = new LipError('LIP_ERR_EXTENSION_REJECTED', 'tool call "secret" denied (f0/no-secrets, tool_event_reaction)', { status: 403 });
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-s-m-c-d-x-f|', ev);
      expectObservable(source.pipe(op({ toolPolicies: [{ id: 'no-secrets', decide: (t) => (t.name === 'secret' ? 'deny' : 'allow') }] }))).toBe('-s-m-----#', ev, err);
      expectSubscriptions(source.subscriptions).toBe('^--------!');
    });
  });

  it('a replacement that is not canonical is the reactor\'s failure (fail_open: the call passes)', () => {
    const bad = on('secret', { action: 'replace', events: [{ type: 'tool_call_delta', id: 'zz', args: '{}' }] });
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-s-m-c-d-x------f|', ev).pipe(op({ toolReactors: [bad] }))).toBe('-s-m-----(cdx)--f|', ev);
    });
  });

  it('a replacement tool call without its id or name is the reactor\'s failure, logged with its name (fail_open: the call passes)', () => {
    for (const started of [{ type: 'tool_call_started', name: 'other' }, { type: 'tool_call_started', id: 'c9' }, { type: 'tool_call_started', id: 'c9', name: '' }]) {
      const id = (started as { id?: string }).id;
      const events = [started, { type: 'tool_call_delta', id, args: '{}' }, { type: 'tool_call_finished', id }] as unknown as LipEvent[];
      const f = failures();
      const set = hookSet({ toolReactors: [on('secret', { action: 'replace', events })] });
      const stage = reactToTools({ policies: [], reactors: set.get('toolReactors') }, () => hookContext(), f.failures);
      testScheduler().run(({ cold, expectObservable }) => {
        expectObservable(cold('-s-m-c-d-x------f|', ev).pipe(stage)).toBe('-s-m-----(cdx)--f|', ev);
      });
      expect(f.logger.lines).to.have.length(1);
      expect(f.logger.lines[0]).to.nested.include({ message: 'extension hook failed; skipped (fail_open)', 'meta.hook': 'on-secret', 'meta.stage': 'tool_event_reaction' });
      expect(f.logger.lines[0]!.meta!.error).to.match(/^the replacement is not canonical: tool_call_started\.(id|name) must be a non-empty string/);
    }
  });

  it('a fail_closed reactor that throws errors the attempt', () => {
    const boom: ToolReactor = { id: 'boom', failureMode: 'fail_closed', react: () => { throw new Error('bad'); } };
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-s-m-c-d-x-f|', ev).pipe(op({ toolReactors: [boom] }))).toBe('-s-m-----#', ev,
        new LipError('LIP_ERR_EXTENSION_FAILED', 'extension hook f0/boom (tool_event_reaction) failed: bad', { retryable: true }));
    });
  });

  it('a failure of the source discards a held tool call; unsubscription reaches the source', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const failing = cold('-s-m-c-#', ev);
      expectObservable(failing.pipe(op({ toolReactors: [on('x', { action: 'swallow' })] }))).toBe('-s-m---#', ev);
      const long = cold('-s-m-c-d-x-f|', ev);
      expectObservable(long.pipe(op({ toolReactors: [on('x', { action: 'swallow' })] })), '^------!').toBe('-s-m---', ev);
      expectSubscriptions(long.subscriptions).toBe('^------!');
    });
  });

  it('a synchronous source stops when unsubscribed mid-burst', () => {
    const { source, probe } = syncSource();
    source.pipe(op({ toolReactors: [on('x', { action: 'swallow' })] }), take(3)).subscribe();
    expect(probe.emitted).to.equal(2);
    expect(probe.tornDown).to.equal(true);
  });

  describe('what it holds is bounded (collect()\'s limits, as the encoders\' held output)', () => {
    const MiB = 1024 * 1024;
    const chunk = 'x'.repeat(MiB); // one string: held 128 times, it costs one MiB
    const repair = op({ toolFinalizers: [{ id: 'repair', react: () => ({ action: 'pass' }) }] });
    const run = (source: ReturnType<typeof endlessSource>['source']) => {
      const out: string[] = [];
      let error: LipError | undefined;
      source.pipe(repair).subscribe({ next: (e) => out.push(e.type), error: (err: LipError) => { error = err; } });
      return { out, error };
    };

    it('a tool call whose arguments never end fails with LIP_ERR_RESPONSE_TOO_LARGE past 128 Mi characters, instead of being held', function () {
      this.timeout(30_000);
      const steps = COLLECT_LIMITS.toolArgsChars / MiB;
      const { source, probe } = endlessSource([ev.s!, ev.m!, ev.c!], { type: 'tool_call_delta', id: 'c1', args: chunk }, steps + 100);
      const { out, error } = run(source);
      expect([error?.code, error?.message]).to.deep.equal(['LIP_ERR_RESPONSE_TOO_LARGE', `the streamed response holds more than ${COLLECT_LIMITS.toolArgsChars} characters of tool arguments`]);
      expect(probe.repeated).to.equal(steps + 1);
      expect(probe.tornDown).to.equal(true);
      expect(out).to.deep.equal(['response_started', 'message_started']);
    });

    it('so is text that streams without end behind an open tool call', function () {
      this.timeout(30_000);
      const steps = COLLECT_LIMITS.textChars / MiB;
      const { source, probe } = endlessSource([ev.s!, ev.m!, ev.c!], { type: 'text_delta', text: chunk }, steps + 100);
      expect(run(source).error?.code).to.equal('LIP_ERR_RESPONSE_TOO_LARGE');
      expect(probe.repeated).to.equal(steps + 1);
    });

    it('counts what is held at once: calls released one after another may add up to more', () => {
      const half = Array.from({ length: COLLECT_LIMITS.toolArgsChars / MiB / 2 + 1 }, (): LipEvent => ({ type: 'tool_call_delta', id: 'c1', args: chunk }));
      const call = [ev.c!, ...half, ev.x!];
      const { out, error } = run(endlessSource([ev.s!, ev.m!, ...call, ...call, ...call], ev.f!, 1).source);
      expect(error).to.equal(undefined);
      expect(out.filter((t) => t === 'tool_call_finished')).to.have.length(3);
    });
  });

  it('finalizers rewrite a call before any policy or reactor sees it (a repaired name cannot slip past them)', () => {
    const seen: string[] = [];
    const repair = { id: 'repair', react: (tool: { name: string }) => (tool.name === 'Secret' ? { action: 'rewrite' as const, name: 'secret' } : { action: 'pass' as const }) };
    const misspelt: Record<string, LipEvent> = { ...ev, c: { type: 'tool_call_started', id: 'c1', name: 'Secret' } };
    testScheduler().run(({ cold, expectObservable }) => {
      // A reactor that swallows `secret` swallows the call the model misspelt `Secret`.
      expectObservable(cold('-s-m-c-d-x-f|', misspelt).pipe(op({
        toolFinalizers: [repair],
        toolPolicies: [{ id: 'watch', decide: (t) => { seen.push(t.name); return 'allow'; } }],
        toolReactors: [on('secret', { action: 'swallow' })],
      }))).toBe('-s-m-------g|', ev);
    });
    expect(seen).to.deep.equal(['secret']);
    const err = new LipError('LIP_ERR_EXTENSION_REJECTED', 'tool call "secret" denied (f0/no-secrets, tool_event_reaction)', { status: 403 });
    testScheduler().run(({ cold, expectObservable }) => {
      // A policy that denies `secret` denies it too.
      expectObservable(cold('-s-m-c-d-x-f|', misspelt).pipe(op({ toolFinalizers: [repair], toolPolicies: [{ id: 'no-secrets', decide: (t) => (t.name === 'secret' ? 'deny' : 'allow') }] })))
        .toBe('-s-m-----#', ev, err);
    });
  });

  it('a finalizer may only pass or rewrite: another answer is its failure (fail_open: skipped)', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const swallowing = { id: 'bad', react: () => ({ action: 'swallow' }) as never };
      expectObservable(cold('-s-m-c-d-x------f|', ev).pipe(op({ toolFinalizers: [swallowing] }))).toBe('-s-m-----(cdx)--f|', ev);
    });
  });
});
