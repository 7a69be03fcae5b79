import { expect } from 'chai';
import OpenAI from 'openai';
import { asyncScheduler } from 'rxjs';
import { MemoryContinuityStore } from '../../lib/continuity/index.js';
import { settled } from '../helpers/clients/responses-transports.js';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

/**
 * A memory store whose writes, once `hold` is called, are kept (`persisted`) only when
 * `release` is: the window in which a background response's run has ended and its record is
 * being written (long on Redis, tiny in memory) held open for as long as the test needs.
 */
class HeldStore extends MemoryContinuityStore {
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;
  private reached: (() => void) | undefined;
  /** Settles when something waits for the held writes. */
  waiting: Promise<void> = Promise.resolve();

  readonly persisted = (): Promise<void> => {
    this.reached?.();
    return this.gate ?? Promise.resolve();
  };

  hold(): void {
    this.gate = new Promise((resolve) => { this.open = resolve; });
    this.waiting = new Promise((resolve) => { this.reached = resolve; });
  }

  release(): void {
    this.open?.();
    this.gate = undefined;
    this.reached = undefined;
  }
}

/**
 * A regression (a probe's find): a cancel of a background response that had just completed
 * answered `cancelled` while the response was stored `completed` and its turn added to its
 * conversation (on Redis 6 cancels in 10 right after `response.completed`). The run stays in
 * flight until its record is written, and its `abort` stayed set meanwhile: the cancel built its
 * cancelled object and aborted a run that had ended. Now the run is ending from its end on: a
 * cancel (and a retrieval) then answers it as it ended. The write is held open here, so the
 * cancel lands in that window every time.
 */
describe('e2e: a cancel of a background response whose record is being written', function () {
  this.timeout(20_000);
  let lip: RunningLip | undefined;
  let store: HeldStore;
  afterEach(async () => {
    store?.release();
    await lip?.close();
  });

  for (const stream of [false, true]) {
    it(`answers it as it ended: completed, stored so, its turn in the conversation (stream: ${stream})`, async () => {
      store = new HeldStore({ ttlMs: 60_000, resumeWindowMs: 60_000, maxLegs: 100, scheduler: asyncScheduler });
      lip = await startLip(testConfig('  - { id: stub, kind: localstub, text: "All done." }'), { continuity: store });
      const client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
      const conversation = await client.conversations.create({});
      store.hold();
      let id: string;
      if (stream) {
        // Read up to response.completed (the stream itself ends once the record is written), then left.
        id = '';
        for await (const event of await client.responses.create({ model: 'stub:s', input: 'Work.', background: true, stream: true, conversation: conversation.id })) {
          if (event.type === 'response.created') id = event.response.id;
          if (event.type === 'response.completed') break;
        }
      } else {
        id = (await client.responses.create({ model: 'stub:s', input: 'Work.', background: true, conversation: conversation.id })).id;
      }
      await store.waiting;
      const cancelled = await client.responses.cancel(id);
      expect(cancelled).to.deep.include({ id, status: 'completed', error: null });
      expect(JSON.stringify(cancelled.output)).to.contain('All done.');
      // A retrieval meanwhile shows it as it ended too, not as running.
      expect((await client.responses.retrieve(id)).status).to.equal('completed');
      store.release();
      const stored = await settled(client, id);
      expect(stored).to.deep.include({ status: 'completed', error: null });
      expect(stored.output_text).to.equal('All done.');
      const items = (await client.conversations.items.list(conversation.id, { order: 'asc' })).data;
      expect(items.map((item) => item.type)).to.deep.equal(['message', 'message']);
      expect((await client.responses.cancel(id)).status).to.equal('completed');
    });
  }
});
