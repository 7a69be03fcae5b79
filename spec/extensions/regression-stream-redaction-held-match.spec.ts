import { expect } from 'chai';
import type { LipEvent } from '../../lib/canonical/index.js';
import { BUILTIN_DETECTORS } from '../../lib/extensions/features/secrets-guard/detectors.js';
import type { Observation } from '../../lib/extensions/observation.js';
import { StreamRedaction, type StreamDetector } from '../../lib/extensions/stream-redaction.js';

/**
 * Found by probing: a streamed answer that named a private key's BEGIN line without its END line
 * (or a bearer token that kept growing) made a match that reached the end of the held text, so
 * the stream held everything from its start, up to 64 KiB, and every delta ran every detector
 * over all of it again: 8,000 one-character deltas took 3.5 s, 32,000 took 66 s, and lip with
 * secrets-guard and a recording served nothing else meanwhile. The characters the detectors are
 * given to read (from where each search starts) are counted here: a constant per character
 * streamed, not the held text per delta.
 */
describe('regression: a match that reaches the end of a stream\'s text is not read again at every delta', () => {
  const counted = () => {
    const read = { chars: 0 };
    class CountingRegExp extends RegExp {
      override exec(text: string): RegExpExecArray | null {
        read.chars += text.length - (this.global || this.sticky ? this.lastIndex : 0);
        return super.exec(text);
      }
    }
    const count = (pattern: RegExp) => new CountingRegExp(pattern.source, pattern.flags);
    const detectors: StreamDetector[] = BUILTIN_DETECTORS.map((d) => ({ ...d, pattern: count(d.pattern), ...(d.closing ? { closing: count(d.closing) } : {}) }));
    return { read, redaction: new StreamRedaction(detectors, (id) => `[REDACTED:${id}]`) };
  };
  const delta = (text: string) => ({ kind: 'event', requestId: 'r1', leg: 'proxy_to_client', at: 1, attemptSeq: 1, event: { type: 'text_delta', text } }) as Observation & { kind: 'event' };
  const texts = (out: Observation[]) => out.map((o) => ((o as Observation & { kind: 'event' }).event as LipEvent & { text: string }).text);
  const N = 3_000;

  for (const [what, head, char, replaced] of [
    ['a private key without its END line', 'key: -----BEGIN PRIVATE KEY-----\n', 'A', 'key: [REDACTED:private_key]'],
    ['a bearer token that keeps growing', 'auth: Bearer ', 'b', 'auth: [REDACTED:bearer_token]'],
  ] as const) {
    it(`${what}, in ${N} one-character deltas: read a bounded number of times per character, redacted whole`, () => {
      const { read, redaction } = counted();
      const out = redaction.redact(delta(head));
      for (let i = 0; i < N; i++) out.push(...redaction.redact(delta(char)));
      out.push(...redaction.end({ requestId: 'r1', leg: 'proxy_to_client', attemptSeq: 1 }));
      expect(texts(out).join('')).to.equal(replaced);
      expect(read.chars).to.be.at.most(300 * (head.length + N));
    });
  }

  it('a private key whose END line comes split after many deltas: masked to it, the text after it kept', () => {
    const { redaction } = counted();
    const body = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n'.repeat(20);
    const deltas = ['key: -----BEGIN PRIVATE KEY-----\n', ...body.match(/[\s\S]{1,7}/g)!, '-----END PRI', 'VATE KEY-----\nthanks'];
    const out = deltas.flatMap((text) => redaction.redact(delta(text)));
    // The block was let out masked as it came: no more than what could hold its closing line stays held.
    expect(texts(out).join('')).to.equal('key: [REDACTED:private_key]');
    out.push(...redaction.end({ requestId: 'r1', leg: 'proxy_to_client', attemptSeq: 1 }));
    expect(texts(out).join('')).to.equal('key: [REDACTED:private_key]\nthanks');
  });
});
