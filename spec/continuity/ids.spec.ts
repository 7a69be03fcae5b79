import { expect } from 'chai';
import { checkSessionId, clipReason, clipRowText, MAX_ROW_TEXT, newALegId, newBLegId, newSessionId } from '../../lib/continuity/ids.js';
import { LipError } from '../../lib/errors/index.js';

describe('continuity/ids', () => {
  it('makes prefixed 128-bit identifiers that do not repeat', () => {
    const made = Array.from({ length: 1000 }, newALegId);
    expect(new Set(made).size).to.equal(1000);
    expect([newALegId(), newBLegId(), newSessionId()].map((id) => /^[abs]_[0-9a-f]{32}$/.test(id))).to.deep.equal([true, true, true]);
    expect([newALegId()[0], newBLegId()[0], newSessionId()[0]]).to.deep.equal(['a', 'b', 's']);
  });

  it('starts every id with its creation time in milliseconds (48 bits, hex), so ids sort by creation', () => {
    const before = Date.now();
    const id = newBLegId();
    const after = Date.now();
    const at = Number.parseInt(id.slice(2, 14), 16);
    expect(at).to.be.within(before, after);
    const later: string[] = [];
    for (let i = 0; i < 50; i++) later.push(newALegId().slice(2, 14));
    expect(later).to.deep.equal([...later].sort());
  });

  it('accepts the session ids it issues and reasonable client ones, and nothing else', () => {
    for (const ok of [newSessionId(), 'conv-42', 'user:7.thread_3', 'x'.repeat(128)]) expect(() => checkSessionId(ok)).to.not.throw();
    for (const bad of ['', 'x'.repeat(129), 'a b', 'a/b', 'a\nb']) expect(() => checkSessionId(bad)).to.throw(LipError, /X-LIP-Session-Id/);
  });

  it('keeps reasons on one line and at most 512 characters', () => {
    expect(clipReason(undefined)).to.equal(null);
    expect(clipReason('')).to.equal(null);
    expect(clipReason('  upstream\n\tsaid   no ')).to.equal('upstream said no');
    const long = clipReason('y'.repeat(600))!;
    expect([long.length, long.endsWith('…')]).to.deep.equal([512, true]);
  });

  it('cuts a row\'s client text past 256 characters to 240 and how many it left out, never inside a surrogate pair', () => {
    const exact = 'm'.repeat(MAX_ROW_TEXT);
    expect(clipRowText(exact)).to.equal(exact);
    expect(clipRowText('m'.repeat(MAX_ROW_TEXT + 1))).to.equal(`${'m'.repeat(240)}...(+17 chars)`);
    // A pair at characters 239-240: the cut keeps 239 and leaves the whole pair out.
    const cut = clipRowText(`${'m'.repeat(239)}😀${'z'.repeat(300)}`);
    expect(cut).to.equal(`${'m'.repeat(239)}...(+302 chars)`);
    expect(clipRowText(`${'m'.repeat(238)}😀${'z'.repeat(300)}`)).to.equal(`${'m'.repeat(238)}😀...(+300 chars)`);
  });
});
