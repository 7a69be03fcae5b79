import { expect } from 'chai';
import OpenAI from 'openai';
import type { Response, ResponseStreamEvent } from 'openai/resources/responses/responses';
import type { BackgroundRuns } from '../../lib/server/background-runs.js';
import { settled } from '../helpers/clients/responses-transports.js';
import { testConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { openaiRejection as rejection } from '../helpers/openai-errors.js';

/** What the lip below keeps of background streams: far less than the defaults, so that a test stream outgrows it. */
const KEPT = { run: 64 * 1024, total: 128 * 1024 };

/**
 * Found by the chaos probe: a streamed background response (`background: true, stream: true`)
 * kept every frame of its stream while it ran, with no limit (the limits on kept frames applied
 * only once a run had ended). A client that left after the first chunk, on an upstream that
 * streams without end, took lip from 77 MB to 710 MB of RSS in 20 s, and to 4 GB in a chaos run.
 * A run now keeps its newest frames only (`KeptFrames.run`), all runs together `KeptFrames.total`:
 * the response itself is whole, and a resumption from before the kept frames is a clear 400.
 */
describe('regression: a streamed background response keeps its newest events only, however long its stream', () => {
  let upstream: Emulator;
  let lip: RunningLip;
  let client: OpenAI;
  const runs = () => (lip.server as unknown as { background: BackgroundRuns }).background;
  before(async () => {
    upstream = await startOpenAIChatEmulator();
    lip = await startLip(testConfig(`  - { id: up, kind: openai-chat, base_url: "${upstream.url}", api_key: "k-0123456789" }`), {}, { keptFrames: KEPT });
    client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
  });
  after(async () => {
    await lip.close();
    await upstream.close();
  });
  beforeEach(() => upstream.reset());

  it('an endless upstream stream whose client left: what the run keeps stays bounded, a resumption from the start is a 400 naming starting_after, and a cancel ends it', async () => {
    upstream.enqueue({ text: ['x'], fault: { endless: true } });
    const controller = new AbortController();
    const created = await fetch(`${lip.url}/v1/responses`, {
      method: 'POST', signal: controller.signal, headers: { 'content-type': 'application/json', authorization: 'Bearer k' },
      body: JSON.stringify({ model: 'up:m', input: 'Go on forever.', background: true, stream: true }),
    });
    const head = new TextDecoder().decode((await created.body!.getReader().read()).value);
    controller.abort();
    const id = (JSON.parse(head.slice(head.indexOf('data: ') + 6, head.indexOf('\n\n'))) as { response: Response }).response.id;
    // Many times what a run may keep goes by (about 150 characters a frame), and it never keeps more.
    let refused: Awaited<ReturnType<typeof rejection>> | undefined;
    for (let i = 0; i < 1_000 && refused === undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(runs().keptChars).to.be.at.most(KEPT.run);
      const resumed = await client.responses.retrieve(id, { stream: true }).then(async (stream) => {
        stream.controller.abort();
        return undefined;
      }, (err: unknown) => err);
      if (resumed !== undefined) refused = await rejection(Promise.reject(resumed));
    }
    expect(refused, 'a resumption from the start is refused once the first events went').to.not.equal(undefined);
    expect([refused!.status, (refused!.error as { param: string }).param]).to.deep.equal([400, 'starting_after']);
    expect((refused!.error as { message: string }).message).to.match(/no longer keeps the events of its stream up to sequence number \d+/);
    expect(runs().keptChars).to.be.at.most(KEPT.run);
    const closed = upstream.nextClose();
    expect(await client.responses.cancel(id)).to.deep.include({ id, status: 'cancelled' });
    await closed;
    expect((await settled(client, id)).status).to.equal('cancelled');
  });

  it('a stream longer than what a run keeps: the live client reads it whole, the stored response is whole, a resumption after a kept event reads the rest', async () => {
    // About 100 KiB of events, at a pace a client keeps up with (one that falls further behind than what is kept is cut off).
    const deltas = Array.from({ length: 600 }, (_, i) => `${i} `);
    upstream.enqueue({ text: deltas, dripMs: 1 });
    const events: ResponseStreamEvent[] = [];
    for await (const event of await client.responses.create({ model: 'up:m', input: 'Count.', background: true, stream: true })) events.push(event);
    expect(events.map((e) => e.sequence_number)).to.deep.equal(events.map((_, i) => i));
    expect(events.at(-1)!.type).to.equal('response.completed');
    const id = (events[0] as { response: Response }).response.id;
    expect((await settled(client, id)).output_text).to.equal(deltas.join(''));
    // Ended, it keeps its newest events: the first are gone, the last are there.
    const refused = await rejection(client.responses.retrieve(id, { stream: true, starting_after: 0 }));
    expect([refused.status, (refused.error as { param: string }).param]).to.deep.equal([400, 'starting_after']);
    const last = events.length - 1;
    const tail: ResponseStreamEvent[] = [];
    for await (const event of await client.responses.retrieve(id, { stream: true, starting_after: last - 5 })) tail.push(event);
    expect(tail).to.deep.equal(events.slice(last - 4));
    // With the run of the test before, ended too: all together, never more than the total.
    expect(runs().keptChars).to.be.at.most(KEPT.total);
  });
});
