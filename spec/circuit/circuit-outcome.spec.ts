import { expect } from 'chai';
import { outcomeOf } from '../../lib/circuit/circuit-outcome.js';
import { LipError } from '../../lib/errors/index.js';

describe('circuit/outcomeOf', () => {
  it('counts retryable and surfaced failures of the candidate', () => {
    expect([
      new LipError('LIP_ERR_UPSTREAM_CONNECT'),
      new LipError('LIP_ERR_UPSTREAM_STATUS', 'overloaded', { status: 529, retryable: true }),
      new LipError('LIP_ERR_UPSTREAM_STATUS', 'rate limited', { status: 429, retryable: true }),
      new LipError('LIP_ERR_UPSTREAM_STATUS', 'bad key', { status: 401 }),
      new LipError('LIP_ERR_UPSTREAM_STATUS', 'no such model', { status: 404 }),
      new LipError('LIP_ERR_UPSTREAM_MALFORMED'),
      new LipError('LIP_ERR_UPSTREAM_EMPTY_STREAM'),
      new LipError('LIP_ERR_ROUTE_LEAF_TTFT_TIMEOUT'),
      new LipError('LIP_ERR_UPSTREAM_LIMIT_EXCEEDED'),
    ].map(outcomeOf)).to.deep.equal(Array(9).fill('failure'));
  });

  it('ignores failures that belong to the request, so one client cannot open a circuit for everyone', () => {
    expect([
      new LipError('LIP_ERR_UPSTREAM_STATUS', 'prompt too long', { status: 400 }),
      new LipError('LIP_ERR_UPSTREAM_STATUS', 'too large', { status: 413 }),
      new LipError('LIP_ERR_UPSTREAM_STATUS', 'unprocessable', { status: 422 }),
      new LipError('LIP_ERR_REQUEST_INVALID'),
      new LipError('LIP_ERR_RESPONSE_TOO_LARGE'),
      new LipError('LIP_ERR_ROUTE_TTFT_TIMEOUT'),
      new LipError('LIP_ERR_ROUTE_NO_CANDIDATE'),
      new LipError('LIP_ERR_REQUEST_LIMIT_EXCEEDED'),
      // Turned away by lip's own connection queue (http_client.queue_timeout): nothing was sent.
      new LipError('LIP_ERR_UPSTREAM_QUEUE_TIMEOUT'),
      // An answer of images alone: the request's choice of model, not the candidate's health.
      new LipError('LIP_ERR_UPSTREAM_OUTPUT_UNSUPPORTED'),
    ].map(outcomeOf)).to.deep.equal(Array(10).fill('ignored'));
  });

  it('counts an upstream 429 that left every key cooling, and ignores lip\'s own refusal while they cool (nothing was sent)', () => {
    const keys = (reason: string) => new LipError('LIP_ERR_UPSTREAM_NO_CREDENTIALS', 'every API key is rate-limited', { status: 429, retryAfter: 2, detail: { backend: 'a', reason } });
    expect([keys('rate_limited'), keys('cooling_down')].map(outcomeOf)).to.deep.equal(['failure', 'ignored']);
  });

  it('ignores lip\'s own failures: a bug caught by a guard, a client too slow to read, a shutdown', () => {
    expect([
      new TypeError("Cannot read properties of undefined (reading 'length')"),
      new RangeError('Maximum call stack size exceeded'),
      new LipError('LIP_ERR_SERVER_INTERNAL'),
      new LipError('LIP_ERR_SERVER_CLIENT_TOO_SLOW'),
      new LipError('LIP_ERR_SERVER_SHUTTING_DOWN'),
    ].map(outcomeOf)).to.deep.equal(Array(5).fill('ignored'));
  });
});
