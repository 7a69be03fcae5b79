import type { LipError } from '../../errors/index.js';
import { reportBackendWarning } from '../backend-warning.js';
import type { HeaderMap, UpstreamRequest } from '../http/index.js';

/** How far a SigV4 signing time may be from AWS's clock (AWS refuses it beyond). */
const SKEW_LIMIT_MS = 5 * 60_000;

/** The AWS codes and words of a request refused for its signing time. */
const SKEW_CODE = /^(RequestTimeTooSkewed|RequestExpired|RequestInTheFuture)/i;
const SKEW_TEXT = /Signature expired|Signature not yet current|RequestTimeTooSkewed|request time .* too skewed/i;

/**
 * One backend's correction of the local clock for SigV4, as the AWS SDKs keep it
 * (`systemClockOffset`): a request refused for its signing time ("Signature expired", "Signature
 * not yet current", RequestTimeTooSkewed) whose answer has a `Date` header at least five minutes
 * from the corrected clock sets the offset to that header's time minus now (`learn`); later
 * requests are signed at now plus the offset (`now`), and the refused one may go out again,
 * signed afresh (`resigns`: its signing time is out by that much from the corrected clock; asked
 * once per call, so a request is sent again once). The first correction is reported once on
 * `lip:backend-warning`.
 *
 * ```ts
 * const skew = new ClockSkew('br');
 * skew.learn(error, { date: 'Tue, 08 Dec 2026 03:00:00 GMT' }) // local clock an hour behind: offset +1 h
 * signRequest({ ..., date: skew.now() })
 * ```
 * @see spec/backends/bedrock/clock-skew.spec.ts
 */
export class ClockSkew {
  private offsetMs = 0;
  private warned = false;

  constructor(private readonly backendId: string, private readonly clock: () => number = Date.now) {}

  /** The signing time: now by the local clock, corrected. */
  now(): Date {
    return new Date(this.clock() + this.offsetMs);
  }

  /** Takes AWS's time from a refusal for the signing time; whether the correction changed. */
  learn(error: LipError, headers: HeaderMap): boolean {
    const type = (error.detail as { upstream_type?: unknown } | undefined)?.upstream_type;
    if (!(typeof type === 'string' && SKEW_CODE.test(type)) && !SKEW_TEXT.test(error.message)) return false;
    const header = headers.date;
    const server = Date.parse(String(Array.isArray(header) ? header[0] : header ?? ''));
    if (Number.isNaN(server) || Math.abs(server - this.now().getTime()) < SKEW_LIMIT_MS) return false;
    this.offsetMs = server - this.clock();
    if (!this.warned) {
      this.warned = true;
      const minutes = Math.round(Math.abs(this.offsetMs) / 60_000);
      reportBackendWarning({
        backend: this.backendId,
        message: `bedrock: the local clock is ${minutes} min ${this.offsetMs > 0 ? 'behind' : 'ahead of'} AWS's (a request was refused for its signing time); requests are signed at AWS's time from now on: correct the system clock (NTP)`,
        detail: { clock_offset_ms: this.offsetMs },
      });
    }
    return true;
  }

  /** Whether `sent` was signed at a time the corrected clock puts out of AWS's bounds (then it is signed and sent again). */
  resigns(sent: UpstreamRequest): boolean {
    const at = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(sent.headers['x-amz-date'] ?? '');
    if (!at) return false;
    const signed = Date.UTC(+at[1]!, +at[2]! - 1, +at[3]!, +at[4]!, +at[5]!, +at[6]!);
    return Math.abs(signed - this.now().getTime()) >= SKEW_LIMIT_MS;
  }
}
