import { expect } from 'chai';
import { BatchSlots } from '../../lib/server/batch-slots.js';
import { LipError } from '../../lib/errors/index.js';

const refusal = (f: () => unknown): LipError => {
  try {
    f();
  } catch (err) {
    return err as LipError;
  }
  throw new Error('expected a refusal');
};

describe('server/BatchSlots', () => {
  const limits = { max: 4, perPrincipal: 2 };

  it('gives a principal its share, then refuses it with a 429 naming the per-principal limit', () => {
    const slots = new BatchSlots();
    slots.take('bob', limits);
    slots.take('bob', limits);
    const err = refusal(() => slots.take('bob', limits));
    expect([err.code, err.status, err.retryAfter, err.message]).to.deep.equal([
      'LIP_ERR_SERVER_OVERLOADED', 429, 5, 'this principal has 2 batches running, its limit (server.max_running_batches_per_principal: 2); retry once one has ended',
    ]);
    slots.take('alice', limits);
    expect([slots.size, slots.heldBy('bob'), slots.heldBy('alice')]).to.deep.equal([3, 2, 1]);
  });

  it('refuses anyone once the server is full, naming max_running_batches', () => {
    const slots = new BatchSlots();
    for (const p of ['a', 'a', 'b', 'b']) slots.take(p, limits);
    const err = refusal(() => slots.take('c', limits));
    expect([err.code, err.message]).to.deep.equal(['LIP_ERR_SERVER_OVERLOADED', 'the server is at its limit of 4 batches running at once (server.max_running_batches)']);
  });

  it('a slot given back is free again, and giving it back twice frees only one', () => {
    const slots = new BatchSlots();
    const release = slots.take('bob', limits);
    slots.take('bob', limits);
    release();
    release();
    expect([slots.size, slots.heldBy('bob')]).to.deep.equal([1, 1]);
    slots.take('bob', limits);
    expect(() => slots.take('bob', limits)).to.throw(LipError);
  });
});
