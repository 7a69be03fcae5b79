import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import { BATCH_HEARTBEAT_MS } from '../../lib/server/batches.js';
import { ended, envelopeOf, lastUserText, params, rejection, resultsOf, textOf, until } from '../helpers/batches.js';
import { startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { redisPrefix, startLipsOnRedis, type RunningLip } from '../helpers/lip.js';
import { requireRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { httpRequest } from '../helpers/sse-client.js';

const ALICE = 'alice-key-0123456789';
const BOB = 'bob-key-0123456789ab';
const CHAT = 'oc:gpt-4o';

/**
 * Anthropic Message Batches across instances: two lip servers on one real redis-server
 * (`continuity.store: redis`) keep their batches in Redis, so a batch made on one is retrieved,
 * listed and read on the other, and a cancel sent to the instance that does not run it is
 * written to the batch's record, picked up by the runner at its next write (within
 * BATCH_HEARTBEAT_MS) and closes the upstream requests it was running.
 */
describe('e2e: Anthropic Message Batches shared by instances through Redis', function () {
  this.timeout(90_000);
  let redis: RedisServer;
  let chat: Emulator;
  const lips: RunningLip[] = [];
  const client = (i: number, key = ALICE) => new Anthropic({ baseURL: lips[i]!.url, apiKey: key, maxRetries: 0 });

  before(async function () {
    redis = await requireRedisServer(this);
    chat = await startOpenAIChatEmulator();
    lips.push(...await startLipsOnRedis(redis.url, redisPrefix('batches'), `  - { id: oc, kind: openai-chat, base_url: "${chat.url}", api_key: k-0123456789 }`, `auth: { api_keys: [ { id: alice, key: "${ALICE}" }, { id: bob, key: "${BOB}" } ] }
continuity: { store: redis }`));
    // Both connected to Redis before the first request (a loaded machine may take a while).
    for (const lip of lips) {
      await until(async () => {
        const res = await httpRequest(`${lip.url}/readyz`, { method: 'GET' });
        return res.status === 200 && (JSON.parse(res.body) as { checks: { continuity: { state: string } } }).checks.continuity.state === 'ok';
      }, `${lip.url} to be connected to Redis`);
    }
  });
  after(async () => {
    for (const lip of lips) await lip.close();
    await chat?.close();
    await redis?.close();
  });
  beforeEach(() => {
    chat.reset();
    chat.handler = (request) => {
      const text = lastUserText(request);
      return text.startsWith('STALL') ? { fault: { stall: 'before_headers' } } : { text: `echo: ${text}`, usage: { input: 4, output: 2 } };
    };
  });
  afterEach(async () => {
    // A failed test leaves no batch running behind it (best effort: the test's own failure is what counts).
    for (const key of [ALICE, BOB]) {
      const page = await client(1, key).messages.batches.list({ limit: 1000 }).catch(() => undefined);
      for (const batch of page?.data ?? []) {
        if (batch.processing_status === 'ended') continue;
        await client(0, key).messages.batches.cancel(batch.id).catch(() => undefined);
        await ended(client(1, key), batch.id, 60_000).catch(() => undefined);
      }
    }
  });

  it('a batch made on A is retrieved, listed and read on B (its results_url on B); deleted on B, it is gone on A; another key sees none of it', async () => {
    const [a, b] = [client(0), client(1)];
    const created = await a.messages.batches.create({ requests: [
      { custom_id: 'one', params: params(CHAT, 'First.') },
      { custom_id: 'two', params: params(CHAT, 'Second.') },
    ] });
    const seen = await b.messages.batches.retrieve(created.id);
    expect(seen).to.deep.include({ id: created.id, type: 'message_batch', created_at: created.created_at, expires_at: created.expires_at });
    const done = await ended(b, created.id);
    expect(done.request_counts).to.deep.equal({ processing: 0, succeeded: 2, errored: 0, canceled: 0, expired: 0 });
    expect(done.results_url).to.equal(`${lips[1]!.url}/v1/messages/batches/${created.id}/results`);
    const onB = await resultsOf(b, created.id);
    expect(onB.map((l) => [l.custom_id, textOf(l)])).to.deep.equal([['one', 'echo: First.'], ['two', 'echo: Second.']]);
    expect(JSON.parse(JSON.stringify(await resultsOf(a, created.id)))).to.deep.equal(JSON.parse(JSON.stringify(onB)));
    expect(chat.requests).to.have.length(2);

    const second = await b.messages.batches.create({ requests: [{ custom_id: 'three', params: params(CHAT, 'Third.') }] });
    await ended(a, second.id);
    for (const c of [a, b]) {
      const listed: string[] = [];
      for await (const batch of c.messages.batches.list({ limit: 1 })) listed.push(batch.id);
      expect(listed.slice(0, 2)).to.deep.equal([second.id, created.id]);
    }
    const bob = client(1, BOB);
    expect((await rejection(bob.messages.batches.retrieve(created.id))).status).to.equal(404);
    const bobs: string[] = [];
    for await (const batch of client(0, BOB).messages.batches.list()) bobs.push(batch.id);
    for (const id of [created.id, second.id]) expect(bobs).to.not.include(id);

    expect(await b.messages.batches.delete(created.id)).to.deep.equal({ id: created.id, type: 'message_batch_deleted' });
    const gone = await rejection(a.messages.batches.retrieve(created.id));
    expect(gone).to.be.instanceOf(Anthropic.NotFoundError);
    expect(envelopeOf(gone).type).to.equal('not_found_error');
  });

  it('a cancel sent to B while A runs the batch (its upstream stalled) is picked up by A: the upstream requests closed, every request canceled, the results read on B', async () => {
    const [a, b] = [client(0), client(1)];
    const created = await a.messages.batches.create({ requests: Array.from({ length: 3 }, (_, i) => ({ custom_id: `stalled-${i}`, params: params(CHAT, `STALL ${i}`) })) });
    await until(() => chat.requests.length === 3, 'the three upstream requests');
    // B has not run it: it shows it in progress, as A wrote it.
    const running = await b.messages.batches.retrieve(created.id);
    expect(running).to.deep.include({ processing_status: 'in_progress', cancel_initiated_at: null });
    expect(running.request_counts.processing).to.equal(3);
    // Deleting it on B while A runs it is refused.
    expect((await rejection(b.messages.batches.delete(created.id))).status).to.equal(400);

    const cancelled = await b.messages.batches.cancel(created.id);
    expect(cancelled).to.deep.include({ id: created.id, processing_status: 'canceling' });
    expect(cancelled.cancel_initiated_at).to.be.a('string');
    expect(chat.closes).to.have.length(0);
    // A reads the cancel at its next write of the record (at most BATCH_HEARTBEAT_MS later): a generous bound.
    await until(() => chat.closes.length === 3, 'A to close the three upstream requests', BATCH_HEARTBEAT_MS * 6);
    const done = await ended(b, created.id, BATCH_HEARTBEAT_MS * 6);
    expect(done.request_counts).to.deep.equal({ processing: 0, succeeded: 0, errored: 0, canceled: 3, expired: 0 });
    expect(done.cancel_initiated_at).to.equal(cancelled.cancel_initiated_at);
    expect((await resultsOf(b, created.id)).map((l) => [l.custom_id, l.result.type])).to.deep.equal([['stalled-0', 'canceled'], ['stalled-1', 'canceled'], ['stalled-2', 'canceled']]);
    const onA = await a.messages.batches.retrieve(created.id);
    expect(onA).to.deep.include({ processing_status: 'ended', cancel_initiated_at: cancelled.cancel_initiated_at });
    expect(onA.request_counts.canceled).to.equal(3);
    expect(chat.requests).to.have.length(3);
  });
});
