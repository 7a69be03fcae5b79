import { expect } from 'chai';
import { MAX_UPSTREAM_MESSAGE_CHARS, sanitizeMessage } from '../../../lib/backends/http/index.js';

describe('backends/http/sanitize-message', () => {
  it('masks the backend\'s own keys wherever they appear', () => {
    expect(sanitizeMessage('key custom-secret-value rejected (custom-secret-value)', ['custom-secret-value'])).to.equal('key *** rejected (***)');
  });

  it('masks anything shaped like an API key or a bearer token', () => {
    expect(sanitizeMessage('Incorrect API key provided: sk-proj-abcdefghijklmnop.')).to.equal('Incorrect API key provided: sk-***.');
    expect(sanitizeMessage('API key not valid: AIzaSyA1234567890abcdefghijklmnop')).to.equal('API key not valid: ***');
    expect(sanitizeMessage('header was Bearer abcdefghijkl123')).to.equal('header was Bearer ***');
    expect(sanitizeMessage('token hf_abcdefghijklmnop expired')).to.equal('token hf-*** expired');
  });

  it('leaves ordinary messages alone', () => {
    expect(sanitizeMessage('messages.0.content: Field required')).to.equal('messages.0.content: Field required');
  });

  it('turns control characters into spaces and cuts long text', () => {
    expect(sanitizeMessage('line one\r\nline two\u0000')).to.equal('line one line two');
    const long = sanitizeMessage('x'.repeat(5_000));
    expect(long).to.have.length(MAX_UPSTREAM_MESSAGE_CHARS);
    expect(long.endsWith('…')).to.equal(true);
  });
});
