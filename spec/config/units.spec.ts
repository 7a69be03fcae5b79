import { expect } from 'chai';
import { formatDuration, parseDuration, parseSize } from '../../lib/config/index.js';
import { nearest } from '../../lib/config/suggest.js';

describe('config/units', () => {
  it('parses durations', () => {
    expect(['250ms', '30s', '5m', '2h', '1.5s', ' 10s '].map(parseDuration)).to.deep.equal([250, 30_000, 300_000, 7_200_000, 1_500, 10_000]);
    expect(['', '10', 'ten s', '-1s', '5d'].map(parseDuration)).to.deep.equal([undefined, undefined, undefined, undefined, undefined]);
  });

  it('parses sizes', () => {
    expect([8 * 1024, '8MiB', '512KiB', '1GiB', '10MB', '64KB', '100'].map(parseSize)).to.deep.equal([8192, 8_388_608, 524_288, 1_073_741_824, 10_000_000, 64_000, 100]);
    expect(['lots', -1, 1.5, '8 MiBs'].map(parseSize)).to.deep.equal([undefined, undefined, undefined, undefined]);
  });

  it('formats durations for people', () => {
    expect([250, 1500, 30_000, 300_000, 7_200_000].map(formatDuration)).to.deep.equal(['250ms', '1500ms', '30s', '5m', '2h']);
  });

  it('suggests only near misses', () => {
    expect(nearest('prot', ['host', 'port'])).to.equal('port');
    expect(nearest('timeout', ['host', 'port'])).to.equal(undefined);
  });
});
