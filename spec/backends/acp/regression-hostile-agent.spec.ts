import { expect } from 'chai';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom, toArray, VirtualTimeScheduler, type SchedulerLike } from 'rxjs';
import { emptyCall, type LipEvent } from '../../../lib/canonical/index.js';
import { AcpBackend } from '../../../lib/backends/acp/index.js';
import { isLipError, type LipError } from '../../../lib/errors/index.js';
import { eventually } from '../../helpers/fake-acp.js';

/**
 * Found by probing agents that break JSON-RPC. Each of these went wrong before:
 * - a line that is not JSON-RPC failed the turn but left the agent pooled with a failed peer:
 *   every later call for its session failed the same way until lip restarted;
 * - `"error": null` beside a result (JSON-RPC 1.0 style) threw a TypeError out of the stdout
 *   callback (an uncaught exception) and the turn never ended;
 * - a `tool_call` whose `rawInput` nests 100,000 levels overflowed the stack in the update
 *   decoder, with the same uncaught exception and the same hang;
 * - an agent that never answered `initialize` held its pool entry forever: every later call
 *   for the key waited for it, and closing the backend (shutdown, reload) never finished.
 */
const AGENT = `
const fs = require('fs');
const send = (m) => process.stdout.write(JSON.stringify({ jsonrpc: '2.0', ...m }) + '\\n');
const mode = process.env.MODE;
// Misbehave in the first agent only (the first to be asked to initialize): a later one must be
// a fresh process that works.
let first = false;
require('readline').createInterface({ input: process.stdin }).on('line', (line) => {
  const m = JSON.parse(line);
  if (m.method === 'initialize') {
    first = !fs.existsSync(process.env.FLAG);
    fs.writeFileSync(process.env.FLAG, '');
    if (mode === 'silent' && first) return;
    return send({ id: m.id, result: { protocolVersion: 1 } });
  }
  if (m.method === 'session/new') return send({ id: m.id, result: { sessionId: 's1' } });
  if (m.method !== 'session/prompt') return;
  const chunk = (text) => send({ method: 'session/update', params: { sessionId: 's1', update: { sessionUpdate: 'agent_message_chunk', content: { type: 'text', text } } } });
  if (first && mode === 'malformed') return process.stdout.write('<html>502 Bad Gateway</html>\\n');
  if (first && mode === 'deep') {
    const d = 100000;
    process.stdout.write('{"jsonrpc":"2.0","method":"session/update","params":{"sessionId":"s1","update":{"sessionUpdate":"tool_call","toolCallId":"t","rawInput":' + '['.repeat(d) + ']'.repeat(d) + '}}}\\n');
    chunk('after the deep line');
    return send({ id: m.id, result: { stopReason: 'end_turn' } });
  }
  chunk('pid ' + process.pid);
  send({ id: m.id, result: { stopReason: 'end_turn' }, ...(mode === 'null-error' ? { error: null } : {}) });
});
`;

describe('regression: an ACP agent that breaks JSON-RPC fails its turn, never the process or later calls', function () {
  this.timeout(30_000);
  const target = { model: 'fake-model', candidateKey: 'agent:fake-model' };
  const call = emptyCall({ model: 'agent:fake-model', messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }] });
  const open: AcpBackend[] = [];
  /** The flag file the last agent made writes when it is first asked to initialize. */
  let flag = '';
  const make = (mode: string, scheduler?: SchedulerLike) => {
    flag = join(mkdtempSync(join(tmpdir(), 'lip-acp-')), 'initialized');
    const b = new AcpBackend({ id: 'agent', kind: 'acp', models: [], command: process.execPath, args: ['-e', AGENT], env: { MODE: mode, FLAG: flag } }, {
      env: { PATH: process.env.PATH ?? '' }, ...(scheduler ? { scheduler } : {}),
    });
    open.push(b);
    return b;
  };
  afterEach(async () => { await Promise.all(open.splice(0).map((b) => b.close())); });

  const run = (b: AcpBackend) => lastValueFrom(b.stream(call, target).pipe(toArray()));
  const failure = (b: AcpBackend) => new Promise<{ error: LipError; events: LipEvent[] }>((resolve, reject) => {
    const events: LipEvent[] = [];
    b.stream(call, target).subscribe({
      next: (e) => events.push(e),
      error: (e: unknown) => (isLipError(e) ? resolve({ error: e, events }) : reject(e)),
      complete: () => reject(new Error('completed')),
    });
  });
  const text = (events: LipEvent[]) => events.filter((e) => e.type === 'text_delta').map((e) => (e as { text: string }).text).join('');

  it('a line that is not JSON-RPC fails the turn (malformed) and ends the agent: the next call gets a fresh one', async () => {
    const b = make('malformed');
    const { error } = await failure(b);
    expect(error.code).to.equal('LIP_ERR_UPSTREAM_MALFORMED');
    const events = await run(b);
    expect(text(events)).to.match(/^pid \d+$/);
    expect(events.at(-1)).to.deep.equal({ type: 'response_finished', reason: 'stop' });
  });

  it('"error": null beside a result is a result', async () => {
    const events = await run(make('null-error'));
    expect(text(events)).to.match(/^pid \d+$/);
    expect(events.at(-1)).to.deep.equal({ type: 'response_finished', reason: 'stop' });
  });

  it('a line nested 100,000 levels deep fails the turn (limit) before it is parsed, and the lines after it are not heard', async () => {
    const b = make('deep');
    const { error, events } = await failure(b);
    expect(error.code).to.equal('LIP_ERR_UPSTREAM_LIMIT_EXCEEDED');
    expect(error.message).to.contain('nests deeper than');
    expect(text(events)).to.equal('');
    expect(text(await run(b))).to.match(/^pid \d+$/);
  });

  it('an agent that never answers initialize fails the call at http_client.headers_timeout, and the next call gets a fresh agent', async () => {
    const clock = new VirtualTimeScheduler();
    const b = make('silent', clock);
    const pending = failure(b);
    await eventually(() => existsSync(flag)); // initialize has reached the agent
    clock.flush(); // headers_timeout (60 s, virtual)
    const { error } = await pending;
    expect(error.message).to.contain('handshake within http_client.headers_timeout (60000 ms)');
    expect(error.code).to.equal('LIP_ERR_UPSTREAM_HEADERS_TIMEOUT');
    expect(error.retryable).to.equal(true);
    expect(text(await run(b))).to.match(/^pid \d+$/);
  });

  it('closing the backend ends an agent still in its handshake (shutdown and reload do not wait for it)', async () => {
    const b = make('silent');
    const pending = failure(b);
    open.splice(0);
    await b.close();
    expect((await pending).error.code).to.equal('LIP_ERR_UPSTREAM_RESET');
  });
});
