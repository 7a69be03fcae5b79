import { expect } from 'chai';
import { float32Base64, vectorFromFloat32Base64 } from '../../lib/wire/index.js';

describe('wire/float32-base64', () => {
  it('writes little-endian float32 bytes in padded base64', () => {
    expect(float32Base64([1, -2])).to.equal('AACAPwAAAMA=');
    expect(float32Base64([])).to.equal('');
  });

  it('round-trips float32 values exactly, the awkward ones too', () => {
    const values = [0, -0, 1.5, Math.fround(-3.25e-8), Math.fround(0.1), Math.fround(-123456.789), 3.4028234663852886e38, 1.401298464324817e-45];
    for (let n = 0; n <= values.length; n++) expect(vectorFromFloat32Base64(float32Base64(values.slice(0, n)))).to.deep.equal(values.slice(0, n));
    const big = Array.from({ length: 3072 }, (_, i) => Math.fround(Math.sin(i) / 7));
    expect(vectorFromFloat32Base64(float32Base64(big))).to.deep.equal(big);
  });

  it('narrows a double to the nearest float32 (what OpenAI sends, its vectors being float32)', () => {
    expect(vectorFromFloat32Base64(float32Base64([0.1]))).to.deep.equal([Math.fround(0.1)]);
  });

  it('reads what Node and the OpenAI SDK write', () => {
    const bytes = Buffer.from(new Float32Array([0.5, -0.25, 8]).buffer);
    expect(vectorFromFloat32Base64(bytes.toString('base64'))).to.deep.equal([0.5, -0.25, 8]);
  });

  it('refuses text that is not base64 of whole float32 values', () => {
    for (const text of ['AACAPwAAAMA', 'AACA', 'AACAP!AAAMA=', 'AAC=APwA', '====', 'AACAPwAAAMA=\n', 'AACA-wAA']) {
      expect(vectorFromFloat32Base64(text), text).to.equal(undefined);
    }
  });

  it('checks a large answer without exhausting the regexp stack', () => {
    expect(vectorFromFloat32Base64('A'.repeat(4 * 3_000_000))).to.have.length(2_250_000);
  });
});
