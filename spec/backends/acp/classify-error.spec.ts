import { expect } from 'chai';
import { classifyError, sessionGone } from '../../../lib/backends/acp/classify-error.js';
import { RpcError } from '../../../lib/backends/acp/json-rpc-peer.js';

describe('backends/acp/classify-error', () => {
  const answered = (code: number, message: string, data?: unknown) => new RpcError('session/prompt', { code, message, ...(data === undefined ? {} : { data }) });

  it('tells a lost session by -32002 or by its words, whatever the code, and makes it retryable', () => {
    const gone = [answered(-32602, 'Session not found: s1'), answered(-32603, 'Internal error', { details: 'Session not found' }), answered(-32002, 'Resource not found', { uri: 's1' })];
    expect(gone.map(sessionGone)).to.deep.equal([true, true, true]);
    expect(gone.map((e) => classifyError(e, 'a').retryable)).to.deep.equal([true, true, true]);
    // The agent refusing the prompt itself, or failing it: the session is still there.
    const held = [answered(-32602, 'Invalid params: prompt'), answered(-32603, 'model overloaded')];
    expect(held.map(sessionGone)).to.deep.equal([false, false]);
    expect(held.map((e) => classifyError(e, 'a').retryable)).to.deep.equal([false, true]);
  });
});
