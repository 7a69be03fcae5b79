import { expect } from 'chai';
import { errorMessageOf } from '../../../lib/backends/http/error-message-of.js';
import { parseJsonOrUndefined } from '../../../lib/backends/http/read-body-text.js';

/**
 * Found while bounding recursive walks: errorMessageOf unwrapped a list-wrapped error body (as
 * Gemini sends) by recursing into the first element with no bound, so an upstream error body of
 * 32,000 nested lists (64 KB, within the error-body limit) overflowed the stack. It now unwraps
 * one level only, and an error body nested deeper than 256 levels is not parsed at all (it is
 * used as text): parsing 32,000 levels took tens of milliseconds of the event loop.
 */
describe('regression: nested lists in an upstream error body', () => {
  it('unwraps one list level, as Gemini sends it', () => {
    expect(errorMessageOf([{ error: { message: 'quota', status: 'RESOURCE_EXHAUSTED' } }], '')).to.deep.equal({ message: 'quota', type: 'RESOURCE_EXHAUSTED' });
  });

  it('does not recurse into 32,000 nested lists: the body text is the message', () => {
    const text = '['.repeat(32_000) + '1' + ']'.repeat(32_000);
    expect(errorMessageOf(JSON.parse(text), text).message).to.equal(text);
  });

  it('does not parse an error body nested deeper than 256 levels', () => {
    expect(parseJsonOrUndefined('['.repeat(32_000) + ']'.repeat(32_000))).to.equal(undefined);
    expect(parseJsonOrUndefined('{"error":{"message":"x"}}')).to.deep.equal({ error: { message: 'x' } });
  });
});
