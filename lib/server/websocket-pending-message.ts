import type { SchedulerLike, Subscription } from 'rxjs';
import type { DecodeAdmission, DecodeTicket } from './decode-admission.js';
import { FrameCounter } from './websocket-frame-counter.js';

/** Why a connection is given up while a message arrives: its WebSocket close code and reason. */
export interface PendingRefusal {
  readonly code: 1008 | 1009 | 1013;
  readonly reason: string;
}

export interface PendingMessageOptions {
  /** The running config's limits, read as a message arrives (a reload applies to the next read). */
  readonly limits: () => { readonly maxBytes: number; readonly timeoutMs: number };
  /** Bytes of messages still arriving are held against the server's decode byte budget. */
  readonly admission: DecodeAdmission;
  /** Called once, when the message must not be waited for any longer. */
  readonly refuse: (refusal: PendingRefusal) => void;
  readonly scheduler: SchedulerLike;
}

const TOO_BIG: PendingRefusal = { code: 1009, reason: 'message too big' };
const BUSY: PendingRefusal = { code: 1013, reason: 'decode admission capacity exceeded (server.max_inflight_decode_bytes); retry later' };
const TOO_SLOW: PendingRefusal = { code: 1008, reason: 'message not received within server.read_timeout' };

/**
 * The message a WebSocket client is sending, from its first byte until `ws` has it whole: what
 * `ws` would otherwise buffer unbounded by anything but its own `maxPayload`, for as long as the
 * client likes. Fed every read of the client's socket, it refuses the message (once):
 *
 * * `1009` as soon as its payload is past `maxBytes` (`server.max_request_body_bytes`, as for a
 *   whole message), not once it is whole;
 * * `1013` when its bytes on the wire would take the server's decode byte budget
 *   (`server.max_inflight_decode_bytes`, shared with the request bodies being read) past its end:
 *   they are held against it (DecodeAdmission.hold()) until the message is whole or the
 *   connection closes;
 * * `1008` when it has been arriving for longer than `timeoutMs` (`server.read_timeout`, 0:
 *   never), counted while lip reads the socket: not while it holds the client's messages behind
 *   its running turn (suspend()).
 *
 * A message that arrives in one read costs nothing of this (no ticket, no timer).
 *
 * ```ts
 * const pending = new PendingMessage({ limits, admission, refuse: ({ code, reason }) => ws.close(code, reason), scheduler: asyncScheduler });
 * socket.prependListener('data', (chunk) => pending.read(chunk));
 * ```
 * @see spec/server/websocket-pending-message.spec.ts
 */
export class PendingMessage {
  private readonly frames = new FrameCounter();
  private ticket: DecodeTicket | undefined;
  /** Milliseconds the message in progress has been arriving, up to `since`. */
  private spent = 0;
  /** When the current stretch of counted time began (undefined: not counting). */
  private since: number | undefined;
  private deadline: Subscription | undefined;
  /** A message is in progress (and its time counted, unless suspended). */
  private arriving = false;
  /** The read timeout when the message in progress began. */
  private timeoutMs = 0;
  private suspended = false;
  private over = false;

  constructor(private readonly options: PendingMessageOptions) {}

  /** Bytes on the wire of the message in progress (0: none), for a debugger's view. */
  get bytes(): number {
    return this.frames.wire;
  }

  /** One read of the client's socket, before `ws` parses it. */
  read(chunk: Uint8Array): void {
    if (this.over) return;
    const ended = this.frames.ended;
    this.frames.push(chunk);
    if (this.frames.ended !== ended) this.settle();
    if (this.frames.wire === 0) return;
    const { maxBytes, timeoutMs } = this.options.limits();
    if (this.frames.payload > maxBytes) return this.refuse(TOO_BIG);
    try {
      (this.ticket ??= this.options.admission.hold()).grow(this.frames.wire);
    } catch {
      return this.refuse(BUSY);
    }
    if (!this.arriving) {
      // The message began with this read.
      this.arriving = true;
      this.timeoutMs = timeoutMs;
      if (!this.suspended) this.count();
    }
  }

  /**
   * Whether lip has stopped reading the socket for the client's messages waiting behind its
   * running turn: the time does not count meanwhile (it counts again from where it was).
   */
  suspend(suspended: boolean): void {
    if (suspended === this.suspended || this.over) return;
    this.suspended = suspended;
    if (suspended) {
      if (this.since !== undefined) this.spent += this.options.scheduler.now() - this.since;
      this.since = undefined;
      this.deadline?.unsubscribe();
      this.deadline = undefined;
    } else if (this.arriving) {
      this.count();
    }
  }

  /** The connection closed (or is closing): what the message held is released, and nothing more is read. */
  close(): void {
    this.over = true;
    this.settle();
  }

  /** Counts the message's time from now, and refuses it when it reaches `timeoutMs`. */
  private count(): void {
    this.since = this.options.scheduler.now();
    if (this.timeoutMs <= 0) return;
    this.deadline = this.options.scheduler.schedule(() => this.refuse(TOO_SLOW), Math.max(0, this.timeoutMs - this.spent));
  }

  /** No message in progress any more: its bytes and its deadline are let go. */
  private settle(): void {
    this.ticket?.release();
    this.ticket = undefined;
    this.deadline?.unsubscribe();
    this.deadline = undefined;
    this.since = undefined;
    this.spent = 0;
    this.arriving = false;
  }

  private refuse(refusal: PendingRefusal): void {
    if (this.over) return;
    this.close();
    this.options.refuse(refusal);
  }
}
