import type { LipEvent } from '../../canonical/index.js';
import type { LipError } from '../../errors/index.js';
import type { StreamEncoder } from '../protocol.js';

/**
 * `:streamGenerateContent` without `alt=sse`: the same GenerateContentResponse chunks as one
 * JSON array written piece by piece (`[{...}`, `,\r\n{...}`, ..., `]`), as the Gemini API
 * answers clients that read the body incrementally. It wraps the SSE encoder and rewrites each
 * `data: X\n\n` frame into an array element; an in-band error is the last element, then `]`.
 *
 * ```
 * SSE:   data: {"candidates":[...]}\n\n data: {"candidates":[...],"usageMetadata":...}\n\n
 * array: [{"candidates":[...]}
 *        ,\r\n{"candidates":[...],"usageMetadata":...}]
 * ```
 * @see spec/frontends/gemini/encode-json-array.spec.ts
 */
export class GeminiJsonArrayEncoder implements StreamEncoder {
  private opened = false;

  constructor(private readonly inner: StreamEncoder) {}

  event(event: LipEvent): string {
    return this.elements(this.inner.event(event));
  }

  error(err: LipError): string {
    return `${this.elements(this.inner.error(err))}${this.opened ? '' : '['}]`;
  }

  end(): string {
    return `${this.elements(this.inner.end())}${this.opened ? '' : '['}]`;
  }

  private elements(sse: string): string {
    if (sse.length === 0) return '';
    let out = '';
    for (const frame of sse.split('\n\n')) {
      if (!frame.startsWith('data: ')) continue;
      out += `${this.opened ? ',\r\n' : '['}${frame.slice(6)}`;
      this.opened = true;
    }
    return out;
  }
}
