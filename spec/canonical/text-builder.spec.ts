import { expect } from 'chai';
import { TextBuilder } from '../../lib/canonical/index.js';

describe('canonical/text-builder', () => {
  it('holds what was appended, in order, and its length without joining', () => {
    const text = new TextBuilder('ab');
    for (let i = 0; i < 1000; i++) text.append(String(i % 10));
    text.append('');
    expect(text.length).to.equal(1002);
    expect(text.toString()).to.equal('ab' + '0123456789'.repeat(100));
  });

  it('keeps appending after it was read', () => {
    const text = new TextBuilder();
    expect(text.toString()).to.equal('');
    text.append('x');
    expect(text.toString()).to.equal('x');
    text.append('y');
    expect([text.toString(), text.length]).to.deep.equal(['xy', 2]);
  });
});
