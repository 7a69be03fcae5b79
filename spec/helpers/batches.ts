import Anthropic from '@anthropic-ai/sdk';
import type { MessageBatch, MessageBatchIndividualResponse } from '@anthropic-ai/sdk/resources/messages/batches';
import { expect } from 'chai';
import type { RecordedRequest } from './emulators/index.js';
import { until as untilWithin } from './hostile-rig.js';

/**
 * Helpers of the Message Batches end-to-end specs (spec/e2e/message-batches*.spec.ts): polling
 * a batch until it ends, reading its results through the SDK, waiting for a condition.
 */

/** Polls `check` every 20 ms until it answers true (hostile-rig's), with a deadline for loaded machines. */
export function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  return untilWithin(check, what, timeoutMs);
}

/** Retrieves batch `id` until its processing_status is `ended` (short waits, a generous deadline). */
export async function ended(client: Anthropic, id: string, timeoutMs = 30_000): Promise<MessageBatch> {
  let batch = await client.messages.batches.retrieve(id);
  const deadline = Date.now() + timeoutMs;
  while (batch.processing_status !== 'ended') {
    if (Date.now() > deadline) throw new Error(`batch ${id} did not end within ${timeoutMs} ms: ${JSON.stringify(batch)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    batch = await client.messages.batches.retrieve(id);
  }
  return batch;
}

/**
 * A Message Batch of one request (`custom_id: only`, a user's "Hi" to `model`), until it ended;
 * `cancel`: cancelled a moment after it was created. Answers the batch's id.
 */
export async function batchOfOne(baseURL: string, apiKey: string, model: string, cancel = false): Promise<string> {
  const client = new Anthropic({ baseURL, apiKey, maxRetries: 0 });
  const created = await client.messages.batches.create({ requests: [{ custom_id: 'only', params: { model, max_tokens: 100, messages: [{ role: 'user', content: 'Hi' }] } }] });
  if (cancel) {
    await new Promise((resolve) => setTimeout(resolve, 60));
    await client.messages.batches.cancel(created.id);
  }
  await ended(client, created.id);
  return created.id;
}

/** Every line of an ended batch's results, read through the SDK (`messages.batches.results`). */
export async function resultsOf(client: Anthropic, id: string): Promise<MessageBatchIndividualResponse[]> {
  const lines: MessageBatchIndividualResponse[] = [];
  for await (const line of await client.messages.batches.results(id)) lines.push(line);
  return lines;
}

/** The SDK's error of a call that must fail. */
export async function rejection(promise: Promise<unknown>): Promise<InstanceType<typeof Anthropic.APIError>> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err, 'the call should have failed').to.be.instanceOf(Anthropic.APIError);
  return err as InstanceType<typeof Anthropic.APIError>;
}

/** The `{type, message}` of an Anthropic error envelope the SDK read. */
export function envelopeOf(err: InstanceType<typeof Anthropic.APIError>): { type: string; message: string } {
  return (err.error as { error: { type: string; message: string } }).error;
}

/** A Messages request of a batch: `model`, one user turn `text`, `max_tokens` 64, and `extra` fields. */
export function params(model: string, text: string, extra: Record<string, unknown> = {}): Anthropic.Messages.MessageCreateParamsNonStreaming {
  return { model, max_tokens: 64, messages: [{ role: 'user', content: text }], ...extra } as Anthropic.Messages.MessageCreateParamsNonStreaming;
}

/** The text of the last user turn an upstream received (Chat Completions or Anthropic Messages body). */
export function lastUserText(request: RecordedRequest): string {
  const messages = (request.body?.messages ?? []) as { role: string; content: unknown }[];
  const last = [...messages].reverse().find((m) => m.role === 'user');
  if (last === undefined) return '';
  if (typeof last.content === 'string') return last.content;
  return (last.content as { type: string; text?: string }[]).map((part) => part.text ?? '').join('');
}

/** The text of a succeeded result line (its message's text blocks). */
export function textOf(line: MessageBatchIndividualResponse): string {
  if (line.result.type !== 'succeeded') throw new Error(`${line.custom_id} did not succeed: ${JSON.stringify(line.result)}`);
  return line.result.message.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
}
