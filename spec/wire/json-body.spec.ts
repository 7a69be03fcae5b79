import { expect } from 'chai';
import { lineColumn, locateJsonError } from '../../lib/wire/json-position.js';
import { parseJson } from '../../lib/wire/json-body.js';
import { isLipError } from '../../lib/errors/index.js';

function errorOf(text: string): string {
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
});
