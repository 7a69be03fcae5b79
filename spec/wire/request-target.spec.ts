import { expect } from 'chai';
import fc from 'fast-check';
import { requestTarget, type RequestTarget } from '../../lib/wire/index.js';

/** What the server reads of a target (its path and query), or the refusal. */
const reading = (read: () => RequestTarget) => {
  try {
    const url = read();
    return { pathname: url.pathname, query: url.searchParams.toString() };
  } catch (err) {
    return { refused: (err as { code?: string }).code };
  }
};
/** The URL parser's reading of an origin-form target (what requestTarget gave every target before its plain-path shortcut). */
const parsed = (path: string) => reading(() => new URL(`http://lip.invalid${path}`));

/** Characters the URL parser keeps in a path as they are. */
const PATH_CHARS = [...'abcxyzABCXYZ0189-._~!$&\'()*+,;=:@'];
/** Pieces that make the parser change a path: percent escapes, dot segments, queries, fragments, backslashes, controls, non-ASCII, characters it encodes. */
const TRICKY = ['/', '//', '.', '..', '/./', '/../', '%', '%2e', '%2E', '%2F', '%41', '?', '?a=1&b', '#', '#x', '\\', ' ', '\t', '\n', '\r', '\u0000', '\u007f', 'é', '😀', '\ud83d', '^', '|', '"', '<', '>', '{', '}', '`', '[', ']'];

describe('wire/requestTarget', () => {
  it('reads the usual paths and queries', () => {
    expect(reading(() => requestTarget('/v1/chat/completions'))).to.deep.equal({ pathname: '/v1/chat/completions', query: '' });
    expect(reading(() => requestTarget(undefined))).to.deep.equal({ pathname: '/', query: '' });
    expect(reading(() => requestTarget('/v1beta/models/gemini-2.5:streamGenerateContent?alt=sse&key=k'))).to.deep.equal({ pathname: '/v1beta/models/gemini-2.5:streamGenerateContent', query: 'alt=sse&key=k' });
    expect(reading(() => requestTarget('/v1/./a/../models'))).to.deep.equal({ pathname: '/v1/models', query: '' });
    expect(reading(() => requestTarget('//x/v1/models'))).to.deep.equal({ pathname: '//x/v1/models', query: '' });
    expect(reading(() => requestTarget('http://example.com/v1/models?x=1'))).to.deep.equal({ pathname: '/v1/models', query: 'x=1' });
    expect(reading(() => requestTarget('v1/models'))).to.deep.equal({ refused: 'LIP_ERR_REQUEST_INVALID' });
  });

  it('takes a plain path as it is, without the URL parser, and reads it as the parser does', () => {
    const segment = fc.oneof(
      fc.array(fc.constantFrom(...PATH_CHARS), { minLength: 1, maxLength: 12 }).map((c) => c.join('')).filter((s) => s !== '.' && s !== '..'),
      fc.constantFrom('v1', 'chat', 'completions', 'models', 'gpt-4o', 'claude-3.5', '...', '.a', 'a.', '..b'),
    );
    const plain = fc.tuple(fc.array(segment, { maxLength: 6 }), fc.boolean()).map(([segments, slash]) => `/${segments.join('/')}${slash && segments.length > 0 ? '/' : ''}`);
    fc.assert(fc.property(plain, (path) => {
      const target = requestTarget(path);
      expect(target, path).not.to.be.instanceOf(URL);
      expect(reading(() => target), path).to.deep.equal(parsed(path));
    }), { numRuns: 3000 });
  });

  it('whatever the path, reads it as the URL parser does', () => {
    const piece = fc.oneof(fc.constantFrom(...PATH_CHARS), fc.constantFrom(...TRICKY), fc.constantFrom('v1', 'models', '/v1', '/models'));
    const path = fc.array(piece, { maxLength: 16 }).map((pieces) => `/${pieces.join('')}`);
    fc.assert(fc.property(path, (p) => {
      expect(reading(() => requestTarget(p)), JSON.stringify(p)).to.deep.equal(parsed(p));
    }), { numRuns: 5000 });
  });
});
