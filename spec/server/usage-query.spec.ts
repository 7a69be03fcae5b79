import { expect } from 'chai';
import { LipError } from '../../lib/errors/index.js';
import { usageQuery } from '../../lib/server/admin.js';

/** `GET /admin/usage?since=`: an ISO 8601 time or a duration back from now (docs/observability.md), nothing else. */
describe('server/admin usageQuery: since', () => {
  const now = Date.UTC(2026, 11, 7, 12);
  const since = (text: string) => {
    const q = usageQuery(new URLSearchParams({ since: text }), now);
    return q instanceof LipError ? q : new Date(q.since!).toISOString();
  };

  it('takes a duration back from now, in the units config durations take', () => {
    expect(['24h', '30m', '90s', '1500ms', '1.5h'].map(since)).to.deep.equal([
      '2026-12-06T12:00:00.000Z', '2026-12-07T11:30:00.000Z', '2026-12-07T11:58:30.000Z', '2026-12-07T11:59:58.500Z', '2026-12-07T10:30:00.000Z',
    ]);
  });

  it('takes an ISO 8601 date or time', () => {
    expect(['2026-12-01', '2026-12-01T00:00:00Z', '2026-12-01T01:30+01:00', '2026-12-01T00:00:00.250Z'].map(since)).to.deep.equal([
      '2026-12-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z', '2026-12-01T00:30:00.000Z', '2026-12-01T00:00:00.250Z',
    ]);
  });

  it('takes the last day of a month, a leap day included', () => {
    expect(['2026-02-28', '2028-02-29', '2026-12-31T23:59:59Z'].map(since)).to.deep.equal(['2026-02-28T00:00:00.000Z', '2028-02-29T00:00:00.000Z', '2026-12-31T23:59:59.000Z']);
  });

  it('refuses a bare number (no unit), a date in another form and anything else: 400 LIP_ERR_REQUEST_INVALID naming since', () => {
    for (const text of ['0', '3600', '2026', '12/01/2026', 'Dec 1 2026', '1 December 2026', 'abc', '-1h', '1e3', '7d', '2026-02-30', '2026-13-01', '2026-04-31T00:00:00Z', '2026-00-10']) {
      const err = since(text);
      expect(err, text).to.be.instanceOf(LipError);
      expect(err as LipError, text).to.include({ code: 'LIP_ERR_REQUEST_INVALID', status: 400, param: 'since' });
    }
  });
});

/** `GET /admin/usage?limit=`: how many groups the answer lists (the rest are summed in `other`). */
describe('server/admin usageQuery: limit', () => {
  const limit = (text?: string) => {
    const q = usageQuery(new URLSearchParams(text === undefined ? {} : { limit: text }));
    return q instanceof LipError ? q : q.limit;
  };

  it('is 100 unless asked, and at most 1000', () => {
    expect([limit(), limit('1'), limit('250'), limit('1000')]).to.deep.equal([100, 1, 250, 1000]);
  });

  it('refuses anything but a whole number from 1 to 1000: 400 LIP_ERR_REQUEST_INVALID naming limit', () => {
    for (const text of ['0', '1001', '-1', '1.5', 'abc', '', '1e2', ' 5']) {
      const err = limit(text);
      expect(err, text).to.be.instanceOf(LipError);
      expect(err as LipError, text).to.include({ code: 'LIP_ERR_REQUEST_INVALID', status: 400, param: 'limit' });
    }
  });
});
