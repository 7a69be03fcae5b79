import type { Call, EmbeddingRequest, EmbeddingResult, LipEvent } from '../canonical/index.js';
import { jsonTextTooDeep, MAX_UPSTREAM_DEPTH } from '../wire/index.js';
import { recordProblem } from './record-schema.js';

/** An event with its time: milliseconds from the exchange's start. */
export type TimedEvent = readonly [offsetMs: number, event: LipEvent];

/** How an attempt ended (`cancelled`: a race loser, a budget, a client that left). */
export type RecordedOutcome = 'success' | 'failure' | 'cancelled';

/** One backend attempt of a recorded exchange. */
export interface AttemptRecord {
  readonly seq: number;
  readonly b_leg_id: string | null;
  readonly candidate_key: string;
  readonly backend_id: string;
  /** `served` for the attempt whose output reached the client, else `tried`. */
  readonly role: 'served' | 'tried';
  readonly started_ms: number;
  readonly first_output_ms: number | null;
  readonly finished_ms: number | null;
  readonly outcome: RecordedOutcome;
  /** The failure's LipError code (or the routing reason of a cancellation). */
  readonly reason: string | null;
  /** The failure's message (extension of CONTRACT section 9: a replay raises the same error). */
  readonly message?: string | null;
  readonly http_status: number | null;
  /**
   * Whether the failure let routing try the next candidate (extension of CONTRACT section 9: an
   * upstream's in-band error is retryable or not by its type, which neither `reason` nor
   * `http_status` tells); null when the attempt did not fail, absent in records before it.
   */
  readonly retryable?: boolean | null;
  /** The canonical call sent to this candidate (an embeddings request's: its canonical request). */
  readonly call: Call | EmbeddingRequest | null;
  readonly events: readonly TimedEvent[];
  /**
   * An embeddings request's attempt that succeeded: its canonical result (extension of CONTRACT
   * section 9; such an attempt has no events).
   */
  readonly embedding?: EmbeddingResult;
}

/** A candidate routing passed over without an attempt. */
export interface SkippedCandidate {
  readonly candidate_key: string;
  readonly reason: string;
}

/** An auxiliary call of a recorded exchange. */
export interface AuxiliaryRecord {
  readonly request_id: string;
  readonly attempts: readonly AttemptRecord[];
}

/** One recorded exchange: a JSON line of a recording (CONTRACT section 9, extended). */
export interface ExchangeRecord {
  readonly v: 1;
  readonly id: string;
  readonly request_id: string;
  /** ISO time of the exchange's start. */
  readonly at: string;
  readonly frontend: string;
  readonly principal: string;
  /**
   * The id of the client's API key (`auth.api_keys[].id`; null without one). A replay applies
   * that key's allow list as the replay's config has it (extension of CONTRACT section 9).
   */
  readonly key_id?: string | null;
  readonly session_id: string | null;
  readonly a_leg_id: string | null;
  readonly config_digest: string;
  readonly request: {
    readonly method: string;
    readonly path: string;
    readonly headers: Record<string, string>;
    readonly body: unknown;
    /**
     * A body lip could not take as JSON (malformed, nested too deep), as its text: `body` is null
     * and a replay parses this again (extension of CONTRACT section 9).
     */
    readonly body_text?: string;
    /**
     * A body whose bytes were not UTF-8, one character per byte (as ISO-8859-1 maps them): `body`
     * is null and a replay parses these bytes again (extension of CONTRACT section 9).
     */
    readonly body_bytes?: string;
    /** Set when the body was not read whole (too large, aborted, not decompressable): there is nothing to replay. */
    readonly body_unread?: true;
  };
  readonly selector: string | null;
  readonly selector_source: string | null;
  /** The candidate whose output reached the client (null: none did). */
  readonly served: string | null;
  /**
   * Candidates routing passed over without an attempt, in order, and why (`circuit open`, `not
   * allowed for API key "k"`, a context or capability filter, `keys cooling: ...`). A replay skips
   * a candidate again whose circuit was not closed, or whose backend's keys all cooled down, and
   * that has no recorded attempt: the circuits' and the keys' state is not in the config
   * (extension of CONTRACT section 9).
   */
  readonly skipped?: readonly SkippedCandidate[];
  readonly attempts: readonly AttemptRecord[];
  /**
   * The auxiliary calls the exchange made (a `pre-request-policy` judge, an extractor), each by
   * its request id (`<request_id>.aux-<role>-<n>`) with its attempts; a replay answers them from
   * these (extension of CONTRACT section 9).
   */
  readonly auxiliary?: readonly AuxiliaryRecord[];
  /** Set when the exchange had more events than a record keeps: later events are missing. */
  readonly truncated?: true;
  /**
   * Set when a part of the record could not be redacted and was masked whole in its place (the
   * request body as `[REDACTION FAILED]`, an attempt's call as null, events as `[]`).
   */
  readonly redaction_failed?: true;
  readonly client: {
    readonly status: number;
    readonly headers: Record<string, string>;
    readonly events: readonly TimedEvent[];
    /** An embeddings request's answer: the canonical result the client was given (extension of CONTRACT section 9). */
    readonly embedding?: EmbeddingResult;
    /** The failure the client got (before output: the status's envelope; after: in-band). */
    readonly error: { readonly code: string } | null;
    readonly finished_ms: number;
  };
}

/** A line that is not a record: its 1-based number and why. */
export interface BadLine {
  readonly line: number;
  readonly reason: string;
  /** The file's last line (a crash cut it short): reported and skipped, not fatal. */
  readonly last: boolean;
}

/** Deepest nesting of a record line: the deepest value lip accepts plus the record's own levels. */
const MAX_RECORD_DEPTH = MAX_UPSTREAM_DEPTH + 64;

/** Parses one line; a string says why it is not a version-1 exchange record. */
export function parseRecord(text: string): ExchangeRecord | string {
  // A record holds what the server accepted (bodies nest at most 128 levels, upstream values
  // 256) a few levels down: anything deeper was not written by lip, and would overflow the stack
  // of whatever walks it later (the schema check, the comparison, an error message).
  const deep = jsonTextTooDeep(text, MAX_RECORD_DEPTH);
  if (deep >= 0) return `nests deeper than ${MAX_RECORD_DEPTH} levels (at column ${deep + 1})`;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return `not JSON (${(err as Error).message})`;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
  const r = value as Partial<ExchangeRecord>;
  if (r.v !== 1) return `unsupported record version ${JSON.stringify(r.v)} (this build reads 1)`;
  const problem = recordProblem(value);
  if (problem !== undefined) return problem;
  return r as ExchangeRecord;
}
