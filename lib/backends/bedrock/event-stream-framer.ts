import { createRequire } from 'node:module';
import type * as Codec from '@smithy/eventstream-codec';
import { LipError } from '../../errors/index.js';
import { malformedFrame, type BodyFramer } from '../http/index.js';

/** One AWS event-stream message: typed headers and the raw payload. */
export interface EventStreamMessage {
  readonly headers: Readonly<Record<string, { readonly type: string; readonly value: unknown }>>;
  readonly body: Uint8Array;
}

/** Prelude (total length, headers length, prelude CRC) plus the message CRC. */
const OVERHEAD = 16;
/** The longest frame accepted when `http_client.max_line_bytes` is not given. */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

let codecModule: typeof Codec | undefined;
/** `@smithy/eventstream-codec` is loaded with the first bedrock stream, never at start-up. */
export function loadCodec(): typeof Codec {
  return (codecModule ??= createRequire(import.meta.url)('@smithy/eventstream-codec') as typeof Codec);
}

const toUtf8 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
const fromUtf8 = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));

/** A codec instance (encode for emulators, decode for the framer). */
export function eventStreamCodec(): Codec.EventStreamCodec {
  return new (loadCodec().EventStreamCodec)(toUtf8, fromUtf8);
}

/**
 * Cuts an `application/vnd.amazon.eventstream` body into messages. HTTP chunks and frames are
 * unrelated: chunks are kept as they arrive until the 4-byte big-endian total length of the next
 * frame is complete, then until that many bytes are in, and only then joined once and each
 * whole frame decoded by `EventStreamCodec` (which checks both CRC32s). A frame arriving in
 * many pieces therefore costs linear time (joining on every chunk would copy a 16 MiB frame
 * sent in 16 KiB pieces about 8 GiB over, seconds of a blocked event loop).
 * A frame that announces more than `maxFrameBytes` fails at once (LIP_ERR_UPSTREAM_LIMIT_EXCEEDED)
 * instead of being buffered; a bad length or CRC is LIP_ERR_UPSTREAM_MALFORMED. A body that
 * ends inside a frame yields nothing more: the source reports the stream as cut short.
 *
 * ```
 * chunks:   [00 00 00 5a 00 00 00 3b ..][.. 20 bytes ..][.. rest, next frame's first byte]
 * messages:                                              [message 1]
 * ```
 * @see spec/backends/bedrock/event-stream-framer.spec.ts
 */
export class EventStreamFramer implements BodyFramer<EventStreamMessage> {
  /** The chunks since the last whole frame, not yet joined. */
  private parts: Buffer[] = [];
  private size = 0;
  /** The announced length of the frame being collected (0 until its first 4 bytes are in). */
  private need = 0;
  private readonly codec = eventStreamCodec();

  constructor(private readonly backendId: string, private readonly maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {}

  push(chunk: Buffer): EventStreamMessage[] {
    if (chunk.length === 0) return [];
    this.parts.push(chunk);
    this.size += chunk.length;
    if (this.size < 4 || this.size < this.need) return [];
    const pending = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.size);
    const out: EventStreamMessage[] = [];
    let offset = 0;
    this.need = 0;
    while (pending.length - offset >= 4) {
      const total = pending.readUInt32BE(offset);
      if (total < OVERHEAD) throw malformedFrame(this.backendId, `an event-stream frame announces ${total} bytes (at least ${OVERHEAD})`);
      if (total > this.maxFrameBytes) {
        throw new LipError('LIP_ERR_UPSTREAM_LIMIT_EXCEEDED', `backend "${this.backendId}": an event-stream frame of ${total} bytes exceeds http_client.max_line_bytes (${this.maxFrameBytes})`, { detail: { backend: this.backendId } });
      }
      if (pending.length - offset < total) {
        this.need = total;
        break;
      }
      const frame = pending.subarray(offset, offset + total);
      offset += total;
      try {
        out.push(this.codec.decode(frame) as EventStreamMessage);
      } catch (err) {
        throw malformedFrame(this.backendId, `an event-stream frame does not decode (${(err as Error).message})`);
      }
    }
    // The unfinished rest is copied once, so a decoded frame's chunk is not kept alive by it.
    const rest = offset === pending.length ? undefined : Buffer.from(pending.subarray(offset));
    this.parts = rest ? [rest] : [];
    this.size = rest ? rest.length : 0;
    return out;
  }

  end(): EventStreamMessage[] {
    return [];
  }
}

/** A string header's value (`:message-type`, `:event-type`, ...). */
export function headerString(message: EventStreamMessage, name: string): string | undefined {
  const h = message.headers[name];
  return h && h.type === 'string' && typeof h.value === 'string' ? h.value : undefined;
}
