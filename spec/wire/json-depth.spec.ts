import { expect } from 'chai';
import { LipError } from '../../lib/errors/index.js';
import {
  checkUpstreamJson, closingQuote, JsonDepthMeter, jsonTextTooDeep, MAX_REQUEST_DEPTH, MAX_UPSTREAM_DEPTH, requestTooDeep, upstreamTooDeep, valueTooDeep,
} from '../../lib/wire/json-depth.js';

const nested = (depth: number, inner = '1') => '{"a":['.repeat(depth) + inner + ']}'.repeat(depth);

describe('wire/json-depth', () => {
  it('finds the quote that closes a string, skipping escaped ones', () => {
    expect(closingQuote('abc"', 0)).to.equal(3);
    expect(closingQuote('a\\"b"', 0)).to.equal(4);
    expect(closingQuote('a\\\\"b"', 0)).to.equal(3); // an escaped backslash, then the closing quote
    expect(closingQuote('a\\\\\\"b', 0)).to.equal(-1);
    expect(closingQuote('no end', 0)).to.equal(-1);
  });

  it('measures nesting of JSON text, ignoring brackets inside strings', () => {
    expect(jsonTextTooDeep('[[1]]', 2)).to.equal(-1);
    expect(jsonTextTooDeep('[[[1]]]', 2)).to.equal(2);
    expect(jsonTextTooDeep('["[[[[", {"k]]": "{{{{"}]', 2)).to.equal(-1);
    expect(jsonTextTooDeep('["\\"[[[", [[1]]]', 2)).to.equal(11);
    expect(jsonTextTooDeep('[] [] [] []', 1)).to.equal(-1);
    expect(jsonTextTooDeep(']]]][[', 1)).to.equal(5); // stray closers never go below zero
  });

  it('meters text that arrives in pieces exactly as the whole text, for every cut', () => {
    const text = '{"a":"x\\\\\\"[[","b":[[{"c":"]]]\\\\"}]],"d":[[[[1]]]]}';
    const whole = jsonTextTooDeep(text, 4);
    expect(whole).to.equal(text.indexOf('[[[[1') + 3);
    for (let cut = 0; cut <= text.length; cut++) {
      const meter = new JsonDepthMeter(4);
      const first = meter.push(text.slice(0, cut));
      const second = meter.push(text.slice(cut));
      expect(first >= 0 ? first : second + cut, `cut at ${cut}`).to.equal(whole);
    }
    const meter = new JsonDepthMeter(4);
    for (const ch of text.slice(0, whole)) expect(meter.push(ch)).to.equal(-1);
    expect(meter.push(text[whole]!)).to.equal(0);
  });

  it('carries an escape that ends one piece into the next', () => {
    const meter = new JsonDepthMeter(1);
    expect(meter.push('["a\\')).to.equal(-1);
    expect(meter.push('"[[')).to.equal(-1); // the quote was escaped: still inside the string
    expect(meter.push('"')).to.equal(-1);
    expect(meter.push('[')).to.equal(0);
    expect(meter.push('')).to.equal(-1);
  });

  it('measures parsed values iteratively, even 100,000 levels deep', () => {
    expect(valueTooDeep(1, 0)).to.equal(false);
    expect(valueTooDeep({}, 0)).to.equal(true);
    expect(valueTooDeep({ a: [1, { b: null }] }, 3)).to.equal(false);
    expect(valueTooDeep({ a: [1, { b: {} }] }, 3)).to.equal(true);
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(valueTooDeep(deep, MAX_UPSTREAM_DEPTH)).to.equal(true);
    expect(valueTooDeep(JSON.parse(nested(MAX_UPSTREAM_DEPTH / 2)), MAX_UPSTREAM_DEPTH)).to.equal(false);
  });

  it('names client JSON text nested too deep as the client\'s 400', () => {
    const err = requestTooDeep("a tool call's arguments");
    expect([err.code, err.status, err.retryable, err.message]).to.deep.equal([
      'LIP_ERR_REQUEST_LIMIT_EXCEEDED', 400, false, "a tool call's arguments nests deeper than 128 levels",
    ]);
    expect(jsonTextTooDeep(nested(MAX_REQUEST_DEPTH / 2), MAX_REQUEST_DEPTH)).to.equal(-1);
  });

  it('scans upstream text of 4 KiB and more before it is parsed; shorter text is left to JSON.parse', () => {
    const deepText = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
    expect(() => checkUpstreamJson('b', deepText(2_000))).to.not.throw(); // 4,000 characters: not scanned
    expect(() => checkUpstreamJson('b', deepText(MAX_UPSTREAM_DEPTH + 16) + ' '.repeat(5_000))).to.not.throw();
    try {
      checkUpstreamJson('b', deepText(8_000_000));
      expect.fail('accepted');
    } catch (err) {
      expect((err as LipError).code).to.equal('LIP_ERR_UPSTREAM_LIMIT_EXCEEDED');
      expect((err as LipError).message).to.equal('backend "b": a frame nests deeper than 272 levels');
    }
    expect(() => checkUpstreamJson('b', `{"text":"${'['.repeat(100_000)}"}`)).to.not.throw(); // brackets in a string
  });

  it('makes the upstream error retryable, 502, naming the backend', () => {
    const err = upstreamTooDeep('gem', 'functionCall.args');
    expect([err.code, err.status, err.retryable, err.message]).to.deep.equal([
      'LIP_ERR_UPSTREAM_LIMIT_EXCEEDED', 502, true, 'backend "gem": functionCall.args nests deeper than 256 levels',
    ]);
  });
});
