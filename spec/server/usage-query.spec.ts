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
