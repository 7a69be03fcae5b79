import { expect } from 'chai';
import { WebSocket } from 'ws';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

type Json = Record<string, any>;

/**
 * Found by the WebSocket probe: the upgrade's `Content-Encoding`, `Content-Language` and `Expect`
 * were copied into every turn's request, whose body is lip's own JSON: `Content-Encoding: gzip`
 * made every turn a 400 (its body is not gzip), `Expect: foo` an empty 417 that reached the client
 * as an error message with an empty message and a null code. They describe the upgrade, not a
 * turn: a turn's request does not repeat them.
 */
describe('e2e: regression: body headers of a WebSocket upgrade are not a turn\'s', function () {
  this.timeout(20_000);
  let lip: RunningLip;
  before(async () => {
    lip = await startLip(testConfig('  - { id: stub, kind: localstub }'));
  });
  after(() => lip.close());

  /** The messages of one turn on a connection opened with `headers`, up to its end. */
  const turnWith = (headers: Record<string, string>) => new Promise<Json[]>((resolve, reject) => {
    const ws = new WebSocket(`${lip.url.replace('http', 'ws')}/v1/responses`, { headers });
    const messages: Json[] = [];
    ws.on('open', () => ws.send(JSON.stringify({ type: 'response.create', model: 'stub:m', input: 'hi' })));
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as Json;
      messages.push(message);
      if (['response.completed', 'response.failed', 'error'].includes(message.type)) {
        ws.close();
        resolve(messages);
      }
    });
    ws.on('error', reject);
  });

  for (const headers of [{ 'content-encoding': 'gzip' }, { 'content-language': 'de' }, { expect: 'foo' }, { expect: '100-continue' }] as Record<string, string>[]) {
    it(`an upgrade with ${JSON.stringify(headers)}: its turns run`, async () => {
      const messages = await turnWith(headers);
      expect(messages.at(-1)!.type, JSON.stringify(messages.at(-1))).to.equal('response.completed');
    });
  }
});
