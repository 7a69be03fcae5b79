import { expect } from 'chai';
import fc from 'fast-check';
import { SseParser, type SseMessage } from '../../lib/wire/sse.js';
import { expectLipError } from './expect-lip-error.js';
import { fuzzParameters, fuzzTimeout } from './fuzz-parameters.js';

/** Feeds `text` in pieces cut at `offsets` (UTF-16 positions, any order), then ends the stream. */
function parse(text: string, offsets: readonly number[] = [], maxLineBytes?: number): SseMessage[] {
  const points = [...new Set(offsets.map((o) => o % (text.length + 1)))].sort((a, b) => a - b);
  const parser = new SseParser(maxLineBytes === undefined ? {} : { maxLineBytes });
  const out: SseMessage[] = [];
  let from = 0;
  for (const p of [...points, text.length]) {
    out.push(...parser.push(text.slice(from, p)));
    from = p;
  }
  out.push(...parser.end());
  return out;
}

/** Field text: anything but a line end (NUL included, and lone surrogates). */
const fieldText = fc.string({ unit: fc.oneof(fc.integer({ min: 0, max: 0xffff }).filter((c) => c !== 10 && c !== 13).map((c) => String.fromCharCode(c)), fc.constantFrom('a', ' ', ':', 'é')), maxLength: 20 });
const lineEnd = fc.constantFrom('\n', '\r\n', '\r');

interface Spec {
  readonly event?: string;
  readonly data: readonly string[];
  readonly id?: string;
  readonly noise: readonly string[];
  readonly spaced: boolean;
}

const message: fc.Arbitrary<Spec> = fc.record({
  event: fc.option(fieldText.filter((e) => e.length > 0), { nil: undefined }),
  data: fc.array(fieldText, { minLength: 1, maxLength: 3 }),
  id: fc.option(fieldText.filter((i) => !i.includes('\0')), { nil: undefined }),
  noise: fc.array(fc.constantFrom(': comment', ':', 'retry: 3000', 'foo: bar', 'event', 'id'), { maxLength: 2 }),
  spaced: fc.boolean(),
}, { requiredKeys: ['data', 'noise', 'spaced'] });

/** Writes messages with the given line ends (cycled); returns the text and what a parser must read. */
function write(specs: readonly Spec[], ends: readonly string[]): { text: string; expected: SseMessage[] } {
  let text = '';
  let n = 0;
  const end = () => ends[n++ % ends.length]!;
  let lastId: string | undefined;
  const expected: SseMessage[] = [];
  for (const s of specs) {
    // Noise first: a bare `event` line clears the event name and a bare `id` line sets an empty id.
    for (const line of s.noise) text += line + end();
    const field = (name: string, value: string) => {
      text += (s.spaced || value.startsWith(' ') ? `${name}: ${value}` : `${name}:${value}`) + end();
    };
    if (s.event !== undefined) field('event', s.event);
    if (s.id !== undefined) field('id', s.id);
    for (const d of s.data) field('data', d);
    // A blank line after a bare "\r" must not read as the "\n" of a "\r\n".
    text += text.endsWith('\r') ? '\r' : end();
    if (s.id !== undefined) lastId = s.id;
    else if (s.noise.includes('id')) lastId = '';
    expected.push({ event: s.event ?? 'message', data: s.data.join('\n'), ...(lastId !== undefined ? { id: lastId } : {}) });
  }
  return { text, expected };
}

describe('fuzz: SSE parser (lib/wire/sse.ts)', function () {
  this.timeout(fuzzTimeout());

  it('reads back any messages written with any mix of line ends, cut anywhere', () => {
    fc.assert(fc.property(fc.array(message, { minLength: 1, maxLength: 6 }), fc.array(lineEnd, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 12 }), (specs, ends, offsets) => {
      const { text, expected } = write(specs, ends);
      expect(parse(text, offsets)).to.deep.equal(expected);
    }), fuzzParameters());
  });

  it('gives the same messages for any text whatever the chunk boundaries (one character at a time included)', () => {
    const text = fc.oneof(
      fc.string({ unit: fc.constantFrom('d', 'a', 't', ':', ' ', '\n', '\r', 'e', 'v', 'n', 'i', 'x', '\0'), maxLength: 200 }),
      fc.string({ unit: 'binary', maxLength: 120 }),
    );
    fc.assert(fc.property(text, fc.oneof(fc.array(fc.nat(), { maxLength: 20 }), fc.constant('chars' as const)), (t, offsets) => {
      const whole = parse(t);
      const cut = offsets === 'chars' ? Array.from({ length: t.length }, (_, i) => i) : offsets;
      const pieces = parse(t, cut);
      expect(pieces).to.deep.equal(whole);
      for (const m of pieces) {
        expect(m.event).to.be.a('string').and.not.equal('');
        expect(m.data).to.be.a('string');
      }
    }), fuzzParameters());
  });

  it('with max_line_bytes, any chunking either reads what an unlimited parser reads or fails with LIP_ERR_UPSTREAM_LIMIT_EXCEEDED', () => {
    const text = fc.string({ unit: fc.constantFrom('data: ', 'x', 'xxxxxxxx', '\n', '\r', '\n\n', ': c', 'é'), maxLength: 60 });
    fc.assert(fc.property(text, fc.integer({ min: 1, max: 64 }), fc.array(fc.nat(), { maxLength: 10 }), (t, limit, offsets) => {
      const outcome = (cut: readonly number[]) => {
        try {
          return parse(t, cut, limit);
        } catch (err) {
          return expectLipError(err, { codes: ['LIP_ERR_UPSTREAM_LIMIT_EXCEEDED'] }).code;
        }
      };
      const whole = outcome([]);
      const pieces = outcome(offsets);
      expect(typeof pieces).to.equal(typeof whole);
      if (typeof whole !== 'string') expect(pieces).to.deep.equal(parse(t));
    }), fuzzParameters());
  });
});
