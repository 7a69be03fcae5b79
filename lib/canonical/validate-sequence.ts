import type { LipEvent } from './events.js';
import { validateEvent } from './validate-event.js';

/** Thrown by `assertSequence()`; its code is registered in lib/errors. */
export class SequenceError extends Error {
  override readonly name = 'SequenceError';
  readonly code = 'LIP_ERR_RESPONSE_SEQUENCE';
}

const NEEDS_MESSAGE = new Set<string>([
  'text_delta', 'reasoning_delta', 'reasoning_signature', 'reasoning_opaque',
  'tool_call_started', 'tool_call_delta', 'tool_call_finished', 'web_search', 'citation', 'hosted_tool',
]);

/**
 * Checks a canonical stream one event at a time: each event is well formed (`validateEvent`: a
 * known type, its fields of their types), and the stream keeps the ordering invariants:
 * 1. exactly one `response_started`, and it comes first;
 * 2. `message_started` after it; content events (text, reasoning, tool calls) only inside a message;
 * 3. `usage` and `warning` any time after `response_started`;
 * 4. per tool call id: started once, then deltas, then finished once; all finished before the end;
 *    per hosted tool id: `added` at most once and first, `progress` after it, `done` once and last;
 * 5. one terminal event (`response_finished` or `error`), nothing after it, and the stream must
 *    not end without one.
 */
export class SequenceValidator {
  private started = false;
  private inMessage = false;
  private terminated = false;
  private readonly tools = new Map<string, boolean>(); // id -> finished
  private readonly searches = new Map<string, string>(); // id -> status
  private readonly hosted = new Map<string, string>(); // id -> last phase
  private textLength = 0;

  /** Returns the violation this event causes, or undefined. */
  push(event: LipEvent): string | undefined {
    const malformed = validateEvent(event);
    if (malformed !== undefined) return malformed;
    const type = event.type;
    if (this.terminated) return `${type} after the terminal event`;
    if (type === 'response_started') {
      if (this.started) return 'a second response_started';
      this.started = true;
      return undefined;
    }
    if (!this.started) return `${type} before response_started`;
    if (type === 'message_started') {
      this.inMessage = true;
      return undefined;
    }
    if (NEEDS_MESSAGE.has(type) && !this.inMessage) return `${type} before message_started`;
    switch (event.type) {
      case 'tool_call_started':
        if (this.tools.has(event.id)) return `tool call ${event.id} started twice`;
        this.tools.set(event.id, false);
        return undefined;
      case 'tool_call_delta':
      case 'tool_call_finished': {
        const finished = this.tools.get(event.id);
        if (finished === undefined) return `${type} for tool call ${event.id}, which never started`;
        if (finished) return `${type} for tool call ${event.id} after it finished`;
        if (event.type === 'tool_call_finished') this.tools.set(event.id, true);
        return undefined;
      }
      case 'web_search': {
        const status = this.searches.get(event.id);
        if (status !== undefined && status !== 'searching') return `web_search ${event.id} after it ${status}`;
        this.searches.set(event.id, event.status);
        return undefined;
      }
      case 'hosted_tool': {
        const last = this.hosted.get(event.id);
        if (last === 'done') return `hosted_tool ${event.id} after it was done`;
        if (event.phase === 'added' && last !== undefined) return `hosted_tool ${event.id} added twice`;
        if (event.phase === 'progress' && last === undefined) return `hosted_tool ${event.id} progress before it was added`;
        if (event.phase !== 'progress' && (event.block === null || typeof event.block !== 'object')) return `hosted_tool ${event.id} ${event.phase} without its block`;
        this.hosted.set(event.id, event.phase);
        return undefined;
      }
      case 'citation':
        if (!(event.start >= 0 && event.end >= event.start && event.end <= this.textLength)) return `citation of ${event.start}..${event.end} beyond the ${this.textLength} characters of text so far`;
        return undefined;
      case 'text_delta':
        this.textLength += event.text.length;
        return undefined;
      case 'response_finished': {
        this.terminated = true;
        for (const [id, finished] of this.tools) if (!finished) return `response_finished while tool call ${id} is still open`;
        return undefined;
      }
      case 'error':
        this.terminated = true;
        return undefined;
      default:
        return undefined;
    }
  }

  /** Call at the end of the stream; returns a violation if no terminal event was seen. */
  end(): string | undefined {
    return this.terminated ? undefined : 'the stream ended without response_finished or error';
  }
}

/** Every violation in a finished list of events (empty when the sequence is valid). */
export function validateSequence(events: readonly LipEvent[]): string[] {
  const validator = new SequenceValidator();
  const violations: string[] = [];
  events.forEach((event, i) => {
    const violation = validator.push(event);
    if (violation) violations.push(`event ${i}: ${violation}`);
  });
  const atEnd = validator.end();
  if (atEnd) violations.push(atEnd);
  return violations;
}
