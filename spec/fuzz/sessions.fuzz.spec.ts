import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { createContinuityStore, SecureSessions, type SessionGrant } from '../../lib/continuity/index.js';
import { LipError } from '../../lib/errors/index.js';
import { VirtualClock } from '../continuity/virtual-clock.js';
import { fuzzParameters, fuzzTimeout } from './fuzz-parameters.js';

/**
 * Sessions and capacity against a plain model (docs/sessions.md and docs/continuity.md,
 * "Sessions and resume tokens", "Capacity and fair share", "Expiry and eviction"), over the
 * memory store on virtual time: principals start conversations and resume them (with their own
 * token or another principal's, with the right, a wrong or no session id, with the right or a
 * wrong A-leg id), time passes. Every answer (the same A-leg, 403 denied, 410 expired) must be
 * the model's, and so must what the store still holds: expiry after `max(ttl, resume_window)`
 * of idleness (swept when a record is made), `max_legs` shared by the fair-share rule; with
 * `continuity.lineage: conversations`, records made only when a conversation is resumed, and a
 * sealed token resuming a conversation without one within the window of its start.
 */

type Command =
  | { readonly kind: 'begin'; readonly principal: number }
  | { readonly kind: 'resume'; readonly foreign: number; readonly pick: number; readonly sessionId: 'none' | 'right' | 'wrong'; readonly aLegId: 'none' | 'right' | 'wrong' }
  | { readonly kind: 'wait'; readonly ms: number };

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('begin' as const), principal: fc.nat(2) }) },
  { weight: 4, arbitrary: fc.record({
    // Mostly the owner resumes; sometimes another principal (1 or 2 principals further) holds its token.
    kind: fc.constant('resume' as const), foreign: fc.constantFrom(0, 0, 0, 1, 2), pick: fc.nat(),
    sessionId: fc.constantFrom('none' as const, 'none' as const, 'right' as const, 'wrong' as const),
    aLegId: fc.constantFrom('none' as const, 'none' as const, 'right' as const, 'wrong' as const),
  }) },
  // Waits land on the windows' edges too (the windows are multiples of 100 ms).
  { weight: 3, arbitrary: fc.oneof(fc.integer({ min: 1, max: 250 }), fc.constantFrom(99, 100, 101, 199, 200, 201)).map((ms) => ({ kind: 'wait' as const, ms })) },
);

const settings = fc.record({
  /**
   * The memory store, or SQLite with room for every conversation: SQLite deletes expired records
   * and evicts past `max_legs` when it prunes (once a minute of the run's clock, or past
   * `max_legs`), not at the write, so on it no record is deleted within a run (an expired one is
   * still found: its token is answered 410, where the memory store, having swept it, says 403,
   * as docs/continuity.md allows); its reads check expiry themselves.
   */
  sqlite: fc.boolean(),
  /** `continuity.lineage: conversations`: a conversation gets a record only when it needs one (here: when resumed); its sealed token resumes it without one. */
  lazy: fc.boolean(),
  ttl: fc.constantFrom(100, 200, 300),
  resumeWindow: fc.constantFrom(100, 200, 300),
  maxLegs: fc.integer({ min: 1, max: 5 }),
});

interface Leg { readonly id: number; readonly principal: number; readonly created: number; lastSeen: number; stored: boolean; gone: boolean }

/** The documented rules, plainly. */
class Model {
  readonly legs: Leg[] = [];
  constructor(private readonly s: { sqlite: boolean; lazy: boolean; ttl: number; resumeWindow: number; maxLegs: number }) {}

  private get lifetime(): number {
    return Math.max(this.s.ttl, this.s.resumeWindow);
  }

  private live(): Leg[] {
    return this.legs.filter((l) => l.stored && !l.gone);
  }

  /** A new conversation: its record at once, or (lazy) none until it is resumed. */
  begin(principal: number, now: number): Leg {
    const leg: Leg = { id: this.legs.length, principal, created: now, lastSeen: now, stored: !this.s.lazy, gone: false };
    this.legs.push(leg);
    if (leg.stored) this.stored(leg, now);
    return leg;
  }

  /** A record made: expired ones swept from the least recently seen end, then the fair-share victims while over max_legs. */
  private stored(leg: Leg, now: number): void {
    leg.stored = true;
    leg.gone = false;
    leg.lastSeen = now;
    // SQLite deletes expired records when it prunes (once a minute, or past max_legs): never within
    // a run here, so an expired record stays; a read still answers it as gone (403).
    if (this.s.sqlite) return;
    for (const l of this.live().sort((a, b) => a.lastSeen - b.lastSeen)) {
      if (l === leg || now - l.lastSeen < this.lifetime) break;
      l.gone = true;
    }
    while (this.live().length > this.s.maxLegs) {
      const counts = new Map<number, Leg[]>();
      for (const l of this.live()) if (l !== leg) counts.set(l.principal, [...(counts.get(l.principal) ?? []), l]);
      // The principal holding the most (the new conversation counts for its own); among equals, the one whose oldest was seen least recently.
      const held = (p: number) => this.live().filter((l) => l.principal === p).length;
      const candidates = [...counts.entries()].map(([p, own]) => ({ held: held(p), oldest: own.reduce((a, b) => (a.lastSeen <= b.lastSeen ? a : b)) }));
      const most = Math.max(...candidates.map((c) => c.held));
      const victim = candidates.filter((c) => c.held === most).map((c) => c.oldest).reduce((a, b) => (a.lastSeen <= b.lastSeen ? a : b));
      victim.gone = true;
    }
  }

  resume(principal: number, leg: Leg | undefined, sessionId: 'none' | 'right' | 'wrong', aLegId: 'none' | 'right' | 'wrong', now: number): string {
    if (leg === undefined || leg.principal !== principal || sessionId === 'wrong' || aLegId === 'wrong') return 'denied';
    // Past its lifetime a record is gone, swept or not (expiry is checked on every read).
    const record = leg.stored && !leg.gone && now - leg.lastSeen < this.lifetime;
    if (!record) {
      // No record (never made, or swept or evicted): a sealed token still names it, its start taken as its last activity.
      if (!this.s.lazy) return 'denied';
      if (now - leg.created > this.s.resumeWindow) return 'expired';
      this.stored(leg, now);
      return `leg ${leg.id}`;
    }
    if (now - leg.lastSeen > this.s.resumeWindow) return 'expired';
    leg.lastSeen = now;
    return `leg ${leg.id}`;
  }
}

describe('fuzz: sessions, expiry and fair-share capacity against a plain model (memory store, virtual time)', function () {
  this.timeout(fuzzTimeout(20));

  it('every resume is answered as the model says, and the store holds exactly the model\'s conversations', async () => {
    await fc.assert(fc.asyncProperty(settings.map((s) => (s.sqlite ? { ...s, maxLegs: 1_000 } : s)), fc.array(command, { minLength: 5, maxLength: 40, size: 'medium' }), async (s, commands) => {
      const clock = new VirtualClock();
      const dir = s.sqlite ? mkdtempSync(join(tmpdir(), 'lip-sessions-fuzz-')) : undefined;
      const store = createContinuityStore({ store: dir ? 'sqlite' : 'memory', sqlite_path: dir ? join(dir, 'lip.db') : './unused.db', ttl: s.ttl, max_legs: s.maxLegs, resume_window: s.resumeWindow }, { scheduler: clock });
      const sessions = new SecureSessions(store, { resumeWindowMs: s.resumeWindow, clientSessionIds: false, now: () => clock.now(), lazy: s.lazy });
      const model = new Model(s);
      const grants: SessionGrant[] = [];
      try {
        for (const c of commands) {
          // Every command at its own millisecond: no two conversations are ever seen at the same instant.
          clock.advance(c.kind === 'wait' ? c.ms : 1);
          const now = clock.now();
          if (c.kind === 'begin') {
            grants.push(sessions.begin(`p${c.principal}`));
            model.begin(c.principal, now);
          } else if (c.kind === 'resume' && grants.length > 0) {
            const i = c.pick % grants.length;
            const grant = grants[i]!;
            const asPrincipal = (model.legs[i]!.principal + c.foreign) % 3;
            const principal = `p${asPrincipal}`;
            let got: string;
            try {
              const aLeg = sessions.open({
                principal, resumeToken: grant.resumeToken!,
                ...(c.sessionId === 'none' ? {} : { sessionId: c.sessionId === 'right' ? grant.aLeg.sessionId : `s_${'0'.repeat(26)}` }),
                ...(c.aLegId === 'none' ? {} : { aLegId: c.aLegId === 'right' ? grant.aLeg.aLegId : `a_${'0'.repeat(26)}` }),
              }).aLeg;
              got = `leg ${grants.findIndex((g) => g.aLeg.aLegId === aLeg.aLegId)}`;
            } catch (err) {
              if (!(err instanceof LipError)) throw err;
              got = err.code === 'LIP_ERR_SESSION_DENIED' ? 'denied' : err.code === 'LIP_ERR_SESSION_EXPIRED' ? 'expired' : err.code;
            }
            expect(got, `resume of conversation ${i} by ${principal}`).to.equal(model.resume(asPrincipal, model.legs[i], c.sessionId, c.aLegId, now));
          }
          // What the store holds: each conversation the model keeps, and no other.
          const held = await Promise.all(grants.map(async (g) => (await store.attempts(g.aLeg.aLegId, g.aLeg.principal)) !== undefined));
          const kept = model.legs.map((l) => l.stored && !l.gone && clock.now() - l.lastSeen < Math.max(s.ttl, s.resumeWindow));
          expect(held, 'the conversations the store holds').to.deep.equal(kept);
        }
      } finally {
        await store.close();
        if (dir) rmSync(dir, { recursive: true, force: true });
      }
    }), fuzzParameters());
  });
});
