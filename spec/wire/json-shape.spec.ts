import { expect } from 'chai';
import { LipError } from '../../lib/errors/index.js';
import { checkJsonShape, REQUEST_JSON_LIMITS } from '../../lib/wire/json-shape.js';
import { parseJson } from '../../lib/wire/json-body.js';

function verdict(text: string, limits = REQUEST_JSON_LIMITS): string {
  try {
    checkJsonShape(text, limits);
    return 'ok';
  } catch (err) {
    expect(err).to.be.instanceOf(LipError);
    return `${(err as LipError).code} ${(err as LipError).status} ${(err as LipError).message}`;
  }
}

describe('wire/json-shape', () => {
  const small = { maxDepth: 3, maxElements: 4, maxKeyChars: 5, maxTokens: 1_000, maxNumberChars: 100 };

  it('accepts JSON within every limit, at the limit', () => {
    expect(verdict('{"a":[[1,2,3,4]],"bcdef":{}}', small)).to.equal('ok');
    expect(verdict('[' .repeat(128) + ']'.repeat(128))).to.equal('ok');
  });

  it('refuses nesting one level too deep, naming line and column', () => {
    expect(verdict('{"a":[[[1]]]}', small)).to.equal('LIP_ERR_REQUEST_LIMIT_EXCEEDED 400 request body limit exceeded: the JSON nests deeper than 3 levels (line 1, column 8)');
    expect(verdict('{\n "a": [\n  [[1]]]}', small)).to.match(/deeper than 3 levels \(line 3, column 4\)$/);
    expect(verdict('['.repeat(129) + ']'.repeat(129))).to.match(/nests deeper than 128 levels \(line 1, column 129\)$/);
  });

  it('refuses containers with too many elements or members', () => {
    expect(verdict('[1,2,3,4,5]', small)).to.match(/an array has more than 4 elements \(line 1, column 9\)$/);
    expect(verdict('{"a":1,"b":2,"c":3,"d":4,"e":5}', small)).to.match(/an object has more than 4 members/);
    expect(verdict(`[${Array(100_001).fill(0).join(',')}]`)).to.match(/an array has more than 100000 elements/);
    expect(verdict(`[${Array(100_000).fill(0).join(',')}]`)).to.equal('ok');
  });

  it('refuses long keys, but not long string values', () => {
    expect(verdict('{"abcdef":1}', small)).to.match(/an object key is longer than 5 characters \(line 1, column 2\)$/);
    expect(verdict('{"a":"abcdefghijkl","b":["abcdefghijkl"]}', small)).to.equal('ok');
    expect(verdict(`{"${'k'.repeat(16 * 1024 + 1)}":1}`)).to.match(/key is longer than 16384 characters/);
  });

  it('refuses more than maxTokens tokens (strings, numbers, literals, brackets), naming the limit', () => {
    const few = { ...small, maxElements: 100, maxTokens: 6 };
    expect(verdict('[1,"a",true,null]', few)).to.equal('ok'); // [ 1 "a" true null ] = 6
    expect(verdict('[1,"a",true,null,2]', few)).to.match(/request body limit exceeded: the JSON has more than 6 tokens \(line 1, column 19\)$/);
    expect(verdict('{"a": 1, "b": 2}', { ...few, maxTokens: 5 })).to.match(/more than 5 tokens/);
    expect(verdict(`[${Array(99_999).fill('[1,2,3,4,5,6,7,8,9]').join(',')}]`)).to.match(/the JSON has more than 1000000 tokens/);
    expect(verdict(`[${Array(90_000).fill('[1,2,3,4,5,6,7,8,9]').join(',')}]`)).to.equal('ok');
  });

  it('refuses a number longer than maxNumberChars (1 MiB by default), not a long string', () => {
    expect(verdict(`[${'9'.repeat(100)}, -1.5e+10]`, small)).to.equal('ok');
    expect(verdict(`[1, ${'9'.repeat(101)}]`, small)).to.match(/a number is longer than 100 characters \(line 1, column 5\)$/);
    expect(verdict(`[1e${'0'.repeat(1024 * 1024)}]`)).to.match(/a number is longer than 1048576 characters/);
    expect(verdict(`["${'9'.repeat(2 * 1024 * 1024)}"]`)).to.equal('ok');
  });

  it('does not count brackets, commas or quotes inside strings', () => {
    expect(verdict('["[[[[,,,,,", "\\"[[[[", {"a":"}}}]]],,,,"}]', small)).to.equal('ok');
    expect(verdict('["\\\\", [[1]]]', small)).to.equal('ok');
    expect(verdict('["\\\\", [[[1]]]]', small)).to.match(/deeper than 3/);
  });

  it('leaves malformed JSON to JSON.parse', () => {
    expect(verdict('{"a": "unterminated')).to.equal('ok');
    expect(verdict(']]]}}}')).to.equal('ok');
  });

  it('runs before JSON.parse in parseJson: 100,000 levels are a 400, not a stack overflow', () => {
    try {
      parseJson('{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000));
      expect.fail('parsed');
    } catch (err) {
      expect((err as LipError).code).to.equal('LIP_ERR_REQUEST_LIMIT_EXCEEDED');
      expect((err as LipError).status).to.equal(400);
    }
  });
});
