/**
 * Carries a provider's opaque state through a client that speaks another protocol. Providers
 * hand out tokens that must come back verbatim on the next turn (Anthropic thinking signatures
 * and redacted thinking, OpenAI encrypted reasoning and its item id, Gemini thought signatures);
 * a client can only hand back what fits its own protocol's slots. So a frontend writes another
 * dialect's state into a slot its clients echo (a thinking `signature`, `redacted_thinking.data`,
 * a reasoning item's `encrypted_content`, a `thoughtSignature`, a tool-call id) as an envelope
 * tagged with the dialect, and opens it when the turn comes back: the reasoning part regains its
 * dialect, so only a backend of that dialect replays it and every other backend drops it.
 *
 * Three forms, one payload (a reasoning part's fields, JSON, base64url):
 * - text: `lip1.<dialect>.<payload>` for string slots (signatures, opaque data, encrypted content);
 * - base64: the text form's bytes in standard base64, for Gemini's `thoughtSignature` (a bytes
 *   field: SDKs that decode and re-encode it get the same string back);
 * - id: `<call id>_lip1_<payload>`, letters, digits, `_` and `-` only (Anthropic's tool_use id
 *   pattern), carrying a tool call's own signature and, for Chat clients, the turn's reasoning.
 * - turn: `lip1+<payload>` in standard base64, the id form's payload (a call's own signature and
 *   the turn's reasoning) in a Gemini `thoughtSignature` of a part that is not a thought: clients
 *   that drop thought parts from their history (Gemini CLI) keep the signatures of the others.
 *
 * Opening is strict: a value with the prefix that does not decode is a 400 naming the field
 * (LIP_ERR_REQUEST_INVALID), never a crash; a value without it costs one `startsWith`.
 * @see spec/frontends/state-envelope.spec.ts
 */
import type { ReasoningPart } from '../canonical/index.js';
import { CALL_LIMITS } from '../canonical/index.js';
import { LipError } from '../errors/index.js';

const TEXT_PREFIX = 'lip1.';
/** `lip1.` in base64 starts with these characters whatever follows (the rest is checked after decoding). */
const BASE64_PREFIX = 'bGlwMS';
const ID_MARK = '_lip1_';
const TURN_PREFIX = 'lip1+';
/** The envelope of the first release (`lip.reasoning.v1:` + base64url JSON `{d, p, i?}`), still opened. */
const LEGACY_PREFIX = 'lip.reasoning.v1:';
/** Longest envelope accepted: the canonical bound of a signature. */
export const MAX_ENVELOPE_CHARS = CALL_LIMITS.signatureChars;
/** Largest turn state a Chat tool-call id carries; beyond it only the call's own signature travels. */
export const MAX_ID_STATE_CHARS = 256 * 1024;
const DIALECT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,255}$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** A reasoning part without its `type`: the state one envelope carries. */
export type CarriedState = Omit<ReasoningPart, 'type'>;

/** A tool call's own signature (Gemini's thoughtSignature on a functionCall part), with its dialect. */
export interface CallSignature {
  readonly dialect: string;
  readonly signature: string;
}

/** What a tool-call id carries besides the id. */
export interface CallState {
  readonly call?: CallSignature;
  /** The reasoning of the turn (Chat clients, which have no other slot for it). */
  readonly reasoning?: readonly CarriedState[];
}

type Payload = { t?: string; s?: string; o?: string; i?: string; m?: string[] };

function payloadOf(state: CarriedState): Payload {
  return {
    ...(state.text ? { t: state.text } : {}),
    ...(state.signature !== undefined ? { s: state.signature } : {}),
    ...(state.opaque !== undefined ? { o: state.opaque } : {}),
    ...(state.id !== undefined ? { i: state.id } : {}),
    ...(state.summary !== undefined ? { m: [...state.summary] } : {}),
  };
}

function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** `state` in the text form. Its `text` is left out when the slot's own block carries it. */
export function sealState(state: CarriedState, withText = true): string {
  const payload = payloadOf(withText ? state : { ...state, text: undefined });
  return `${TEXT_PREFIX}${state.dialect}.${encode(payload)}`;
}

/** `state` in the base64 form (Gemini `thoughtSignature`). */
export function sealStateBase64(state: CarriedState, withText = true): string {
  return Buffer.from(sealState(state, withText), 'utf8').toString('base64');
}

/** Whether a slot's value is an envelope in the text form (or the legacy one). */
export function isSealed(value: string): boolean {
  return value.startsWith(TEXT_PREFIX) || value.startsWith(LEGACY_PREFIX);
}

/**
 * The state a text-form envelope carries; undefined when `value` is not one (a provider's own
 * token). `path` names the field for the 400 a broken envelope gets.
 */
export function openState(value: string, path: string): CarriedState | undefined {
  if (value.startsWith(LEGACY_PREFIX)) return openLegacy(value, path);
  if (!value.startsWith(TEXT_PREFIX)) return undefined;
  if (value.length > MAX_ENVELOPE_CHARS) throw broken(path, `is longer than ${MAX_ENVELOPE_CHARS} characters`);
  const dot = value.lastIndexOf('.');
  const dialect = value.slice(TEXT_PREFIX.length, dot);
  if (dot < TEXT_PREFIX.length || !DIALECT.test(dialect)) throw broken(path, 'names no valid dialect');
  return { dialect, ...statePayload(value.slice(dot + 1), path) };
}

/** The state a base64-form envelope carries (Gemini `thoughtSignature`); undefined when it is not one. */
export function openStateBase64(value: string, path: string): CarriedState | undefined {
  if (!value.startsWith(BASE64_PREFIX)) return isSealed(value) ? openState(value, path) : undefined;
  if (value.length > MAX_ENVELOPE_CHARS) throw broken(path, `is longer than ${MAX_ENVELOPE_CHARS} characters`);
  const text = Buffer.from(value, 'base64').toString('utf8');
  if (!text.startsWith(TEXT_PREFIX)) return undefined; // a provider's own signature that happens to start alike
  if (Buffer.from(text, 'utf8').toString('base64') !== value) throw broken(path, 'is not canonical base64');
  return openState(text, path);
}

type CallPayload = { c?: [string, string]; r?: [string, Payload][] };

/** The payload of a call's state: its own signature, and the turn's reasoning when that fits in `max` characters of JSON. */
function callPayload(state: CallState, max: number): CallPayload {
  const payload: CallPayload = {};
  if (state.call) payload.c = [state.call.dialect, state.call.signature];
  if (state.reasoning && state.reasoning.length > 0) {
    const r = state.reasoning.map((s): [string, Payload] => [s.dialect, payloadOf(s)]);
    if (JSON.stringify(r).length <= max) payload.r = r;
  }
  return payload;
}

/** A tool-call id carrying `state`; the id itself when there is none. */
export function sealCallId(id: string, state: CallState): string {
  const payload = callPayload(state, MAX_ID_STATE_CHARS);
  return payload.c || payload.r ? `${id}${ID_MARK}${encode(payload)}` : id;
}

/**
 * `state` in the turn form (a Gemini `thoughtSignature` of a text or `functionCall` part): the
 * call's own signature and the turn's reasoning, the reasoning left out when the envelope would be
 * longer than MAX_ENVELOPE_CHARS; undefined when there is nothing to carry.
 */
export function sealTurnBase64(state: CallState): string | undefined {
  const payload = callPayload(state, Infinity);
  if (!payload.c && !payload.r) return undefined;
  const value = Buffer.from(`${TURN_PREFIX}${encode(payload)}`, 'utf8').toString('base64');
  if (value.length <= MAX_ENVELOPE_CHARS) return value;
  return payload.r ? sealTurnBase64(state.call ? { call: state.call } : {}) : undefined;
}

/** The state a turn-form envelope carries; undefined when `value` is not one (a provider's own signature, another form). */
export function openTurnBase64(value: string, path: string): CallState | undefined {
  if (!value.startsWith(BASE64_PREFIX)) return undefined;
  if (value.length > MAX_ENVELOPE_CHARS) throw broken(path, `is longer than ${MAX_ENVELOPE_CHARS} characters`);
  const text = Buffer.from(value, 'base64').toString('utf8');
  if (!text.startsWith(TURN_PREFIX)) return undefined;
  if (Buffer.from(text, 'utf8').toString('base64') !== value) throw broken(path, 'is not canonical base64');
  const { id: _id, ...state } = callState('', decode(text.slice(TURN_PREFIX.length), path), path);
  return state;
}

/** The plain id of a tool-call id that may carry state (tool results name calls by it). */
export function plainCallId(wireId: string): string {
  const at = wireId.indexOf(ID_MARK);
  return at > 0 ? wireId.slice(0, at) : wireId;
}

/** A tool-call id taken apart: the plain id and the state it carries (a 400 when that does not decode). */
export function openCallId(wireId: string, path: string): { id: string } & CallState {
  const at = wireId.indexOf(ID_MARK);
  if (at <= 0) return { id: wireId };
  if (wireId.length > MAX_ENVELOPE_CHARS) throw broken(path, `is longer than ${MAX_ENVELOPE_CHARS} characters`);
  return callState(wireId.slice(0, at), decode(wireId.slice(at + ID_MARK.length), path), path);
}

/** A decoded call payload as the id and the state it carries (a 400 when it is not one). */
function callState(id: string, decoded: unknown, path: string): { id: string } & CallState {
  const value = decoded as { c?: unknown; r?: unknown };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw broken(path, 'does not hold an object');
  const out: { id: string; call?: CallSignature; reasoning?: CarriedState[] } = { id };
  if (value.c !== undefined) {
    const [dialect, signature] = pair(value.c, path);
    if (typeof signature !== 'string') throw broken(path, 'holds a call signature that is not a string');
    out.call = { dialect, signature };
  }
  if (value.r !== undefined) {
    if (!Array.isArray(value.r) || value.r.length > CALL_LIMITS.partsPerMessage) throw broken(path, 'holds a reasoning list that is not a bounded array');
    out.reasoning = value.r.map((entry) => {
      const [dialect, payload] = pair(entry, path);
      return { dialect, ...checkPayload(payload, path) };
    });
  }
  return out;
}

function pair(value: unknown, path: string): [string, unknown] {
  if (!Array.isArray(value) || value.length !== 2 || typeof value[0] !== 'string' || !DIALECT.test(value[0])) throw broken(path, 'holds an entry without a valid dialect');
  return [value[0], value[1]];
}

function statePayload(text: string, path: string): Omit<CarriedState, 'dialect'> {
  return checkPayload(decode(text, path), path);
}

function decode(text: string, path: string): unknown {
  if (!BASE64URL.test(text)) throw broken(path, 'is not base64url');
  try {
    return JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw broken(path, 'does not hold JSON');
  }
}

function checkPayload(value: unknown, path: string): Omit<CarriedState, 'dialect'> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw broken(path, 'does not hold an object');
  const p = value as Record<string, unknown>;
  for (const key of ['t', 's', 'o', 'i'] as const) {
    if (p[key] !== undefined && typeof p[key] !== 'string') throw broken(path, `holds a non-string "${key}"`);
  }
  if (p.m !== undefined && (!Array.isArray(p.m) || !p.m.every((s) => typeof s === 'string'))) throw broken(path, 'holds a summary that is not a list of strings');
  return {
    ...(p.t !== undefined ? { text: p.t as string } : {}),
    ...(p.s !== undefined ? { signature: p.s as string } : {}),
    ...(p.o !== undefined ? { opaque: p.o as string } : {}),
    ...(p.i !== undefined ? { id: p.i as string } : {}),
    ...(p.m !== undefined ? { summary: p.m as string[] } : {}),
  };
}

function openLegacy(value: string, path: string): CarriedState {
  const v = decode(value.slice(LEGACY_PREFIX.length), path) as { d?: unknown; p?: unknown; i?: unknown } | null;
  if (typeof v?.d !== 'string' || !DIALECT.test(v.d) || typeof v.p !== 'string') throw broken(path, 'is a lip.reasoning.v1 envelope without a dialect and payload');
  return { dialect: v.d, opaque: v.p, ...(typeof v.i === 'string' ? { id: v.i } : {}) };
}

function broken(path: string, why: string): LipError {
  return new LipError('LIP_ERR_REQUEST_INVALID', `${path}: a lip state envelope that ${why}`, { param: path });
}

/**
 * A reasoning part from a slot that may hold an envelope: the envelope's state (its dialect;
 * the block's own text unless the envelope carries one), or undefined for a provider's own token.
 */
export function reasoningFromSlot(value: string | undefined, blockText: string | undefined, path: string, base64 = false): ReasoningPart | undefined {
  if (!value) return undefined;
  const state = base64 ? openStateBase64(value, path) : openState(value, path);
  if (!state) return undefined;
  const text = state.text ?? blockText;
  return { type: 'reasoning', ...state, ...(text ? { text } : {}) };
}

/**
 * A signature as a client gets it: verbatim when it is of the client protocol's `native`
 * dialect (or of an unknown one, as before dialects were tagged), else sealed with its dialect.
 */
export function carrySignature(signature: string, dialect: string | undefined, native: string, base64 = false): string {
  if (dialect === undefined || dialect === native) return signature;
  return base64 ? sealStateBase64({ dialect, signature }) : sealState({ dialect, signature });
}

/** Opaque reasoning as a client gets it: verbatim in the `native` dialect when it has no id to keep, else sealed. */
export function carryOpaque(r: { readonly dialect: string; readonly data: string; readonly id?: string }, native: string | undefined, base64 = false): string {
  if (r.dialect === native && r.id === undefined) return r.data;
  const state = { dialect: r.dialect, opaque: r.data, ...(r.id !== undefined ? { id: r.id } : {}) };
  return base64 ? sealStateBase64(state) : sealState(state);
}

/** A tool call's id as a client without a slot for call signatures gets it: carrying the signature when there is one. */
export function callWireId(call: { readonly id: string; readonly signature?: string; readonly dialect?: string }): string {
  return call.signature && call.dialect ? sealCallId(call.id, { call: { dialect: call.dialect, signature: call.signature } }) : call.id;
}
