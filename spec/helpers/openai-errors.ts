import { expect } from 'chai';
import OpenAI from 'openai';

/** An error the OpenAI SDK throws for an HTTP answer (its status, `error` body, headers). */
export type OpenAIApiError = InstanceType<typeof OpenAI.APIError>;

/** The APIError `promise` rejects with; fails the test when it resolves or rejects with anything else. */
export async function openaiRejection(promise: Promise<unknown>): Promise<OpenAIApiError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err, 'the call should have been refused').to.be.instanceOf(OpenAI.APIError);
  return err as OpenAIApiError;
}
