import { validateHeaderValue } from 'node:http';
import { expect } from 'chai';
import { isErrorCode, LipError } from '../../lib/errors/index.js';
import { FRONTENDS } from '../../lib/frontends/registry.js';
import type { ErrorResponse } from '../../lib/frontends/protocol.js';

/** What a caller may say about the error it expects beyond the general contract. */
export interface LipErrorExpectations {
  /** LIP_ERR_SERVER_INTERNAL means a bug slipped through as a TypeError; refuse it unless allowed. */
  readonly allowInternal?: boolean;
  /** Codes the caller expects (any registered code when absent). */
  readonly codes?: readonly string[];
}

/**
 * The fuzz oracle for a failure: `err` is a LipError (not a TypeError, RangeError or a stack
 * overflow), with an integer HTTP status, a registered code and a message, and every frontend's
 * `encodeError` turns it into its protocol's well-formed envelope with that status and legal
 * header values. Throws an AssertionError that names what broke, with the original error.
 */
export function expectLipError(err: unknown, expectations: LipErrorExpectations = {}): LipError {
  if (!(err instanceof LipError)) {
    const what = err instanceof Error ? `${err.name}: ${err.message}\n${err.stack ?? ''}` : String(err);
    expect.fail(`a non-LipError escaped: ${what}`);
  }
  expect(Number.isInteger(err.status) && err.status >= 400 && err.status <= 599, `status ${err.status}`).to.equal(true);
  expect(isErrorCode(err.code), `registered code ${err.code}`).to.equal(true);
  if (!expectations.allowInternal) expect(err.code, `internal error (a bug): ${err.message} ${String((err.cause as Error | undefined)?.stack)}`).to.not.equal('LIP_ERR_SERVER_INTERNAL');
  if (expectations.codes) expect(expectations.codes, err.message).to.include(err.code);
  expect(err.message).to.be.a('string').and.not.equal('');
  for (const frontend of Object.values(FRONTENDS)) expectEnvelope(frontend.id, frontend.encodeError(err), err);
  return err;
}

/** One protocol's error envelope: the status, legal headers, JSON-safe body of the right shape. */
function expectEnvelope(protocol: string, response: ErrorResponse, err: LipError): void {
  expect(response.status, protocol).to.equal(err.status);
  for (const [name, value] of Object.entries(response.headers ?? {})) validateHeaderValue(name, value);
  const body = JSON.parse(JSON.stringify(response.body)) as Record<string, any>;
  const error = body.error as Record<string, unknown>;
  switch (protocol) {
    case 'anthropic':
      expect(body.type, protocol).to.equal('error');
      expect(error.type, protocol).to.be.a('string');
      expect(error.message, protocol).to.be.a('string');
      return;
    case 'gemini':
      expect(error.code, protocol).to.equal(err.status);
      expect(error.message, protocol).to.be.a('string');
      expect(error.status, protocol).to.be.a('string').that.matches(/^[A-Z_]+$/);
      return;
    default: // both OpenAI protocols
      expect(error, protocol).to.have.all.keys('message', 'type', 'param', 'code');
      expect(error.message, protocol).to.be.a('string');
      expect(error.type, protocol).to.be.a('string');
      expect(error.param === null || typeof error.param === 'string', `${protocol} param`).to.equal(true);
      expect(error.code, protocol).to.equal(err.code);
  }
}

/**
 * Runs `work`, and answers what it returned, or undefined when it refused with a LipError (the
 * fuzz oracle checks that refusal); anything else thrown fails the property.
 */
export async function answeredOrRefused<T>(work: () => T | Promise<T>): Promise<T | undefined> {
  try {
    return await work();
  } catch (err) {
    expectLipError(err);
    return undefined;
  }
}
