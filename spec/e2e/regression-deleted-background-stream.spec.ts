import { expect } from 'chai';
import OpenAI from 'openai';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import { testConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { redisPrefix, startLip, startLipsOnRedis, type RunningLip } from '../helpers/lip.js';
import { openaiRejection as rejection } from '../helpers/openai-errors.js';
import { requireRedisServer, type RedisServer } from '../helpers/redis-server.js';

/** Every event of a stream the SDK reads. */
async function eventsOf(stream: AsyncIterable<ResponseStreamEvent>): Promise<ResponseStreamEvent[]> {
  const events: ResponseStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

/**
 * A regression (a probe's find): a streamed background response, once deleted, could still be
 * read in full through `GET /v1/responses/{id}?stream=true` for the 10 minutes its ended stream
 * is kept, on any instance: the deletion answered `deleted: true` and a plain retrieval 404,
 * but the stream was followed from the kept run (here, or on the instance that ran it through
 * the relay) without asking the store. Now a deletion forgets the kept stream wherever it is
 * kept, and an ended stream is followed only while the store still has its response: a deleted
 * id is the same 404 for a streamed retrieval, with or without `starting_after`; also when the
 * instance keeping the stream missed the deletion (made in the store only, as a lost relay
 * message leaves it).
 */
for (const store of ['memory', 'redis'] as const) {
  describe(`e2e: a deleted background response is not streamed again (${store} continuity${store === 'redis' ? ', two instances' : ''})`, function () {
    this.timeout(30_000);
    let lips: RunningLip[] = [];
    let redis: RedisServer | undefined;
    let chat: Emulator;
    /** The instance that runs the responses, and the one that deletes and reads them (the same one in memory). */
    let runner: OpenAI;
    let other: OpenAI;
    const clients = () => (store === 'redis' ? [runner, other] : [runner]);

    before(async function () {
      if (store === 'redis') redis = await requireRedisServer(this);
      chat = await startOpenAIChatEmulator();
      const backends = `  - { id: oc, kind: openai-chat, base_url: "${chat.url}", api_key: k-0123456789 }`;
      lips = store === 'redis'
        ? await startLipsOnRedis(redis!.url, redisPrefix('deleted-background-stream'), backends, 'continuity: { store: redis }')
        : [await startLip(testConfig(backends, 'continuity: { store: memory }'))];
      runner = new OpenAI({ baseURL: `${lips[0]!.url}/v1`, apiKey: 'k', maxRetries: 0 });
      other = new OpenAI({ baseURL: `${lips.at(-1)!.url}/v1`, apiKey: 'k', maxRetries: 0 });
    });
    after(async () => {
      for (const lip of lips) await lip.close();
      await chat?.close();
      await redis?.close();
    });

    /** A streamed background response run to its end on the runner; its id and events. */
    const ran = async (): Promise<{ id: string; events: ResponseStreamEvent[] }> => {
      chat.enqueue({ text: ['secret ', 'answer'] });
      const events = await eventsOf(await runner.responses.create({ model: 'oc:gpt-4o', input: 'x', background: true, stream: true }));
      expect(events.at(-1)!.type).to.equal('response.completed');
      return { id: (events[0] as { response: { id: string } }).response.id, events };
    };
    /** Every way of reading `id` is the 404 of an unknown id, on every instance. */
    const gone = async (id: string) => {
      const expected = [404, `404 Response with id '${id}' not found.`];
      for (const client of clients()) {
        for (const read of [() => client.responses.retrieve(id), () => client.responses.retrieve(id, { stream: true }), () => client.responses.retrieve(id, { stream: true, starting_after: 2 })]) {
          const err = await rejection(read());
          expect([err.status, err.message]).to.deep.equal(expected);
        }
      }
    };

    it('deleted through the API: its stream is a 404 wherever it is asked, as its retrieval', async () => {
      const { id, events } = await ran();
      // Resumable until then, on every instance (through the relay on the other one).
      for (const client of clients()) expect(await eventsOf(await client.responses.retrieve(id, { stream: true }))).to.deep.equal(events);
      expect(await other.responses.delete(id)).to.deep.include({ id, deleted: true });
      await gone(id);
      // Deleting it again is the 404 too.
      expect((await rejection(other.responses.delete(id))).status).to.equal(404);
    });

    it('deleted in the store only (the instance keeping its stream was not told): its stream is a 404 all the same', async () => {
      const { id, events } = await ran();
      expect(await eventsOf(await runner.responses.retrieve(id, { stream: true, starting_after: 1 }))).to.deep.equal(events.slice(2));
      await lips.at(-1)!.server.runtimeNow.continuity.deleteResponse(id, 'local');
      await lips.at(-1)!.server.runtimeNow.continuity.persisted?.();
      await gone(id);
    });
  });
}
