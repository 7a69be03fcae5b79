import { expect } from 'chai';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { guard, LipError, reportInternalError, type InternalErrorReport } from '../../lib/errors/index.js';

describe('errors/internal-error', () => {
  const reports: InternalErrorReport[] = [];
  const listen = (m: unknown) => reports.push(m as InternalErrorReport);
  beforeEach(() => { reports.length = 0; subscribe('lip:internal-error', listen); });
  afterEach(() => unsubscribe('lip:internal-error', listen));

  it('reports a stray throw with where and request id, and returns LIP_ERR_SERVER_INTERNAL', () => {
    const bug = new TypeError('x is undefined');
    const err = reportInternalError('stream.next', bug, 'req-1');
    expect([err.code, err.status, err.cause]).to.deep.equal(['LIP_ERR_SERVER_INTERNAL', 500, bug]);
    expect(reports).to.deep.equal([{ where: 'stream.next', error: bug, requestId: 'req-1' }]);
  });

  it('passes a LipError through unreported: it is an expected outcome', () => {
    const expected = new LipError('LIP_ERR_UPSTREAM_RESET');
    expect(reportInternalError('x', expected)).to.equal(expected);
    expect(reports).to.deep.equal([]);
  });

  it('guard turns a throw into onError and never lets it reach the caller', () => {
    const errors: string[] = [];
    const safe = guard('race.onWin', (n: number) => { if (n > 1) throw new RangeError('too big'); }, (e) => errors.push(e.code));
    expect(() => { safe(1); safe(2); }).not.to.throw();
    expect(errors).to.deep.equal(['LIP_ERR_SERVER_INTERNAL']);
    expect(reports.map((r) => r.where)).to.deep.equal(['race.onWin']);
  });
});
