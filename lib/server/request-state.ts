import type { Call, EmbeddingRequest } from '../canonical/index.js';
import type { ApiKeyConfig } from '../config/index.js';
import type { CandidateAllow } from '../core/candidate-allow.js';
import type { CacheResult } from '../core/response-cache.js';
import type { ExecutionMeta } from '../core/execute.js';
import { LipError, toLipError } from '../errors/index.js';
import type { RequestTrace } from '../observability/tracing.js';
import type { DecodeTicket } from './decode-admission.js';
import type { RateLimitState } from '../frontends/protocol.js';
import type { BudgetLeft } from './key-budgets.js';
import type { FailedBody } from '../wire/index.js';

/** What the access log and the drain logic know about one request. */
export interface RequestState {
  readonly requestId: string;
  readonly startedAt: number;
  /** Bounded-cardinality name of the matched route (`/v1/chat/completions`, `unmatched`). */
  routeGroup: string;
  /** Candidate key that served, when a backend was involved. */
  backend?: string;
  /** Code of the failure, if the request failed (before or after output). */
  errorCode?: string;
  principal?: string;
  /** The id of the client's API key (`auth.api_keys[].id`). */
  keyId?: string;
  /** The candidates that key may be served by (`auth.api_keys[].allow`); absent: all. */
  allow?: CandidateAllow;
  /** The client's API key when it has a budget: what the request spent is charged to it when it ends. */
  budgetKey?: ApiKeyConfig;
  /**
   * Reserves the decoded call's estimated spending from that key's budget while it is in flight
   * (KeyBudgets.reserve; throws the 429 when it would pass a limit beside the others in flight).
   */
  reserveBudget?: (call: Call) => void;
  /**
   * The same for a decoded embeddings request (its estimated input tokens, priced at the input
   * price of the first candidate of its route: `X-LIP-Route` when sent, else its model's).
   */
  reserveEmbeddingsBudget?: (request: EmbeddingRequest, routeHeader: string | undefined) => void;
  /** Releases that reservation (when the request is charged what it spent). */
  releaseBudget?: () => void;
  /** What was left of that budget when the request was admitted (`X-LIP-Budget-*` headers). */
  budgetLeft?: BudgetLeft;
  /** The key's per-minute limits as this request found them (the answer's rate-limit headers). */
  rateLimit?: RateLimitState;
  /** A route that is not traffic (health, readiness, metrics): not counted, not logged by default. */
  system?: boolean;
  /** The request's SERVER span (tracing on). */
  trace?: RequestTrace;
  /** How the response cache met a request that is not a generation's (an embeddings request); a generation's is its meta's. */
  cache?: CacheResult;
  /** An embeddings request that was answered: its input tokens (`estimated`: lip's estimate) and their cost (by the pricing table). */
  embedded?: { readonly inputTokens: number; readonly estimated: boolean; readonly cost: number | undefined };
  /** A body that could not be taken: its text (read, no JSON lip takes) or `unread` (not read whole); a recording keeps which. */
  failedBody?: FailedBody;
  /** An embeddings request: its frontend, the model asked for (once decoded), and what its failover found out (as a generation's meta). */
  embedding?: { readonly frontend: string; model?: string; readonly meta: ExecutionMeta };
  /** A generation request: its frontend, the model asked for, streaming, and what the executor found out. */
  generation?: { readonly frontend: string; readonly model: string; readonly stream: boolean; readonly meta: ExecutionMeta };
  /** This request's decode admission, held while its body is read and decoded. */
  decode?: DecodeTicket;
  /**
   * A turn of a WebSocket connection (lip's own request on the loopback listener, WebSocketTurns.carries):
   * its body is the client's message (bounded as a WebSocket message) with the connection's
   * conversation before it, so `server.max_request_body_bytes` does not bound it.
   */
  webSocketTurn?: boolean;
  /** The conversation this request runs in (set once its A-leg is resolved), and its session id. */
  aLegId?: string;
  sessionId?: string;
  /** The id the response was given before it ran (Responses). */
  responseId?: string;
  /**
   * Settles when the request's work is over, when that outlives its response (the run of a
   * background response it created): its metrics, span and access-log line wait for it.
   */
  settled?: Promise<void>;
  /** A background response's run (background-runs.ts): a cancel of its id alone, by its principal, ends it. */
  background?: boolean;
  /** The protocol's answer to a cancel of this response (Responses: a `cancelled` Response object). */
  cancelledResponse?: () => unknown;
  /**
   * A background response's run that has ended, while its record is written: its object as it
   * ended (stored), which a cancel answers from then on (it no longer cancels anything).
   */
  ended?: () => unknown;
  /** Why the request was cancelled by a cancel endpoint (recorded on its attempts). */
  cancelled?: string;
  /** Why lip itself stopped the request (the shutdown timeout), recorded on its attempts; not a cancel. */
  stopped?: string;
  /**
   * Cancels the work of this request (the shutdown timeout): with an error, a stream ends with
   * it in-band (or an answer before output carries it); without, the connection is cut.
   */
  abort?: (err?: LipError) => void;
}

/**
 * Lets `state.abort` stop a request whose work waits on `gone` (an embeddings call, a token
 * count): with an error, the request is answered with it; without, the connection is cut.
 * Returns the error to answer with once the work has failed (the abort's, else `err`'s).
 */
export function abortable(state: Pick<RequestState, 'abort'>, res: { destroy(): void }, gone: AbortController): (err: unknown) => LipError {
  state.abort = (err) => {
    gone.abort(err);
    if (err === undefined) res.destroy();
  };
  return (err) => (gone.signal.reason instanceof LipError ? gone.signal.reason : toLipError(err));
}

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Keeps a sane incoming `X-Request-Id`, otherwise a sane `X-Trace-ID` (`traceId`), otherwise makes one. */
export function pickRequestId(incoming: string | string[] | undefined, make: () => string, traceId?: string): string {
  return typeof incoming === 'string' && SAFE_ID.test(incoming) ? incoming : traceId ?? make();
}

/** A sane incoming `X-Trace-ID` (the Go original's correlation header), echoed as it came; undefined otherwise. */
export function pickTraceId(incoming: string | string[] | undefined): string | undefined {
  return typeof incoming === 'string' && SAFE_ID.test(incoming) ? incoming : undefined;
}

/** What was left of a key's budget when its request was admitted, as the answer's `X-LIP-Budget-*` headers (none for a key without a budget). */
export function budgetHeaders(left: BudgetLeft | undefined): Record<string, string> {
  if (left === undefined) return {};
  const out: Record<string, string> = {};
  if (left.cost !== undefined) out['x-lip-budget-remaining-cost'] = String(left.cost);
  if (left.tokens !== undefined) out['x-lip-budget-remaining-tokens'] = String(left.tokens);
  out['x-lip-budget-renews-at'] = new Date(left.renewsAt).toISOString();
  return out;
}
