import { expect } from 'chai';
import { globPattern } from '../../lib/wire/index.js';

describe('globPattern', () => {
  it('matches the whole value, `*` any run of characters (slashes and colons too), `?` one', () => {
    const arn = globPattern('arn:aws:bedrock:*:*:application-inference-profile/abc*');
    expect(arn.test('arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123')).to.equal(true);
    expect(arn.test('arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/xabc123')).to.equal(false);
    expect(globPattern('a?c').test('abc')).to.equal(true);
    expect(globPattern('a?c').test('ac')).to.equal(false);
    expect(globPattern('*').test('any/thing:at all')).to.equal(true);
  });

  it('takes every other character literally', () => {
    expect(globPattern('anthropic.claude-v1:0').test('anthropicXclaude-v1:0')).to.equal(false);
    expect(globPattern('a+b(c)[d]{e}|f^$\\').test('a+b(c)[d]{e}|f^$\\')).to.equal(true);
  });
});
