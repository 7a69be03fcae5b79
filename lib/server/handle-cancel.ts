import type { IncomingMessage } from 'node:http';
import type { Runtime } from '../core/runtime.js';
import { LipError } from '../errors/index.js';
import type { RequestState } from './request-state.js';
import type { CancelTarget } from './route-table.js';

export interface CancelRequest {
  readonly target: CancelTarget;
  /** The A-leg id or response id of the path. */
  readonly id: string;
  readonly principal: string;
  readonly path: string;
}

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
 * requests, so a cancel reaches requests of this process only.
 * @see spec/e2e/sessions.spec.ts
 */
export async function handleCancel(request: CancelRequest, req: IncomingMessage, runtime: Runtime, inflight: Iterable<RequestState>): Promise<{ status: number; body: unknown }> {
  const { principal, id } = request;
  const header = (name: string) => {
    const value = req.headers[name];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const token = header('x-lip-resume-token');
  const sessionId = header('x-lip-session-id');
  const mine = [...inflight].filter((s) => s.principal === principal && s.aLegId !== undefined);
  const response = request.target === 'response' ? mine.find((s) => s.responseId === id) : undefined;
  let aLegId: string;
  if (token !== undefined) {
    await runtime.sessions.prepare({ principal, resumeToken: token });
    const session = runtime.sessions.identify(principal, token);
    if (session === undefined) throw notFound();
    if (request.target === 'response') {
      if (response === undefined) throw notFound();
      if (response.aLegId !== session.aLegId) throw forbidden();
    } else if (session.aLegId !== id) {
      if ((await runtime.continuity.describeALeg(id, principal)) === undefined && !mine.some((s) => s.aLegId === id)) throw notFound();
      throw forbidden();
    }
    aLegId = session.aLegId;
  } else if (sessionId !== undefined && runtime.sessions.clientSessionIds) {
    // Compatibility: the client's own session id names its A-leg.
    if (request.target === 'response') {
      if (response === undefined) throw notFound();
      if (response.sessionId !== sessionId) throw forbidden();
      aLegId = response.aLegId!;
    } else {
      const leg = await runtime.continuity.describeALeg(id, principal);
      const running = mine.find((s) => s.aLegId === id);
      if (leg === undefined && running === undefined) throw notFound();
      if ((leg?.session_id ?? running?.sessionId) !== sessionId) throw forbidden();
      aLegId = id;
    }
  } else {
    throw new LipError('LIP_ERR_CANCEL_IDENTITY_MISSING', 'missing cancellation identity: send the conversation\'s X-LIP-Resume-Token');
  }

  const answer = response?.cancelledResponse?.();
  const reason = `cancelled by POST ${request.path}`;
  let cancelled = 0;
  for (const state of mine) {
    if (state.aLegId !== aLegId || state.abort === undefined || state.cancelled !== undefined) continue;
    state.cancelled = reason;
    state.abort(new LipError('LIP_ERR_REQUEST_CANCELLED', `the request was cancelled (POST ${request.path})`));
    cancelled++;
  }
  if (answer !== undefined) return { status: 200, body: answer };
  return { status: 200, body: { a_leg_id: aLegId, status: 'cancelled', cancelled_requests: cancelled } };
}
