import { expect } from 'chai';
import { WebSocket } from 'ws';
import type { DecodeAdmission } from '../../lib/server/decode-admission.js';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { until } from '../helpers/websocket-turns-server.js';

const KiB = 1024;

/**
 * Found by the WebSocket probe: Responses WebSocket messages still arriving bypassed the server's
 * decode byte budget (connections each holding a partial message up to `max_inflight_decode_bytes`
 * grew lip by hundreds of MiB while HTTP requests were admitted as if nothing were held). They
 * share the budget with request bodies now, as lip-server runs it.
 */
describe('e2e: regression: Responses WebSocket messages arriving share the decode byte budget', function () {
  this.timeout(20_000);
  let lip: RunningLip;
  before(async () => {
    lip = await startLip(testConfig('  - { id: stub, kind: localstub }', 'server: { host: 127.0.0.1, port: 0, max_request_body_bytes: 512KiB, max_batch_body_bytes: 512KiB, max_inflight_decode_bytes: 1MiB }'));
  });
  after(() => lip.close());
  /** What the server's decode admission holds now. */
  const held = () => (lip.server as unknown as { admission: DecodeAdmission }).admission.inflight.bytes;

  const open = async () => {
    const ws = new WebSocket(`${lip.url.replace('http', 'ws')}/v1/responses`);
    ws.on('error', () => undefined);
    await new Promise<void>((resolve) => ws.on('open', () => resolve()));
    return ws;
  };
  const begin = (ws: WebSocket, bytes: number) => new Promise<void>((resolve, reject) => {
    ws.send(`{"type":"response.create","model":"stub:m","input":"${'a'.repeat(bytes)}`, { fin: false }, (err) => (err ? reject(err) : resolve()));
  });
  const post = (bytes: number) => fetch(`${lip.url}/v1/responses`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'stub:m', input: 'a'.repeat(bytes) }),
  });

  it('an HTTP body and a third connection find the budget held by two messages arriving; whole, they let it go', async () => {
    const a = await open();
    const b = await open();
    await begin(a, 400 * KiB);
    await begin(b, 400 * KiB);
    // Past the (restart-only) budget with a 300 KiB body: the two messages hold 800 KiB of 1 MiB.
    await until(() => held() >= 800 * KiB);
    const refused = await post(300 * KiB);
    expect(refused.status).to.equal(429);
    expect(((await refused.json()) as { error: { code: string } }).error.code).to.equal('LIP_ERR_SERVER_DECODE_ADMISSION');
    const c = await open();
    const cClosed = new Promise<number>((resolve) => c.on('close', (code) => resolve(code)));
    await begin(c, 300 * KiB);
    expect(await cClosed).to.equal(1013);
    // a's message, whole, is a turn; b closes: the budget is free again.
    const done = new Promise<void>((resolve) => a.on('message', (data) => { if ((JSON.parse(String(data)) as { type: string }).type === 'response.completed') resolve(); }));
    a.send('"}', { fin: true });
    await done;
    b.terminate();
    await until(() => held() === 0);
    const admitted = await post(300 * KiB);
    expect(admitted.status).to.equal(200);
    await admitted.text();
    a.close();
  });
});
