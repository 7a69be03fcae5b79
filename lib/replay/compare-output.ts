import type { LipEvent } from '../canonical/index.js';

/** Keys whose values are ids or times: compared by order of appearance, not by value. */
const ID_KEYS = new Set(['id', 'response_id', 'responseId']);
const TIME_KEYS = new Set(['created', 'created_at', 'createdAt', 'timestamp']);

/** One field that differs between the recorded and the replayed event. */
export interface FieldDiff {
  /** Dotted path inside the event (`usage.outputTokens`); `` for the event as a whole. */
  readonly path: string;
  readonly recorded: unknown;
  readonly replayed: unknown;
}

/** The first client-visible difference: the event index (a missing event is `undefined`). */
export interface OutputDifference {
  readonly index: number;
  readonly recorded: unknown;
  readonly replayed: unknown;
  readonly fields: readonly FieldDiff[];
}

/**
 * Events with ids replaced by `<id#n>` (n counts distinct ids in order of appearance, so a
 * tool call's started, delta and finished events still agree) and times by `<time>`.
 */
export function normaliseEvents(events: readonly LipEvent[]): unknown[] {
  const ids = new Map<string, string>();
  const walk = (value: unknown, key: string | undefined): unknown => {
    if (key !== undefined && TIME_KEYS.has(key)) return '<time>';
    if (key !== undefined && ID_KEYS.has(key) && typeof value === 'string') {
      let id = ids.get(value);
      if (id === undefined) ids.set(value, (id = `<id#${ids.size + 1}>`));
      return id;
    }
    if (Array.isArray(value)) return value.map((v) => walk(v, undefined));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(value).sort()) out[k] = walk((value as Record<string, unknown>)[k], k);
      return out;
    }
    return value;
  };
  return events.map((e) => walk(e, undefined));
}

/**
 * Compares two client-visible outputs (events plus the terminal error code, appended as a
 * pseudo-event `{ type: 'failed', code }`); undefined when they are the same after
 * normalisation.
 */
export function compareOutput(recorded: readonly unknown[], replayed: readonly unknown[]): OutputDifference | undefined {
  const n = Math.max(recorded.length, replayed.length);
  for (let i = 0; i < n; i++) {
    const a = recorded[i];
    const b = replayed[i];
    const fields = diffFields(a, b, '');
    if (fields.length > 0) return { index: i, recorded: a, replayed: b, fields };
  }
  return undefined;
}

/** Field-level differences of two JSON values, by dotted path. */
export function diffFields(a: unknown, b: unknown, path: string): FieldDiff[] {
  if (a === b) return [];
  const objects = a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b);
  if (!objects) return [{ path, recorded: a, replayed: b }];
  const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
  const out: FieldDiff[] = [];
  for (const k of [...keys].sort()) {
    out.push(...diffFields((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k));
  }
  return out;
}
