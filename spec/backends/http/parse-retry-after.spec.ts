import { expect } from 'chai';
import { MAX_RETRY_AFTER_MS, durationMs, retryAfterMs } from '../../../lib/backends/http/index.js';

describe('backends/http/parse-retry-after', () => {
  const now = Date.parse('Wed, 21 Oct 2026 07:28:00 GMT');

  it('reads delay-seconds, decimals included', () => {
    expect(retryAfterMs({ 'retry-after': '7' }, now)).to.equal(7_000);
    expect(retryAfterMs({ 'retry-after': ' 1.5 ' }, now)).to.equal(1_500);
    expect(retryAfterMs({ 'retry-after': '0' }, now)).to.equal(0);
  });

  it('reads an HTTP date relative to now; a past date means zero', () => {
    expect(retryAfterMs({ 'retry-after': 'Wed, 21 Oct 2026 07:28:30 GMT' }, now)).to.equal(30_000);
    expect(retryAfterMs({ 'retry-after': 'Wed, 21 Oct 2026 07:27:00 GMT' }, now)).to.equal(0);
  });

  it('prefers retry-after-ms (OpenAI) and takes the first of repeated headers', () => {
    expect(retryAfterMs({ 'retry-after-ms': '250', 'retry-after': '9' }, now)).to.equal(250);
    expect(retryAfterMs({ 'retry-after': ['3', '9'] }, now)).to.equal(3_000);
  });

  it('ignores garbage and absent headers, and caps absurd waits at a day', () => {
    expect(retryAfterMs({}, now)).to.equal(undefined);
    expect(retryAfterMs({ 'retry-after': 'soon' }, now)).to.equal(undefined);
    expect(retryAfterMs({ 'retry-after': '-5' }, now)).to.equal(undefined);
    expect(retryAfterMs({ 'retry-after': '99999999' }, now)).to.equal(MAX_RETRY_AFTER_MS);
  });

  it('reads the three HTTP-date forms, and no other text as a date (Date.parse reads "later 3000" as a year: a day-long cooldown)', () => {
    expect(retryAfterMs({ 'retry-after': 'Wednesday, 21-Oct-26 07:28:30 GMT' }, now)).to.equal(30_000);
    expect(retryAfterMs({ 'retry-after': 'Wed Oct 21 07:28:30 2026' }, now)).to.equal(30_000); // asctime is GMT, not local time
    expect(retryAfterMs({ 'retry-after': 'wed, 21 oct 2026 07:28:30 gmt' }, now)).to.equal(30_000);
    for (const garbage of ['later 3000', 'x 2030', 'soon 2', 'tomorrow 12', 'Wed, 21 Oct 2026', '2026-10-21T07:28:30Z']) {
      expect(retryAfterMs({ 'retry-after': garbage }, now), garbage).to.equal(undefined);
    }
  });

  it('reads the first delay of a comma-joined list (a proxy merging repeated headers)', () => {
    expect(retryAfterMs({ 'retry-after': '5, 10' }, now)).to.equal(5_000);
  });

  it('reads google.rpc durations', () => {
    expect(durationMs('30s')).to.equal(30_000);
    expect(durationMs('0.25s')).to.equal(250);
    expect(durationMs('30')).to.equal(undefined);
    expect(durationMs(undefined)).to.equal(undefined);
  });
});
