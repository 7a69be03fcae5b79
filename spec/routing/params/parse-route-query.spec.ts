import { expect } from 'chai';
import { parseRouteQuery } from '../../../lib/routing/params/parse-route-query.js';
import { PARAM_KEYS, paramsToJson } from '../../../lib/routing/params/route-params.js';
import { SelectorError } from '../../../lib/routing/selector/selector-error.js';

/** Parses the query of `a:m?<query>` (the offsets the selector parser passes). */
const parse = (query: string) => parseRouteQuery(`a:m?${query}`, 4, 4 + query.length);

function rejected(query: string): SelectorError {
  try {
    parse(query);
  } catch (err) {
    expect(err).to.be.instanceOf(SelectorError);
    return err as SelectorError;
  }
  throw new Error(`accepted: ${query}`);
}

describe('routing/params/parseRouteQuery', () => {
  it('validates each override at its boundaries', () => {
    expect(parse('temperature=0').params).to.deep.equal({ temperature: 0 });
    expect(parse('temperature=2').params).to.deep.equal({ temperature: 2 });
    expect(parse('temperature=.5').params).to.deep.equal({ temperature: 0.5 });
    expect(parse('top_p=1&max_output_tokens=2147483647').params).to.deep.equal({ topP: 1, maxOutputTokens: 2_147_483_647 });
    expect(parse('max_output_tokens=1').params).to.deep.equal({ maxOutputTokens: 1 });
    expect(parse('reasoning_effort=XHigh&verbosity=LOW').params).to.deep.equal({ reasoningEffort: 'xhigh', verbosity: 'low' });
    for (const [text, value] of [['true', true], ['1', true], ['yes', true], ['ON', true], ['false', false], ['0', false], ['no', false], ['off', false]] as const) {
      expect(parse(`parallel_tool_calls=${text}`).params).to.deep.equal({ parallelToolCalls: value });
    }
  });

  it('rejects invalid values at the value column', () => {
    const cases: ReadonlyArray<readonly [string, number, RegExp]> = [
      ['temperature=2.01', 17, /temperature must be a number from 0 to 2, got "2.01"/],
      ['temperature=-1', 17, /got "-1"/],
      ['temperature=1e0', 17, /got "1e0"/],
      ['temperature=NaN', 17, /got "NaN"/],
      ['temperature=', 17, /got ""/],
      ['temperature', 16, /got ""/],
      ['temperature=1..2', 17, /got "1..2"/],
      ['top_p=1.1', 11, /top_p must be a number from 0 to 1/],
      ['max_output_tokens=0', 23, /max_output_tokens must be an integer from 1 to 2147483647, got "0"/],
      ['max_output_tokens=2147483648', 23, /got "2147483648"/],
      ['max_output_tokens=1.5', 23, /got "1.5"/],
      ['max_tokens=-5', 16, /max_tokens must be an integer/],
      ['reasoning_effort=very+high', 22, /reasoning_effort must be a word/],
      ['reasoning_effort=', 22, /reasoning_effort must be a word/],
      ['verbosity=loud', 15, /verbosity must be low, medium or high, got "loud"/],
      ['parallel_tool_calls=maybe', 25, /parallel_tool_calls must be true or false/],
      ['x=1&temperature=9', 21, /temperature must be/],
    ];
    for (const [query, column, reason] of cases) {
      const err = rejected(query);
      expect([err.column, err.reason], query).to.satisfy(([c, r]: [number, string]) => c === column && reason.test(r));
    }
  });

  it('accepts the topP and max_tokens spellings, but not together with the documented keys', () => {
    expect(parse('topP=0.3&max_tokens=64').params).to.deep.equal({ topP: 0.3, maxOutputTokens: 64 });
    expect(rejected('max_output_tokens=5&max_tokens=6').reason).to.equal('"max_tokens" repeats "max_output_tokens" (the same override)');
  });

  it('keeps unknown keys (and bare keys) in the query without overriding anything', () => {
    const q = parse('Temperature=9&note=x&flag');
    expect(q.params).to.deep.equal({});
    expect(q.query).to.deep.equal({ Temperature: '9', note: 'x', flag: '' });
    expect(q.canonical).to.equal('Temperature=9&flag=&note=x');
  });

  it('percent-decodes keys and values, "+" as a space, and keeps "=" after the first in the value', () => {
    const q = parse('n%6Fte=caf%C3%A9+au+lait&eq=a=b&plus=%2B');
    expect(q.query).to.deep.equal({ note: 'café au lait', eq: 'a=b', plus: '+' });
    expect(q.canonical).to.equal('eq=a%3Db&note=caf%C3%A9+au+lait&plus=%2B');
  });

  it('treats a __proto__ key as plain data', () => {
    const q = parse('__proto__=x&temperature=1');
    expect(Object.keys(q.query)).to.deep.equal(['__proto__', 'temperature']);
    expect(Object.getPrototypeOf(q.query)).to.equal(Object.prototype);
    expect(q.canonical).to.equal('__proto__=x&temperature=1');
  });

  it('describes overrides under their query keys, in table order', () => {
    expect(PARAM_KEYS).to.deep.equal(['temperature', 'top_p', 'max_output_tokens', 'reasoning_effort', 'verbosity', 'parallel_tool_calls']);
    expect(paramsToJson(parse('parallel_tool_calls=no&topP=0.5&verbosity=high').params)).to.deep.equal({ top_p: 0.5, verbosity: 'high', parallel_tool_calls: false });
  });
});
