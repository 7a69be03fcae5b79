import { expect } from 'chai';
import fc from 'fast-check';
import { Observable, Subscription, VirtualTimeScheduler } from 'rxjs';
import type { Backend, Target } from '../../lib/backends/backend.js';
import { emptyCall, estimateTokens, type Call, type LipEvent } from '../../lib/canonical/index.js';
import type { Config } from '../../lib/config/index.js';
import { createCircuitBreaker } from '../../lib/circuit/index.js';
import { createContinuityStore } from '../../lib/continuity/index.js';
import { createExtensionHost, MemoryStateStore } from '../../lib/extensions/index.js';
import { Executor, type ExecutionMeta } from '../../lib/core/execute.js';
import { LipError } from '../../lib/errors/index.js';
import { testConfig } from '../helpers/config.js';
import { fuzzParameters, fuzzTimeout } from './fuzz-parameters.js';
import { candidateKey, ERRORS, fractionOf, simulate, type ErrorKind, type ModelArm, type ModelLeaf, type ModelRequest, type Outcome, type Scenario, type Step, startFractionOf } from './routing-model.js';

const CANDIDATES = 4;

/** A candidate's upstream: up to five events then an end, a failure, or nothing (a stall); its own time fraction. */
function script(cand: number): fc.Arbitrary<Step[]> {
  const content = fc.array(fc.record({ gap: fc.integer({ min: 0, max: 25 }), kind: fc.constantFrom('life' as const, 'life' as const, 'ws' as const, 'text' as const, 'text' as const, 'call' as const) }), { maxLength: 4 });
  const last = fc.oneof(
    { weight: 2, arbitrary: fc.record({ gap: fc.integer({ min: 0, max: 25 }), kind: fc.constant('end' as const) }) },
    { weight: 3, arbitrary: fc.record({ gap: fc.integer({ min: 0, max: 25 }), kind: fc.constant('fail' as const), error: fc.constantFrom<ErrorKind>('retry503', 'retry429', 'reset', 'fatal400', 'stream', 'context') }) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
  return fc.tuple(content, last).map(([steps, end]) => {
    let t = fractionOf(cand);
    const out: Step[] = [];
    for (const s of end ? [...steps, end] : steps) {
      t += s.gap;
      if ('error' in s) out.push({ at: t, kind: 'fail', error: s.error });
      else if (s.kind !== 'call') out.push({ at: t, kind: s.kind });
      else {
        // A tool call: its start, its arguments and its end, a millisecond or more apart.
        out.push({ at: t, kind: 'call' }, { at: t + 1 + s.gap, kind: 'args' }, { at: t + 2 + 2 * s.gap, kind: 'done' });
        t += 2 + 2 * s.gap;
      }
      t += 1;
    }
    return out;
  });
}

/** `arb` in one case of `1 + absent`, else undefined. */
function sometimes<T>(arb: fc.Arbitrary<T>, absent = 1): fc.Arbitrary<T | undefined> {
  return fc.oneof({ weight: absent, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });
}

const cand = fc.nat(CANDIDATES - 1);
/** Leaf budgets are 5 more than a multiple of 10, handicaps multiples of 10 (see routing-model.ts). */
const leafTtft = sometimes(fc.integer({ min: 0, max: 9 }).map((n) => n * 10 + 5));

/** What every request asks (the estimate the context filters compare against). */
/** What every request asks: a question and a tool it may call (so that tool-call-repair, on by default, has a stage in each attempt). */
const CALL = emptyCall({
  model: 'b:m0', stream: true, messages: [{ role: 'user', parts: [{ type: 'text', text: 'How warm is it in Paris today? '.repeat(8) }] }],
  tools: [{ name: 'lookup', description: 'Looks a city up', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }],
});
const ESTIMATE = estimateTokens(CALL);
/** `[max_context]` or `[min_context]` either side of the estimate, or neither. */
const contextFilter = sometimes(fc.oneof(
  fc.constantFrom(ESTIMATE - 1, ESTIMATE, ESTIMATE + 1).map((n) => ({ maxContext: n })),
  fc.constantFrom(ESTIMATE - 1, ESTIMATE).map((n) => ({ minContext: n })),
), 3).map((f) => f ?? {});
/** A leaf's annotations besides those of its arm type. */
const leafOf = <T extends object>(extra: fc.Arbitrary<T>) => fc.tuple(fc.record({ cand, ttftMs: leafTtft }), extra, contextFilter).map(([l, e, f]) => ({ ...l, ...e, ...f }));
const handicap = sometimes(fc.integer({ min: 1, max: 5 }).map((n) => n * 10));

const arm: fc.Arbitrary<ModelArm> = fc.oneof(
  fc.record({ type: fc.constant('single' as const), leaf: leafOf(fc.constant({})) }),
  fc.tuple(
    fc.array(leafOf(fc.record({ weight: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }) })), { minLength: 1, maxLength: 3 }),
    fc.option(fc.nat(2), { nil: undefined }),
  ).map(([branches, first]): ModelArm => ({
    type: 'weighted',
    // One branch alone is a weighted arm only with an annotation.
    branches: branches.map((b, i): ModelLeaf => ({ ...b, ...(i === first ? { first: true } : {}), ...(branches.length === 1 && b.weight === undefined && first !== 0 ? { weight: 1 } : {}) })),
  })),
  fc.record({ type: fc.constant('race' as const), legs: fc.array(leafOf(fc.record({ handicapMs: handicap })), { minLength: 2, maxLength: 4 }) }),
);

const request = fc.record({
  arms: fc.array(arm, { minLength: 1, maxLength: 4 }),
  globalTtftMs: sometimes(fc.integer({ min: 0, max: 40 }).map((n) => n * 5 + 2), 2),
  // `session` stands for "uses the sequence's affinity mode" until the scenario picks the mode.
  affinity: sometimes(fc.constant('session' as const), 1),
  scripts: fc.tuple(...Array.from({ length: CANDIDATES }, (_, i) => script(i))),
  abortAt: sometimes(fc.integer({ min: 0, max: 200 }).map((n) => n + 0.5), 3),
  start: fc.integer({ min: 0, max: 300 }),
});

const scenario: fc.Arbitrary<Scenario> = fc.record({
  maxAttempts: fc.integer({ min: 1, max: 8 }),
  maxPending: fc.nat(3),
  contextOverflow: fc.constantFrom('fail' as const, 'next' as const),
  features: fc.boolean(),
  resume: sometimes(fc.record({ maxResumes: fc.integer({ min: 1, max: 3 }) })),
  estimatedTokens: fc.constant(ESTIMATE),
  rolls: fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 1, maxLength: 6 }),
  breaker: sometimes(fc.record({ failureThreshold: fc.integer({ min: 1, max: 3 }), openForMs: fc.constantFrom(20, 50, 100, 200), halfOpenProbes: fc.integer({ min: 1, max: 2 }) }), 1),
  requests: fc.array(request, { minLength: 1, maxLength: 6 }),
  // Most sequences keep one affinity mode, so that a binding meets the requests that read it.
  affinityModes: fc.array(fc.constantFrom('session' as const, 'client' as const), { minLength: 1, maxLength: 2 }),
}).map(({ affinityModes, ...s }): Scenario => ({
  ...s,
  requests: s.requests.map(({ start, ...r }, k) => ({
    ...r,
    affinity: r.affinity === undefined ? undefined : affinityModes[k % affinityModes.length]!,
    startAt: start + startFractionOf(k),
  })),
}));

/** The selector text of a request, as a client would send it in `X-LIP-Route`. */
function selectorOf(s: ModelRequest): string {
  const leaf = (l: ModelLeaf) => {
    const notes = [
      l.weight !== undefined ? `weight=${l.weight}` : '',
      l.first ? 'first' : '',
      l.handicapMs !== undefined ? `handicap=${l.handicapMs}ms` : '',
      l.ttftMs !== undefined ? `ttft_timeout=${l.ttftMs}ms` : '',
      l.maxContext !== undefined ? `max_context=${l.maxContext}` : '',
      l.minContext !== undefined ? `min_context=${l.minContext}` : '',
    ].filter(Boolean);
    return `${notes.length > 0 ? `[${notes.join(',')}]` : ''}${candidateKey(l.cand)}`;
  };
  const arms = s.arms.map((a) => (a.type === 'single' ? leaf(a.leaf) : a.type === 'weighted' ? a.branches.map(leaf).join('^') : a.legs.map(leaf).join('!')));
  const globals = [s.globalTtftMs !== undefined ? `ttft_timeout=${s.globalTtftMs}ms` : '', s.affinity ? `affinity=${s.affinity}` : ''].filter(Boolean);
  return `${globals.length > 0 ? `{${globals.join(',')}}` : ''}${arms.join(' | ')}`;
}

function eventOf(step: Step, label: string, callId: string): LipEvent {
  if (step.kind === 'life') return { type: 'message_started' };
  if (step.kind === 'call') return { type: 'tool_call_started', id: callId, name: 'lookup' };
  if (step.kind === 'args') return { type: 'tool_call_delta', id: callId, args: '{"city":"Paris"}' };
  if (step.kind === 'done') return { type: 'tool_call_finished', id: callId };
  return { type: 'text_delta', text: step.kind === 'ws' ? ' ' : label };
}

function errorOf(kind: ErrorKind): LipError {
  const e = ERRORS[kind];
  return new LipError(e.code as never, `scripted ${kind}`, { status: e.status, retryable: e.retryable });
}

/** Upstream `b`: each model `m<i>` plays candidate i's script on virtual time, and every subscription is logged. */
interface Upstream { key: string; start: number; end?: number; how?: string }

/** Upstream `b`: each model `m<i>` plays candidate i's script of the request (by its X-Request-Id) on virtual time; every subscription is logged. */
class ScriptBackend implements Backend {
  readonly kind = 'scripted';
  /** It continues a prefilled answer (routing.resume_after_output may resume on it). */
  readonly prefill = true;
  readonly models = Array.from({ length: CANDIDATES }, (_, i) => `m${i}`);
  readonly labels = new WeakMap<LipEvent, string>();
  /** Per request id: its scripts and its upstream subscriptions. */
  readonly requests = new Map<string, { scripts: readonly (readonly Step[])[]; upstreams: Upstream[] }>();

  constructor(readonly id: string, private readonly ts: VirtualTimeScheduler) {}

  stream(_call: Call, target: Target): Observable<LipEvent> {
    return new Observable<LipEvent>((subscriber) => {
      const request = this.requests.get(String(target.requestHeaders?.['x-request-id']))!;
      const sub = request.upstreams.length;
      const record: Upstream = { key: `b:${target.model}`, start: this.ts.now() };
      request.upstreams.push(record);
      const ended = (how: string) => {
        record.end = this.ts.now();
        record.how = how;
      };
      const timers = new Subscription();
      let callId = '';
      request.scripts[Number(target.model.slice(1))]!.forEach((step, i) => {
        if (step.kind === 'call') callId = `call_${sub}_${i}`;
        const id = callId;
        timers.add(this.ts.schedule(() => {
          if (step.kind === 'fail') {
            ended('error');
            return subscriber.error(errorOf(step.error));
          }
          if (step.kind === 'end') {
            ended('complete');
            return subscriber.complete();
          }
          const label = `${sub}.${i}`;
          const event = eventOf(step, label, id);
          this.labels.set(event, label);
          subscriber.next(event);
        }, step.at));
      });
      return () => {
        timers.unsubscribe();
        if (record.how === undefined) ended('cancelled');
      };
    });
  }
}

const configs = new Map<string, Config>();
function configFor(s: Scenario): Config {
  const b = s.breaker;
  const breaker = b ? `{ enabled: true, failure_threshold: ${b.failureThreshold}, open_for: ${b.openForMs}ms, half_open_probes: ${b.halfOpenProbes} }` : '{ enabled: false }';
  const resume = s.resume ? `{ enabled: true, max_resumes: ${s.resume.maxResumes} }` : '{ enabled: false }';
  const key = `${s.maxAttempts}/${s.maxPending}/${s.contextOverflow}/${breaker}/${resume}`;
  let config = configs.get(key);
  if (!config) {
    config = testConfig('  - { id: b, kind: localstub }', [
      `server: { host: 127.0.0.1, port: 0, max_pending_wire_events: ${s.maxPending} }`,
      `routing: { default_route: "b:m0", max_attempts: ${s.maxAttempts}, context_overflow: ${s.contextOverflow}, resume_after_output: ${resume}, circuit_breaker: ${breaker} }`,
    ].join('\n'));
    configs.set(key, config);
  }
  return config;
}

/**
 * The real executor on virtual time, each request started at its time (they may overlap): for
 * each, what the client got, the route journal, the upstream subscriptions and the circuits as
 * it started. Then every request that never ended is left by its client: `leftOpen` lists the
 * upstreams that outlived that.
 */
function run(s: Scenario): Promise<{ outcomes: Omit<Outcome, 'rows'>[]; rows: string[]; leftOpen: string[] }> {
  const ts = new VirtualTimeScheduler();
  const backend = new ScriptBackend('b', ts);
  let roll = 0;
  const config = configFor(s);
  const breaker = createCircuitBreaker(config.routing.circuit_breaker, { scheduler: ts });
  // One conversation of one client: `[first]` and `{affinity=session}` live in its A-leg.
  const continuity = createContinuityStore({ store: 'memory', sqlite_path: '', ttl: 3_600_000, max_legs: 100 });
  let sessionId: string | undefined;
  let aLegId: string | undefined;
  // With the default features (tool-call-repair is on by default) every attempt gets its stream stages, as in `lip serve`.
  const extensions = s.features ? createExtensionHost(config, { state: new MemoryStateStore() }) : undefined;
  if (s.features && extensions === undefined) throw new Error('the default features make no extension host');
  const executor = new Executor(config, new Map<string, Backend>([['b', backend]]), { scheduler: ts, rng: () => s.rolls[roll++ % s.rolls.length]!, breaker, continuity, ...(extensions ? { extensions } : {}) });
  const states: { start: number; meta: ExecutionMeta; client: string[]; end: string; circuits: string[]; upstreams: Upstream[]; subscription?: Subscription }[] = [];
  const begin = (k: number) => {
    const r = s.requests[k]!;
    const upstreams: Upstream[] = [];
    backend.requests.set(`r${k}`, { scripts: r.scripts, upstreams });
    const start = ts.now();
    const state: (typeof states)[number] = { start, meta: {}, client: [], end: 'open', upstreams, circuits: breaker.enabled ? breaker.snapshot().map((c) => `${c.key} ${c.state} ${c.failures}`) : [] };
    states[k] = state;
    const ended = (line: string) => { state.end = `${ts.now() - start} ${line}`; };
    const aLeg = continuity.resolveALeg('alice', sessionId);
    sessionId ??= aLeg.sessionId;
    aLegId ??= aLeg.aLegId;
    state.subscription = executor.execute(CALL, { requestId: `r${k}`, routeHeader: selectorOf(r), meta: state.meta, aLeg, principal: 'alice' }).subscribe({
      next: (e) => state.client.push(`${ts.now() - start} ${backend.labels.get(e) ?? JSON.stringify(e)}`),
      error: (err: { code?: string }) => ended(`error ${err.code}`),
      complete: () => ended('complete'),
    });
    if (r.abortAt !== undefined) {
      ts.schedule(() => {
        if (state.end !== 'open') return;
        state.subscription?.unsubscribe();
        ended('aborted');
      }, r.abortAt);
    }
  };
  s.requests.forEach((r, k) => ts.schedule(() => begin(k), r.startAt));
  ts.flush();
  const outcomes = states.map(({ start, meta, client, end, circuits, upstreams }): Omit<Outcome, 'rows'> => ({
    client,
    end,
    journal: (meta.journal ?? []).map((e) => [e.key, e.outcome, e.startedAtMs, e.ttftMs, e.outcome === 'failed' ? e.code : undefined].filter((x) => x !== undefined).join(' ')),
    upstreams: upstreams.map((u) => `${u.key} ${u.start - start}-${u.end === undefined ? 'open' : u.end - start} ${u.how ?? ''}`.trim()),
    circuits,
  }));
  // A request that never ended (a stall without a budget) is left by its client: nothing may outlive it.
  for (const state of states) state.subscription?.unsubscribe();
  const leftOpen = states.flatMap((st) => st.upstreams.filter((u) => u.how === undefined).map((u) => u.key));
  // The conversation's attempt rows, all its requests' (CONTRACT section 8).
  return (aLegId === undefined ? Promise.resolve(undefined) : continuity.attempts(aLegId)).then((rows) => {
    void continuity.close();
    return { outcomes, leftOpen, rows: (rows ?? []).map((r) => `${r.seq} ${r.candidate_key} ${r.outcome ?? 'open'}`) };
  });
}

describe('fuzz: routing on virtual time against a plain model of docs/routing.md', function () {
  this.timeout(fuzzTimeout(40));

  it('failover, weighted choice, races, budgets, max_attempts and circuits over requests of one conversation that may overlap: what each client gets, the journal, every upstream subscription and the circuits match the model; nothing outlives a request; the conversation\'s attempt rows say how each attempt ended', async () => {
    await fc.assert(fc.asyncProperty(scenario, async (s) => {
      const real = await run(s);
      const model = simulate(s);
      const settings = `max_attempts ${s.maxAttempts}, max_pending ${s.maxPending}, context_overflow ${s.contextOverflow}${s.features ? ', default features' : ''}${s.resume ? `, resume_after_output ${s.resume.maxResumes}` : ''}${s.breaker ? `, breaker ${JSON.stringify(s.breaker)}` : ''}`;
      expect(real.outcomes.length, `requests run (${settings})`).to.equal(model.length);
      real.outcomes.forEach((got, k) => {
        const r = s.requests[k]!;
        const context = `request ${k}: selector ${selectorOf(r)}, ${settings}${r.abortAt !== undefined ? `, client leaves at ${r.abortAt}` : ''}`;
        const want = model[k]!;
        expect(got.circuits, `the circuits as it starts (${context})`).to.deep.equal(want.circuits);
        expect(got.end, `how the request ended (${context})`).to.equal(want.end);
        expect(got.client, `the client's events (${context})`).to.deep.equal(want.client);
        expect(got.journal, `the route journal (${context})`).to.deep.equal(want.journal);
        expect(got.upstreams, `the upstream subscriptions (${context})`).to.deep.equal(want.upstreams);
      });
      expect(real.leftOpen, 'upstreams still open once the client left').to.deep.equal([]);
      const rows = model.flatMap((o) => o.rows).sort((a, b) => Number(a.split(' ')[0]) - Number(b.split(' ')[0]));
      expect(real.rows, `the conversation's attempt rows (${settings})`).to.deep.equal(rows);
    }), fuzzParameters());
  });
});
