import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../../lib/config/index.js';
import { openaiResponsesFrontend } from '../../lib/frontends/openai-responses/frontend.js';
import type { WebSocketMode } from '../../lib/frontends/protocol.js';
import { DecodeAdmission } from '../../lib/server/decode-admission.js';
import { WebSocketTurns } from '../../lib/server/websocket-turns.js';
import { testConfig } from './config.js';

export type TurnsLogger = ConstructorParameters<typeof WebSocketTurns>[0]['logger'];

export const quietTurnsLogger: TurnsLogger = { debug: () => undefined, warn: () => undefined };

/** The WebSocket mode's error message: the protocol's error envelope with its status. */
export const errorMessage = (status: number, envelope: unknown) => JSON.stringify({ type: 'error', status, error: (envelope as { error: unknown }).error });

/**
 * WebSocketTurns in `mode` on a loopback HTTP server whose `answer` serves every turn's request,
 * under `config` (read at each use, as the server's running config is: a spec may swap it), with
 * `admission` (by default one of the default decode limits).
 */
export async function serveTurns(
  answer: RequestListener,
  mode: WebSocketMode,
  logger: TurnsLogger,
  config: () => Config = ((fixed) => () => fixed)(testConfig('  - { id: stub, kind: localstub }')),
  admission = new DecodeAdmission(32, 64 * 1024 * 1024),
): Promise<{ url: string; port: number; turns: WebSocketTurns; close(): Promise<void> }> {
  const http = createServer(answer);
  const turns = new WebSocketTurns({ http, config, admission, identity: () => [], logger });
  http.on('upgrade', (req, socket, head) => turns.accept(req, socket, head, '/v1/responses', openaiResponsesFrontend, mode));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
  const { port } = http.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/v1/responses`,
    port,
    turns,
    async close() {
      await turns.close(1_000);
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/** Resolves once `ready()` holds, looking again every few milliseconds (the spec's timeout bounds it). */
export async function until(ready: () => boolean): Promise<void> {
  while (!ready()) await new Promise((resolve) => setTimeout(resolve, 5));
}

/**
 * A WebSocket mode whose turns send `{text}` (the message cut to `cut` characters when given) and
 * relay each event's data as it is, with `maxQueuedTurns` turns allowed to wait.
 */
export function echoMode(maxQueuedTurns: number, cut?: number): WebSocketMode {
  return {
    maxQueuedTurns,
    session: () => ({
      turn: (text) => ({ body: { text: cut === undefined ? text : text.slice(0, cut) }, event: (_type, data) => data, failed: () => undefined }),
      errorMessage,
    }),
  };
}

/**
 * Serves each turn's request as events `start` and `end` naming its text; the turn named `hold`
 * sends `start` and is ended when the spec calls what `onHold` was given.
 */
export function holdingAnswer(onHold: (end: () => void) => void): RequestListener {
  return (req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => { body += chunk.toString(); });
    req.on('end', () => {
      const text = (JSON.parse(body) as { text: string }).text;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`event: start\ndata: ${JSON.stringify({ type: 'start', text })}\n\n`);
      const end = () => res.end(`event: end\ndata: ${JSON.stringify({ type: 'end', text })}\n\n`);
      if (text === 'hold') onHold(end);
      else end();
    });
  };
}
