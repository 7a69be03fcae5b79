import { expect } from 'chai';
import { unwrapReasoning, wrapReasoning } from '../../lib/frontends/reasoning-envelope.js';

describe('frontends/reasoning-envelope', () => {
  it('wraps opaque reasoning with its dialect and id, and unwraps it exactly', () => {
    const wrapped = wrapReasoning({ dialect: 'openai.responses.reasoning', data: 'gAAAA+/=', id: 'rs_1' });
    expect(wrapped).to.match(/^lip\.reasoning\.v1:[A-Za-z0-9_-]+$/);
    expect(unwrapReasoning(wrapped)).to.deep.equal({ dialect: 'openai.responses.reasoning', data: 'gAAAA+/=', id: 'rs_1' });
    expect(unwrapReasoning(wrapReasoning({ dialect: 'anthropic.redacted_thinking', data: '' }))).to.deep.equal({ dialect: 'anthropic.redacted_thinking', data: '' });
  });

  it('leaves providers\' own payloads and broken envelopes alone', () => {
    expect(unwrapReasoning('EqQBCkgIARABGAIiQL')).to.equal(undefined);
    expect(unwrapReasoning('lip.reasoning.v1:not base64 json')).to.equal(undefined);
    expect(unwrapReasoning(`lip.reasoning.v1:${Buffer.from('{"p":"x"}').toString('base64url')}`)).to.equal(undefined);
    expect(unwrapReasoning(`lip.reasoning.v1:${Buffer.from('{"d":"a","p":7}').toString('base64url')}`)).to.equal(undefined);
  });
});
