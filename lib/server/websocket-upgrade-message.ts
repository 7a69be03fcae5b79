import { IncomingMessage } from 'node:http';

const asked = Symbol('lip.upgradeAsked');

/**
 * The IncomingMessage of lip's listener: a request is an upgrade (Node takes it off the HTTP
 * parser and hands it to `'upgrade'`) only when it asks for WebSocket, the one protocol lip
 * switches to, or is a CONNECT (which Node then closes, as before). Any other `Upgrade` (curl
 * `--http2` sends `Upgrade: h2c` with its first request) is an offer a server may ignore (RFC
 * 9110 section 7.8): the request is served as HTTP/1.1, its body read as any other's, as Node
 * serves it on a server with no `'upgrade'` listener.
 *
 * Node 20 has no `shouldUpgradeCallback` (24.9 has): it sets `upgrade` from its parser before it
 * adds the headers, and reads it back after, to choose between `'request'` and `'upgrade'`; the
 * getter decides then.
 * @see spec/server/regression-h2c-upgrade.spec.ts
 */
export class WebSocketUpgradeMessage extends IncomingMessage {
  declare [asked]: boolean | null;
}

Object.defineProperty(WebSocketUpgradeMessage.prototype, 'upgrade', {
  get(this: WebSocketUpgradeMessage): boolean {
    return this[asked] === true && (this.method === 'CONNECT' || String(this.headers.upgrade).toLowerCase() === 'websocket');
  },
  set(this: WebSocketUpgradeMessage, value: boolean | null) {
    this[asked] = value;
  },
});
