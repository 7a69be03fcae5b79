import { expect } from 'chai';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { ClockSkew } from '../../../lib/backends/bedrock/clock-skew.js';
import { classifyBedrockStatus } from '../../../lib/backends/bedrock/index.js';
import type { BackendWarning } from '../../../lib/backends/backend-warning.js';

const LOCAL = Date.UTC(2026, 11, 8, 2, 0, 0);
const HOUR = 3_600_000;
const refusal = (type: string, message: string) => classifyBedrockStatus('br', 403, JSON.stringify({ message }), { 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/` }, undefined, []);
const EXPIRED = refusal('InvalidSignatureException', 'Signature expired: 20261208T020000Z is now earlier than 20261208T025500Z (20261208T030000Z - 5 min.)');
const at = (ms: number) => ({ date: new Date(ms).toUTCString() });
const signed = (ms: number) => ({ method: 'POST' as const, url: 'http://x/', headers: { 'x-amz-date': new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, '') } });

describe('backends/bedrock/clock-skew', () => {
  let warnings: BackendWarning[];
  const onWarning = (m: unknown) => warnings.push(m as BackendWarning);
  beforeEach(() => {
    warnings = [];
    subscribe('lip:backend-warning', onWarning);
  });
  afterEach(() => unsubscribe('lip:backend-warning', onWarning));

  it('takes AWS\'s time from a refusal for the signing time and signs at it; the refused request is signed again, once reported', () => {
    const skew = new ClockSkew('br', () => LOCAL);
    expect(skew.now().getTime()).to.equal(LOCAL);
    expect(skew.learn(EXPIRED, at(LOCAL + HOUR))).to.equal(true);
    expect(skew.now().getTime()).to.equal(LOCAL + HOUR);
    expect(skew.resigns(signed(LOCAL))).to.equal(true);
    expect(skew.resigns(signed(LOCAL + HOUR))).to.equal(false);
    expect(warnings).to.deep.equal([{
      backend: 'br', detail: { clock_offset_ms: HOUR },
      message: 'bedrock: the local clock is 60 min behind AWS\'s (a request was refused for its signing time); requests are signed at AWS\'s time from now on: correct the system clock (NTP)',
    }]);
    // Another correction (the clock jumped back) is taken, not reported again.
    expect(skew.learn(refusal('InvalidSignatureException', 'Signature not yet current: x is still later than y (z + 5 min.)'), at(LOCAL - HOUR))).to.equal(true);
    expect(skew.now().getTime()).to.equal(LOCAL - HOUR);
    expect(warnings).to.have.length(1);
  });

  it('a clock ahead of AWS\'s, and AWS\'s RequestTimeTooSkewed code', () => {
    const skew = new ClockSkew('br', () => LOCAL);
    expect(skew.learn(refusal('RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.'), at(LOCAL - 2 * HOUR))).to.equal(true);
    expect(skew.now().getTime()).to.equal(LOCAL - 2 * HOUR);
    expect(warnings[0]!.message).to.include('120 min ahead of AWS\'s');
  });

  it('takes nothing from another refusal, from a Date under five minutes off, or from no Date; an unsigned request is never signed again', () => {
    const skew = new ClockSkew('br', () => LOCAL);
    expect(skew.learn(refusal('InvalidSignatureException', 'The request signature we calculated does not match the signature you provided.'), at(LOCAL + HOUR))).to.equal(false);
    expect(skew.learn(refusal('AccessDeniedException', 'You don\'t have access to the model with the specified model ID.'), at(LOCAL + HOUR))).to.equal(false);
    expect(skew.learn(EXPIRED, at(LOCAL + 4 * 60_000))).to.equal(false);
    expect(skew.learn(EXPIRED, {})).to.equal(false);
    expect(skew.learn(EXPIRED, { date: 'not a date' })).to.equal(false);
    expect(skew.now().getTime()).to.equal(LOCAL);
    expect(skew.resigns(signed(LOCAL))).to.equal(false);
    expect(skew.resigns({ method: 'POST', url: 'http://x/', headers: { authorization: 'Bearer k' } })).to.equal(false);
    expect(warnings).to.deep.equal([]);
  });
});
