import { expect } from 'chai';
import { GeminiStreamDecoder } from '../../../lib/backends/gemini/index.js';
import type { LipEvent } from '../../../lib/canonical/index.js';
import { LipError } from '../../../lib/errors/index.js';

/**
 * Found by spec/fuzz/backend-streams.fuzz.spec.ts: a functionCall whose `name` was a JSON
 * object with a `toString` key made `String(name)` throw a TypeError (a lip internal error),
 * and any other non-string name became a tool called "undefined" or "[object Object]". A
 * functionCall now needs a string name; without one the frame is malformed.
 */
describe('backends/gemini regression: a functionCall without a string name', () => {
  it('is a malformed frame', () => {
    for (const name of [{ toString: [] }, { a: 1 }, 7, null]) {
      const decoder = new GeminiStreamDecoder('b', []);
      const frame = { candidates: [{ index: 0, content: { parts: [{ functionCall: { name, args: {} } }] } }] };
      expect(() => decoder.message({ event: 'message', data: JSON.stringify(frame) }, [] as LipEvent[]))
        .to.throw(LipError).that.includes({ code: 'LIP_ERR_UPSTREAM_MALFORMED' });
    }
  });
});
