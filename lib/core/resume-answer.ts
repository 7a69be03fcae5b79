import { Observable } from 'rxjs/internal/Observable';
import type { Subscription } from 'rxjs';
import { TextBuilder, addUsage, isOutputEvent, type Call, type LipEvent, type Usage } from '../canonical/index.js';
import { toLipError, type LipError } from '../errors/index.js';

/**
 * Counts of `lip_stream_resumes_total{outcome}`: `resumed` (a continuation's output reached the
 * client), `failed` (no target continued it, or the resumes were spent), `not_resumable` (what
 * the client had was more than text: a tool call, a hosted tool).
 */
export const STREAM_RESUMES = new Map<'resumed' | 'not_resumable' | 'failed', number>();

function count(outcome: 'resumed' | 'not_resumable' | 'failed'): void {
  STREAM_RESUMES.set(outcome, (STREAM_RESUMES.get(outcome) ?? 0) + 1);
}

/** One place a broken answer may be resumed (a candidate whose backend continues a prefilled answer). */
export interface ResumeTarget {
  readonly key: string;
}

export interface ResumeOptions<T extends ResumeTarget> {
  readonly call: Call;
  /** Resumes left for the request (`routing.resume_after_output.max_resumes`). */
  readonly maxResumes: number;
  /** Where to resume, in order, once the answer broke (the route's other candidates first, then the one that served). */
  targets(): T[];
  /** Opens one resumption: the attempt of `target` for the continuation's call. */
  open(call: Call, target: T): Observable<LipEvent>;
  /** Told of each resumption that starts (logs, traces). */
  onResume?(target: T, cause: LipError): void;
}

/** What the client has seen of the answer so far. */
interface Partial {
  readonly text: TextBuilder;
  /** Characters of reasoning the client has (they count against the output limit too). */
  reasoningChars: number;
  /** Anything a prefilled text cannot carry on: a tool call, a hosted tool, a search. */
  blocked: boolean;
  output: boolean;
  usage: Usage | undefined;
}

/**
 * `routing.resume_after_output`: an answer that breaks after its output started (a reset, an
 * overloaded or server error in the stream, a stall: any retryable failure) is resumed instead
 * of ending in an error, when what the client has of it is text (and reasoning). The call is
 * sent again with that text as the assistant's own start (a prefill: the model continues it
 * exactly) to a candidate whose backend takes one, and the continuation streams on as the same
 * answer: its response and message openings and its reasoning are dropped (the continuation
 * is asked without thinking, which a prefill does not take), the whitespace the prefill could
 * not end with is not repeated, and its usage is added to what the broken part reported. Its
 * output limit is what the broken part left of the request's. A
 * continuation that fails before output tries the next target; one that breaks again is resumed
 * again, up to `maxResumes`. Otherwise the failure reaches the client as before.
 * Unsubscribing aborts whichever upstream call is running.
 *
 * ```
 * served:  -s-m-t-t-#(overloaded)
 * resumed:              -s-m-t-f|   (the call + assistant "t t", no thinking)
 * client:  -s-m-t-t--------------t-f|
 * ```
 * @see spec/core/resume-answer.spec.ts
 */
export function resumeAfterOutput<T extends ResumeTarget>(source: Observable<LipEvent>, options: ResumeOptions<T>): Observable<LipEvent> {
  return new Observable<LipEvent>((subscriber) => {
    const partial: Partial = { text: new TextBuilder(), reasoningChars: 0, blocked: false, output: false, usage: undefined };
    let left = options.maxResumes;
    let current: Subscription | undefined;
    /** Which follow() is the latest: a stream that fails while being subscribed starts the next one first. */
    let latest = 0;

    /** Follows one upstream stream (the original, or a continuation after `skip` whitespace). */
    const follow = (stream: Observable<LipEvent>, continuation: { skip: string; before: Usage | undefined } | undefined, onEarlyError?: (err: unknown) => void) => {
      let started = false;
      let skip = continuation?.skip ?? '';
      const mine = ++latest;
      const subscription = stream.subscribe({
        next: (event) => {
          if (continuation !== undefined) {
            if (event.type === 'response_started' || event.type === 'message_started') return;
            if (event.type === 'reasoning_delta' || event.type === 'reasoning_signature' || event.type === 'reasoning_opaque') return;
            if (event.type === 'usage') {
              partial.usage = continuation.before === undefined ? event.usage : addUsage(continuation.before, event.usage);
              subscriber.next({ type: 'usage', usage: partial.usage });
              return;
            }
            if (event.type === 'text_delta' && skip.length > 0) {
              let i = 0;
              while (i < event.text.length && i < skip.length && event.text[i] === skip[i]) i++;
              skip = i === event.text.length ? skip.slice(i) : '';
              if (i === event.text.length) return;
              if (i > 0) event = { ...event, text: event.text.slice(i) };
            }
          }
          if (isOutputEvent(event)) {
            if (continuation !== undefined && !started) count('resumed');
            started = true;
            partial.output = true;
          }
          track(partial, event);
          subscriber.next(event);
        },
        error: (err: unknown) => {
          if (!started && onEarlyError) onEarlyError(err);
          else broke(err);
        },
        complete: () => subscriber.complete(),
      });
      if (latest === mine) current = subscription;
    };

    /** The answer broke: resume it, or let the failure through. */
    const broke = (err: unknown) => {
      const cause = toLipError(err);
      if (!partial.output || !cause.retryable || partial.blocked) {
        if (partial.output && cause.retryable) count('not_resumable');
        subscriber.error(err);
        return;
      }
      if (left <= 0) {
        count('failed');
        subscriber.error(err);
        return;
      }
      left--;
      const targets = options.targets();
      const before = partial.usage;
      const text = partial.text.toString();
      const prefill = text.replace(/\s+$/, '');
      const skip = text.slice(prefill.length);
      const call = continuationCall(options.call, prefill, Math.ceil((partial.text.length + partial.reasoningChars) / 4));
      // No target continued it: the client gets the break itself (each target's failure is its attempt's).
      const tryTarget = (i: number) => {
        const target = targets[i];
        if (target === undefined) {
          count('failed');
          subscriber.error(err);
          return;
        }
        options.onResume?.(target, cause);
        follow(options.open(call, target), { skip, before }, () => tryTarget(i + 1));
      };
      tryTarget(0);
    };

    follow(source, undefined);
    return () => current?.unsubscribe();
  });
}

function track(partial: Partial, event: LipEvent): void {
  switch (event.type) {
    case 'text_delta':
      partial.text.append(event.text);
      break;
    case 'reasoning_delta':
      partial.reasoningChars += event.text.length;
      break;
    case 'usage':
      partial.usage = event.usage;
      break;
    case 'tool_call_started':
    case 'tool_call_delta':
    case 'web_search':
    case 'hosted_tool':
      partial.blocked = true;
      break;
    default:
      break;
  }
}

/**
 * The call with the answer so far as the assistant's start, asked without thinking (a prefill
 * takes none), and for what is left of the output limit (`written`: the broken part's tokens, about
 * four characters each; at least one).
 */
export function continuationCall(call: Call, prefill: string, written = 0): Call {
  const { reasoning: _thinking, ...rest } = call.options;
  const max = rest.maxOutputTokens;
  const options = max === undefined ? rest : { ...rest, maxOutputTokens: Math.max(1, max - written) };
  return {
    ...call,
    options,
    messages: prefill.length > 0 ? [...call.messages, { role: 'assistant', parts: [{ type: 'text', text: prefill }] }] : call.messages,
  };
}
