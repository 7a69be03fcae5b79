import { expect } from 'chai';
import { subscribe as subscribeChannel, unsubscribe as unsubscribeChannel } from 'node:diagnostics_channel';
import { catchError, lastValueFrom, of, toArray } from 'rxjs';
import { emptyCall, validateSequence, type Call, type LipEvent } from '../../../lib/canonical/index.js';
import { LocalstubBackend, type LocalstubLifecycle } from '../../../lib/backends/localstub/index.js';
import { splitText } from '../../../lib/backends/localstub/script.js';
import type { BackendRow } from '../../../lib/backends/backend.js';
import { isLipError, type LipError } from '../../../lib/errors/index.js';
import { testScheduler } from '../../helpers/marbles.js';

const call: Call = emptyCall({ model: 'm', messages: [{ role: 'user', parts: [{ type: 'text', text: 'echo me' }] }] });
const target = { model: 'stub-default', candidateKey: 's:stub-default' };
const row = (knobs: Record<string, unknown>): BackendRow => ({ id: 's', kind: 'localstub', models: [], ...knobs });
const all = (backend: LocalstubBackend) => lastValueFrom(backend.stream(call, target).pipe(toArray()));

describe('backends/localstub', () => {
  it('replies synchronously with text, usage and a stop when no delay is set', async () => {
    const events = await all(new LocalstubBackend(row({ text: 'Hello world', chunks: 3, input_tokens: 4, output_tokens: 2 })));
    expect(events).to.deep.equal([
      { type: 'response_started' },
      { type: 'message_started' },
      { type: 'text_delta', text: 'Hel' },
      { type: 'text_delta', text: 'lo w' },
      { type: 'text_delta', text: 'orld' },
      { type: 'usage', usage: { inputTokens: 4, outputTokens: 2, totalTokens: 6 } },
      { type: 'response_finished', reason: 'stop' },
    ]);
    expect(validateSequence(events)).to.deep.equal([]);
  });

  it('emits reasoning with its signature, then several tool calls, finishing with tool_calls', async () => {
    const events = await all(new LocalstubBackend(row({
      text: '', reasoning: 'thinking', reasoning_signature: 'sig', tool_name: 'a', tool_args: '{"x":1}', tool_calls: [{ name: 'b' }],
    })));
    expect(validateSequence(events)).to.deep.equal([]);
    expect(events.map((e) => e.type)).to.deep.equal([
      'response_started', 'message_started', 'reasoning_delta', 'reasoning_signature',
      'tool_call_started', 'tool_call_delta', 'tool_call_finished',
      'tool_call_started', 'tool_call_delta', 'tool_call_finished', 'usage', 'response_finished',
    ]);
    const starts = events.filter((e): e is Extract<LipEvent, { type: 'tool_call_started' }> => e.type === 'tool_call_started');
    expect(starts.map((s) => s.name)).to.deep.equal(['a', 'b']);
    expect(new Set(starts.map((s) => s.id)).size).to.equal(2);
    expect(events.at(-1)).to.deep.equal({ type: 'response_finished', reason: 'tool_calls' });
  });

  it('echoes the last user text and honours finish_reason', async () => {
    const events = await all(new LocalstubBackend(row({ echo: true, finish_reason: 'length' })));
    expect(events.filter((e) => e.type === 'text_delta')).to.deep.equal([{ type: 'text_delta', text: 'echo me' }]);
    expect(events.at(-1)).to.deep.equal({ type: 'response_finished', reason: 'length' });
  });

  it('waits first_token_delay before the first output and chunk_delay between chunks (virtual time)', () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable }) => {
      const backend = new LocalstubBackend(row({ text: 'abc', chunks: 3, first_token_delay: 5, chunk_delay: 2 }), { scheduler });
      expectObservable(backend.stream(call, target)).toBe('(sm)-a-b-(cuf|)', {
        s: { type: 'response_started' }, m: { type: 'message_started' },
        a: { type: 'text_delta', text: 'a' }, b: { type: 'text_delta', text: 'b' }, c: { type: 'text_delta', text: 'c' },
        u: { type: 'usage', usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 } }, f: { type: 'response_finished', reason: 'stop' },
      });
    });
  });

  it('fails before output with the configured status and retryability, after the first-token delay', () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable }) => {
      const backend = new LocalstubBackend(row({ fail: 'before_output:503', first_token_delay: 4 }), { scheduler });
      expectObservable(backend.stream(call, target).pipe(catchError((err: LipError) => of(err.status)))).toBe('----(x|)', { x: 503 });
    });
    const errors: LipError[] = [];
    new LocalstubBackend(row({ fail: 'before_output:400' })).stream(call, target).subscribe({ error: (e: LipError) => errors.push(e) });
    new LocalstubBackend(row({ fail: 'before_output:503' })).stream(call, target).subscribe({ error: (e: LipError) => errors.push(e) });
    expect(errors.map((e) => [e.code, e.status, e.retryable])).to.deep.equal([['LIP_ERR_UPSTREAM_STATUS', 400, false], ['LIP_ERR_UPSTREAM_STATUS', 503, true]]);
  });

  // Found by checking the docs: `before_output:100` hung the client (a 1xx status line and no
  // response), 200 and 302 reached it as such with an error body; a status that is not an error
  // status is never relayed (docs/errors.md), as for an HTTP backend.
  it('a simulated status that is not an error status (1xx, 2xx, 3xx) is a retryable 502 keeping it in detail.upstream_status; a bare before_output is 503', () => {
    const errors: LipError[] = [];
    for (const fail of ['before_output:100', 'before_output:200', 'before_output:302', 'before_output']) {
      new LocalstubBackend(row({ fail })).stream(call, target).subscribe({ error: (e: LipError) => errors.push(e) });
    }
    expect(errors.map((e) => [e.status, e.retryable, (e.detail as { upstream_status?: number }).upstream_status])).to.deep.equal([
      [502, true, 100], [502, true, 200], [502, true, 302], [503, true, 503],
    ]);
    expect(errors[2]!.message).to.contain('simulated upstream status 302 (not an error status)');
  });

  it('fails after the first output chunk with a reset', async () => {
    const seen: LipEvent[] = [];
    const err = await new Promise<unknown>((resolve) => new LocalstubBackend(row({ text: 'abcd', chunks: 2, fail: 'after_output' })).stream(call, target).subscribe({ next: (e) => seen.push(e), error: resolve }));
    expect(seen.map((e) => e.type)).to.deep.equal(['response_started', 'message_started', 'text_delta']);
    expect(isLipError(err) && err.code).to.equal('LIP_ERR_UPSTREAM_RESET');
  });

  it('stalls before the first token until unsubscribed, and reports the unsubscribe', () => {
    const phases: LocalstubLifecycle[] = [];
    const listen = (m: unknown) => phases.push(m as LocalstubLifecycle);
    subscribeChannel('lip:localstub', listen);
    try {
      const scheduler = testScheduler();
      scheduler.run(({ expectObservable }) => {
        const backend = new LocalstubBackend(row({ fail: 'stall' }), { scheduler });
        expectObservable(backend.stream(call, target), '^-----!').toBe('(sm)--', { s: { type: 'response_started' }, m: { type: 'message_started' } });
      });
    } finally {
      unsubscribeChannel('lip:localstub', listen);
    }
    expect(phases).to.deep.equal([{ backend: 's', phase: 'subscribe' }, { backend: 's', phase: 'unsubscribe' }]);
  });

  it('cancels its pending timer when unsubscribed mid-stream', () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable }) => {
      const backend = new LocalstubBackend(row({ text: 'abc', chunks: 3, chunk_delay: 10 }), { scheduler });
      expectObservable(backend.stream(call, target), '^--!').toBe('(sma)', {
        s: { type: 'response_started' }, m: { type: 'message_started' }, a: { type: 'text_delta', text: 'a' },
      });
    });
  });

  it('splits text into nearly equal chunks without breaking surrogate pairs', () => {
    expect(splitText('abcdefg', 3)).to.deep.equal(['ab', 'cd', 'efg']);
    expect(splitText('ab', 5)).to.deep.equal(['a', 'b']);
    expect(splitText('😀😀', 2)).to.deep.equal(['😀', '😀']);
  });
});
