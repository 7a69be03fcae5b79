import { expect } from 'chai';
import { MAX_LOGGED_CANDIDATES, RouteLog, type RouteRecord } from '../../lib/core/route-log.js';

const record = (id: number, candidates = 1): RouteRecord => ({
  request_id: `r${id}`, at: '2026-12-03T00:00:00.000Z', selector: 'a:m', selector_source: 'model',
  candidates: Array.from({ length: candidates }, (_, i) => ({ key: `a:m${i}`, outcome: 'skipped' as const, reason: 'circuit open' })),
  served: null, ttft_ms: null, outcome: 'failure',
});

describe('core/route-log', () => {
  it('keeps the last N records, oldest first', () => {
    const log = new RouteLog(3);
    expect(log.list()).to.deep.equal([]);
    for (let i = 1; i <= 2; i++) log.push(record(i));
    expect(log.list().map((r) => r.request_id)).to.deep.equal(['r1', 'r2']);
    for (let i = 3; i <= 7; i++) log.push(record(i));
    expect(log.list().map((r) => r.request_id)).to.deep.equal(['r5', 'r6', 'r7']);
  });

  it('resizes keeping the newest records in order, and goes on as a log of the new size', () => {
    const log = new RouteLog(4);
    for (let i = 1; i <= 6; i++) log.push(record(i));
    log.resize(2);
    expect(log.list().map((r) => r.request_id)).to.deep.equal(['r5', 'r6']);
    log.push(record(7));
    expect(log.list().map((r) => r.request_id)).to.deep.equal(['r6', 'r7']);
    log.resize(3);
    expect(log.list().map((r) => r.request_id)).to.deep.equal(['r6', 'r7']);
    log.push(record(8));
    log.push(record(9));
    expect(log.list().map((r) => r.request_id)).to.deep.equal(['r7', 'r8', 'r9']);
    log.resize(0);
    log.push(record(10));
    expect(log.list()).to.deep.equal([]);
    log.resize(1);
    log.push(record(11));
    expect(log.list().map((r) => r.request_id)).to.deep.equal(['r11']);
  });

  it('keeps nothing with capacity 0', () => {
    const log = new RouteLog(0);
    log.push(record(1));
    expect(log.list()).to.deep.equal([]);
  });

  it('keeps at most 64 candidates per record and says how many it left out', () => {
    const log = new RouteLog(2);
    log.push(record(1, 1_000));
    log.push(record(2, MAX_LOGGED_CANDIDATES));
    const [big, exact] = log.list();
    expect(big!.candidates).to.have.length(MAX_LOGGED_CANDIDATES);
    expect(big!.candidates_omitted).to.equal(1_000 - MAX_LOGGED_CANDIDATES);
    expect(exact!.candidates).to.have.length(MAX_LOGGED_CANDIDATES);
    expect(exact).to.not.have.property('candidates_omitted');
  });

  it('holds a bounded number of records after 100,000 pushes', () => {
    const log = new RouteLog(64);
    for (let i = 0; i < 100_000; i++) log.push(record(i, 2));
    expect(log.list()).to.have.length(64);
    expect(log.list()[63]!.request_id).to.equal('r99999');
  });
});
