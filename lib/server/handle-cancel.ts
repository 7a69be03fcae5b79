import type { IncomingMessage } from 'node:http';
import type { Runtime } from '../core/runtime.js';
import { LipError } from '../errors/index.js';
import type { RequestState } from './request-state.js';
import type { CancelRelay, RelayedAnswer, RelayedCancel } from './cancel-relay.js';
import type { CancelTarget } from './route-table.js';
import type { BackgroundRuns } from './background-runs.js';

export interface CancelRequest {
  readonly target: CancelTarget;
  /** The A-leg id or response id of the path. */
  readonly id: string;
  readonly principal: string;
  readonly path: string;
}

/** How long a cancel with other instances looks for a conversation not (yet) in the shared store. */
const RELAYED_IDENTIFY_MS = 1_000;

const notFound = () => new LipError('LIP_ERR_CANCEL_NOT_FOUND', 'cancellation target not found');
const forbidden = () => new LipError('LIP_ERR_CANCEL_FORBIDDEN', 'cancellation forbidden: the resume token is not the one of this conversation');

/**
 * The cancel endpoints: `POST /lip/v1/a-legs/{id}/cancel` and `POST /v1/responses/{id}/cancel`
 * abort every in-flight request of the A-leg (each unsubscribes its attempts, which closes the
 * upstream connections; a stream ends with the protocol's in-band error, a waiting non-streamed
 * request answers `LIP_ERR_REQUEST_CANCELLED`). Authorised by the conversation's resume token
 * (`X-LIP-Resume-Token`) under the caller's principal, checked in this order:
 *
 * 1. no token -> 401 `missing cancellation identity` (with `continuity.client_session_ids`, an
 *    `X-LIP-Session-Id` of the caller's own A-leg stands in for it);
 * 2. the token unknown to this principal, the A-leg not this principal's, or the response not
 *    in flight for it -> 404 `cancellation target not found` (the same answer whether or not the
 *    target exists for someone else);
 * 3. the token valid but of another of the caller's conversations -> 403 `cancellation forbidden`.
 *
 * Answers the A-leg id and how many requests were cancelled (an A-leg with nothing in flight
 * is a success with 0: cancelling is idempotent); a response cancel answers with the protocol's
 * own object (`route.cancelledResponse`). Requests are found among the server's in-flight
 * requests, and with `relay` (continuity shared through Redis) among those of every other
 * instance too (CancelRelay, cancelRelayed).
 *
 * A Responses cancel of a background response comes first and needs no token
 * (cancelBackgroundResponse): its principal's, running here or elsewhere, it ends that response
 * alone; ended, it is answered as it ended (`storedBackground`, which rejects with
 * `LIP_ERR_CONTINUITY_UNAVAILABLE` when the store cannot be read). When that lookup could not
 * read the store (a Redis outage: the response may run, or have ended, on another instance),
 * a cancel that would be the 401 of a missing identity or a 404 is that 503 instead, with
 * `Retry-After: 1`, as a retrieval of the response answers meanwhile: a 401 tells the SDKs the
 * key is bad.
 * @see spec/e2e/sessions.spec.ts
 * @see spec/e2e/background-responses.spec.ts
 * @see spec/e2e/regression-cancel-during-redis-outage.spec.ts
 */
export async function handleCancel(request: CancelRequest, req: IncomingMessage, runtime: Runtime, inflight: Iterable<RequestState>, relay?: CancelRelay, storedBackground?: (id: string) => Promise<unknown>): Promise<{ status: number; body: unknown }> {
  const { principal, id } = request;
  /** Why the background lookup could not say whether the response exists (the store could not be read). */
  let unreadable: LipError | undefined;
  if (request.target === 'response') {
    try {
      const answer = await cancelBackgroundResponse(request, inflight, relay, storedBackground);
      if (answer !== undefined) return { status: 200, body: answer };
    } catch (err) {
      if ((err as LipError).code !== 'LIP_ERR_CONTINUITY_UNAVAILABLE') throw err;
      unreadable = err as LipError;
    }
  }
  const missing = () => unreadable ?? notFound();
  const header = (name: string) => {
    const value = req.headers[name];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const token = header('x-lip-resume-token');
  const sessionId = header('x-lip-session-id');
  const mine = [...inflight].filter((s) => s.principal === principal && s.aLegId !== undefined);
  const response = request.target === 'response' ? mine.find((s) => s.responseId === id) : undefined;
  const reason = `cancelled by POST ${request.path}`;
  /**
   * A Responses cancel of a response that does not run here: the instance where it runs checks
   * it against the caller's conversation (`check`) and cancels it; undefined when none has it.
   */
  const elsewhere = async (check: { aLegId: string } | { sessionId: string }): Promise<RelayedAnswer | undefined> => {
    if (relay === undefined) return undefined;
    const answers = await relay.ask({ principal, responseId: id, ...check, path: request.path });
    return answers.find((a) => a.found && a.forbidden) ?? answers.find((a) => a.found);
  };
  let remote: RelayedAnswer | undefined;
  let aLegId: string;
  if (token !== undefined) {
    await runtime.sessions.prepare({ principal, resumeToken: token });
    let session = runtime.sessions.identify(principal, token);
    // With other instances (relay), a conversation that started on one of them a moment ago may not
    // be in the shared store yet (records are written behind): looked up again for a while.
    for (let waited = 0; session === undefined && relay !== undefined && waited < RELAYED_IDENTIFY_MS; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      await runtime.sessions.prepare({ principal, resumeToken: token });
      session = runtime.sessions.identify(principal, token);
    }
    if (session === undefined) throw missing();
    if (request.target === 'response') {
      if (response === undefined) remote = await elsewhere({ aLegId: session.aLegId });
      if (response === undefined && remote === undefined) throw missing();
      if (response !== undefined ? response.aLegId !== session.aLegId : remote!.forbidden) throw forbidden();
    } else if (session.aLegId !== id) {
      if ((await runtime.continuity.describeALeg(id, principal)) === undefined && !mine.some((s) => s.aLegId === id)) throw notFound();
      throw forbidden();
    }
    aLegId = session.aLegId;
  } else if (sessionId !== undefined && runtime.sessions.clientSessionIds) {
    // Compatibility: the client's own session id names its A-leg.
    if (request.target === 'response') {
      if (response === undefined) remote = await elsewhere({ sessionId });
      if (response === undefined && remote === undefined) throw missing();
      if (response !== undefined ? response.sessionId !== sessionId : remote!.forbidden) throw forbidden();
      aLegId = response?.aLegId ?? remote!.aLegId ?? '';
    } else {
      const leg = await runtime.continuity.describeALeg(id, principal);
      const running = mine.find((s) => s.aLegId === id);
      if (leg === undefined && running === undefined) throw notFound();
      if ((leg?.session_id ?? running?.sessionId) !== sessionId) throw forbidden();
      aLegId = id;
    }
  } else {
    throw unreadable ?? new LipError('LIP_ERR_CANCEL_IDENTITY_MISSING', 'missing cancellation identity: send the conversation\'s X-LIP-Resume-Token');
  }

  const answer = response?.cancelledResponse?.() ?? remote?.body;
  let cancelled = cancelHere(mine, aLegId, reason, request.path);
  // The conversation's requests running on other instances (the one running a cancelled response has cancelled its own already).
  if (relay !== undefined && aLegId !== '') {
    for (const other of await relay.ask({ principal, aLegId, path: request.path })) cancelled += other.cancelled;
  }
  if (answer !== undefined) return { status: 200, body: answer };
  return { status: 200, body: { a_leg_id: aLegId, status: 'cancelled', cancelled_requests: cancelled } };
}

/** Ends one background response's run (1), unless it is ending already (0: cancelled before, or ended, its `abort` gone). */
function cancelBackground(state: RequestState, reason: string, path: string): number {
  if (state.cancelled !== undefined || state.abort === undefined) return 0;
  state.cancelled = reason;
  state.abort(new LipError('LIP_ERR_REQUEST_CANCELLED', `the background response was cancelled (POST ${path})`));
  return 1;
}

/**
 * A cancel of a background response (OpenAI's semantics: its principal is all it needs, and it
 * ends that response only): running here, or with `relay` on another instance, it is cancelled
 * and answered with its cancelled object; one that already ended is answered as it ended
 * (`storedBackground`: cancelling is idempotent). Undefined when the id names no background
 * response of the caller (the cancel goes on as one of a response running in its request).
 */
async function cancelBackgroundResponse(request: CancelRequest, inflight: Iterable<RequestState>, relay: CancelRelay | undefined, storedBackground: ((id: string) => Promise<unknown>) | undefined): Promise<unknown> {
  const { principal, id } = request;
  const reason = `cancelled by POST ${request.path}`;
  for (const state of inflight) {
    if (state.background !== true || state.responseId !== id || state.principal !== principal) continue;
    // Answered as it ended: cancelled now with what it had produced (its run ends at once), or as
    // it had ended already (its record being written).
    cancelBackground(state, reason, request.path);
    return state.ended?.() ?? state.cancelledResponse?.();
  }
  if (relay !== undefined) {
    const answers = await relay.ask({ principal, responseId: id, background: true, path: request.path });
    const found = answers.find((a) => a.found);
    if (found !== undefined) return found.body;
  }
  return storedBackground?.(id);
}

/** Cancels the in-flight requests of `aLegId` among `states`; answers how many. */
function cancelHere(states: readonly RequestState[], aLegId: string, reason: string, path: string): number {
  let cancelled = 0;
  for (const state of states) {
    if (state.aLegId !== aLegId || state.abort === undefined || state.cancelled !== undefined) continue;
    state.cancelled = reason;
    state.abort(new LipError('LIP_ERR_REQUEST_CANCELLED', `the request was cancelled (POST ${path})`));
    cancelled++;
  }
  return cancelled;
}

/**
 * A cancel relayed by another instance (CancelRelay), authorised there: a Responses cancel
 * first checks that the response runs here in the caller's conversation (by A-leg, or by the
 * client's session id), then, like an A-leg cancel, cancels the conversation's requests here.
 * A background one (`background`) ends that response's run here, if it is its principal's;
 * with `peek` nothing is cancelled: it answers the running response's object (or, with `items`,
 * a page of its input items) from `runs`; with `deleted` its response was deleted, and `runs`
 * forgets its run (BackgroundRuns.drop).
 */
export function cancelRelayed(cancel: RelayedCancel, inflight: Iterable<RequestState>, runs?: BackgroundRuns): RelayedAnswer {
  const mine = [...inflight].filter((s) => s.principal === cancel.principal && s.aLegId !== undefined);
  const reason = `cancelled by POST ${cancel.path}`;
  if (cancel.background === true) {
    if (cancel.deleted === true) return { found: runs?.drop(cancel.responseId ?? '', cancel.principal) ?? false, forbidden: false, cancelled: 0 };
    if (cancel.peek === true) {
      const run = runs?.find(cancel.responseId ?? '', cancel.principal);
      if (run === undefined || run.endedAt !== undefined || (cancel.items !== undefined && run.items === undefined)) return { found: false, forbidden: false, cancelled: 0 };
      return { found: true, forbidden: false, cancelled: 0, body: cancel.items !== undefined ? run.items!(new URLSearchParams(cancel.items)) : run.running() };
    }
    const state = mine.find((s) => s.background === true && s.responseId === cancel.responseId);
    if (state === undefined) return { found: false, forbidden: false, cancelled: 0 };
    const cancelled = cancelBackground(state, reason, cancel.path);
    const body = state.ended?.() ?? state.cancelledResponse?.();
    return { found: true, forbidden: false, cancelled, ...(body !== undefined ? { body } : {}) };
  }
  if (cancel.responseId === undefined) {
    return { found: false, forbidden: false, cancelled: cancel.aLegId === undefined ? 0 : cancelHere(mine, cancel.aLegId, reason, cancel.path) };
  }
  const response = mine.find((s) => s.responseId === cancel.responseId);
  if (response === undefined) return { found: false, forbidden: false, cancelled: 0 };
  const theirs = cancel.aLegId !== undefined ? response.aLegId === cancel.aLegId : response.sessionId === cancel.sessionId;
  if (!theirs) return { found: true, forbidden: true, cancelled: 0 };
  const body = response.cancelledResponse?.();
  return { found: true, forbidden: false, aLegId: response.aLegId!, cancelled: cancelHere(mine, response.aLegId!, reason, cancel.path), ...(body !== undefined ? { body } : {}) };
}
