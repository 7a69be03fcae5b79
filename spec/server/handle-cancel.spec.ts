import { expect } from 'chai';
import type { LipError } from '../../lib/errors/index.js';
import { cancelRelayed } from '../../lib/server/handle-cancel.js';
import type { RequestState } from '../../lib/server/request-state.js';

/** An in-flight request of `principal` in conversation `aLegId` (session `s_<aLegId>`), recording how it was aborted. */
function running(principal: string, aLegId: string, responseId?: string): RequestState & { aborted: string[] } {
  const aborted: string[] = [];
  return {
    requestId: `req_${aLegId}_${responseId ?? 'x'}`, startedAt: 0, routeGroup: '/v1/responses', principal, aLegId, sessionId: `s_${aLegId}`,
    ...(responseId !== undefined ? { responseId, cancelledResponse: () => ({ id: responseId, status: 'cancelled' }) } : {}),
    abort: (err?: LipError) => { aborted.push(err?.code ?? 'cut'); },
    aborted,
  };
}

/** What an instance does with a cancel another instance relayed to it (lib/server/cancel-relay.ts). */
describe('server: cancels relayed from another instance (cancelRelayed)', () => {
  it('an A-leg cancel aborts that principal\'s requests of that A-leg here, once, and counts them', () => {
    const mine = [running('alice', 'a_1'), running('alice', 'a_1', 'resp_1'), running('alice', 'a_2'), running('bob', 'a_1')];
    expect(cancelRelayed({ principal: 'alice', aLegId: 'a_1', path: '/lip/v1/a-legs/a_1/cancel' }, mine)).to.deep.equal({ found: false, forbidden: false, cancelled: 2 });
    expect(mine.map((s) => s.aborted)).to.deep.equal([['LIP_ERR_REQUEST_CANCELLED'], ['LIP_ERR_REQUEST_CANCELLED'], [], []]);
    expect(mine[0]!.cancelled).to.equal('cancelled by POST /lip/v1/a-legs/a_1/cancel');
    // Asked again (the cancel reached this instance twice): nothing more.
    expect(cancelRelayed({ principal: 'alice', aLegId: 'a_1', path: '/lip/v1/a-legs/a_1/cancel' }, mine).cancelled).to.equal(0);
  });

  it('a Responses cancel: found in the caller\'s conversation it cancels and answers the object; in another, forbidden and nothing cancelled; elsewhere, not found', () => {
    const mine = [running('alice', 'a_1', 'resp_1'), running('alice', 'a_1'), running('alice', 'a_2', 'resp_2')];
    const path = '/v1/responses/resp_1/cancel';
    expect(cancelRelayed({ principal: 'alice', responseId: 'resp_9', aLegId: 'a_1', path }, mine)).to.deep.equal({ found: false, forbidden: false, cancelled: 0 });
    expect(cancelRelayed({ principal: 'bob', responseId: 'resp_1', aLegId: 'a_1', path }, mine)).to.deep.equal({ found: false, forbidden: false, cancelled: 0 });
    expect(cancelRelayed({ principal: 'alice', responseId: 'resp_2', aLegId: 'a_1', path }, mine)).to.deep.equal({ found: true, forbidden: true, cancelled: 0 });
    expect(mine.every((s) => s.aborted.length === 0)).to.equal(true);
    expect(cancelRelayed({ principal: 'alice', responseId: 'resp_1', aLegId: 'a_1', path }, mine))
      .to.deep.equal({ found: true, forbidden: false, aLegId: 'a_1', cancelled: 2, body: { id: 'resp_1', status: 'cancelled' } });
    expect(mine.map((s) => s.aborted.length)).to.deep.equal([1, 1, 0]);
  });

  it('a Responses cancel named by the client\'s session id (continuity.client_session_ids) checks that session', () => {
    const mine = [running('alice', 'a_1', 'resp_1')];
    const path = '/v1/responses/resp_1/cancel';
    expect(cancelRelayed({ principal: 'alice', responseId: 'resp_1', sessionId: 's_a_2', path }, mine)).to.include({ found: true, forbidden: true, cancelled: 0 });
    expect(cancelRelayed({ principal: 'alice', responseId: 'resp_1', sessionId: 's_a_1', path }, mine)).to.include({ found: true, forbidden: false, cancelled: 1 });
  });
});

describe('server: cancels of background responses (principal alone)', () => {
  const path = '/v1/responses/resp_b/cancel';
  /** A background response's run (background-runs.ts) beside a request of the same conversation. */
  const runs = () => {
    const run = { ...running('alice', 'a_1', 'resp_b'), background: true };
    return [run, running('alice', 'a_1')] as const;
  };

  it('relayed: the run of that id and principal is cancelled alone, answered with its object; another principal\'s, a request that is no run, or none: not found', () => {
    const [run, request] = runs();
    const states = [request, run];
    expect(cancelRelayed({ principal: 'bob', responseId: 'resp_b', background: true, path }, states)).to.deep.equal({ found: false, forbidden: false, cancelled: 0 });
    expect(cancelRelayed({ principal: 'alice', responseId: 'resp_x', background: true, path }, states)).to.deep.equal({ found: false, forbidden: false, cancelled: 0 });
    expect(cancelRelayed({ principal: 'alice', responseId: 'resp_b', background: true, path }, states)).to.deep.equal({ found: true, forbidden: false, cancelled: 1, body: { id: 'resp_b', status: 'cancelled' } });
    // The conversation's other request goes on: a background cancel ends that response only.
    expect([run.aborted, request.aborted]).to.deep.equal([['LIP_ERR_REQUEST_CANCELLED'], []]);
    expect(run.cancelled).to.equal(`cancelled by POST ${path}`);
    // Again (already ending): found, answered, nothing more cancelled.
    expect(cancelRelayed({ principal: 'alice', responseId: 'resp_b', background: true, path }, states)).to.include({ found: true, cancelled: 0 });
    const plain = running('alice', 'a_2', 'resp_p');
    expect(cancelRelayed({ principal: 'alice', responseId: 'resp_p', background: true, path }, [plain])).to.include({ found: false });
    expect(plain.aborted).to.deep.equal([]);
  });

  it('relayed peek (a retrieval from another instance): the running run\'s object, nothing cancelled; an ended or unknown run is not found', () => {
    const [run] = runs();
    const objects: unknown[] = [];
    const backgroundRuns = {
      find: (id: string, principal: string) => (id === 'resp_b' && principal === 'alice' ? {
        endedAt: objects.length > 0 ? 1 : undefined, running: () => ({ id, status: 'in_progress' }), items: (query: URLSearchParams) => ({ object: 'list', order: query.get('order') }),
      } : undefined),
    } as never;
    expect(cancelRelayed({ principal: 'alice', responseId: 'resp_b', background: true, peek: true, path: '' }, [run], backgroundRuns)).to.deep.equal({ found: true, forbidden: false, cancelled: 0, body: { id: 'resp_b', status: 'in_progress' } });
    expect(run.aborted).to.deep.equal([]);
    expect(cancelRelayed({ principal: 'alice', responseId: 'resp_b', background: true, peek: true, items: 'order=asc', path: '' }, [run], backgroundRuns).body).to.deep.equal({ object: 'list', order: 'asc' });
    expect(cancelRelayed({ principal: 'bob', responseId: 'resp_b', background: true, peek: true, path: '' }, [run], backgroundRuns)).to.include({ found: false });
    objects.push('ended');
    expect(cancelRelayed({ principal: 'alice', responseId: 'resp_b', background: true, peek: true, path: '' }, [run], backgroundRuns)).to.include({ found: false });
  });

  it('relayed: a run that has ended while its record is written (its abort gone) is answered as it ended, and nothing is cancelled', () => {
    const [run, request] = runs();
    const ending: RequestState = { ...run, abort: undefined, ended: () => ({ id: 'resp_b', status: 'completed' }) };
    expect(cancelRelayed({ principal: 'alice', responseId: 'resp_b', background: true, path }, [request, ending]))
      .to.deep.equal({ found: true, forbidden: false, cancelled: 0, body: { id: 'resp_b', status: 'completed' } });
    expect(ending.cancelled).to.equal(undefined);
    expect([run.aborted, request.aborted]).to.deep.equal([[], []]);
  });
});
