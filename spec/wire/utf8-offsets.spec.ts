import { expect } from 'chai';
import { utf16Offset, utf8Offset } from '../../lib/wire/utf8-offsets.js';

describe('wire/utf8-offsets', () => {
  const text = 'aé€😀z'; // 1 + 2 + 3 + 4 + 1 bytes; 1 + 1 + 1 + 2 + 1 code units

  it('counts the UTF-8 bytes before a UTF-16 offset, as Buffer does', () => {
    for (let i = 0; i <= text.length; i++) expect(utf8Offset(text, i), `offset ${i}`).to.equal(Buffer.byteLength(text.slice(0, i)));
    expect(utf8Offset(text, 99)).to.equal(11);
    expect(utf8Offset(text, -1)).to.equal(0);
  });

  it('finds the UTF-16 offset of a byte offset, inverse of utf8Offset at character boundaries', () => {
    for (const i of [0, 1, 2, 3, 5, 6]) expect(utf16Offset(text, utf8Offset(text, i))).to.equal(i);
    expect(utf16Offset(text, 99)).to.equal(text.length);
    expect(utf16Offset(text, 0)).to.equal(0);
  });

  it('counts a byte offset inside a character from the end of that character', () => {
    expect(utf16Offset(text, 2)).to.equal(2); // inside "é"
    expect(utf16Offset(text, 7)).to.equal(5); // inside the emoji: after its two code units
  });
});
