import { expect } from 'chai';
import { itemOwner, storedItemId } from '../../../lib/frontends/openai-responses/item-ids.js';
import { randomId } from '../../../lib/wire/ids.js';

describe('Responses item ids (item-ids.ts)', () => {
  const response = randomId('resp_', 48);

  it('names the response an item belongs to, its list and its place; the same on every call', () => {
    const tail = response.slice('resp_'.length);
    expect(storedItemId('msg_', response, 'output', 0)).to.equal(`msg_${tail}o0`);
    expect(storedItemId('fc_', response, 'input', 40)).to.equal(`fc_${tail}i14`);
    expect(storedItemId('rs_', response, 'output', 3)).to.equal(storedItemId('rs_', response, 'output', 3));
    for (const id of [storedItemId('msg_', response, 'output', 0), storedItemId('ctco_', response, 'input', 1_000)]) expect(itemOwner(id)).to.equal(response);
  });

  it('gives distinct ids to the items of a response and to those of another', () => {
    const other = randomId('resp_', 48);
    const ids = new Set<string>();
    for (const r of [response, other]) for (const list of ['output', 'input'] as const) for (let i = 0; i < 50; i++) ids.add(storedItemId('msg_', r, list, i));
    expect(ids.size).to.equal(200);
  });

  it('an id lip did not make, or one of a response id of another shape, names no response', () => {
    const odd = storedItemId('msg_', 'resp_short', 'output', 0);
    expect(odd).to.match(/^msg_[0-9A-Za-z]{24}$/);
    for (const id of [odd, 'msg_67ccd3acc8d48190a77525dc6de64b4104becb25c8a2d7b0', 'msg_nope', '', `MSG_${response.slice(5)}o0`, `msg_${response.slice(5)}x0`, `msg_${response.slice(5)}o`]) {
      expect(itemOwner(id), id).to.equal(undefined);
    }
  });
});
