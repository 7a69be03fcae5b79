import { expect } from 'chai';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { Observable } from 'rxjs';
import { installRxjsLastResort } from '../../lib/server/last-resort.js';
import type { InternalErrorReport } from '../../lib/errors/index.js';

describe('server/last-resort', () => {
  it('a throw RxJS would rethrow asynchronously (a final subscriber\'s next) is reported, not uncaught', async () => {
    installRxjsLastResort();
    const reported = new Promise<InternalErrorReport>((resolve) => {
      const listen = (m: unknown) => {
        unsubscribe('lip:internal-error', listen);
        resolve(m as InternalErrorReport);
      };
      subscribe('lip:internal-error', listen);
    });
    new Observable<number>((s) => { s.next(1); s.complete(); }).subscribe({ next: () => { throw new TypeError('bug in a subscriber'); } });
    const report = await reported;
    expect(report.where).to.equal('rxjs.unhandled');
    expect((report.error as Error).message).to.equal('bug in a subscriber');
  });
});
