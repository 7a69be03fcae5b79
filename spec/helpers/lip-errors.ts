import { expect } from 'chai';
import { LipError } from '../../lib/errors/index.js';

/** The LipError a call must fail with: a promise that rejects, or a function that throws (or returns one that rejects). */
export async function refusal(work: Promise<unknown> | (() => unknown)): Promise<LipError> {
  try {
    await (typeof work === 'function' ? work() : work);
  } catch (err) {
    expect(err).to.be.instanceOf(LipError);
    return err as LipError;
  }
  throw new Error('expected a refusal');
}
