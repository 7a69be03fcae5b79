import { expect } from 'chai';
import { configFrom, configIssues } from '../helpers/config.js';

const STUB = 'backends: [{ id: stub, kind: localstub }]\n';

/**
 * Found by probing: a `frontends` list replaces the default (all four enabled), so a frontend it
 * does not name is off; `frontends: [{ id: anthropic, enabled: false }]`, written to turn one
 * frontend off, turned off all four and was refused as "no frontend is enabled", which did not
 * say why. The refusal now names the frontends the list left off by not naming them.
 */
describe('config regression: a frontends list replaces the default', () => {
  it('a frontend the list does not name is off', () => {
    const config = configFrom(`frontends: [{ id: anthropic, enabled: false }, { id: gemini }]\n${STUB}`);
    expect(config.frontends).to.deep.equal([{ id: 'anthropic', enabled: false }, { id: 'gemini', enabled: true }]);
  });

  it('a list that leaves every frontend off says which ones it left off by not naming them', () => {
    expect(configIssues(`frontends: [{ id: anthropic, enabled: false }]\n${STUB}`)).to.deep.equal([
      'frontends: no frontend is enabled: a frontends list replaces the default (every frontend on), so openai-responses, openai-chat and gemini, which it does not name, are off too; list each frontend to serve',
    ]);
    expect(configIssues(`frontends: []\n${STUB}`)).to.deep.equal([
      'frontends: no frontend is enabled: a frontends list replaces the default (every frontend on), so openai-responses, openai-chat, anthropic and gemini, which it does not name, are off too; list each frontend to serve',
    ]);
    expect(configIssues(`frontends: [{ id: openai-responses, enabled: false }, { id: openai-chat, enabled: false }, { id: anthropic, enabled: false }]\n${STUB}`)).to.deep.equal([
      'frontends: no frontend is enabled: a frontends list replaces the default (every frontend on), so gemini, which it does not name, is off too; list each frontend to serve',
    ]);
    const all = ['openai-responses', 'openai-chat', 'anthropic', 'gemini'].map((id) => `{ id: ${id}, enabled: false }`).join(', ');
    expect(configIssues(`frontends: [${all}]\n${STUB}`)).to.deep.equal(['frontends: no frontend is enabled']);
  });
});
