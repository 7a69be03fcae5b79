import { expect } from 'chai';
import { concat, Observable, of, throwError, type Subscriber } from 'rxjs';
import { emptyCall, type Call, type LipEvent } from '../../lib/canonical/index.js';
import { continuationCall, resumeAfterOutput, STREAM_RESUMES, type ResumeTarget } from '../../lib/core/resume-answer.js';
import { LipError } from '../../lib/errors/index.js';

const broken = () => new LipError('LIP_ERR_UPSTREAM_RESET', 'the upstream connection was reset', { retryable: true });
const head: LipEvent[] = [{ type: 'response_started', id: 'r1', model: 'm' } as LipEvent, { type: 'message_started' }];
const text = (t: string): LipEvent => ({ type: 'text_delta', text: t });
const CALL: Call = emptyCall({ model: 'm', messages: [{ role: 'user', parts: [{ type: 'text', text: 'Say hello.' }] }], options: { reasoning: { effort: 'high' }, maxOutputTokens: 100 } });

interface Run {
  readonly events: LipEvent[];
  error?: unknown;
  completed: boolean;
}

function run(source: Observable<LipEvent>, continuations: Record<string, Observable<LipEvent>[]>, maxResumes = 2): { run: Run; calls: [string, Call][] } {
  const calls: [string, Call][] = [];
  const result: Run = { events: [], completed: false };
  const targets = Object.keys(continuations).map((key) => ({ key }));
  resumeAfterOutput<ResumeTarget>(source, {
    call: CALL, maxResumes, targets: () => targets,
    open: (call, target) => {
      calls.push([target.key, call]);
      return continuations[target.key]!.shift() ?? throwError(() => broken());
    },
  }).subscribe({ next: (e) => result.events.push(e), error: (e: unknown) => { result.error = e; }, complete: () => { result.completed = true; } });
  return { run: result, calls };
}

const events = (...e: LipEvent[]): Observable<LipEvent> => of(...e);
const texts = (events: readonly LipEvent[]) => events.filter((e) => e.type === 'text_delta').map((e) => (e as { text: string }).text).join('');

describe('core/resume-answer: an answer that breaks after output goes on from where it stopped', () => {
  it('sends the call again with the text so far as the assistant\'s start, without thinking, and splices the continuation', () => {
    const first = concat(of(...head, { type: 'reasoning_delta', text: 'Plan.' } as LipEvent, text('Hello, '), text('wor'), { type: 'usage', usage: { inputTokens: 10, outputTokens: 3 } } as LipEvent), throwError(() => broken()));
    const second = events(...head, { type: 'reasoning_delta', text: 'again' }, text('ld.'), { type: 'usage', usage: { inputTokens: 12, outputTokens: 2 } }, { type: 'response_finished', reason: 'stop' });
    const { run: r, calls } = run(first, { a: [second] });
    expect(r.completed).to.equal(true);
    expect(texts(r.events)).to.equal('Hello, world.');
    expect(r.events.filter((e) => e.type === 'response_started' || e.type === 'message_started')).to.have.length(2); // the original's only
    expect(r.events.filter((e) => e.type === 'reasoning_delta')).to.have.length(1);
    expect(r.events.filter((e) => e.type === 'usage').at(-1)).to.deep.equal({ type: 'usage', usage: { inputTokens: 22, outputTokens: 5 } });
    const [[key, call]] = calls as [[string, Call]];
    expect(key).to.equal('a');
    expect(call.messages.at(-1)).to.deep.equal({ role: 'assistant', parts: [{ type: 'text', text: 'Hello, wor' }] });
    // 100 less what was written: 'Plan.' and 'Hello, wor' are 15 characters, about 4 tokens.
    expect(call.options).to.deep.equal({ maxOutputTokens: 96 });
  });

  it('a prefill cannot end in whitespace: it is left off, and not repeated when the continuation starts with it', () => {
    const first = concat(of(...head, text('Hello,\n\n')), throwError(() => broken()));
    const { run: r, calls } = run(first, { a: [events(text('\n'), text('\nWorld'), { type: 'response_finished', reason: 'stop' })] });
    expect(calls[0]![1].messages.at(-1)).to.deep.equal({ role: 'assistant', parts: [{ type: 'text', text: 'Hello,' }] });
    expect(texts(r.events)).to.equal('Hello,\n\nWorld');
    const other = run(concat(of(...head, text('Hello, ')), throwError(() => broken())), { a: [events(text('world'), { type: 'response_finished', reason: 'stop' })] });
    expect(texts(other.run.events)).to.equal('Hello, world');
  });

  it('a continuation that fails before output tries the next target; one that breaks again is resumed again, up to the limit', () => {
    const first = concat(of(...head, text('One ')), throwError(() => broken()));
    const { run: r, calls } = run(first, {
      a: [throwError(() => broken())],
      b: [concat(of(text('two ')), throwError(() => broken())), events(text('three'), { type: 'response_finished', reason: 'stop' })],
    });
    expect(calls.map(([k]) => k)).to.deep.equal(['a', 'b', 'a', 'b']);
    expect(calls[3]![1].messages.at(-1)).to.deep.equal({ role: 'assistant', parts: [{ type: 'text', text: 'One two' }] });
    expect(texts(r.events)).to.equal('One two three');
    expect(r.completed).to.equal(true);

    const spent = run(concat(of(...head, text('One ')), throwError(() => broken())), { a: [concat(of(text('two ')), throwError(() => broken()))] }, 1);
    expect(spent.run.error).to.be.instanceOf(LipError);
    expect(texts(spent.run.events)).to.equal('One two ');
  });

  it('lets the failure through: before output, not retryable, after a tool call started, or with no target', () => {
    const before = run(concat(of(...head), throwError(() => broken())), { a: [events(text('x'))] });
    expect(before.calls).to.have.length(0);
    expect(before.run.error).to.be.instanceOf(LipError);
    const fatal = run(concat(of(...head, text('Hi')), throwError(() => new LipError('LIP_ERR_UPSTREAM_STATUS', 'bad request', { status: 400 }))), { a: [events(text('x'))] });
    expect(fatal.calls).to.have.length(0);
    const beforeCount = STREAM_RESUMES.get('not_resumable') ?? 0;
    const tool = run(concat(events(...head, text('Let me look.'), { type: 'tool_call_started', id: 'c1', name: 'read' }, { type: 'tool_call_delta', id: 'c1', args: '{"pa' }), throwError(() => broken())), { a: [events(text('x'))] });
    expect(tool.calls).to.have.length(0);
    expect(tool.run.error).to.be.instanceOf(LipError);
    expect(STREAM_RESUMES.get('not_resumable')).to.equal(beforeCount + 1);
    const none = run(concat(of(...head, text('Hi')), throwError(() => broken())), {});
    expect(none.run.error).to.be.instanceOf(LipError);
  });

  it('unsubscribing aborts the running continuation', () => {
    let aborted = false;
    const pending = new Observable<LipEvent>((s: Subscriber<LipEvent>) => {
      s.next(text('more'));
      return () => { aborted = true; };
    });
    const sub = resumeAfterOutput<ResumeTarget>(concat(of(...head, text('Hi ')), throwError(() => broken())), {
      call: CALL, maxResumes: 1, targets: () => [{ key: 'a' }], open: () => pending,
    }).subscribe({ error: () => undefined });
    expect(aborted).to.equal(false);
    sub.unsubscribe();
    expect(aborted).to.equal(true);
  });

  it('continuationCall: an empty prefill adds no message (the answer starts again, without thinking)', () => {
    expect(continuationCall(CALL, '').messages).to.equal(CALL.messages);
    expect(continuationCall(CALL, '').options).to.not.have.property('reasoning');
    expect(continuationCall(CALL, 'x', 500).options.maxOutputTokens).to.equal(1);
  });
});
