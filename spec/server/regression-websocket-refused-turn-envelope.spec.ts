import { expect } from 'chai';
import type { ServerResponse } from 'node:http';
import { WebSocket } from 'ws';
import type { WebSocketMode } from '../../lib/frontends/protocol.js';
import { errorMessage, quietTurnsLogger, serveTurns } from '../helpers/websocket-turns-server.js';

type Json = Record<string, any>;

/**
 * Found by the WebSocket probe: a turn's request answered with an error whose body is not the
 * protocol's error envelope (Node's own empty 417 for an `Expect` it does not know) reached the
 * client as `{"type": "error", "error": {"message": "", "code": null}}`. Such an answer is now
 * the protocol's error, with a message naming the status and a lip code.
 */
describe('server/WebSocketTurns: regression: a turn refused without an error envelope', function () {
  this.timeout(20_000);
  const mode: WebSocketMode = {
    maxQueuedTurns: 4,
    session: () => ({ turn: (text) => ({ body: { text }, event: (_type, data) => data, failed: () => undefined }), errorMessage }),
  };
  /** How the server answers the turn whose text names it. */
  const answers: Record<string, (res: ServerResponse) => void> = {
    'empty 417': (res) => res.writeHead(417).end(),
    'text 502': (res) => res.writeHead(502, { 'content-type': 'text/plain' }).end('upstream connect error'),
    'JSON null': (res) => res.writeHead(400, { 'content-type': 'application/json' }).end('null'),
    'an envelope without a message': (res) => res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":{"message":"","type":"invalid_request_error","param":null,"code":null}}'),
    'a proper envelope': (res) => res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"no such model","type":"invalid_request_error","param":"model","code":"model_not_found"}}'),
  };
  let served: Awaited<ReturnType<typeof serveTurns>>;
  before(async () => {
    served = await serveTurns((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => { body += chunk.toString(); });
      req.on('end', () => answers[(JSON.parse(body) as { text: string }).text]!(res));
    }, mode, quietTurnsLogger);
  });
  after(() => served.close());

  const errorOf = (text: string) => new Promise<Json>((resolve, reject) => {
    const ws = new WebSocket(served.url);
    ws.on('open', () => ws.send(text));
    ws.on('message', (data) => {
      ws.close();
      resolve(JSON.parse(String(data)) as Json);
    });
    ws.on('error', reject);
  });

  it('an empty answer is the protocol\'s error naming its status, with its status', async () => {
    const message = await errorOf('empty 417');
    expect(message).to.deep.equal({
      type: 'error', status: 417,
      error: { message: 'the turn\'s request was refused: HTTP 417 Expectation Failed', type: 'invalid_request_error', param: null, code: 'LIP_ERR_REQUEST_INVALID' },
    });
  });

  it('a text answer is the protocol\'s error quoting it (a server error\'s code for a 5xx)', async () => {
    const message = await errorOf('text 502');
    expect(message).to.include({ type: 'error', status: 502 });
    expect(message.error).to.include({ code: 'LIP_ERR_SERVER_INTERNAL', message: 'the turn\'s request was refused: HTTP 502 Bad Gateway: upstream connect error' });
  });

  it('JSON that is not an error envelope, or one without a message or code, is the protocol\'s error', async () => {
    for (const text of ['JSON null', 'an envelope without a message']) {
      const message = await errorOf(text);
      expect(message.status, text).to.equal(400);
      expect(message.error.code, text).to.equal('LIP_ERR_REQUEST_INVALID');
      expect(message.error.message, text).to.match(/^the turn's request was refused: HTTP 400 Bad Request: /);
    }
  });

  it('an error envelope is passed on as it came', async () => {
    const message = await errorOf('a proper envelope');
    expect(message).to.deep.equal({ type: 'error', status: 404, error: { message: 'no such model', type: 'invalid_request_error', param: 'model', code: 'model_not_found' } });
  });
});
