import { expect } from 'chai';
import fc from 'fast-check';
import { isUtf8 } from 'node:buffer';
import { lineColumn, locateJsonError } from '../../lib/wire/json-position.js';
import { firstInvalidUtf8, parseJson } from '../../lib/wire/json-body.js';
import { isLipError } from '../../lib/errors/index.js';

function errorOf(text: string | Buffer): string {
  try {
    parseJson(text);
  } catch (err) {
    if (isLipError(err)) return `${err.code} ${err.status} ${err.message}`;
    throw err;
  }
  return 'parsed';
}

describe('wire/json-body', () => {
  it('parses valid JSON', () => {
    expect(parseJson(Buffer.from('{"a":[1,true,null,"x"]}'))).to.deep.equal({ a: [1, true, null, 'x'] });
  });

  it('ignores one leading byte order mark (RFC 8259 8.1), and counts columns after it', () => {
    expect(parseJson(Buffer.from('\uFEFF{"a":1}', 'utf8'))).to.deep.equal({ a: 1 });
    expect(parseJson('\uFEFF[2]')).to.deep.equal([2]);
    expect(errorOf('\uFEFF{"a":1,}')).to.equal('LIP_ERR_REQUEST_INVALID_JSON 400 malformed JSON at line 1, column 8: expected a double-quoted property name, found "}"');
    // Only at the start: elsewhere it is not white space in JSON.
    expect(errorOf('{"a":\uFEFF1}')).to.match(/column 6: expected a value/);
  });

  it('reports line, column and what was expected', () => {
    expect(errorOf('{"a":1,}')).to.equal('LIP_ERR_REQUEST_INVALID_JSON 400 malformed JSON at line 1, column 8: expected a double-quoted property name, found "}"');
    expect(errorOf('{\n  "model": "x",\n  "messages": [}\n')).to.equal('LIP_ERR_REQUEST_INVALID_JSON 400 malformed JSON at line 3, column 16: expected a value, found "}"');
    expect(errorOf('{"a" 1}')).to.equal(`LIP_ERR_REQUEST_INVALID_JSON 400 malformed JSON at line 1, column 6: expected ':' after the property name, found "1"`);
    expect(errorOf('[1, 2')).to.equal('LIP_ERR_REQUEST_INVALID_JSON 400 malformed JSON at line 1, column 6: unexpected end of input');
    expect(errorOf('{"a": tru}')).to.equal('LIP_ERR_REQUEST_INVALID_JSON 400 malformed JSON at line 1, column 7: expected a value, found "t"');
    expect(errorOf('{} x')).to.equal('LIP_ERR_REQUEST_INVALID_JSON 400 malformed JSON at line 1, column 4: unexpected text after the JSON value, found "x"');
    expect(errorOf('   ')).to.equal('LIP_ERR_REQUEST_INVALID_JSON 400 malformed JSON: the request body is empty');
  });

  it('locates errors deep inside nesting without recursion', () => {
    const deep = '['.repeat(50_000) + '}';
    expect(locateJsonError(deep).offset).to.equal(50_000);
  });

  it('agrees with JSON.parse on valid documents', () => {
    for (const text of ['{}', '[]', '{"a":{"b":[1,2,{"c":"\\u00e9\\n"}]}}', '  -1.5e3 ', '"s"', '[[],{}]']) {
      JSON.parse(text);
      expect(locateJsonError(text).reason, text).to.equal('invalid JSON');
    }
  });

  it('counts columns from 1 on each line', () => {
    expect(lineColumn('ab\ncd', 0)).to.deep.equal({ line: 1, column: 1 });
    expect(lineColumn('ab\ncd', 4)).to.deep.equal({ line: 2, column: 2 });
  });

  describe('bytes that are not UTF-8 (RFC 8259 section 8.1)', () => {
    const latin1 = (text: string) => Buffer.from(text, 'latin1');

    it('are refused, naming the first byte that is not UTF-8 by line, column and offset, instead of replaced', () => {
      // What Windows PowerShell sends for "café" (ISO-8859-1): decoded as UTF-8 it was "caf\uFFFD".
      expect(errorOf(latin1('{"messages":[{"content":"caf\u00e9"}]}'))).to.equal(
        'LIP_ERR_REQUEST_INVALID_JSON 400 the request body is not UTF-8: byte 0xE9 at line 1, column 29 (byte 28) is not valid UTF-8 '
        + '(is it ISO-8859-1 or Windows-1252?); send JSON as UTF-8 (RFC 8259 section 8.1)');
      // Columns count characters: the two-byte "ü" and the four-byte emoji before it are one and two (UTF-16 units, as the JSON errors count).
      const mixed = Buffer.concat([Buffer.from('{\n  "a": "ü😀', 'utf8'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
      expect(errorOf(mixed)).to.match(/byte 0xC3 at line 2, column 12 \(byte 16\)/);
      // A sequence cut short by the end of the body.
      expect(errorOf(Buffer.concat([Buffer.from('["x'), Buffer.from([0xe2, 0x82])]))).to.match(/byte 0xE2 at line 1, column 4 \(byte 3\)/);
    });

    it('UTF-16, with or without a byte order mark, is named as such', () => {
      const utf16 = (bom: boolean, be: boolean) => {
        const le = Buffer.from(`${bom ? '\uFEFF' : ''}{"a":1}`, 'utf16le');
        return be ? le.swap16() : le;
      };
      for (const [bom, be] of [[true, false], [true, true], [false, false], [false, true]] as const) {
        expect(errorOf(utf16(bom, be)), `bom ${bom}, big-endian ${be}`).to.match(bom
          ? /^LIP_ERR_REQUEST_INVALID_JSON 400 the request body is not UTF-8: it starts with a UTF-16 byte order mark; send JSON as UTF-8/
          : /^LIP_ERR_REQUEST_INVALID_JSON 400 the request body is not UTF-8: it looks like UTF-16 \(a NUL byte among its first two\)/);
      }
    });

    it('well-formed UTF-8 of every length still parses, and a text (already decoded) is not checked', () => {
      expect(parseJson(Buffer.from('{"t":"aé€😀\uFFFD"}', 'utf8'))).to.deep.equal({ t: 'aé€😀\uFFFD' });
      expect(parseJson('{"t":"\uFFFD"}')).to.deep.equal({ t: '\uFFFD' });
    });

    it('firstInvalidUtf8 agrees with node:buffer isUtf8: the bytes before it are UTF-8, one more is not', () => {
      // Bytes biased towards UTF-8's edges (lead bytes, continuation bytes, the surrogate and overlong ranges) and real text.
      const edgy = fc.constantFrom(0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xee, 0xef, 0xf0, 0xf4, 0xf5, 0xff);
      const bytes = fc.oneof(
        fc.array(fc.oneof(edgy, fc.integer({ min: 0, max: 255 })), { maxLength: 24 }).map((a) => Buffer.from(a)),
        fc.tuple(fc.string({ unit: 'grapheme', maxLength: 8 }), fc.array(edgy, { maxLength: 3 }), fc.string({ unit: 'grapheme', maxLength: 8 }))
          .map(([a, mid, b]) => Buffer.concat([Buffer.from(a), Buffer.from(mid), Buffer.from(b)])),
      );
      fc.assert(fc.property(bytes, (b) => {
        const at = firstInvalidUtf8(b);
        expect(at === b.length).to.equal(isUtf8(b));
        expect(isUtf8(b.subarray(0, at)), 'the bytes before it').to.equal(true);
        if (at < b.length) expect(isUtf8(b.subarray(0, at + 1)), 'with it').to.equal(false);
      }), { numRuns: 3000 });
    });
  });
});
