import { expect } from 'chai';
import OpenAI from 'openai';
import { settled } from '../helpers/clients/responses-transports.js';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

/**
 * A regression (a probe's find): a background response whose run ended before its create was
 * answered (localstub without delays ends within the same tick) was counted as running forever:
 * the run's end was told to the server's background runs before the run was added to them, so
 * the add that followed tracked it as in flight for good. A cancel then answered it
 * `cancelled` though it had completed, continuing from it was refused as still running, and a
 * shutdown waited its whole timeout for it and then counted it as cancelled.
 */
describe('e2e: a background response that ends before its create is answered', function () {
  this.timeout(20_000);
  let lip: RunningLip | undefined;
  afterEach(async () => { await lip?.close(); });

  for (const stream of [false, true]) {
    it(`is not in flight once it ended (stream: ${stream})`, async () => {
      lip = await startLip(testConfig('  - { id: stub, kind: localstub }'));
      const client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
      let id: string;
      if (stream) {
        const events = client.responses.stream({ model: 'stub:s', input: 'hi', background: true });
        id = (await events.finalResponse()).id;
      } else {
        id = (await client.responses.create({ model: 'stub:s', input: 'hi', background: true })).id;
      }
      expect((await settled(client, id)).status).to.equal('completed');
      // Cancelling an ended response answers it as it ended.
      expect((await client.responses.cancel(id)).status).to.equal('completed');
      // It is stored, not running: it can be continued.
      const next = await client.responses.create({ model: 'stub:s', input: 'again', previous_response_id: id });
      expect(next.status).to.equal('completed');
      // Nothing is left in flight for a shutdown to wait for and cancel.
      const server = lip.server;
      lip = undefined;
      expect(await server.shutdown(10_000)).to.deep.equal({ cancelled: 0 });
    });
  }
});
