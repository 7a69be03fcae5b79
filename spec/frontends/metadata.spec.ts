import { expect } from 'chai';
import { LipError } from '../../lib/errors/index.js';
import { METADATA_LIMITS, checkMetadata } from '../../lib/frontends/metadata.js';

/** `<param> <message>` of a refusal, or the metadata it answered. */
function checked(raw: unknown, param?: string): unknown {
  try {
    return checkMetadata(raw, param);
  } catch (err) {
    expect(err).to.be.instanceOf(LipError);
    expect((err as LipError).code).to.equal('LIP_ERR_REQUEST_INVALID');
    expect((err as LipError).status).to.equal(400);
    return `${(err as LipError).param} ${(err as LipError).message}`;
  }
}

const pairs = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));

describe('frontends/metadata checkMetadata', () => {
  it('takes OpenAI\'s bounds exactly: 16 pairs, 64-character keys, 512-character values; none when absent or null', () => {
    expect(METADATA_LIMITS).to.deep.equal({ pairs: 16, key: 64, value: 512 });
    const full = { ...pairs(15), ['k'.repeat(64)]: 'v'.repeat(512) };
    expect(checked(full)).to.equal(full);
    expect(checked({})).to.deep.equal({});
    expect([checked(undefined), checked(null)]).to.deep.equal([undefined, undefined]);
  });

  it('refuses beyond them, naming the field (a pair by its key, cut to 64 characters)', () => {
    expect(checked(pairs(17))).to.equal('metadata metadata: at most 16 pairs (got 17)');
    expect(checked({ ['k'.repeat(100)]: 'v' })).to.equal(`metadata.${'k'.repeat(64)} metadata.${'k'.repeat(64)}: keys are at most 64 characters (got 100)`);
    expect(checked({ k: 'v'.repeat(513) })).to.equal('metadata.k metadata.k: values are at most 512 characters (got 513)');
    expect(checked({ k: 1 })).to.equal('metadata.k metadata.k: must be a string');
    expect(checked([])).to.equal('metadata metadata: must be an object of strings');
    expect(checked('x', 'batch.metadata')).to.equal('batch.metadata batch.metadata: must be an object of strings');
  });
});
