/**
 * The routing semantics of docs/routing.md, written a second time as a plain discrete-event
 * simulation, with no RxJS and nothing of lib/routing: failover arms, weighted choice with
 * `[first]`, races with handicaps, leaf and global time-to-first-token budgets,
 * `routing.max_attempts`, `server.max_pending_wire_events`, the "already failed in this request"
 * rule, the final error of an exhausted route, a client that leaves, and, across requests of
 * one conversation of one client that may overlap in time, the circuit breaker of
 * docs/circuit-breaker.md (half-open probes of concurrent requests included), `[first]` taken on
 * the conversation's first request and `{affinity=session|client}`. The routing property
 * (routing.fuzz.spec.ts) runs the real executor on virtual time against it.
 *
 * Times: every candidate's script has its own binary fraction (candidate i: `2^-(i+2)`), every
 * request's start its own (request k: `2^-(k+7)`), handicaps are multiples of 10, leaf budgets
 * 5 more than a multiple of 10, the global budget 2 more than a multiple of 5 and a client's
 * departure has the fraction 1/2. Two things of different kinds, or of different requests, can
 * then never happen at the same instant, so the model needs no tie rule beyond the one for two
 * copies of one candidate in a race (the earlier subscription first).
 */

export type ErrorKind = 'retry503' | 'retry429' | 'reset' | 'fatal400' | 'stream' | 'context';

/** How a scripted error reads: the fields routing decides on. */
export const ERRORS: { readonly [K in ErrorKind]: { readonly code: string; readonly status: number; readonly retryable: boolean } } = {
  retry503: { code: 'LIP_ERR_UPSTREAM_STATUS', status: 503, retryable: true },
  retry429: { code: 'LIP_ERR_UPSTREAM_STATUS', status: 429, retryable: true },
  reset: { code: 'LIP_ERR_UPSTREAM_RESET', status: 502, retryable: true },
  fatal400: { code: 'LIP_ERR_UPSTREAM_STATUS', status: 400, retryable: false },
  stream: { code: 'LIP_ERR_UPSTREAM_STREAM_ERROR', status: 502, retryable: false },
  context: { code: 'LIP_ERR_UPSTREAM_CONTEXT_EXCEEDED', status: 400, retryable: false },
};

/**
 * One step of a candidate's upstream, at a time from its subscription: a lifecycle event, a
 * whitespace text delta (output, but it cannot win a race), a text delta, a tool call's start,
 * arguments or end (always those three in a row), the end, or a failure. A script without an end
 * or a failure stalls.
 */
export type Step =
  | { readonly at: number; readonly kind: 'life' | 'ws' | 'text' | 'call' | 'args' | 'done' | 'end' }
  | { readonly at: number; readonly kind: 'fail'; readonly error: ErrorKind };

export interface ModelLeaf {
  /** The candidate: `b:m<cand>`. */
  readonly cand: number;
  readonly ttftMs?: number;
  readonly handicapMs?: number;
  readonly weight?: number;
  readonly first?: boolean;
  /** `[max_context=N]` / `[min_context=N]`: eligible only when the request's estimate is at most N / above N. */
  readonly maxContext?: number;
  readonly minContext?: number;
}

export type ModelArm =
  | { readonly type: 'single'; readonly leaf: ModelLeaf }
  | { readonly type: 'weighted'; readonly branches: readonly ModelLeaf[] }
  | { readonly type: 'race'; readonly legs: readonly ModelLeaf[] };

/** One request of a sequence: its selector, its upstreams' scripts, its client. */
export interface ModelRequest {
  readonly arms: readonly ModelArm[];
  readonly globalTtftMs?: number;
  /** `{affinity=...}`: the conversation's (all requests of a sequence are one) or the client's binding. */
  readonly affinity?: 'session' | 'client';
  /** Each candidate's upstream script for this request. */
  readonly scripts: readonly (readonly Step[])[];
  /** When the client unsubscribes, from the request's start, if it does. */
  readonly abortAt?: number;
  /** When the request starts (its own fraction: see above); requests may overlap. */
  readonly startAt: number;
}

export interface CircuitPolicy {
  readonly failureThreshold: number;
  readonly openForMs: number;
  readonly halfOpenProbes: number;
}

export interface Scenario {
  readonly maxAttempts: number;
  /** `server.max_pending_wire_events` (0: off). */
  readonly maxPending: number;
  /** `routing.context_overflow`: `next` makes a model's context-window refusal a retryable failure. */
  readonly contextOverflow: 'fail' | 'next';
  /** The request's estimated tokens (every request of a scenario asks the same), for the context filters. */
  readonly estimatedTokens: number;
  /** The weighted choices' rolls, used in order (cycled) across the whole sequence. */
  readonly rolls: readonly number[];
  /**
   * The default extension features. Every request declares a tool, so they put a stage in every
   * attempt: tool-call-repair, which holds each tool call from its start to its end and so moves
   * the commit there (a valid call leaves exactly as it came).
   */
  readonly features?: boolean;
  /** `routing.resume_after_output` (absent: off); every candidate's backend takes a prefill. */
  readonly resume?: { readonly maxResumes: number };
  /** `routing.circuit_breaker` (absent: off). */
  readonly breaker?: CircuitPolicy;
  /** Each starts at its `startAt`, whether the others ended or not. */
  readonly requests: readonly ModelRequest[];
}

/** The fraction of request k's start (see above). */
export const startFractionOf = (k: number): number => 2 ** -(k + 7);

/** What one request did, as comparable lines; times from the request's start. */
export interface Outcome {
  /** `time label` per event the client got; a label is `subscription.step`. */
  readonly client: string[];
  /** `time complete`, `time error CODE` or `time aborted`; `open` when the request never ended. */
  readonly end: string;
  /** `key outcome [startedAtMs] [ttftMs] [code]` per journal entry, in order. */
  readonly journal: string[];
  /** `key start-end how` per upstream subscription, in order (`open` when it never ended). */
  readonly upstreams: string[];
  /** `seq key outcome` of each of its attempts' continuity rows (a request that never ended is left by its client at the end: `cancelled`). */
  readonly rows: string[];
  /** The circuits as the request starts: `key state failures`, by key. */
  readonly circuits: string[];
}

export const candidateKey = (cand: number): string => `b:m${cand}`;

/** Every leaf of the arms, in the order written. */
const leavesOf = (arms: readonly ModelArm[]): ModelLeaf[] => arms.flatMap((a) => (a.type === 'single' ? [a.leaf] : a.type === 'weighted' ? [...a.branches] : [...a.legs]));

/** The fraction every time of candidate `cand`'s script carries. */
export const fractionOf = (cand: number): number => 2 ** -(cand + 2);

interface ModelError { readonly code: string; readonly status: number; readonly retryable: boolean }

const NO_CANDIDATE: ModelError = { code: 'LIP_ERR_ROUTE_NO_CANDIDATE', status: 503, retryable: true };
const MAX_ATTEMPTS: ModelError = { code: 'LIP_ERR_ROUTE_MAX_ATTEMPTS', status: 502, retryable: false };
const ALL_FAILED: ModelError = { code: 'LIP_ERR_ROUTE_ALL_FAILED', status: 502, retryable: true };
const RATE_LIMITED: ModelError = { code: 'LIP_ERR_ROUTE_RATE_LIMITED', status: 429, retryable: false };
const LEAF_TTFT: ModelError = { code: 'LIP_ERR_ROUTE_LEAF_TTFT_TIMEOUT', status: 504, retryable: true };
const HELD_LIMIT: ModelError = { code: 'LIP_ERR_UPSTREAM_LIMIT_EXCEEDED', status: 502, retryable: true };

interface Entry { readonly key: string; outcome: string; readonly startedAt?: number; ttft?: number; code?: string; status?: number; skippedFor?: 'context' | 'other'; final?: ModelError }

/** What an attempt tells the operator that runs it. */
interface Sink {
  output(label: string, output: boolean, substantive: boolean): void;
  fail(err: ModelError): void;
  complete(): void;
}

interface Attempt {
  readonly sub: number;
  readonly entry: Entry;
  live: boolean;
  /** The leaf budget saw output (it is off for good). */
  budgetOff: boolean;
  /** Non-output events before the first output (max_pending_wire_events). */
  pending: number;
  output: boolean;
  /** It holds a half-open circuit's probe slot. */
  readonly probe: boolean;
  /** Its continuity row (the conversation's attempts, numbered across its requests). */
  readonly row: { readonly seq: number; readonly key: string; outcome?: string };
  /** Output passed its row (after its stream stages). */
  rowOutput: boolean;
  readonly cancels: (() => void)[];
}

interface Circuit { state: 'closed' | 'open' | 'half_open'; failures: number; openedAt: number; probes: number; windowAt: number }

/**
 * The circuit breaker of docs/circuit-breaker.md: `failure_threshold` consecutive failures open
 * a circuit for `open_for`; then at most `half_open_probes` probes run per `open_for` window; a
 * probe's success closes it, its failure opens it again; a cancelled or ignored probe gives its
 * slot back; a failure while open adds to the count without extending the open time.
 */
class Circuits {
  private readonly map = new Map<string, Circuit>();
  constructor(private readonly policy: CircuitPolicy) {}

  /** May an attempt start now; with `take`, a half-open circuit hands out a probe slot. */
  admit(key: string, now: number, take: boolean): { allowed: boolean; probe: boolean } {
    const c = this.map.get(key);
    if (c === undefined || c.state === 'closed') return { allowed: true, probe: false };
    const next = { ...c };
    if (next.state === 'open') {
      if (now < next.openedAt + this.policy.openForMs) return { allowed: false, probe: false };
      Object.assign(next, { state: 'half_open', probes: 0, windowAt: now });
    }
    if (now >= next.windowAt + this.policy.openForMs) Object.assign(next, { probes: 0, windowAt: now });
    if (next.probes >= this.policy.halfOpenProbes) {
      if (take) this.map.set(key, next);
      return { allowed: false, probe: false };
    }
    if (take) this.map.set(key, { ...next, probes: next.probes + 1 });
    return { allowed: true, probe: true };
  }

  record(key: string, outcome: 'success' | 'failure' | 'cancelled', probe: boolean, now: number): void {
    const c = this.map.get(key);
    if (outcome === 'failure') {
      const failures = (c?.failures ?? 0) + 1;
      const state = c?.state ?? 'closed';
      if (state === 'half_open' || (state === 'closed' && failures >= this.policy.failureThreshold)) {
        this.map.set(key, { state: 'open', failures, openedAt: now, probes: 0, windowAt: 0 });
      } else {
        this.map.set(key, { ...(c ?? { state: 'closed', openedAt: 0, probes: 0, windowAt: 0 }), failures });
      }
      return;
    }
    if (c === undefined) return;
    if (outcome === 'success') {
      // Closed and clean again: nothing to show.
      if (c.state === 'half_open' || (c.state === 'closed' && c.failures > 0)) this.map.delete(key);
      return;
    }
    if (probe && c.state === 'half_open' && c.probes > 0) this.map.set(key, { ...c, probes: c.probes - 1 });
  }

  /** `key state failures`, an elapsed open circuit shown half-open. */
  rows(now: number): string[] {
    return [...this.map].sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, c]) => {
      const state = c.state === 'open' && now >= c.openedAt + this.policy.openForMs ? 'half_open' : c.state;
      return `${key} ${state} ${c.failures}`;
    });
  }
}

/** How an attempt's error counts for its circuit (docs/circuit-breaker.md, "What counts as a failure"). */
function circuitOutcome(err: ModelError): 'failure' | 'cancelled' {
  if (err.code === 'LIP_ERR_UPSTREAM_STATUS' && [400, 413, 422].includes(err.status)) return 'cancelled';
  // Too long for this model: the request's size, not the candidate's health.
  if (err.code === 'LIP_ERR_UPSTREAM_CONTEXT_EXCEEDED') return 'cancelled';
  return 'failure';
}

export function simulate(s: Scenario): Outcome[] {
  let now = 0;
  let seq = 0;
  const queue: { t: number; seq: number; fn: () => void; dead: boolean }[] = [];
  const at = (t: number, fn: () => void) => {
    const item = { t, seq: seq++, fn, dead: false };
    queue.push(item);
    return () => { item.dead = true; };
  };
  let roll = 0;
  const circuits = s.breaker ? new Circuits(s.breaker) : undefined;
  /** The conversation's `[first]` was served; the candidates bound by `{affinity}`. */
  let firstConsumed = false;
  const bound: { session?: string; client?: string } = {};
  const outcomes: Outcome[] = [];
  /** The conversation's B-legs, numbered across its requests in the order they start. */
  let bLegs = 0;

  const request = (r: ModelRequest, k: number): void => {
    const start = now;
    /** What this request has queued: dropped when it ends. */
    const queued: (() => void)[] = [];
    const later = (t: number, fn: () => void) => {
      const cancel = at(t, fn);
      queued.push(cancel);
      return cancel;
    };
    const client: string[] = [];
    let end: string | undefined;
    const journal: Entry[] = [];
    const upstreams: { key: string; start: number; end?: number; how?: string }[] = [];
    const rows: { readonly seq: number; readonly key: string; outcome?: string }[] = [];
    const live = new Set<Attempt>();
    let budget = s.maxAttempts;
    /** Output reached the client (failover, weighted choice and the global budget all see it). */
    let committed = false;
    const since = () => now - start;
    const stages = s.features === true;
    const failed = (key: string) => journal.some((e) => e.key === key && e.outcome === 'failed');
    /** Why a leaf is not tried now: it failed in this request, the context filters, then its circuit. */
    const ineligible = (l: ModelLeaf): 'context' | 'other' | undefined => {
      const key = candidateKey(l.cand);
      if (failed(key)) return 'other';
      const tokens = s.estimatedTokens;
      if ((l.maxContext !== undefined && tokens > l.maxContext) || (l.minContext !== undefined && tokens <= l.minContext)) return 'context';
      return open(key) ? 'other' : undefined;
    };
    const open = (key: string) => circuits !== undefined && !circuits.admit(key, now, false).allowed;
    const firstRequest = !firstConsumed;
    const boundAtStart = r.affinity ? bound[r.affinity] : undefined;
    let served: string | undefined;
    /** The candidate whose output reaches the client first (or that ends with none) serves: `[first]` is spent, the affinity follows it. */
    const commit = (key: string, first: boolean) => {
      if (served !== undefined) return;
      served = key;
      if (first) firstConsumed = true;
      if (r.affinity && key !== boundAtStart) bound[r.affinity] = key;
    };

    const finish = (line: string) => {
      end = `${since()} ${line}`;
      for (const a of [...live]) stop(a, 'cancelled');
      for (const cancel of queued) cancel();
      // A bound candidate that could not serve (skipped, failed) loses the binding.
      const entry = boundAtStart === undefined ? undefined : journal.find((e) => e.key === boundAtStart);
      if (r.affinity && entry && (entry.outcome === 'skipped' || entry.outcome === 'failed') && bound[r.affinity] === boundAtStart) delete bound[r.affinity];
    };
    const stop = (a: Attempt, how: string, outcome: 'success' | 'failure' | 'cancelled' = how === 'complete' ? 'success' : 'cancelled') => {
      // A failure set its row's outcome already (fail, below).
      a.row.outcome ??= how === 'complete' ? 'success' : 'cancelled';
      a.live = false;
      live.delete(a);
      for (const cancel of a.cancels) cancel();
      const u = upstreams[a.sub]!;
      u.end = since();
      u.how = how;
      if (how === 'cancelled' && a.entry.outcome === 'running') a.entry.outcome = 'cancelled';
      circuits?.record(a.entry.key, outcome, a.probe, now);
    };
    /** Each event's kind by its label; what the client has of the answer (resume_after_output reads it). */
    const kinds = new Map<string, Step['kind']>();
    let text = '';
    let blocked = false;
    const toClient = (label: string, output: boolean) => {
      if (end !== undefined) return;
      if (output) committed = true;
      const kind = kinds.get(label);
      if (kind === 'text') text += label;
      else if (kind === 'ws') text += ' ';
      else if (kind === 'call' || kind === 'args') blocked = true;
      client.push(`${since()} ${label}`);
    };

    /** One leaf: skipped, refused by max_attempts or its circuit, or an upstream subscription with its budget. */
    const leaf = (l: ModelLeaf, inRace: boolean, sink: Sink, first = false, continuation = false): Attempt | undefined => {
      const key = candidateKey(l.cand);
      // A continuation's target was chosen eligible when the answer broke; it only meets max_attempts and its circuit.
      const skip = continuation ? undefined : ineligible(l);
      if (skip) {
        journal.push({ key, outcome: 'skipped', skippedFor: skip });
        sink.fail(NO_CANDIDATE);
        return undefined;
      }
      if (budget <= 0) {
        // Spent on 429s only: the client is told to wait (a race leg's refusal is the race's to judge; a resumption's is MAX_ATTEMPTS).
        const spent = (inRace || continuation ? undefined : rateLimited()) ?? MAX_ATTEMPTS;
        // Routing lists the candidate the budget left out (a resumption does not).
        if (!continuation) journal.push({ key, outcome: 'skipped', skippedFor: 'other' });
        sink.fail(spent);
        return undefined;
      }
      const admitted = circuits?.admit(key, now, true) ?? { allowed: true, probe: false };
      if (!admitted.allowed) {
        journal.push({ key, outcome: 'skipped', skippedFor: 'other' });
        sink.fail(NO_CANDIDATE);
        return undefined;
      }
      budget--;
      const entry: Entry = { key, outcome: 'running', startedAt: since() };
      journal.push(entry);
      const row = { seq: ++bLegs, key };
      rows.push(row);
      const a: Attempt = { sub: upstreams.length, entry, live: true, budgetOff: false, pending: 0, output: false, probe: admitted.probe, row, rowOutput: false, cancels: [] };
      upstreams.push({ key, start: since() });
      live.add(a);
      // A race holds its legs itself; a continuation holds nothing (the answer is already out).
      let held: [string, boolean][] | undefined = inRace || continuation ? undefined : [];
      const fail = (err: ModelError, how: string) => {
        // The row: hidden by failover when retryable and before its own output, else it reached the client.
        a.row.outcome = !a.rowOutput && err.retryable ? 'swallowed_failure' : 'surfaced_failure';
        stop(a, how, circuitOutcome(err));
        entry.outcome = 'failed';
        entry.code = err.code;
        entry.status = err.status;
        if (!err.retryable) entry.final = err;
        sink.fail(err);
      };
      /** Past the attempt's stream stages: its first output commits it (outside a race), held events go with it. */
      const downstream = (label: string, output: boolean, substantive: boolean): void => {
        if (output) a.rowOutput = true;
        if (output && entry.ttft === undefined && !continuation) {
          entry.ttft = since();
          if (!inRace) {
            entry.outcome = 'served';
            commit(key, first);
          }
        }
        if (held === undefined) return sink.output(label, output, substantive);
        if (!output) return void held.push([label, output]);
        const release = held;
        held = undefined;
        for (const [h, o] of release) sink.output(h, o, false);
        sink.output(label, output, substantive);
      };
      let callHeld: [string, boolean, boolean][] | undefined;
      r.scripts[l.cand]!.forEach((step, i) => {
        a.cancels.push(later(now + step.at, () => {
          if (!a.live) return;
          const label = `${a.sub}.${i}`;
          kinds.set(label, step.kind);
          if (step.kind === 'fail') {
            const err = ERRORS[step.error];
            return fail(step.error === 'context' && s.contextOverflow === 'next' ? { ...err, retryable: true } : err, 'error');
          }
          if (step.kind === 'end') {
            stop(a, 'complete');
            if (entry.outcome === 'running') {
              entry.outcome = 'served';
              // An answer with no output served too: its end commits it (a race's win commits a leg).
              if (!inRace && !continuation) commit(key, first);
            }
            if (held) for (const [h, o] of held) sink.output(h, o, false);
            held = undefined;
            return sink.complete();
          }
          // A lifecycle event and a tool call's end are not output; whitespace is output that cannot win a race.
          const output = step.kind !== 'life' && step.kind !== 'done';
          const substantive = output && step.kind !== 'ws';
          if (output) a.budgetOff = true;
          // A race leg's events are held (and counted) until its substantive output; its whitespace too.
          if (!a.output) {
            if (inRace ? substantive : output) a.output = true;
            else if (s.maxPending > 0 && ++a.pending > s.maxPending) return fail(HELD_LIMIT, 'cancelled');
          }
          // tool-call-repair's stage: a tool call is held from its start to its end, then released whole.
          if (stages && (step.kind === 'call' || callHeld !== undefined)) {
            (callHeld ??= []).push([label, output, substantive]);
            if (step.kind !== 'done') return;
            const call = callHeld;
            callHeld = undefined;
            for (const [h, o, sub] of call) downstream(h, o, sub);
            return;
          }
          downstream(label, output, substantive);
        }));
      });
      if (l.ttftMs !== undefined) {
        a.cancels.push(later(now + l.ttftMs, () => {
          if (a.live && !a.budgetOff) fail(LEAF_TTFT, 'cancelled');
        }));
      }
      return a;
    };

    /**
     * An arm that produced nothing: its first final failure when every failure was final; when
     * max_attempts ran out inside it, a leg's own final failure or else MAX_ATTEMPTS (the route
     * ends there, as a `|` chain does).
     */
    const armFailed = (failures: ModelError[]): ModelError => {
      const final = failures.find((f) => !f.retryable && f !== MAX_ATTEMPTS);
      if (final !== undefined && failures.every((f) => !f.retryable)) return final;
      if (failures.includes(MAX_ATTEMPTS)) return final ?? rateLimited() ?? MAX_ATTEMPTS;
      return ALL_FAILED;
    };

    const weighted = (branches: readonly ModelLeaf[], sink: Sink) => {
      const remaining = branches.map((_, i) => i);
      const failures: ModelError[] = [];
      let firstTurn = firstRequest;
      // A branch found ineligible is journalled as skipped once and left out of the arm.
      const skipped = new Set<number>();
      const eligibleNow = (i: number): boolean => {
        if (skipped.has(i)) return false;
        const why = ineligible(branches[i]!);
        if (why === undefined) return true;
        skipped.add(i);
        journal.push({ key: candidateKey(branches[i]!.cand), outcome: 'skipped', skippedFor: why });
        return false;
      };
      const attempt = (): void => {
        const eligible = remaining.filter(eligibleNow);
        if (eligible.length === 0) return sink.fail(armFailed(failures));
        let pick = firstTurn ? eligible.find((i) => branches[i]!.first) : undefined;
        firstTurn = false;
        if (pick === undefined) {
          const total = eligible.reduce((n, i) => n + (branches[i]!.weight ?? 1), 0);
          let left = s.rolls[roll++ % s.rolls.length]! * total;
          pick = eligible[eligible.length - 1]!;
          for (const i of eligible) {
            left -= branches[i]!.weight ?? 1;
            if (left < 0) {
              pick = i;
              break;
            }
          }
        }
        const index = pick;
        leaf(branches[index]!, false, {
          output: sink.output,
          complete: sink.complete,
          fail: (err) => {
            if (committed || !err.retryable) return sink.fail(err);
            failures.push(err);
            remaining.splice(remaining.indexOf(index), 1);
            attempt();
          },
        }, branches[index]!.first === true);
      };
      attempt();
    };

    const race = (legs: readonly ModelLeaf[], sink: Sink) => {
      type Leg = { readonly l: ModelLeaf; state: string; buffer: [string, boolean][]; attempt?: Attempt; timer?: () => void };
      const all: Leg[] = legs.map((l) => ({ l, state: 'pending', buffer: [] }));
      const failures: ModelError[] = [];
      const finished: Leg[] = [];
      let winner: Leg | undefined;
      let done = false;
      const release = (leg: Leg) => {
        winner = leg;
        leg.state = 'won';
        for (const other of all) {
          if (other === leg) continue;
          if (other.state === 'running' && other.attempt?.live) stop(other.attempt, 'cancelled');
          if (other.state === 'running' || other.state === 'pending') {
            other.timer?.();
            other.state = 'lost';
          }
        }
        // The winner's row serves (a copy of its candidate still running in the race was stopped above).
        const entry = [...journal].reverse().find((e) => e.key === candidateKey(leg.l.cand) && e.outcome === 'running');
        if (entry) entry.outcome = 'served';
        commit(candidateKey(leg.l.cand), false);
        for (const [label, output] of leg.buffer) toClient(label, output);
        leg.buffer = [];
      };
      const settle = () => {
        if (done || winner || all.some((l) => l.state === 'pending' || l.state === 'running')) return;
        done = true;
        const fallback = finished[0];
        if (!fallback) return sink.fail(armFailed(failures));
        release(fallback);
        sink.complete();
      };
      const begin = (leg: Leg) => {
        if (winner || done || leg.state !== 'pending') return;
        leg.state = 'running';
        leg.attempt = leaf(leg.l, true, {
          output: (label, output, substantive) => {
            if (winner === leg) return sink.output(label, output, substantive);
            if (winner) return;
            leg.buffer.push([label, output]);
            if (substantive) release(leg);
          },
          fail: (err) => {
            if (winner === leg) {
              done = true;
              return sink.fail(err);
            }
            if (leg.state !== 'running') return;
            leg.state = 'failed';
            leg.buffer = [];
            failures.push(err);
            settle();
          },
          complete: () => {
            if (winner === leg) {
              done = true;
              return sink.complete();
            }
            if (leg.state !== 'running') return;
            leg.state = 'completed';
            finished.push(leg);
            settle();
          },
        });
      };
      for (const leg of all) {
        if ((leg.l.handicapMs ?? 0) <= 0) begin(leg);
        else leg.timer = later(now + leg.l.handicapMs!, () => begin(leg));
      }
      settle();
    };

    /** Every candidate tried so far was rate-limited (429), and one was. */
    function rateLimited(): ModelError | undefined {
      const tried = journal.filter((e) => e.outcome === 'failed');
      return tried.length > 0 && tried.every((e) => e.status === 429) ? RATE_LIMITED : undefined;
    }

    /** The route's final error when every arm failed, from the journal (docs/routing.md, CONTRACT section 7). */
    const exhausted = (): ModelError => {
      const tried = journal.filter((e) => e.outcome === 'failed');
      const skipped = journal.filter((e) => e.outcome === 'skipped');
      const sizeOnly = skipped.every((e) => e.skippedFor === 'context');
      if (tried.length === 0 && skipped.length > 0) return sizeOnly ? { code: 'LIP_ERR_ROUTE_CONTEXT_EXCEEDED', status: 400, retryable: false } : NO_CANDIDATE;
      // Too long for every model tried, and for the filters of the others: the client's protocol says so.
      if (tried.length > 0 && tried.every((e) => e.code === 'LIP_ERR_UPSTREAM_CONTEXT_EXCEEDED') && sizeOnly) return ERRORS.context;
      const limited = rateLimited();
      if (limited !== undefined) return limited;
      // Every one tried overloaded or unavailable (an upstream's 503): 503, not a 502.
      if (tried.length > 0 && tried.every((e) => e.status === 503 && e.code === 'LIP_ERR_UPSTREAM_STATUS')) return { code: 'LIP_ERR_ROUTE_OVERLOADED', status: 503, retryable: false };
      // A failure that was not retryable (a race leg's 400, outlived by the race): the request's own fault, its own status.
      return tried.find((e) => e.final !== undefined)?.final ?? ALL_FAILED;
    };

    // The bound candidate, while the selector still has it, is tried before the arms (the first leaf naming it).
    const sticky = boundAtStart === undefined ? undefined
      : leavesOf(r.arms).find((l) => candidateKey(l.cand) === boundAtStart);
    const arms: readonly ModelArm[] = sticky ? [{ type: 'single', leaf: sticky }, ...r.arms] : r.arms;
    /**
     * The answer broke after output: with resume_after_output, a retryable break of an answer
     * the client has only text of is continued (a prefill of that text) on the route's other
     * eligible candidates in route order (each other one a skip in the journal), then on the one
     * that served; each continuation is an attempt (a circuit that refuses it: a skip).
     * Otherwise, or when no target continues it, the break reaches the client.
     */
    let resumesLeft = s.resume?.maxResumes ?? 0;
    const broke = (err: ModelError): void => {
      if (!s.resume || !err.retryable || blocked || resumesLeft <= 0) return finish(`error ${err.code}`);
      resumesLeft--;
      const seen = new Set<string>();
      const all = leavesOf(r.arms).filter((l) => {
        const key = candidateKey(l.cand);
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
      // Another candidate left out is a skip in the journal, as routing's own.
      const others = all.filter((l) => {
        if (candidateKey(l.cand) === served) return false;
        const why = ineligible(l);
        if (why !== undefined) journal.push({ key: candidateKey(l.cand), outcome: 'skipped', skippedFor: why });
        return why === undefined;
      });
      const targets = [...others, ...all.filter((l) => candidateKey(l.cand) === served)];
      const skip = text.slice(text.replace(/\s+$/, '').length);
      const tryTarget = (i: number): void => {
        const target = targets[i];
        if (target === undefined) return finish(`error ${err.code}`);
        let started = false;
        let skipLeft = skip;
        leaf(target, false, {
          output: (label, output) => {
            const kind = kinds.get(label);
            // Its openings (and reasoning) are dropped; whitespace the prefill could not end with is not repeated.
            if (kind === 'life') return;
            if (kind === 'ws' && skipLeft.length > 0) {
              skipLeft = skipLeft.slice(1);
              return;
            }
            if (kind === 'text') skipLeft = '';
            if (output) started = true;
            toClient(label, output);
          },
          fail: (e) => {
            if (end !== undefined) return;
            if (started) broke(e);
            else tryTarget(i + 1);
          },
          complete: () => { if (end === undefined) finish('complete'); },
        }, false, true);
      };
      tryTarget(0);
    };

    const arm = (index: number): void => {
      if (end !== undefined) return;
      if (index >= arms.length) return finish(`error ${exhausted().code}`);
      const sink: Sink = {
        output: (label, output) => toClient(label, output),
        complete: () => { if (end === undefined) finish('complete'); },
        fail: (err) => {
          if (end !== undefined) return;
          if (committed) return broke(err);
          if (!err.retryable) return finish(`error ${err.code}`);
          arm(index + 1);
        },
      };
      const a = arms[index]!;
      if (a.type === 'single') leaf(a.leaf, false, sink);
      else if (a.type === 'weighted') weighted(a.branches, sink);
      else race(a.legs, sink);
    };

    const circuitRows = circuits?.rows(now) ?? [];
    arm(0);
    if (r.globalTtftMs !== undefined) later(start + r.globalTtftMs, () => { if (end === undefined && !committed) finish('error LIP_ERR_ROUTE_TTFT_TIMEOUT'); });
    if (r.abortAt !== undefined) later(start + r.abortAt, () => { if (end === undefined) finish('aborted'); });
    // Read when everything ran (the lines of a request that never ended say `open`).
    outcomes[k] = {
      client,
      get end() { return end ?? 'open'; },
      get journal() { return journal.map((e) => [e.key, e.outcome, e.startedAt, e.ttft, e.code].filter((x) => x !== undefined).join(' ')); },
      get upstreams() { return upstreams.map((u) => `${u.key} ${u.start}-${u.end ?? 'open'} ${u.how ?? ''}`.trim()); },
      get rows() { return rows.map((w) => `${w.seq} ${w.key} ${w.outcome ?? 'cancelled'}`); },
      circuits: circuitRows,
    };
  };

  s.requests.forEach((r, k) => at(r.startAt, () => request(r, k)));
  for (;;) {
    const next = queue.filter((q) => !q.dead).sort((x, y) => x.t - y.t || x.seq - y.seq)[0];
    if (!next) break;
    next.dead = true;
    now = next.t;
    next.fn();
  }
  // Plain values, for deep equality.
  return outcomes.map((o) => ({ client: o.client, end: o.end, journal: o.journal, upstreams: o.upstreams, circuits: o.circuits, rows: o.rows }));
}
