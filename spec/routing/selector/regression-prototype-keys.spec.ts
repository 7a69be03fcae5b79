import { expect } from 'chai';
import type { SingleArm } from '../../../lib/routing/selector/ast.js';
import { parseSelector } from '../../../lib/routing/selector/parse-selector.js';
import { SelectorError } from '../../../lib/routing/selector/selector-error.js';

/** The message a selector is rejected with. */
function rejection(text: string): string {
  try {
    parseSelector(text);
  } catch (err) {
    expect(err, text).to.be.instanceOf(SelectorError);
    return (err as SelectorError).message;
  }
  throw new Error(`accepted: ${text}`);
}

/**
 * The selector's lookup tables were plain objects, so a key or value that names a property of
 * `Object.prototype` was found in them: `?parallel_tool_calls=__proto__` parsed as the override
 * `{}` (sent upstream as `"parallel_tool_calls": {}`), `=constructor` as a function,
 * `[__proto__=1]stub:a` was refused as "is not a leaf annotation: [object Object]" and
 * `{constructor=1}stub:a` with the source of `Object`; a unit `5constructor` made a duration of
 * NaN. They are Maps now: each is an unknown value or key, refused at parse with the ordinary 400.
 */
describe('routing/selector regression: keys and values named like Object.prototype properties', () => {
  for (const value of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
    it(`parallel_tool_calls=${value} is refused as no boolean`, () => {
      expect(rejection(`oc:m?parallel_tool_calls=${value}`)).to.contain(`parallel_tool_calls must be true or false (also 1/0, yes/no, on/off), got "${value}"`);
    });
  }

  for (const key of ['__proto__', 'constructor', 'toString']) {
    it(`[${key}=1] and {${key}=1} are unknown keys, not a hint read off Object.prototype`, () => {
      const annotation = rejection(`[${key}=1]stub:a`);
      expect(annotation).to.contain(`unknown annotation "${key}"`).and.not.contain('[object Object]').and.not.contain('native code');
      const global = rejection(`{${key}=1}stub:a`);
      expect(global).to.contain(`unknown global option "${key}"`).and.not.contain('[object Object]').and.not.contain('native code');
    });
  }

  it('a duration or token count whose unit is named like a prototype property is refused, not NaN', () => {
    expect(rejection('{ttft_timeout=5constructor}stub:a')).to.contain('ttft_timeout must be a duration such as 250ms');
    expect(rejection('[handicap=5__proto__]stub:a|stub:b')).to.contain('handicap must be a duration such as 250ms');
    expect(rejection('[max_context=8constructor]stub:a')).to.contain('max_context must be a token count such as 8192');
  });

  it('the tables still answer their own keys', () => {
    const leaf = (parseSelector('oc:m?parallel_tool_calls=off').arms[0] as SingleArm).leg;
    expect(leaf.params).to.deep.equal({ parallelToolCalls: false });
    expect(rejection('[affinity=session]stub:a')).to.contain('"affinity" is not a leaf annotation: affinity is a global option');
    expect(rejection('{weight=2}stub:a')).to.contain('"weight" is not a global option: weight annotates one branch');
    expect(parseSelector('{ttft_timeout=2s}[max_context=8K]stub:a').global.ttftTimeoutMs).to.equal(2000);
  });
});
