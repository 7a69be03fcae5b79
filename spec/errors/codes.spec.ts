import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { ERROR_CODES, LipError, toLipError, isRetryableStatus } from '../../lib/errors/index.js';
import { CollectLimitError, SequenceError } from '../../lib/canonical/index.js';

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

describe('errors/codes', () => {
  it('docs/errors.md lists exactly the registered codes, with the same status and retryability', () => {
    const rows = [...doc.matchAll(/^\| `(LIP_ERR_[A-Z_]+)` \| (\d{3}) \| (yes|no) \|/gm)].map((m) => [m[1], Number(m[2]), m[3] === 'yes']);
    const registry = Object.entries(ERROR_CODES).map(([code, spec]) => [code, spec.status, spec.retryable]);
    expect(rows).to.deep.equal(registry);
  });

  it('every code follows LIP_ERR_<AREA>_<WHAT>', () => {
    for (const code of Object.keys(ERROR_CODES)) expect(code).to.match(/^LIP_ERR_[A-Z]+_[A-Z_]+$/);
  });

  it('LipError takes status and retryability from the registry unless told otherwise', () => {
    const e = new LipError('LIP_ERR_UPSTREAM_RESET');
    expect([e.status, e.retryable, e.message]).to.deep.equal([502, true, ERROR_CODES.LIP_ERR_UPSTREAM_RESET.summary]);
    const upstream = new LipError('LIP_ERR_UPSTREAM_STATUS', 'bad', { status: 429, retryable: true });
    expect([upstream.status, upstream.retryable]).to.deep.equal([429, true]);
  });

  it('toLipError keeps registered codes from canonical errors and hides everything else', () => {
    expect(toLipError(new CollectLimitError('too big')).code).to.equal('LIP_ERR_RESPONSE_TOO_LARGE');
    expect(toLipError(new SequenceError('bad order')).code).to.equal('LIP_ERR_RESPONSE_SEQUENCE');
    const internal = toLipError(new TypeError('x is undefined'));
    expect([internal.code, internal.status, internal.message]).to.deep.equal(['LIP_ERR_SERVER_INTERNAL', 500, 'internal error']);
  });

  it('classifies upstream statuses', () => {
    expect([408, 409, 429, 500, 503, 529].every(isRetryableStatus)).to.equal(true);
    expect([400, 401, 403, 404, 413, 422].some(isRetryableStatus)).to.equal(false);
  });
});
