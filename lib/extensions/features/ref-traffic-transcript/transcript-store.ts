import type { Observation } from '../../observation.js';

/** One transcript row (an observation, redacted, with its correlation). */
export interface TranscriptRow {
  readonly leg: string;
  readonly kind: string;
  /** The redacted payload (body, call or event). */
  readonly body: unknown;
  readonly at: number;
  readonly request_id: string;
  readonly attempt_seq?: number;
  readonly b_leg_id?: string;
  readonly backend_id?: string;
  readonly frontend_id?: string;
  readonly session_id?: string;
  readonly principal?: string;
}

/** One usage event as the backend reported it. */
export interface LedgerEntry {
  readonly at: number;
  readonly request_id: string;
  readonly b_leg_id?: string;
  readonly backend_id?: string;
  readonly usage: unknown;
}

interface Conversation {
  rows: TranscriptRow[];
  raw: Observation[];
  usage: LedgerEntry[];
  /** Rows and raw entries dropped from its start to keep the store within its bound. */
  dropped: number;
}

/**
 * The plugin's memory, per A-leg (a request without one is kept under `request:<id>` until an
 * observation names its A-leg), bounded: when more than `maxRows` entries (rows, and raw
 * copies with `raw_capture`) are held, whole conversations are dropped, oldest first; the
 * newest conversation alone over the bound (a long agent session) loses its oldest entries,
 * counted in its `dropped`.
 */
export class TranscriptStore {
  private readonly conversations = new Map<string, Conversation>();
  private rows = 0;

  constructor(private readonly maxRows: number) {}

  private conversation(o: Observation): Conversation {
    const key = o.aLegId ?? `request:${o.requestId}`;
    let c = this.conversations.get(key);
    if (!c) this.conversations.set(key, (c = { rows: [], raw: [], usage: [], dropped: 0 }));
    if (o.aLegId !== undefined) {
      // The raw body is observed before the request has its A-leg: it joins it on the next observation.
      const early = this.conversations.get(`request:${o.requestId}`);
      if (early) {
        this.conversations.delete(`request:${o.requestId}`);
        c.rows.unshift(...early.rows);
        c.raw.unshift(...early.raw);
        c.usage.unshift(...early.usage);
        c.dropped += early.dropped;
      }
    }
    return c;
  }

  /** Keeps an unredacted copy (the privileged raw capture). */
  raw(o: Observation): void {
    this.conversation(o).raw.push(o);
    this.rows++;
    this.bound();
  }

  /** Appends a redacted observation (and its usage, when it is a backend usage event). */
  add(o: Observation): void {
    const c = this.conversation(o);
    const body = o.kind === 'raw_body' ? o.body : o.kind === 'call' ? o.call : o.event;
    c.rows.push({
      leg: o.leg, kind: o.kind, body, at: o.at, request_id: o.requestId,
      ...(o.attemptSeq !== undefined ? { attempt_seq: o.attemptSeq } : {}), ...(o.bLegId !== undefined ? { b_leg_id: o.bLegId } : {}),
      ...(o.backendId !== undefined ? { backend_id: o.backendId } : {}), ...(o.frontendId !== undefined ? { frontend_id: o.frontendId } : {}),
      ...(o.sessionId !== undefined ? { session_id: o.sessionId } : {}), ...(o.principal !== undefined ? { principal: o.principal } : {}),
    });
    if (o.kind === 'event' && o.leg === 'backend_to_proxy' && o.event.type === 'usage') {
      c.usage.push({ at: o.at, request_id: o.requestId, usage: (o.event as { usage: unknown }).usage, ...(o.bLegId !== undefined ? { b_leg_id: o.bLegId } : {}), ...(o.backendId !== undefined ? { backend_id: o.backendId } : {}) });
    }
    this.rows++;
    this.bound();
  }

  /** Drops the oldest conversations, then the oldest entries of the one left, while over `maxRows`. */
  private bound(): void {
    while (this.rows > this.maxRows && this.conversations.size > 1) {
      const [oldest, dropped] = this.conversations.entries().next().value as [string, Conversation];
      this.conversations.delete(oldest);
      this.rows -= dropped.rows.length + dropped.raw.length;
    }
    if (this.rows <= this.maxRows) return;
    const [, c] = this.conversations.entries().next().value as [string, Conversation];
    // Half of the bound's worth at once, so that a conversation at the bound does not shift its arrays per observation.
    const excess = this.rows - this.maxRows + Math.floor(this.maxRows / 2);
    const fromRaw = Math.min(c.raw.length, Math.ceil(excess * (c.raw.length / (c.rows.length + c.raw.length))));
    const fromRows = Math.min(c.rows.length, excess - fromRaw);
    c.raw.splice(0, fromRaw);
    c.rows.splice(0, fromRows);
    // Usage entries are few (one per attempt): only those older than the oldest row kept go.
    const oldestKept = c.rows[0]?.at;
    if (oldestKept !== undefined) c.usage = c.usage.filter((u) => u.at >= oldestKept);
    c.dropped += fromRaw + fromRows;
    this.rows -= fromRaw + fromRows;
  }

  get(aLegId: string): Conversation | undefined {
    return this.conversations.get(aLegId);
  }
}
