import { expect } from 'chai';
import { JsonRpcPeer, NdjsonLines, RpcError, permissionOutcome } from '../../../lib/backends/acp/index.js';
import { isLipError } from '../../../lib/errors/index.js';

describe('backends/acp: NDJSON lines, the JSON-RPC peer and the permission policy', () => {
  it('splits lines across chunk boundaries and refuses a line over the cap', () => {
    const lines = new NdjsonLines(8);
    expect(lines.push(Buffer.from('{"a"'))).to.deep.equal([]);
    expect(lines.push(Buffer.from(':1}\n\r\n{}\r\n{'))).to.deep.equal(['{"a":1}', '{}']);
    expect(lines.end()).to.deep.equal(['{']);
    expect(() => lines.push(Buffer.from('123456789'))).to.throw(/longer than 8 bytes/);
    expect(() => new NdjsonLines(8).push(Buffer.from('1234\n12345678\n123456789\n'))).to.throw(/longer than 8 bytes/);
  });

  it('correlates answers by id, dispatches agent requests and answers unknown ones -32601', async () => {
    const sent: Record<string, unknown>[] = [];
    const notes: string[] = [];
    const peer = new JsonRpcPeer(async (m) => { sent.push(m); }, {
      onNotification: (method) => notes.push(method),
      onRequest: async (method) => { if (method === 'known') return { ok: true }; throw new RpcError(method, { code: -32601, message: 'nope' }); },
    });
    const answer = peer.request('initialize', { protocolVersion: 1 });
    const failing = peer.request('session/new', {});
    peer.receive('{"jsonrpc":"2.0","method":"session/update","params":{}}');
    peer.receive('{"jsonrpc":"2.0","id":2,"error":{"code":-32000,"message":"auth"}}');
    peer.receive('{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":1}}');
    expect(await answer).to.deep.equal({ protocolVersion: 1 });
    const error = await failing.catch((e: unknown) => e);
    expect(error).to.be.instanceOf(RpcError);
    expect((error as RpcError).error.code).to.equal(-32000);
    peer.receive('{"jsonrpc":"2.0","id":"k","method":"known","params":{}}');
    peer.receive('{"jsonrpc":"2.0","id":9,"method":"fs/read_text_file","params":{}}');
    await new Promise((r) => setImmediate(r));
    expect(notes).to.deep.equal(['session/update']);
    expect(sent.slice(2)).to.deep.equal([
      { jsonrpc: '2.0', id: 'k', result: { ok: true } },
      { jsonrpc: '2.0', id: 9, error: { code: -32601, message: 'nope' } },
    ]);
  });

  it('fails open and later requests on a malformed line', async () => {
    const peer = new JsonRpcPeer(async () => undefined, { onNotification: () => undefined, onRequest: async () => ({}) });
    const open = peer.request('x', {});
    peer.receive('not json');
    const error = await open.catch((e: unknown) => e);
    expect(isLipError(error) && error.code).to.equal('LIP_ERR_UPSTREAM_MALFORMED');
    expect(isLipError(await peer.request('y', {}).catch((e: unknown) => e))).to.equal(true);
  });

  it('picks permission options by kind, never by id', () => {
    const options = [{ optionId: 'r', kind: 'reject_always' }, { optionId: 'a', kind: 'allow_always' }];
    expect(permissionOutcome({ options }, false)).to.deep.equal({ outcome: { outcome: 'selected', optionId: 'r' } });
    expect(permissionOutcome({ options }, true)).to.deep.equal({ outcome: { outcome: 'selected', optionId: 'a' } });
    expect(permissionOutcome({ options: [{ optionId: 'a', kind: 'allow_once' }] }, false)).to.deep.equal({ outcome: { outcome: 'cancelled' } });
  });
});
