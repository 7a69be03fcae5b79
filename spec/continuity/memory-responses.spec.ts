import { expect } from 'chai';
import { MemoryResponses } from '../../lib/continuity/memory-responses.js';
import { responseRowBytes, type ResponseRow } from '../../lib/continuity/response-row.js';

const row = (id: string, createdAt: number, previous: string | null = null, size = 10, principal = 'p'): ResponseRow => ({
  response_id: id, principal, previous_response_id: previous, a_leg_id: null, session_id: null, model: null,
  created_at: createdAt, input_json: 'i'.repeat(size), output_json: '{}', reasoning_dialect: null, echo_json: null,
});

describe('continuity/MemoryResponses', () => {
  it('sweeps expired responses that nothing continues, and their ancestors with them', () => {
    const table = new MemoryResponses(100, Infinity);
    table.put(row('r1', 0), 0);
    table.put(row('r2', 10, 'r1'), 10);
    table.put(row('r3', 20, 'r2'), 20);
    table.put(row('lone', 30), 30);
    table.sweep(115); // all but r3 and lone are past ttl; r1 and r2 are continued
    expect([table.get('r1') !== undefined, table.get('r2') !== undefined, table.continuations('r1').map((r) => r.response_id)]).to.deep.equal([true, true, ['r2']]);
    table.sweep(125); // r3 expires: it goes, and takes r2 and r1 along
    expect([table.size, table.get('lone')?.response_id]).to.deep.equal([1, 'lone']);
    table.sweep(130);
    expect(table.size).to.equal(0);
  });

  it('keeps a branch alive while either continuation lives', () => {
    const table = new MemoryResponses(100, Infinity);
    table.put(row('root', 0), 0);
    table.put(row('left', 10, 'root'), 10);
    table.put(row('right', 50, 'root'), 50);
    table.sweep(120);
    expect([table.get('left'), table.get('root')?.response_id]).to.deep.equal([undefined, 'root']);
    table.sweep(150);
    expect(table.size).to.equal(0);
  });

  // A stored response's model is the client's text (up to 4,096 characters) and was not counted:
  // many tiny responses with long model names held about ten times their budget.
  it('counts the client\'s model in a row\'s bytes', () => {
    const short = row('a', 0);
    const long: ResponseRow = { ...short, model: 'm'.repeat(4096) };
    expect(responseRowBytes(long) - responseRowBytes(short)).to.equal(2 * 4096);
  });

  it('tracks bytes and drops the oldest past the budget, keeping the newest', () => {
    const one = responseRowBytes(row('a', 0, null, 100));
    const table = new MemoryResponses(Infinity, one * 2);
    table.put(row('a', 0, null, 100), 0);
    table.put(row('b', 1, 'a', 100), 1);
    expect([table.size, table.totalBytes]).to.deep.equal([2, one * 2]);
    table.put(row('c', 2, 'b', 100), 2);
    expect([table.get('a'), table.size, table.totalBytes, table.continuations('b').map((r) => r.response_id)]).to.deep.equal([undefined, 2, one * 2, ['c']]);
  });

  it('counts a durable response (a batch\'s records) in the budget but never drops it for it: the others give way; it goes at ttl', () => {
    const one = responseRowBytes(row('a', 0, null, 100));
    const table = new MemoryResponses(100, one * 2);
    table.put(row('batch', 0, null, 100), 0, true);
    table.put(row('a', 1, null, 100), 1);
    table.put(row('results-0', 2, null, 100), 2, true); // over: a goes, not the older batch
    expect([table.get('batch')?.response_id, table.get('a'), table.totalBytes]).to.deep.equal(['batch', undefined, one * 2]);
    table.put(row('results-1', 3, null, 100), 3, true); // durable alone over the budget: all kept
    table.put(row('b', 4, null, 100), 4);
    table.put(row('c', 5, null, 100), 5); // b goes, the newest kept
    expect([table.size, table.get('b'), table.get('c')?.response_id, table.totalBytes]).to.deep.equal([4, undefined, 'c', one * 4]);
    table.sweep(101); // batch is past ttl; the durable ones left are still over the budget, so c goes too
    expect([table.get('batch'), table.get('c'), table.size, table.totalBytes]).to.deep.equal([undefined, undefined, 2, one * 2]);
  });

  it('shares the budget fairly: past it, the principal holding the most bytes gives up its oldest, never one holding less', () => {
    const one = responseRowBytes(row('a', 0, null, 100));
    const table = new MemoryResponses(Infinity, one * 4);
    table.put(row('alice-1', 0, null, 100, 'alice'), 0);
    table.put(row('alice-2', 1, 'alice-1', 100, 'alice'), 1);
    for (let i = 0; i < 10; i++) table.put(row(`bob-${i}`, 2 + i, null, 100, 'bob'), 2 + i);
    // bob floods: his own oldest go; alice, holding less, keeps both of hers
    expect([table.get('alice-1')?.response_id, table.get('alice-2')?.response_id, table.get('bob-7'), table.get('bob-8')?.response_id, table.get('bob-9')?.response_id])
      .to.deep.equal(['alice-1', 'alice-2', undefined, 'bob-8', 'bob-9']);
    expect([table.bytesOf('alice'), table.bytesOf('bob'), table.totalBytes]).to.deep.equal([one * 2, one * 2, one * 4]);
    table.put(row('alice-3', 20, 'alice-2', 100, 'alice'), 20); // now alice holds the most: her oldest goes
    expect([table.get('alice-1'), table.get('alice-2')?.response_id, table.get('bob-8')?.response_id, table.bytesOf('alice')]).to.deep.equal([undefined, 'alice-2', 'bob-8', one * 2]);
  });

  it('a principal whose only droppable response is the one just saved stays over its share rather than push out another\'s', () => {
    const one = responseRowBytes(row('a', 0, null, 100));
    const table = new MemoryResponses(Infinity, one * 2);
    table.put(row('alice-1', 0, null, 100, 'alice'), 0);
    table.put(row('bob-big', 1, null, 1_000, 'bob'), 1);
    expect([table.get('alice-1')?.response_id, table.get('bob-big')?.response_id]).to.deep.equal(['alice-1', 'bob-big']);
    table.put(row('bob-2', 2, null, 100, 'bob'), 2); // bob still holds the most: his big one goes
    expect([table.get('alice-1')?.response_id, table.get('bob-big'), table.get('bob-2')?.response_id]).to.deep.equal(['alice-1', undefined, 'bob-2']);
  });

  it('counts a principal\'s durable bytes in its holding; one holding only durable ones is passed over', () => {
    const one = responseRowBytes(row('a', 0, null, 100));
    const table = new MemoryResponses(Infinity, one * 4);
    table.put(row('alice-batch-1', 0, null, 100, 'alice'), 0, true);
    table.put(row('alice-batch-2', 1, null, 100, 'alice'), 1, true);
    table.put(row('alice-batch-3', 2, null, 100, 'alice'), 2, true);
    table.put(row('bob-1', 3, null, 100, 'bob'), 3);
    table.put(row('bob-2', 4, null, 100, 'bob'), 4); // alice holds the most, all durable: bob's oldest goes
    expect([table.get('alice-batch-1')?.response_id, table.get('bob-1'), table.get('bob-2')?.response_id]).to.deep.equal(['alice-batch-1', undefined, 'bob-2']);
    table.put(row('alice-1', 5, null, 100, 'alice'), 5);
    table.put(row('alice-2', 6, null, 100, 'alice'), 6); // alice holds the most and has one to give: hers goes, not bob's
    expect([table.get('alice-1'), table.get('alice-2')?.response_id, table.get('bob-2')?.response_id]).to.deep.equal([undefined, 'alice-2', 'bob-2']);
  });

  it('replaces a response saved twice under one id', () => {
    const table = new MemoryResponses(Infinity, Infinity);
    table.put(row('a', 0, null, 10), 0);
    table.put(row('a', 5, null, 20), 5);
    expect([table.size, table.get('a')?.created_at, table.totalBytes]).to.deep.equal([1, 5, responseRowBytes(row('a', 5, null, 20))]);
  });
});
