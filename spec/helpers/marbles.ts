import { expect } from 'chai';
import { TestScheduler } from 'rxjs/testing';

/** A TestScheduler whose assertions are chai deep-equality checks. */
export function testScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => {
    expect(actual).to.deep.equal(expected);
  });
}
