import { LipError } from '../errors/index.js';

/** One request's share of decode admission; `release` is idempotent. */
export interface DecodeTicket {
  /** Raises this body's weight to `bytes` (declared length, then bytes read); throws a 429 beyond the budget (a 413 beyond all of it). */
  grow(bytes: number): void;
  release(): void;
}

/**
 * Decode admission, shared by every frontend: at most `maxDecodes` request bodies are being
 * read and decoded at once, holding at most `maxBytes` together (weighted by each body's
 * declared length, then by the bytes actually read, after decompression). It never waits:
 * a request beyond either limit is refused at once with 429 and `Retry-After: 1`, before its
 * body is buffered any further; one body heavier than the whole budget with 413 (no retry
 * would admit it; the config refuses body limits above the budget, so this is the guard
 * behind that check). Node decodes
 * JSON synchronously, so what this bounds is the memory held by bodies on their way in (a
 * burst of large uploads), which `server.max_concurrent_requests` does not see. The WebSocket
 * messages still arriving weigh on the same byte budget (hold()).
 *
 * ```ts
 * const ticket = admission.enter();  // throws when maxDecodes bodies are in progress
 * ticket.grow(contentLength);        // throws when the byte budget would be exceeded
 * ticket.release();                  // once the body is decoded (or refused)
 * admission.hold().grow(received);   // bytes of a WebSocket message still arriving (no decode slot)
 * ```
 * @see spec/server/decode-admission.spec.ts
 */
export class DecodeAdmission {
  private decodes = 0;
  private bytes = 0;

  constructor(readonly maxDecodes: number, readonly maxBytes: number) {}

  get inflight(): { decodes: number; bytes: number } {
    return { decodes: this.decodes, bytes: this.bytes };
  }

  enter(): DecodeTicket {
    if (this.decodes >= this.maxDecodes) throw refused(`${this.maxDecodes} request bodies are being read and decoded (server.max_concurrent_decodes)`);
    this.decodes++;
    return this.ticket(1);
  }

  /**
   * A ticket on the byte budget alone, for bytes held before their decode begins (a WebSocket
   * message still arriving: its turn enters as a request once it is whole). It takes no decode
   * slot, so connections that have begun a message do not starve the requests' slots; its bytes
   * weigh as a body's.
   */
  hold(): DecodeTicket {
    return this.ticket(0);
  }

  /** A ticket holding `slots` decode slots (already counted) and the bytes it grows to. */
  private ticket(slots: number): DecodeTicket {
    let weight = 0;
    let open = true;
    return {
      grow: (bytes: number) => {
        if (!open || bytes <= weight) return;
        if (bytes > this.maxBytes) {
          throw new LipError('LIP_ERR_REQUEST_TOO_LARGE', `decode admission: a body of ${bytes} bytes is heavier than server.max_inflight_decode_bytes (${this.maxBytes}), all that bodies in progress may hold together: it can never be decoded`);
        }
        if (this.bytes - weight + bytes > this.maxBytes) throw refused(`request bodies in progress would hold over ${this.maxBytes} bytes (server.max_inflight_decode_bytes)`);
        this.bytes += bytes - weight;
        weight = bytes;
      },
      release: () => {
        if (!open) return;
        open = false;
        this.decodes -= slots;
        this.bytes -= weight;
      },
    };
  }
}

function refused(why: string): LipError {
  return new LipError('LIP_ERR_SERVER_DECODE_ADMISSION', `decode admission capacity exceeded: ${why}`, { retryAfter: 1 });
}
