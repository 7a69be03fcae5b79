import type { CollectedResponse, Message } from '../canonical/index.js';
import { LipError } from '../errors/index.js';
import type { ResponseRecord, StoredResponse } from './continuity-store.js';
import { checkPrincipal } from './ids.js';

/**
 * A stored response as every store keeps it: the canonical input messages, the collected
 * output and the echoed request fields serialised once, when it is saved. The JSON text isolates the record from later
 * mutation by the caller, is what SQLite writes, and gives the memory store its byte count.
 */
export interface ResponseRow {
  readonly response_id: string;
  readonly principal: string;
  readonly previous_response_id: string | null;
  readonly a_leg_id: string | null;
  readonly session_id: string | null;
  readonly model: string | null;
  readonly created_at: number;
  readonly input_json: string;
  readonly output_json: string;
  readonly reasoning_dialect: string | null;
  /** `ResponseRecord.echo` as JSON; null when none (and absent in rows written before it was kept). */
  readonly echo_json: string | null;
}

export function toResponseRow(record: ResponseRecord, now: number): ResponseRow {
  if (typeof record.id !== 'string' || record.id.length === 0) throw new LipError('LIP_ERR_SERVER_INTERNAL', 'a stored response needs an id');
  checkPrincipal(record.principal);
  return {
    response_id: record.id,
    principal: record.principal,
    previous_response_id: record.previousResponseId ?? null,
    a_leg_id: record.aLegId ?? null,
    session_id: record.sessionId ?? null,
    model: record.model ?? null,
    created_at: record.createdAt ?? now,
    input_json: JSON.stringify(record.input),
    output_json: JSON.stringify(record.output),
    reasoning_dialect: record.reasoningDialect ?? null,
    echo_json: record.echo === undefined ? null : JSON.stringify(record.echo),
  };
}

export function fromResponseRow(row: ResponseRow): StoredResponse {
  return {
    id: row.response_id,
    principal: row.principal,
    previousResponseId: row.previous_response_id ?? undefined,
    aLegId: row.a_leg_id ?? undefined,
    sessionId: row.session_id ?? undefined,
    model: row.model ?? undefined,
    input: JSON.parse(row.input_json) as Message[],
    output: JSON.parse(row.output_json) as CollectedResponse,
    reasoningDialect: row.reasoning_dialect ?? undefined,
    echo: typeof row.echo_json === 'string' ? JSON.parse(row.echo_json) as Record<string, unknown> : undefined,
    createdAt: row.created_at,
  };
}

/**
 * Approximate bytes a row holds in memory (UTF-16 strings: two bytes per code unit): its JSON
 * texts and the client's model (up to 4,096 characters), so that many small responses with long
 * model names cannot hold more than the budget says; the ids lip makes are in the flat 256.
 */
export function responseRowBytes(row: ResponseRow): number {
  return 2 * (row.input_json.length + row.output_json.length + (row.echo_json?.length ?? 0) + (row.model?.length ?? 0)) + 256;
}

/**
 * The echoed field that makes a stored response a tombstone: deleted by its id, kept for what
 * reads through it (a Responses conversation's turn, whose items stay the conversation's).
 * Continuing from it is the 404 of one never stored (`loadConversation`), and so are retrieving
 * and deleting it again (lib/server/handle-stored-response.ts); the chains through it, and its
 * items, still read it (`loadChain`, `loadResponse`).
 */
export const DELETED_RESPONSE = 'lip_deleted';

/** Whether a stored response is a tombstone (`DELETED_RESPONSE`). */
export function isDeletedResponse(stored: { readonly echo?: Readonly<Record<string, unknown>> | undefined }): boolean {
  return stored.echo?.[DELETED_RESPONSE] === true;
}

/** The 404 a client gets for an unknown, expired or foreign `previous_response_id`. */
export function responseNotFound(id: string, detail?: string): LipError {
  return new LipError('LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND', `Previous response with id '${id}' not found.${detail ? ` ${detail}` : ''}`, { param: 'previous_response_id' });
}

/** The 404 for a response named by itself (retrieved or deleted by id): unknown, expired, foreign or deleted alike. */
export function storedResponseNotFound(id: string): LipError {
  return new LipError('LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND', `Response with id '${id}' not found.`);
}
