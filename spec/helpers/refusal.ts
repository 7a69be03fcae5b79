import { expect } from 'chai';
import { LipError } from '../../lib/errors/index.js';

/** The LipError `decode` throws; fails the test when it throws none or something else. */
export function refusalOf(decode: () => unknown): LipError {
  try {
    decode();
  } catch (err) {
    expect(err).to.be.instanceOf(LipError);
    return err as LipError;
  }
  throw new Error('expected the request to be rejected');
}
