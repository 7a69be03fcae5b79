import type { CircuitChange, CircuitListing, StoreAck } from '../circuit-store.js';
import type { CircuitDecision, CircuitRecord, CircuitState } from '../types.js';

/**
 * Decoding of what the Lua scripts (`lua-scripts.ts`) answer and publish. The numbers arrive
 * as integers or strings depending on the reply path, so every field goes through `Number()`.
 * A malformed reply is a store failure (the breaker degrades to local state), never a crash.
 */

const STATES: ReadonlySet<string> = new Set(['closed', 'open', 'half_open']);

/** `[s, f, o, p, w, u]` starting at `at`, or undefined when absent. */
export function decodeRecord(fields: readonly unknown[], at: number): CircuitRecord | undefined {
  if (fields.length <= at) return undefined;
  const state = String(fields[at]);
  if (!STATES.has(state)) throw new Error(`malformed circuit record: state ${JSON.stringify(fields[at])}`);
  const n = (i: number) => {
    const value = Number(fields[at + i]);
    if (!Number.isFinite(value)) throw new Error(`malformed circuit record: field ${i} is ${JSON.stringify(fields[at + i])}`);
    return value;
  };
  return { state: state as CircuitState, failures: n(1), openedAt: n(2), probes: n(3), probeWindowAt: n(4), updatedAt: n(5) };
}

/** `[version, ...record]` from RECORD and MERGE, or `[version, "full"]`: a new circuit past the bound, not started. */
export function decodeAck(reply: unknown): StoreAck {
  const fields = asArray(reply);
  if (fields.length === 2 && String(fields[1]) === 'full') return { version: Number(fields[0]), record: undefined, full: true };
  return { version: Number(fields[0]), record: decodeRecord(fields, 1) };
}

/** One `[version, ...record]` per entry from MERGE. */
export function decodeAcks(reply: unknown): StoreAck[] {
  return asArray(reply).map(decodeAck);
}

/** `[verdict, retryAfterMs, state, version, ...record]` from ADMIT. */
export function decodeAdmit(reply: unknown): StoreAck & { decision: CircuitDecision } {
  const fields = asArray(reply);
  const verdict = Number(fields[0]);
  const state = String(fields[2]) as CircuitState;
  const decision: CircuitDecision = verdict === 2
    ? { allowed: false, probe: false, state, retryAfterMs: Number(fields[1]) }
    : { allowed: true, probe: verdict === 1, state };
  return { decision, version: Number(fields[3]), record: decodeRecord(fields, 4) };
}

/** One page of LIST, `[version, epoch, cursor, key, s, f, o, p, w, u, key, ...]`, its records added to `records`. */
export function decodeListingPage(reply: unknown, records: Map<string, CircuitRecord>): { version: number; epoch: number; cursor: string } {
  const fields = asArray(reply);
  for (let i = 3; i + 6 < fields.length; i += 7) records.set(String(fields[i]), decodeRecord(fields, i + 1)!);
  return { version: Number(fields[0]), epoch: Number(fields[1] ?? 0), cursor: String(fields[2] ?? '0') };
}

/**
 * A message of the changes channel, parsed once: a change `[key, version, origin, op, ...record]`,
 * or an `{"emptied": "version"}` notice (the counter started again).
 * @throws Error for anything else (not lip's: someone else publishing on the channel).
 */
export function decodeChannelMessage(message: string): { readonly change: CircuitChange } | { readonly emptied: number } {
  const parsed: unknown = JSON.parse(message);
  if (Array.isArray(parsed)) {
    return { change: { key: String(parsed[0]), version: Number(parsed[1]), origin: String(parsed[2]), op: Number(parsed[3]), record: decodeRecord(parsed, 4) } };
  }
  const version = typeof parsed === 'object' && parsed !== null ? Number((parsed as { emptied?: unknown }).emptied) : Number.NaN;
  if (!Number.isSafeInteger(version) || version <= 0) throw new Error(`not a circuit change: ${message.slice(0, 100)}`);
  return { emptied: version };
}

/** The record as MERGE's arguments `s f o p w u`. */
export function encodeRecord(record: CircuitRecord): (string | number)[] {
  return [record.state, record.failures, record.openedAt, record.probes, record.probeWindowAt, record.updatedAt];
}

function asArray(reply: unknown): readonly unknown[] {
  if (!Array.isArray(reply)) throw new Error(`malformed circuit store reply: ${JSON.stringify(reply)}`);
  return reply;
}
