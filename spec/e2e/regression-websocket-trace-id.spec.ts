import { expect } from 'chai';
import { WebSocket } from 'ws';
import { testConfig } from '../helpers/config.js';
import { startLip } from '../helpers/lip.js';

/**
 * Found by the WebSocket probe: an upgrade with `X-Trace-Id` named every turn of its connection
 * after it (a request without `X-Request-Id` is named by its trace id), so the access log, the
 * recording and the upstreams saw one request id for all of them. Each turn's request has an id
 * of its own; the trace id still goes with each.
 */
describe('e2e: regression: X-Trace-Id on a WebSocket upgrade does not name every turn', function () {
  this.timeout(20_000);

  it('each turn has its own request id', async () => {
    const lip = await startLip(testConfig('  - { id: stub, kind: localstub }', 'logging: { access_log: true }'));
    try {
      const ws = new WebSocket(`${lip.url.replace('http', 'ws')}/v1/responses`, { headers: { 'x-trace-id': 'trace-abc', 'x-request-id': 'req-mine' } });
      await new Promise<void>((resolve, reject) => {
        let left = 3;
        ws.on('open', () => { for (const input of ['one', 'two', 'three']) ws.send(JSON.stringify({ type: 'response.create', model: 'stub:m', input })); });
        ws.on('message', (data) => {
          const type = (JSON.parse(String(data)) as { type: string }).type;
          if (type === 'error') reject(new Error(String(data)));
          if (type === 'response.completed' && --left === 0) resolve();
        });
        ws.on('error', reject);
      });
      ws.close();
      const ids = lip.logs.filter((l) => l.message === 'request' && l.route === '/v1/responses').map((l) => l.request_id as string);
      expect(ids).to.have.length(3);
      expect(new Set(ids).size, ids.join(' ')).to.equal(3);
      for (const id of ids) expect(id).to.not.match(/^(trace-abc|req-mine)/);
    } finally {
      await lip.close();
    }
  });
});
