import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { collectEvents, type LipEvent, type Message } from '../../lib/canonical/index.js';
import {
  ATTEMPT_OUTCOMES, createContinuityStore,
  type ALegInfo, type AttemptEnd, type AttemptOutcome, type AttemptTicket, type ContinuityStore, type UsageQuery,
} from '../../lib/continuity/index.js';
import { LipError } from '../../lib/errors/index.js';
import { T0, VirtualClock } from '../continuity/virtual-clock.js';
import { requireRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { fuzzParameters, fuzzTimeout } from './fuzz-parameters.js';

/**
 * The three continuity stores against each other, no model: memory, SQLite (a fresh file in a
 * temporary directory) and Redis (this spec's own redis-server, a fresh key prefix per run), each
 * on its own VirtualClock, are driven by one generated sequence of calls of `ContinuityStore`
 * (lib/continuity/continuity-store.ts), with three principals and small pools of ids so that
 * collisions, other principals' ids and deleted ids come up often: A-legs resolved (client
 * session ids, issued ones, none, malformed ones), resumed, routed (`[first]`, affinity bound and
 * cleared with and without a candidate) and described; attempts begun, given their first output
 * and finished (any outcome, reason, status, usage, cost, upstream id), running past `ttl` too,
 * listed and summed by every `groupBy` (with and without a principal and `since`); stored
 * responses saved in chains (through deleted, never-stored and other principals' responses, in
 * circles), read, read as chains and as conversations, deleted; time passing, to and past `ttl`.
 * After every call each store must answer what the memory store answered: the same value, or a
 * LipError of the same code, status and param (anything else escaping fails at once).
 *
 * Where the stores may differ, the spec normalises or keeps to what lip does (each a freedom
 * the contract leaves, or a limit of the test's clocks):
 * * Ids a store generates (A-leg, issued session and B-leg ids) are random: each is replaced by
 *   its first-seen index in that store (`<leg 0>`, `<session 1>`, `<bleg 2>`). Times come from
 *   the virtual clocks, which move together, so they must be equal. Properties whose value is
 *   `undefined` are left out (a JSON answer has no such property).
 * * Records are written behind (SQLite's queue, Redis's writer) on timers of the virtual clock;
 *   in production they go out on the next tick, before time moves on, so every store is flushed
 *   before its clock advances (and where the sequence says `flush` or `persisted`). Reads need no
 *   flush: a store's reads see its own writes at once (`persisted` is for other instances).
 * * Redis expires keys by its own clock. Time moves in steps of 10 s and every lifetime is a
 *   multiple of that: before each step every key of the run is given the expiry it has 10 s
 *   later (deleted when it runs out), read back exactly whatever wall time passed, so that the
 *   Redis store sees virtual time as the others do. SQLite prunes at every step (by default once
 *   a minute): expiry is checked on every read, so pruning must never show.
 * * Expired A-legs are deleted whenever each store gets to it (memory sweeps when it creates an
 *   A-leg, SQLite prunes, Redis sweeps by its index): reads check expiry, but the calls that take
 *   the id of an A-leg a request has just resolved (`routing`, `markFirstConsumed`,
 *   `bindAffinity`, `clearAffinity`, `beginAttempt`) are made only for an A-leg that
 *   `describeALeg` (compared too) still shows. An id no store ever made is used as is.
 * * While an attempt runs its A-leg is not idle, and when it was last seen is the store's to
 *   say (Redis marks it seen whenever it writes it, so that it does not expire): `last_seen_at`
 *   of such an A-leg is not compared.
 * * `usage` sums "the finished attempts still stored (rows go with their A-leg at ttl or
 *   eviction)", deleted as above: it is asked with `since` no earlier than `now - ttl + 1` once
 *   that matters (a row started since belongs to an A-leg that has not expired). Costs are binary
 *   fractions, so that sums in any order are exact.
 * * `max_legs` is never reached (SQLite evicts when it prunes, as documented).
 * * Stored responses are used as lip uses them: an id is never saved again once deleted or named
 *   as a previous response while not stored (lip's ids are unique); a response continues only
 *   one that is alive (lip reads the conversation first); a record saved again while alive keeps
 *   the previous response it named, and is created no earlier than before. A response that
 *   continues a stored one is not deleted: "a parent it kept alive past ttl may now expire"
 *   (LegStore.deleteResponse), and Redis keeps that parent until the deleted response would have
 *   expired, where the others let it go at once.
 */

/** Virtual time moves in steps of this; every lifetime is a multiple of it (see `expireRedisKeys`). */
const STEP = 10_000;
const TTL = 12 * STEP;
const PRINCIPALS = ['alice', 'bob', 'carol'] as const;
const CLIENT_SESSIONS = ['conv-1', 'conv-2', 'shared'] as const;
const BAD_SESSIONS = ['has space', '', 'x'.repeat(129), 'ünï'] as const;
const CANDIDATES = ['a:m1', 'b:m2', 'c:m1?temperature=0.2'] as const;
const RESPONSE_IDS = Array.from({ length: 16 }, (_, i) => `resp_${i + 1}`);
/** Named as a previous response and read, never saved. */
const GHOST = 'resp_ghost';
const UNKNOWN_LEG = `a_${'0'.repeat(32)}`;
const UNKNOWN_BLEG = `b_${'0'.repeat(32)}`;
/** A pick of this is an id no store made (an A-leg, a ticket); smaller picks name the newest first. */
const PICKS = 12;

type SessionPick =
  | { readonly kind: 'none' }
  | { readonly kind: 'client'; readonly id: string }
  /** A session id a store issued, by index (another principal's too). */
  | { readonly kind: 'issued'; readonly pick: number };

/** Who asks: the owner of the A-leg or response picked, another principal, or (where a call allows) nobody in particular. */
type Who = 'owner' | 'other' | 'nobody';
/** A stored response (newest first), one deleted or named while not stored, the one never saved, or any of the pool. */
type IdPick = { readonly kind: 'stored' | 'retired'; readonly pick: number } | { readonly kind: 'ghost' } | { readonly kind: 'pool'; readonly id: string };

interface EndSpec {
  readonly outcome: AttemptOutcome;
  readonly reason: string | undefined;
  readonly httpStatus: number | undefined;
  readonly finishedAgo: number | undefined;
  readonly usage: { inputTokens?: number; outputTokens?: number; cacheReadTokens?: number; cacheWriteTokens?: number; reasoningTokens?: number } | undefined;
  readonly cost: number | undefined;
  readonly upstreamRequestId: string | undefined;
}

interface SaveSpec {
  readonly id: string;
  readonly principal: string;
  readonly prev: string | undefined;
  readonly text: string;
  readonly reasoning: string | undefined;
  readonly leg: number | undefined;
  readonly model: string | undefined;
  readonly echo: Record<string, unknown> | undefined;
  /** Before now: a multiple of STEP, as every lifetime. */
  readonly createdAgo: number | undefined;
}

/** A save as generated: a new id or one picked, by a principal, or by the owner of what it saves again or continues. */
interface SaveGen extends Omit<SaveSpec, 'id' | 'prev'> {
  readonly target: 'fresh' | IdPick;
  readonly byOwner: boolean;
  readonly prev: IdPick | undefined;
}

/** A call as made: principals and response ids in place; A-legs and tickets by pick (each store has its own ids). */
type Op =
  | { readonly op: 'resolve'; readonly principal: string; readonly session: SessionPick }
  | { readonly op: 'resume'; readonly leg: number; readonly principal: string }
  | { readonly op: 'routing'; readonly leg: number }
  | { readonly op: 'markFirst'; readonly leg: number }
  | { readonly op: 'bind'; readonly leg: number; readonly key: string }
  | { readonly op: 'clear'; readonly leg: number; readonly key: string | undefined }
  | { readonly op: 'describe' | 'attempts'; readonly leg: number; readonly principal: string | undefined }
  | { readonly op: 'begin'; readonly leg: number; readonly key: string; readonly keyId: string | undefined; readonly startedAgo: number | undefined }
  | { readonly op: 'firstOutput'; readonly ticket: number; readonly atAgo: number | undefined }
  | { readonly op: 'finish'; readonly ticket: number; readonly end: EndSpec }
  | { readonly op: 'usage'; readonly groupBy: UsageQuery['groupBy']; readonly principal: string | undefined; readonly sinceAgo: number | undefined }
  | { readonly op: 'save'; readonly save: SaveSpec }
  | { readonly op: 'load' | 'chain' | 'conversation' | 'delete'; readonly id: string; readonly principal: string }
  | { readonly op: 'advance'; readonly ms: number }
  | { readonly op: 'flush'; readonly persisted: boolean };

/** A call as generated: who asks, and which response, still to be put in. */
type Gen =
  | Exclude<Op, { readonly op: 'resume' | 'describe' | 'attempts' | 'save' | 'load' | 'chain' | 'conversation' | 'delete' }>
  | { readonly op: 'resume' | 'describe' | 'attempts'; readonly leg: number; readonly who: Who }
  | { readonly op: 'save'; readonly save: SaveGen }
  | { readonly op: 'load' | 'chain' | 'conversation' | 'delete'; readonly id: IdPick; readonly who: Who };

const principal = fc.constantFrom(...PRINCIPALS);
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
/** The newest A-legs and tickets mostly (small picks), sometimes one no store made. */
const leg = fc.oneof({ weight: 15, arbitrary: fc.nat(PICKS - 1) }, { weight: 1, arbitrary: fc.constant(PICKS) });
const who = fc.constantFrom<Who>('owner', 'owner', 'owner', 'other', 'nobody');
/** Times of rows before now, mostly none (now): any millisecond (they set no lifetime). */
const ago = fc.oneof({ weight: 2, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 3_000 }) });
/** The newest mostly. */
const newestPick = fc.oneof({ weight: 2, arbitrary: fc.constant(0) }, { weight: 3, arbitrary: fc.nat(PICKS) });
const idPick = (stored: number): fc.Arbitrary<IdPick> => fc.oneof(
  { weight: stored, arbitrary: newestPick.map((pick) => ({ kind: 'stored' as const, pick })) },
  { weight: 2, arbitrary: fc.nat(PICKS).map((pick) => ({ kind: 'retired' as const, pick })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'ghost' as const }) },
  { weight: 1, arbitrary: fc.constantFrom(...RESPONSE_IDS).map((id) => ({ kind: 'pool' as const, id })) },
);
const count = fc.nat(100_000);
/** Binary fractions: a sum of them is exact in any order. */
const cost = fc.integer({ min: 0, max: 4_096 }).map((n) => n / 64);
const text = fc.oneof(fc.constantFrom('Hi.', 'Paris.', '', 'line\nbreak'), fc.string({ maxLength: 12 }));

const session: fc.Arbitrary<SessionPick> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 4, arbitrary: fc.constantFrom(...CLIENT_SESSIONS).map((id) => ({ kind: 'client' as const, id })) },
  { weight: 1, arbitrary: fc.constantFrom(...BAD_SESSIONS).map((id) => ({ kind: 'client' as const, id })) },
  { weight: 2, arbitrary: fc.nat(PICKS).map((pick) => ({ kind: 'issued' as const, pick })) },
);

const end: fc.Arbitrary<EndSpec> = fc.record({
  outcome: fc.constantFrom(...ATTEMPT_OUTCOMES),
  reason: maybe(fc.oneof(fc.constantFrom('race loser', 'client abort', 'LIP_ERR_UPSTREAM_STATUS: 503', `line one\n  two ${'x'.repeat(600)}`), fc.string({ maxLength: 20 }))),
  httpStatus: maybe(fc.constantFrom(200, 400, 429, 502, 503)),
  finishedAgo: ago,
  usage: maybe(fc.record({ inputTokens: count, outputTokens: count, cacheReadTokens: count, cacheWriteTokens: count, reasoningTokens: count }, { requiredKeys: [] })),
  cost: maybe(cost),
  upstreamRequestId: maybe(fc.oneof(fc.constantFrom('req_1', 'r'.repeat(200)), fc.string({ maxLength: 10 }))),
});

const save: fc.Arbitrary<SaveGen> = fc.record({
  target: fc.oneof({ weight: 3, arbitrary: fc.constant('fresh' as const) }, { weight: 2, arbitrary: idPick(8) }),
  principal,
  byOwner: fc.constantFrom(true, true, true, false),
  prev: fc.option(idPick(24), { freq: 4, nil: undefined }),
  text,
  reasoning: maybe(text),
  leg: maybe(leg),
  model: maybe(fc.constantFrom('m1', 'm2')),
  echo: maybe(fc.oneof(fc.constant({ instructions: 'Be brief.' }), fc.record({ metadata: fc.dictionary(fc.constantFrom('a', 'b'), fc.string({ maxLength: 4 })) }))),
  createdAgo: maybe(fc.constantFrom(0, STEP)),
});

const gen: fc.Arbitrary<Gen> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ op: fc.constant('resolve' as const), principal, session }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('resume' as const), leg, who }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('routing' as const), leg }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('markFirst' as const), leg }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('bind' as const), leg, key: fc.constantFrom(...CANDIDATES) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('clear' as const), leg, key: maybe(fc.constantFrom(...CANDIDATES)) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('describe' as const), leg, who }) },
  { weight: 6, arbitrary: fc.record({ op: fc.constant('begin' as const), leg, key: fc.constantFrom(...CANDIDATES), keyId: maybe(fc.constantFrom('k1', 'k2', '')), startedAgo: ago }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('firstOutput' as const), ticket: leg, atAgo: ago }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('finish' as const), ticket: leg, end }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('attempts' as const), leg, who }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('usage' as const), groupBy: fc.constantFrom('model', 'backend', 'principal', 'key') as fc.Arbitrary<UsageQuery['groupBy']>, principal: fc.oneof(fc.constant(undefined), principal), sinceAgo: maybe(fc.oneof(fc.constantFrom(0, STEP, 2 * STEP), fc.integer({ min: 0, max: 3 * STEP }))) }) },
  { weight: 9, arbitrary: fc.record({ op: fc.constant('save' as const), save }) },
  { weight: 10, arbitrary: fc.record({ op: fc.constantFrom('load' as const, 'chain' as const, 'conversation' as const, 'delete' as const), id: idPick(8), who }) },
  {
    weight: 3,
    arbitrary: fc.oneof(
      { weight: 6, arbitrary: fc.integer({ min: 1, max: 3 }).map((n) => n * STEP) },
      // To the edge of a lifetime and over it (a response saved STEP ago ends one step earlier).
      { weight: 2, arbitrary: fc.constantFrom(TTL - STEP, TTL, TTL + STEP, 2 * TTL) },
    ).map((ms) => ({ op: 'advance' as const, ms })),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('flush' as const), persisted: fc.boolean() }) },
);

/** Another principal than `p`. */
const other = (p: string | undefined): string => PRINCIPALS[(PRINCIPALS.indexOf(p as typeof PRINCIPALS[number]) + 1) % PRINCIPALS.length]!;
/** The newest first: pick 0 is the last of `list`. */
const newest = <T>(list: readonly T[], pick: number): T | undefined => (list.length === 0 ? undefined : list[list.length - 1 - (pick % list.length)]);

/** One store under test, with what it generated (by first-seen index) and its tickets. */
class Subject {
  private readonly names = new Map<string, string>();
  readonly legs: string[] = [];
  /** Who resolved each A-leg (by index). */
  readonly owners: string[] = [];
  readonly sessions: string[] = [];
  readonly tickets: AttemptTicket[] = [];
  /** B-legs begun and not yet finished, by A-leg. */
  private readonly running = new Map<string, Set<string>>();

  constructor(
    readonly name: string,
    readonly store: ContinuityStore,
    readonly clock: VirtualClock,
    /** Called with the step before the clock advances (Redis: its keys' expiry). */
    private readonly beforeAdvance: (ms: number) => Promise<void> = async () => undefined,
  ) {}

  /** Names an id the store generated by its first-seen index. */
  private register(kind: 'leg' | 'session' | 'bleg', id: string, list: string[] | undefined): void {
    if (this.names.has(id)) return;
    this.names.set(id, `<${kind} ${list ? list.length : this.names.size}>`);
    list?.push(id);
  }

  seeLeg(aLegId: string, sessionId: string, principal: string): void {
    if (!this.names.has(aLegId)) this.owners.push(principal);
    this.register('leg', aLegId, this.legs);
    if (/^s_[0-9a-f]{32}$/.test(sessionId)) this.register('session', sessionId, this.sessions);
  }

  seeTicket(ticket: AttemptTicket): void {
    this.tickets.push(ticket);
    this.register('bleg', ticket.bLegId, undefined);
    this.running.set(ticket.aLegId, (this.running.get(ticket.aLegId) ?? new Set()).add(ticket.bLegId));
  }

  finished(ticket: AttemptTicket): void {
    this.running.get(ticket.aLegId)?.delete(ticket.bLegId);
  }

  /** While an attempt runs its A-leg is not idle: when it was last seen is the store's to say (Redis marks it at each write). */
  describe(info: ALegInfo | undefined): unknown {
    return info && (this.running.get(info.a_leg_id)?.size ? { ...info, last_seen_at: 'running' } : info);
  }

  leg(pick: number): string {
    return (pick < PICKS && newest(this.legs, pick)) || UNKNOWN_LEG;
  }

  owner(pick: number): string | undefined {
    return pick < PICKS ? newest(this.owners, pick) : undefined;
  }

  ticket(pick: number): AttemptTicket {
    return (pick < PICKS && newest(this.tickets, pick)) || { aLegId: this.leg(0), seq: 99, bLegId: UNKNOWN_BLEG };
  }

  /**
   * Time passes one STEP at a time, each begun with what is pending written (as in production,
   * where a record goes out on the next tick), so that the stores' own timers (a Redis store
   * keeping the A-legs of running attempts alive) act within the step as they would.
   */
  async advance(ms: number): Promise<void> {
    for (let left = ms; left > 0; left -= STEP) {
      await this.store.flush();
      await this.beforeAdvance(STEP);
      this.clock.advance(STEP);
    }
  }

  /** The answer with generated ids by index and undefined properties left out. */
  normal(value: unknown): unknown {
    if (typeof value === 'string') return this.names.get(value) ?? value;
    if (Array.isArray(value)) return value.map((v) => this.normal(v));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = this.normal(v);
      return out;
    }
    return value;
  }
}

/**
 * Redis on virtual time: every key of the run gets the expiry it has `ms` later (deleted when
 * it runs out). Lifetimes and steps are multiples of STEP, so the expiry left is a multiple of
 * STEP too: rounding what Redis reports takes away the wall time the run has taken since.
 */
async function expireRedisKeys(redis: Redis, prefix: string, ms: number): Promise<void> {
  const keys = await redis.keys(`${prefix}*`);
  const ttls = (await redis.pipeline(keys.map((key) => ['pttl', key])).exec()) ?? [];
  const change = redis.pipeline();
  keys.forEach((key, i) => {
    const [err, pttl] = ttls[i]!;
    if (err) throw err;
    if ((pttl as number) < 0) return; // no expiry (the indexes, the fingerprint key)
    const left = Math.round((pttl as number) / STEP) * STEP - ms;
    if (left <= 0) change.del(key);
    else change.pexpire(key, left);
  });
  await change.exec();
}

/** What a call answered: its (normalised) value, or its LipError's code, status and param. */
async function answer(subject: Subject, call: () => unknown): Promise<unknown> {
  try {
    return { value: subject.normal(await call()) };
  } catch (err) {
    if (!(err instanceof LipError)) throw new Error(`${subject.name}: a non-LipError escaped: ${(err as Error).stack ?? String(err)}`);
    return { error: err.code, status: err.status, param: err.param };
  }
}

const user = (t: string): Message => ({ role: 'user', parts: [{ type: 'text', text: t }] });
function reply(t: string, reasoning: string | undefined) {
  const events: LipEvent[] = [{ type: 'response_started' }];
  if (reasoning !== undefined) events.push({ type: 'reasoning_delta', text: reasoning });
  events.push({ type: 'text_delta', text: t }, { type: 'response_finished', reason: 'stop' });
  return collectEvents(events);
}

/** The same call on one store (its own generated ids put in by pick); what it answered. */
async function run(s: Subject, o: Op): Promise<unknown> {
  const { store, clock } = s;
  const now = clock.now();
  switch (o.op) {
    case 'resolve': {
      const sessionId = o.session.kind === 'none' ? undefined : o.session.kind === 'client' ? o.session.id : s.sessions[o.session.pick % Math.max(1, s.sessions.length)] ?? 'conv-1';
      return answer(s, () => {
        const resolved = store.resolveALeg(o.principal, sessionId);
        s.seeLeg(resolved.aLegId, resolved.sessionId, resolved.principal);
        return resolved;
      });
    }
    case 'resume':
      return answer(s, () => store.resumeALeg(s.leg(o.leg), o.principal));
    case 'describe':
      return answer(s, async () => s.describe(await store.describeALeg(s.leg(o.leg), o.principal)));
    case 'attempts':
      return answer(s, () => store.attempts(s.leg(o.leg), o.principal));
    case 'routing':
      return answer(s, () => store.routing(s.leg(o.leg)));
    case 'markFirst':
      return answer(s, () => { store.markFirstConsumed(s.leg(o.leg)); return store.routing(s.leg(o.leg)); });
    case 'bind':
      return answer(s, () => { store.bindAffinity(s.leg(o.leg), o.key); return store.routing(s.leg(o.leg)); });
    case 'clear':
      return answer(s, () => { store.clearAffinity(s.leg(o.leg), o.key); return store.routing(s.leg(o.leg)); });
    case 'begin':
      return answer(s, () => {
        const [backendId, model] = o.key.split(/[:?]/) as [string, string];
        const ticket = store.beginAttempt(s.leg(o.leg), {
          candidateKey: o.key, backendId, model,
          ...(o.keyId !== undefined ? { keyId: o.keyId } : {}), ...(o.startedAgo !== undefined ? { startedAt: now - o.startedAgo } : {}),
        });
        s.seeTicket(ticket);
        return ticket;
      });
    case 'firstOutput':
      return answer(s, () => store.firstOutput(s.ticket(o.ticket), o.atAgo === undefined ? undefined : now - o.atAgo));
    case 'finish': {
      const e = o.end;
      const attemptEnd: AttemptEnd = {
        outcome: e.outcome,
        ...(e.reason !== undefined ? { reason: e.reason } : {}),
        ...(e.httpStatus !== undefined ? { httpStatus: e.httpStatus } : {}),
        ...(e.finishedAgo !== undefined ? { finishedAt: now - e.finishedAgo } : {}),
        ...(e.usage !== undefined ? { usage: e.usage } : {}),
        ...(e.cost !== undefined ? { cost: e.cost } : {}),
        ...(e.upstreamRequestId !== undefined ? { upstreamRequestId: e.upstreamRequestId } : {}),
      };
      const ticket = s.ticket(o.ticket);
      return answer(s, () => { store.finishAttempt(ticket, attemptEnd); s.finished(ticket); });
    }
    case 'usage': {
      // Rows of expired A-legs go when each store gets to it: only rows started within the ttl are compared.
      const floor = now - TTL + 1;
      const asked = o.sinceAgo === undefined ? undefined : now - o.sinceAgo;
      const since = floor > T0 - 3_000 ? Math.max(asked ?? floor, floor) : asked;
      return answer(s, () => store.usage({ groupBy: o.groupBy, ...(o.principal !== undefined ? { principal: o.principal } : {}), ...(since !== undefined ? { since } : {}) }));
    }
    case 'save': {
      const r = o.save;
      return answer(s, () => store.saveResponse({
        id: r.id, principal: r.principal, input: [user(r.text)], output: reply(r.text, r.reasoning),
        ...(r.prev !== undefined ? { previousResponseId: r.prev } : {}),
        ...(r.leg !== undefined ? { aLegId: s.leg(r.leg), sessionId: `sess-${r.leg}` } : {}),
        ...(r.model !== undefined ? { model: r.model } : {}),
        ...(r.reasoning !== undefined ? { reasoningDialect: 'test.thinking' } : {}),
        ...(r.echo !== undefined ? { echo: r.echo } : {}),
        ...(r.createdAgo !== undefined ? { createdAt: now - r.createdAgo } : {}),
      }));
    }
    case 'load':
      return answer(s, () => store.loadResponse(o.id, o.principal));
    case 'chain':
      return answer(s, () => store.loadChain(o.id, o.principal));
    case 'conversation':
      return answer(s, () => store.loadConversation(o.id, o.principal));
    case 'delete':
      return answer(s, () => store.deleteResponse(o.id, o.principal));
    case 'flush':
      return answer(s, () => (o.persisted && store.persisted ? store.persisted() : store.flush()));
    case 'advance':
      await s.advance(o.ms);
      return { value: clock.now() - T0 };
  }
}

/** The calls that take the id of an A-leg a request has just resolved. */
const ON_LEG = new Set<Op['op']>(['routing', 'markFirst', 'bind', 'clear', 'begin']);

/**
 * The stored responses as lip uses them, kept from the calls made (the same on every store):
 * which ids are stored (saved and not deleted; expired or not), by whom, continuing which.
 */
class Responses {
  /** In the order last saved. */
  private readonly stored = new Map<string, { principal: string; prev: string | undefined; created: number }>();
  /** Deleted, or named as a previous response while not stored: never saved (again), as lip's ids are unique. */
  private readonly retired: string[] = [GHOST];

  id(pick: IdPick): string {
    switch (pick.kind) {
      case 'stored': return newest([...this.stored.keys()], pick.pick) ?? GHOST;
      case 'retired': return newest(this.retired, pick.pick) ?? GHOST;
      case 'ghost': return GHOST;
      case 'pool': return pick.id;
    }
  }

  owner(id: string): string | undefined {
    return this.stored.get(id)?.principal;
  }

  /**
   * The save lip could make of `gen`, or undefined for none. `alive(id, principal)` asks the
   * stores (compared) whether a stored response can be read.
   */
  async plan(gen: SaveGen, now: number, alive: (id: string, principal: string) => Promise<boolean>): Promise<SaveSpec | undefined> {
    const id = gen.target === 'fresh' ? RESPONSE_IDS.find((r) => !this.stored.has(r) && !this.retired.includes(r)) : this.id(gen.target);
    if (id === undefined || this.retired.includes(id)) return undefined;
    const old = this.stored.get(id);
    // A previous response picked among the stored ones while none is: none.
    let prev = gen.prev && (gen.prev.kind === 'stored' && this.stored.size === 0 ? undefined : this.id(gen.prev));
    const principal = (gen.byOwner ? (old ?? this.stored.get(prev ?? ''))?.principal : undefined) ?? gen.principal;
    if (old?.prev !== undefined && this.stored.has(old.prev) && await alive(id, old.principal)) {
      prev = old.prev; // saved again while alive: it keeps continuing what it continued
    } else if (prev !== undefined && this.stored.has(prev)) {
      // Only a response that is alive is continued (lip reads the conversation first); one saved again closes a circle now and then.
      if ((prev === id && gen.byOwner) || !(await alive(prev, this.stored.get(prev)!.principal))) prev = undefined;
    } else if (prev === id) {
      prev = undefined;
    }
    if (prev !== undefined && !this.stored.has(prev) && !this.retired.includes(prev)) this.retired.push(prev);
    // Saved again no earlier than it was created (lip saves a record again as created then, or now).
    const createdAgo = old ? Math.min(gen.createdAgo ?? 0, now - old.created) : gen.createdAgo;
    this.stored.delete(id);
    this.stored.set(id, { principal, prev, created: now - (createdAgo ?? 0) });
    const { target: _target, byOwner: _byOwner, ...rest } = gen;
    return { ...rest, id, principal, prev, createdAgo };
  }

  /** Whether deleting `id` is left alone: it continues a stored response (whose expiry then differs by store, as documented). */
  keepsParent(id: string): boolean {
    return this.stored.has(this.stored.get(id)?.prev ?? '');
  }

  deleted(id: string): void {
    this.stored.delete(id);
    this.retired.push(id);
  }
}

/** `who` as a principal: the owner (`fallback` when there is none), another one, or nobody. */
function asking(who: Who, owner: string | undefined, fallback: string): string | undefined {
  return who === 'owner' ? owner ?? fallback : who === 'other' ? other(owner) : undefined;
}

describe('fuzz: the memory, SQLite and Redis continuity stores answer alike (differential, virtual time)', function () {
  // 100 runs over three stores take 16 s on a busy 2-core machine (load 11): room for a suite beside it.
  this.timeout(fuzzTimeout(600));
  let redis: RedisServer;
  let probe: Redis;
  let dir: string;
  let runs = 0;

  before(async function () {
    redis = await requireRedisServer(this);
    probe = new Redis(redis.url);
    dir = mkdtempSync(join(tmpdir(), 'lip-stores-fuzz-'));
  });
  after(async () => {
    probe?.disconnect();
    await redis?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('every call answers the same on all three stores', async () => {
    await fc.assert(fc.asyncProperty(fc.array(gen, { minLength: 20, maxLength: 80, size: 'max' }), async (gens) => {
      const n = ++runs;
      const runDir = join(dir, String(n));
      mkdirSync(runDir);
      const prefix = `lipfuzz:${n}:`;
      const subjects: Subject[] = [];
      const responses = new Responses();
      /** The same call on every store; each answer must be the memory store's. */
      const compare = async (what: string, call: (s: Subject) => Promise<unknown>): Promise<unknown> => {
        const answers: unknown[] = [];
        for (const s of subjects) answers.push(await call(s));
        for (const [k, a] of answers.entries()) {
          expect(a, `${what} on ${subjects[k]!.name}\n  memory: ${JSON.stringify(answers[0])}\n  ${subjects[k]!.name}: ${JSON.stringify(a)}\n`).to.deep.equal(answers[0]);
        }
        return answers[0];
      };
      try {
        for (const kind of ['memory', 'sqlite', 'redis'] as const) {
          const clock = new VirtualClock();
          // SQLite prunes at every step (by default once a minute): expiry is checked on every read, so pruning must never show.
          const store = createContinuityStore({ store: kind, sqlite_path: join(runDir, 'lip.db'), ttl: TTL, max_legs: 1_000 }, {
            scheduler: clock, redis: { url: redis.url, key_prefix: prefix }, sqlite: { pruneIntervalMs: STEP },
          });
          subjects.push(new Subject(kind, store, clock, kind === 'redis' ? (ms) => expireRedisKeys(probe, prefix, ms) : undefined));
        }
        const memory = subjects[0]!;
        for (const [i, g] of gens.entries()) {
          const at = `call ${i} ${JSON.stringify(g)}`;
          /** `who` is the owner of the A-leg or response picked, another principal or nobody; the call as made. */
          let o: Op;
          switch (g.op) {
            case 'resume':
              o = { op: g.op, leg: g.leg, principal: asking(g.who, memory.owner(g.leg), 'alice') ?? 'carol' };
              break;
            case 'describe':
            case 'attempts':
              o = { op: g.op, leg: g.leg, principal: asking(g.who, memory.owner(g.leg), 'alice') };
              break;
            case 'load':
            case 'chain':
            case 'conversation':
            case 'delete': {
              const id = responses.id(g.id);
              o = { op: g.op, id, principal: asking(g.who, responses.owner(id), 'alice') ?? 'bob' };
              break;
            }
            case 'save': {
              const alive = async (id: string, owner: string) => 'value' in (await compare(`${at}: load ${id} first`, (s) => answer(s, () => s.store.loadResponse(id, owner))) as object);
              const save = await responses.plan(g.save, memory.clock.now(), alive);
              if (!save) continue;
              o = { op: 'save', save };
              break;
            }
            default:
              o = g;
          }
          const pick = 'leg' in o ? o.leg : undefined;
          if (ON_LEG.has(o.op) && pick !== undefined && memory.leg(pick) !== UNKNOWN_LEG) {
            // As lip makes them: for an A-leg a request has just resolved, one still shown.
            const shown = await compare(`${at}: describe first`, (s) => answer(s, async () => s.describe(await s.store.describeALeg(s.leg(pick)))));
            if ((shown as { value?: unknown }).value === undefined) continue;
          }
          if (o.op === 'delete' && responses.keepsParent(o.id)) continue;
          const call = o;
          const got = await compare(`${at} as ${JSON.stringify(o)}`, (s) => run(s, call));
          if (o.op === 'delete' && 'value' in (got as object)) responses.deleted(o.id);
        }
      } finally {
        for (const s of subjects) await s.store.close();
        rmSync(runDir, { recursive: true, force: true });
        await probe.flushall(); // the server is this spec's own: the next run's usage scans none of this one's keys
      }
    }), fuzzParameters());
  });
});
