import { expect } from 'chai';
import { TestScheduler } from 'rxjs/testing';
import { LipError } from '../../../lib/errors/index.js';
import { RouteJournal } from '../../../lib/routing/plan/route-journal.js';

const refusal = (backend: string) => new LipError('LIP_ERR_REQUEST_UNSUPPORTED', `${backend} runs no hosted web search`, { retryable: true });

describe('routing/plan/route-journal finalError', () => {
  const journal = (...fates: (LipError | 'skipped')[]) => {
    const j = new RouteJournal(new TestScheduler(() => undefined));
    fates.forEach((fate, i) => (fate === 'skipped' ? j.skip(`b${i}:m`, 'circuit open') : j.fail(j.start(`b${i}:m`), fate)));
    return j;
  };

  it('is a 400 naming each refusal when every candidate refused the request before sending it', () => {
    const err = journal(refusal('bedrock'), refusal('acp')).finalError();
    expect(err).to.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', status: 400 });
    expect(err.message).to.equal('no candidate can serve this request (b0:m: bedrock runs no hosted web search; b1:m: acp runs no hosted web search)');
  });

  it('stays a 502 when another failure is among them, or a candidate was skipped (it might have served)', () => {
    const upstream = new LipError('LIP_ERR_UPSTREAM_STATUS', 'upstream 503', { status: 503, retryable: true });
    expect(journal(refusal('bedrock'), upstream).finalError()).to.include({ code: 'LIP_ERR_ROUTE_ALL_FAILED', status: 502 });
    expect(journal(refusal('bedrock'), 'skipped').finalError()).to.include({ code: 'LIP_ERR_ROUTE_ALL_FAILED', status: 502 });
  });

  it('is a 429 insufficient_quota that must not be retried when every candidate tried had its quota spent; a rate limit among them keeps the rate-limited 429', () => {
    const spent = new LipError('LIP_ERR_UPSTREAM_QUOTA_EXCEEDED', 'quota spent', { status: 429 });
    const limited = new LipError('LIP_ERR_UPSTREAM_STATUS', 'slow down', { status: 429, retryable: true, retryAfter: 7 });
    const all = journal(spent, spent).finalError();
    expect(all).to.include({ code: 'LIP_ERR_UPSTREAM_QUOTA_EXCEEDED', status: 429, retryable: false, retryAfter: undefined });
    expect(all.message).to.equal('the quota of every candidate is spent (b0:m: quota spent; b1:m: quota spent)');
    expect(journal(spent, limited).finalError()).to.include({ code: 'LIP_ERR_ROUTE_RATE_LIMITED', status: 429, retryAfter: 7 });
  });

  it('counts a candidate skipped while its keys cool down as rate-limited: 429 with the earliest Retry-After', () => {
    const limited = new LipError('LIP_ERR_UPSTREAM_STATUS', 'upstream 429', { status: 429, retryable: true, retryAfter: 20 });
    const j = journal(limited);
    j.skip('cool:m', 'keys cooling: every API key is rate-limited; the first recovers in 12s', 11_500);
    expect(j.finalError()).to.include({ code: 'LIP_ERR_ROUTE_RATE_LIMITED', status: 429, retryAfter: 12 });
    expect(j.rateLimited()).to.include({ code: 'LIP_ERR_ROUTE_RATE_LIMITED', retryAfter: 12 });
    const only = journal();
    only.skip('cool:m', 'keys cooling: every API key is rate-limited; the first recovers in 30s', 30_000);
    only.skip('b:m', 'circuit open', 5_000);
    expect(only.finalError()).to.include({ code: 'LIP_ERR_ROUTE_RATE_LIMITED', status: 429, retryAfter: 30 });
    // Another failure among them: not a rate limit (nor for a spent routing.max_attempts).
    const mixed = journal(new LipError('LIP_ERR_UPSTREAM_RESET', 'reset', { status: 502, retryable: true }));
    mixed.skip('cool:m', 'keys cooling: every API key is rate-limited; the first recovers in 30s', 30_000);
    expect(mixed.rateLimited()).to.equal(undefined);
    expect(journal('skipped').rateLimited()).to.equal(undefined);
    // Keys out for a spent quota: the quota's 429 when each candidate's quota is spent, a rate limit's when one is only rate-limited.
    const spent = new LipError('LIP_ERR_UPSTREAM_QUOTA_EXCEEDED', 'quota spent', { status: 429 });
    const quota = journal(spent);
    quota.skip('out:m', 'quota spent: the quota of every API key is spent; the first is tried again in 60 min');
    expect(quota.finalError()).to.include({ code: 'LIP_ERR_UPSTREAM_QUOTA_EXCEEDED', status: 429, retryable: false, retryAfter: undefined });
    quota.skip('cool:m', 'keys cooling: every API key is rate-limited; the first recovers in 30s', 30_000);
    expect(quota.finalError()).to.include({ code: 'LIP_ERR_ROUTE_RATE_LIMITED', status: 429, retryAfter: 30 });
  });

  it('is a 503 with the earliest Retry-After given when every candidate tried was overloaded or unavailable (503, 529)', () => {
    const unavailable = new LipError('LIP_ERR_UPSTREAM_STATUS', 'upstream 503', { status: 503, retryable: true, retryAfter: 9 });
    const overloaded = new LipError('LIP_ERR_UPSTREAM_STATUS', 'upstream 529', { status: 529, retryable: true, retryAfter: 11 });
    const inStream = new LipError('LIP_ERR_UPSTREAM_STREAM_ERROR', 'Overloaded', { status: 529, retryable: true });
    expect(journal(overloaded, unavailable, inStream, 'skipped').finalError()).to.include({ code: 'LIP_ERR_ROUTE_OVERLOADED', status: 503, retryAfter: 9 });
    const bare = journal(inStream).finalError();
    expect(bare).to.include({ code: 'LIP_ERR_ROUTE_OVERLOADED', status: 503 });
    expect(bare.retryAfter).to.equal(undefined);
    // lip's own 503 (no usable key) or another failure among them: still the 502 naming each failure.
    const noKeys = new LipError('LIP_ERR_UPSTREAM_NO_CREDENTIALS', 'every API key was rejected', { status: 503, retryable: true });
    expect(journal(overloaded, noKeys).finalError()).to.include({ code: 'LIP_ERR_ROUTE_ALL_FAILED', status: 502 });
    expect(journal(overloaded, new LipError('LIP_ERR_UPSTREAM_RESET', 'reset', { status: 502, retryable: true })).finalError()).to.include({ code: 'LIP_ERR_ROUTE_ALL_FAILED', status: 502 });
  });

  it('is a 503 with Retry-After when lip\'s own connection queue (http_client.queue_timeout) turned the candidates away', () => {
    const queued = new LipError('LIP_ERR_UPSTREAM_QUEUE_TIMEOUT', 'no connection freed', { retryAfter: 1 });
    expect(journal(queued).finalError()).to.include({ code: 'LIP_ERR_ROUTE_OVERLOADED', status: 503, retryAfter: 1 });
    const unavailable = new LipError('LIP_ERR_UPSTREAM_STATUS', 'upstream 503', { status: 503, retryable: true, retryAfter: 9 });
    expect(journal(unavailable, queued).finalError()).to.include({ code: 'LIP_ERR_ROUTE_OVERLOADED', status: 503, retryAfter: 1 });
  });
});
