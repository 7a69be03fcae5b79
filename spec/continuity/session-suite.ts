import { expect } from 'chai';
import { SecureSessions, type ContinuityStore, type SessionGrant } from '../../lib/continuity/index.js';
import { LipError } from '../../lib/errors/index.js';
import { VirtualClock } from './virtual-clock.js';

export interface SessionSettingsForTest {
  readonly ttl: number;
  readonly max_legs: number;
  readonly resume_window: number;
}

export interface SessionHarness {
  /** A fresh, empty store on `clock`. */
  open(clock: VirtualClock, config: SessionSettingsForTest): ContinuityStore;
  /** The same store again after a restart (persistent stores only). */
  reopen?(clock: VirtualClock, config: SessionSettingsForTest): ContinuityStore;
  cleanup?(): void;
}

const HOUR = 3_600_000;
const WINDOW = 168 * HOUR;
const DENIED_MESSAGE = 'session could not be resumed; start a new conversation by sending neither X-LIP-Session-Id nor X-LIP-Resume-Token';

function refusal(fn: () => unknown): LipError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(LipError);
    return err as LipError;
  }
  throw new Error('expected a refusal');
}

/**
 * What every continuity store must do for proxy-issued sessions and fair-share capacity, run
 * over each implementation (memory, SQLite; any other store calls this from its own spec with
 * its harness). The decisions live in SecureSessions; the store only keeps and finds.
 */
export function runSessionSuite(kind: string, harness: SessionHarness): void {
  describe(`secure sessions over the ${kind} store`, () => {
    let clock: VirtualClock;
    let store: ContinuityStore;
    let sessions: SecureSessions;
    const open = (config: Partial<SessionSettingsForTest> = {}, clientSessionIds = false, again = false, lazy = false) => {
      if (!again) clock = new VirtualClock();
      const settings = { ttl: config.ttl ?? 24 * HOUR, max_legs: config.max_legs ?? 1_000, resume_window: config.resume_window ?? WINDOW };
      store = again ? harness.reopen!(clock, settings) : harness.open(clock, settings);
      sessions = new SecureSessions(store, { resumeWindowMs: settings.resume_window, clientSessionIds, now: () => clock.now(), lazy });
      return sessions;
    };
    const begin = (principal = 'alice'): SessionGrant & { resumeToken: string } => sessions.begin(principal) as SessionGrant & { resumeToken: string };

    afterEach(async () => {
      await store?.close();
      harness.cleanup?.();
    });

    it('a new conversation gets a proxy session id and a 64-character resume token; only its fingerprint is kept', () => {
      open();
      const grant = sessions.open({ principal: 'alice' });
      expect(grant.aLeg).to.deep.include({ principal: 'alice', created: true });
      expect(grant.aLeg.sessionId).to.match(/^s_[0-9a-f]{32}$/);
      expect(grant.resumeToken).to.match(/^[A-Za-z0-9_-]{64}$/);
      expect(Buffer.from(grant.resumeToken!, 'base64url')).to.have.length(48);
      expect(store.findSession(grant.resumeToken!)).to.equal(undefined);
      expect(store.findSession(sessions.fingerprint('alice', grant.resumeToken!))).to.deep.include({ aLegId: grant.aLeg.aLegId, sessionId: grant.aLeg.sessionId, principal: 'alice' });
      expect(sessions.open({ principal: 'alice' }).resumeToken).to.not.equal(grant.resumeToken);
    });

    it('the token resumes the conversation, with or without its session id and A-leg id; no new token is issued', () => {
      open();
      const first = begin();
      clock.advance(1_000);
      for (const extra of [{}, { sessionId: first.aLeg.sessionId }, { sessionId: first.aLeg.sessionId, aLegId: first.aLeg.aLegId }]) {
        const again = sessions.open({ principal: 'alice', resumeToken: first.resumeToken, ...extra });
        expect([again.aLeg.aLegId, again.aLeg.created, again.resumeToken]).to.deep.equal([first.aLeg.aLegId, false, undefined]);
      }
    });

    it('a session id without its token is refused (400) and starts nothing', () => {
      open();
      const first = begin();
      const err = refusal(() => sessions.open({ principal: 'alice', sessionId: first.aLeg.sessionId }));
      expect([err.code, err.status, err.param]).to.deep.equal(['LIP_ERR_SESSION_TOKEN_REQUIRED', 400, 'X-LIP-Resume-Token']);
      expect(store.status().legs).to.equal(1);
      // A malformed session id is still a 400 about the header itself.
      expect(refusal(() => sessions.open({ principal: 'alice', sessionId: 'has space' })).code).to.equal('LIP_ERR_REQUEST_INVALID');
    });

    it('another principal\'s token is refused exactly like an unknown token (same code, status, message)', () => {
      open();
      const alice = begin('alice');
      const unknown = refusal(() => sessions.open({ principal: 'mallory', resumeToken: 'A'.repeat(64) }));
      const foreign = refusal(() => sessions.open({ principal: 'mallory', resumeToken: alice.resumeToken }));
      const foreignWithId = refusal(() => sessions.open({ principal: 'mallory', resumeToken: alice.resumeToken, sessionId: alice.aLeg.sessionId }));
      for (const err of [unknown, foreign, foreignWithId]) expect([err.code, err.status, err.message]).to.deep.equal(['LIP_ERR_SESSION_DENIED', 403, DENIED_MESSAGE]);
      expect(sessions.open({ principal: 'alice', resumeToken: alice.resumeToken }).aLeg.aLegId).to.equal(alice.aLeg.aLegId);
    });

    it('checks in order: a session id or A-leg id that is not the token\'s is denied; a malformed token is a 400', () => {
      open();
      const one = begin();
      const two = begin();
      for (const request of [
        { resumeToken: one.resumeToken, sessionId: two.aLeg.sessionId },
        { resumeToken: one.resumeToken, aLegId: two.aLeg.aLegId },
      ]) {
        expect(refusal(() => sessions.open({ principal: 'alice', ...request })).message).to.equal(DENIED_MESSAGE);
      }
      const malformed = refusal(() => sessions.open({ principal: 'alice', resumeToken: 'short' }));
      expect([malformed.code, malformed.status, malformed.param]).to.deep.equal(['LIP_ERR_REQUEST_INVALID', 400, 'X-LIP-Resume-Token']);
    });

    it('resumes up to resume_window after the last activity, and refuses it as expired (410) one millisecond later', () => {
      open({ resume_window: 2 * HOUR, ttl: 24 * HOUR });
      const grant = begin();
      clock.advance(2 * HOUR);
      expect(sessions.open({ principal: 'alice', resumeToken: grant.resumeToken }).aLeg.aLegId).to.equal(grant.aLeg.aLegId); // the boundary: still inside
      clock.advance(2 * HOUR + 1);
      const err = refusal(() => sessions.open({ principal: 'alice', resumeToken: grant.resumeToken }));
      expect([err.code, err.status]).to.deep.equal(['LIP_ERR_SESSION_EXPIRED', 410]);
      expect(err.message).to.match(/more than 2h ago \(continuity.resume_window\)/);
      // A bad session id is still checked before the window.
      expect(refusal(() => sessions.open({ principal: 'alice', resumeToken: grant.resumeToken, sessionId: 's_other' })).code).to.equal('LIP_ERR_SESSION_DENIED');
    });

    it('a session past its record\'s lifetime (the longer of ttl and resume_window) is refused as unknown (403), swept yet or not', async () => {
      open({ ttl: 4 * HOUR, resume_window: HOUR });
      const grant = begin();
      const resume = async () => {
        const request = { principal: 'alice', resumeToken: grant.resumeToken };
        await sessions.prepare(request);
        return refusal(() => sessions.open(request));
      };
      clock.advance(2 * HOUR);
      expect((await resume()).code, 'past the window, the record still kept').to.equal('LIP_ERR_SESSION_EXPIRED');
      clock.advance(2 * HOUR);
      // Nothing swept it (no new A-leg, no write): the read itself sees that it expired.
      const err = await resume();
      expect([err.code, err.status, err.message]).to.deep.equal(['LIP_ERR_SESSION_DENIED', 403, DENIED_MESSAGE]);
      expect(store.findSession(sessions.fingerprint('alice', grant.resumeToken))).to.equal(undefined);
      expect(sessions.identify('alice', grant.resumeToken)).to.equal(undefined);
    });

    it('keeps a session for the whole window even when continuity.ttl is shorter', async () => {
      open({ ttl: HOUR, resume_window: 10 * HOUR });
      const grant = begin();
      const plain = store.resolveALeg('alice', 'client-chosen');
      clock.advance(9 * HOUR);
      store.resolveALeg('bob'); // a new A-leg sweeps what has expired
      await store.flush();
      expect(sessions.open({ principal: 'alice', resumeToken: grant.resumeToken }).aLeg.aLegId).to.equal(grant.aLeg.aLegId);
      expect(await store.describeALeg(plain.aLegId)).to.equal(undefined);
    });

    it('a reload\'s longer resume_window (reconfigure, then sessions over the same store) keeps and resumes sessions for the whole new window', async () => {
      open({ ttl: HOUR, resume_window: 2 * HOUR });
      const grant = begin();
      store.reconfigure({ ttlMs: HOUR, maxLegs: 1_000, resumeWindowMs: 10 * HOUR });
      sessions = new SecureSessions(store, { resumeWindowMs: 10 * HOUR, clientSessionIds: false, now: () => clock.now() });
      clock.advance(9 * HOUR);
      store.resolveALeg('bob'); // a new A-leg sweeps what has expired
      await store.flush();
      const request = { principal: 'alice', resumeToken: grant.resumeToken };
      await sessions.prepare(request);
      expect(sessions.open(request).aLeg.aLegId).to.equal(grant.aLeg.aLegId);
    });

    it('with client_session_ids, a client-chosen session id names (and creates) the principal\'s A-leg without a token', () => {
      open({}, true);
      const first = sessions.open({ principal: 'alice', sessionId: 'my-conversation' });
      expect([first.aLeg.created, first.aLeg.sessionId, first.resumeToken]).to.deep.equal([true, 'my-conversation', undefined]);
      expect(sessions.open({ principal: 'alice', sessionId: 'my-conversation' }).aLeg.aLegId).to.equal(first.aLeg.aLegId);
      // Tokens still work, and a request naming nothing still gets one.
      const issued = sessions.open({ principal: 'alice' });
      expect(issued.resumeToken).to.be.a('string');
      expect(sessions.open({ principal: 'alice', resumeToken: issued.resumeToken! }).aLeg.aLegId).to.equal(issued.aLeg.aLegId);
    });

    it('an A-leg id without its token is refused (400) like a session id, a continued response or not, and starts nothing', () => {
      open();
      const first = begin();
      const second = begin();
      for (const request of [{ aLegId: first.aLeg.aLegId }, { aLegId: first.aLeg.aLegId, continuedALegId: first.aLeg.aLegId }, { aLegId: first.aLeg.aLegId, continuedALegId: second.aLeg.aLegId }]) {
        const err = refusal(() => sessions.open({ principal: 'alice', ...request }));
        expect([err.code, err.status, err.param]).to.deep.equal(['LIP_ERR_SESSION_TOKEN_REQUIRED', 400, 'X-LIP-Resume-Token']);
        expect(err.message).to.match(/^X-LIP-A-Leg-Id alone does not resume a conversation/);
      }
      expect(store.status().legs).to.equal(2);
    });

    it('with client_session_ids, an A-leg id names the principal\'s A-leg; one not the session id\'s or the continued response\'s is denied', () => {
      open({}, true);
      const first = sessions.open({ principal: 'alice', sessionId: 'chat-1' });
      const second = sessions.open({ principal: 'alice', sessionId: 'chat-2' });
      const { aLegId } = first.aLeg;
      for (const request of [{ aLegId }, { aLegId, sessionId: 'chat-1' }, { aLegId, continuedALegId: aLegId }]) {
        const again = sessions.open({ principal: 'alice', ...request });
        expect([again.aLeg.aLegId, again.aLeg.created, again.resumeToken]).to.deep.equal([aLegId, false, undefined]);
      }
      for (const request of [
        { aLegId, sessionId: 'chat-2' },
        { aLegId, continuedALegId: second.aLeg.aLegId },
        { aLegId: 'a_0123456789abcdef0123456789abcdef' },
        { aLegId, sessionId: 'chat-new' },
      ]) {
        const err = refusal(() => sessions.open({ principal: 'alice', ...request }));
        expect([err.code, err.status, err.message], JSON.stringify(request)).to.deep.equal(['LIP_ERR_SESSION_DENIED', 403, DENIED_MESSAGE]);
      }
      expect(refusal(() => sessions.open({ principal: 'mallory', aLegId })).code, 'another principal\'s A-leg').to.equal('LIP_ERR_SESSION_DENIED');
      expect(store.status().legs, 'a refused request starts nothing').to.equal(2);
    });

    it('a continued response resumes its A-leg for its own principal only', () => {
      open();
      const grant = begin();
      expect(sessions.open({ principal: 'alice', continuedALegId: grant.aLeg.aLegId }).aLeg).to.deep.include({ aLegId: grant.aLeg.aLegId, created: false });
      const other = sessions.open({ principal: 'mallory', continuedALegId: grant.aLeg.aLegId });
      expect([other.aLeg.aLegId === grant.aLeg.aLegId, other.aLeg.created, typeof other.resumeToken]).to.deep.equal([false, true, 'string']);
    });

    it('identify (cancel endpoints) finds the token\'s session for its principal only', () => {
      open();
      const grant = begin();
      expect(sessions.identify('alice', grant.resumeToken)?.aLegId).to.equal(grant.aLeg.aLegId);
      expect([sessions.identify('mallory', grant.resumeToken), sessions.identify('alice', 'x'), sessions.identify('alice', 'B'.repeat(64))]).to.deep.equal([undefined, undefined, undefined]);
    });

    it('fair share: a principal flooding max_legs evicts its own conversations, never those of principals holding fewer', async () => {
      open({ max_legs: 10 });
      const alice = [begin('alice'), begin('alice')];
      clock.advance(1);
      const bob = begin('bob');
      for (let i = 0; i < 50; i++) {
        clock.advance(1);
        begin('mallory');
        await store.flush();
      }
      await store.flush();
      for (const grant of [...alice, bob]) {
        expect(sessions.open({ principal: grant.aLeg.principal, resumeToken: grant.resumeToken }).aLeg.aLegId).to.equal(grant.aLeg.aLegId);
      }
      expect(store.status().legs).to.be.at.most(11);
    });

    describe('continuity.lineage: conversations (no record until something needs one)', () => {
      const lazily = (config: Partial<SessionSettingsForTest> = {}) => open(config, false, false, true);
      const tamper = (token: string, at: number) => {
        const bytes = Buffer.from(token, 'base64url');
        bytes[at] ^= 1;
        return bytes.toString('base64url');
      };

      it('a new conversation gets its ids and a 64-character sealed token, and no record; its attempts are numbered without rows', async () => {
        lazily();
        const grant = begin();
        expect(grant.aLeg).to.deep.include({ principal: 'alice', created: true, firstConsumed: false });
        expect([grant.aLeg.aLegId, grant.aLeg.sessionId, grant.resumeToken]).to.satisfy(([a, s, t]: string[]) => /^a_[0-9a-f]{32}$/.test(a!) && /^s_[0-9a-f]{32}$/.test(s!) && /^[A-Za-z0-9_-]{64}$/.test(t!));
        expect(grant.pending?.stored).to.equal(false);
        const tickets = [grant.pending!.tickets.beginAttempt(grant.aLeg.aLegId, { candidateKey: 'a:m', backendId: 'a', model: 'm' }), grant.pending!.tickets.beginAttempt(grant.aLeg.aLegId, { candidateKey: 'b:m', backendId: 'b', model: 'm' })];
        expect(tickets.map((t) => t.seq)).to.deep.equal([1, 2]);
        expect(tickets[0]!.bLegId).to.match(/^b_[0-9a-f]{32}$/);
        await store.flush();
        expect(store.status().legs).to.equal(0);
        expect(await store.attempts(grant.aLeg.aLegId)).to.equal(undefined);
        expect(store.findSession(sessions.fingerprint('alice', grant.resumeToken))).to.equal(undefined);
      });

      it('its token resumes it: the record is made under the same ids, then found by fingerprint like any other', async () => {
        lazily();
        const grant = begin();
        clock.advance(1_000);
        const again = sessions.open({ principal: 'alice', resumeToken: grant.resumeToken, sessionId: grant.aLeg.sessionId, aLegId: grant.aLeg.aLegId });
        expect([again.aLeg.aLegId, again.aLeg.sessionId, again.aLeg.created, again.resumeToken, again.pending]).to.deep.equal([grant.aLeg.aLegId, grant.aLeg.sessionId, false, undefined, undefined]);
        await store.flush();
        expect(store.status().legs).to.equal(1);
        expect(store.findSession(sessions.fingerprint('alice', grant.resumeToken))).to.deep.include({ aLegId: grant.aLeg.aLegId, principal: 'alice' });
        const ticket = store.beginAttempt(again.aLeg.aLegId, { candidateKey: 'a:m', backendId: 'a', model: 'm' });
        store.finishAttempt(ticket, { outcome: 'success', httpStatus: 200 });
        expect(sessions.open({ principal: 'alice', resumeToken: grant.resumeToken }).aLeg.aLegId).to.equal(grant.aLeg.aLegId);
        await store.flush();
        expect((await store.attempts(grant.aLeg.aLegId))?.map((r) => r.seq)).to.deep.equal([1]);
        expect(store.status().legs).to.equal(1);
      });

      it('pending.store() makes the record at once (a stored response, session routing state); a second call does nothing', async () => {
        lazily();
        const grant = begin();
        grant.pending!.store();
        grant.pending!.store();
        await store.flush();
        expect([grant.pending!.stored, store.status().legs]).to.deep.equal([true, 1]);
        expect((await store.describeALeg(grant.aLeg.aLegId))?.session_id).to.equal(grant.aLeg.sessionId);
        expect(store.findSession(sessions.fingerprint('alice', grant.resumeToken))?.aLegId).to.equal(grant.aLeg.aLegId);
        // Never taken over under another principal.
        expect(() => store.storeALeg({ principal: 'mallory', aLegId: grant.aLeg.aLegId, sessionId: grant.aLeg.sessionId, createdAt: clock.now() }))
          .to.throw(LipError, /held by another principal/);
        expect((await store.describeALeg(grant.aLeg.aLegId))?.principal).to.equal('alice');
      });

      it('refuses exactly as for stored sessions: another principal, an altered token, a session id or A-leg id not the token\'s', () => {
        lazily();
        const grant = begin();
        const other = begin();
        for (const request of [
          { principal: 'mallory', resumeToken: grant.resumeToken },
          { principal: 'alice', resumeToken: tamper(grant.resumeToken, 3) }, // the A-leg id
          { principal: 'alice', resumeToken: tamper(grant.resumeToken, 20) }, // the session id
          { principal: 'alice', resumeToken: tamper(grant.resumeToken, 40) }, // the MAC
          { principal: 'alice', resumeToken: grant.resumeToken, sessionId: other.aLeg.sessionId },
          { principal: 'alice', resumeToken: grant.resumeToken, aLegId: other.aLeg.aLegId },
        ]) {
          const err = refusal(() => sessions.open(request));
          expect([err.code, err.status, err.message]).to.deep.equal(['LIP_ERR_SESSION_DENIED', 403, DENIED_MESSAGE]);
        }
        expect(store.status().legs).to.equal(0);
      });

      it('an unstored conversation resumes up to resume_window after its start, and is expired (410) one millisecond later', () => {
        lazily({ resume_window: 2 * HOUR });
        const inside = begin();
        const outside = begin();
        clock.advance(2 * HOUR);
        expect(sessions.open({ principal: 'alice', resumeToken: inside.resumeToken }).aLeg.aLegId).to.equal(inside.aLeg.aLegId);
        clock.advance(1);
        const err = refusal(() => sessions.open({ principal: 'alice', resumeToken: outside.resumeToken }));
        expect([err.code, err.status]).to.deep.equal(['LIP_ERR_SESSION_EXPIRED', 410]);
      });

      it('a conversation whose record was evicted resumes from its token under the same ids', async () => {
        lazily({ max_legs: 3 });
        const first = begin();
        first.pending!.store();
        for (let i = 0; i < 6; i++) {
          clock.advance(1);
          begin().pending!.store();
          await store.flush();
        }
        await store.flush();
        expect(await store.describeALeg(first.aLeg.aLegId)).to.equal(undefined);
        const again = sessions.open({ principal: 'alice', resumeToken: first.resumeToken });
        expect([again.aLeg.aLegId, again.aLeg.sessionId, again.aLeg.created]).to.deep.equal([first.aLeg.aLegId, first.aLeg.sessionId, false]);
      });

      it('identify (cancel endpoints) knows an unstored conversation by its token, for its principal only', () => {
        lazily();
        const grant = begin();
        expect(sessions.identify('alice', grant.resumeToken)).to.deep.include({ aLegId: grant.aLeg.aLegId, sessionId: grant.aLeg.sessionId, principal: 'alice' });
        expect([sessions.identify('mallory', grant.resumeToken), sessions.identify('alice', tamper(grant.resumeToken, 40))]).to.deep.equal([undefined, undefined]);
      });

      it('an auxiliary call\'s A-leg is pending too, and stored under its own ids when asked', async () => {
        lazily();
        const aux = sessions.auxiliary('alice', 'aux:req-1');
        expect([aux.aLeg.sessionId, aux.resumeToken, aux.pending?.stored]).to.deep.equal(['aux:req-1', undefined, false]);
        aux.pending!.store();
        await store.flush();
        expect((await store.describeALeg(aux.aLeg.aLegId))?.session_id).to.equal('aux:req-1');
      });

      it('an auxiliary A-leg\'s name becomes a valid session id (a batch request\'s `/`, any other character, past 128), stored or not', async () => {
        const name = `embed:msgbatch_1/${'ü'.repeat(3)} x${'y'.repeat(200)}`;
        const expected = `embed:msgbatch_1_____x${'y'.repeat(200)}`.slice(0, 128);
        open();
        const stored = sessions.auxiliary('alice', name);
        await store.flush();
        expect((await store.describeALeg(stored.aLeg.aLegId))?.session_id).to.equal(expected);
        lazily();
        expect(sessions.auxiliary('alice', name).aLeg.sessionId).to.equal(expected);
      });

      it('switching lineage keeps stored sessions: a token of a stored conversation resumes either way; an unstored one only lazily', () => {
        open();
        const stored = begin();
        sessions = new SecureSessions(store, { resumeWindowMs: WINDOW, clientSessionIds: false, now: () => clock.now(), lazy: true });
        expect(sessions.open({ principal: 'alice', resumeToken: stored.resumeToken }).aLeg.aLegId).to.equal(stored.aLeg.aLegId);
        const unstored = begin();
        sessions = new SecureSessions(store, { resumeWindowMs: WINDOW, clientSessionIds: false, now: () => clock.now() });
        expect(refusal(() => sessions.open({ principal: 'alice', resumeToken: unstored.resumeToken })).message).to.equal(DENIED_MESSAGE);
      });
    });

    if (harness.reopen) {
      it('resumes after a restart: the fingerprint key and the session survive', async () => {
        open();
        const grant = begin();
        await store.close();
        open({}, false, true);
        const again = sessions.open({ principal: 'alice', resumeToken: grant.resumeToken, sessionId: grant.aLeg.sessionId });
        expect([again.aLeg.aLegId, again.aLeg.created]).to.deep.equal([grant.aLeg.aLegId, false]);
        expect(refusal(() => sessions.open({ principal: 'mallory', resumeToken: grant.resumeToken })).message).to.equal(DENIED_MESSAGE);
      });
    }
  });
}
