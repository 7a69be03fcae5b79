import type { LipEvent } from '../../../canonical/index.js';
import type { Observation } from '../../observation.js';
import type { Detector } from './detectors.js';

/** Characters held back at the end of a stream's text: longer than any credential's unmatched start. */
const HOLD = 256;
/** A stream's text held beyond this goes out (redacted as it is) rather than grow without bound. */
const MAX_HELD = 64 * 1024;
/** Streams with held text at once; the oldest is forgotten past this (its attempt ended without closing). */
const MAX_STREAMS = 10_000;

/** The text an event streams: output text, visible reasoning, a tool call's arguments (keyed by the call). */
function streamed(event: LipEvent): { channel: string; text: string } | undefined {
  switch (event.type) {
    case 'text_delta': return { channel: 'text', text: event.text };
    case 'reasoning_delta': return { channel: 'reasoning', text: event.text };
    case 'tool_call_delta': return { channel: `tool:${event.id}`, text: event.args };
    default: return undefined;
  }
}

function withText(o: Observation & { kind: 'event' }, text: string): Observation {
  const event = o.event;
  const changed = event.type === 'tool_call_delta' ? { ...event, args: text } : { ...event, text };
  return { ...o, event: changed as LipEvent };
}

interface Held {
  channel: string;
  text: string;
  /** The last delta of the channel (its correlation and event shape carry the held text out). */
  last: Observation & { kind: 'event' };
}

/**
 * Redacts the text of event observations across delta boundaries: per stream (request, leg,
 * attempt) the text is joined, every match of the detectors in it replaced, and its last HOLD
 * characters (or from the start of a match that reaches its end) held back until more text comes,
 * so that a credential split across deltas is never kept in pieces. Held text goes out, redacted,
 * as a delta of its channel before the stream's next other event (the channel changes, the block
 * or response ends). A stream whose attempt ends without such an event loses its held tail (it is
 * never let through unredacted).
 */
export class StreamRedaction {
  private readonly held = new Map<string, Held>();

  constructor(private readonly detectors: readonly Detector[], private readonly redactText: (text: string) => string) {}

  redact(o: Observation & { kind: 'event' }): Observation[] {
    const key = `${o.requestId}\u0000${o.leg}\u0000${o.attemptSeq ?? ''}`;
    const piece = streamed(o.event);
    const held = this.held.get(key);
    const out: Observation[] = [];
    if (held && (piece === undefined || piece.channel !== held.channel)) {
      this.held.delete(key);
      if (held.text.length > 0) out.push({ ...withText(held.last, this.redactText(held.text)), at: o.at } as Observation);
    }
    if (piece === undefined) {
      out.push(o);
      return out;
    }
    const joined = (held !== undefined && held.channel === piece.channel ? held.text : '') + piece.text;
    const cut = this.cutAt(joined);
    const ready = joined.slice(0, cut);
    this.held.delete(key);
    this.held.set(key, { channel: piece.channel, text: joined.slice(cut), last: o });
    if (this.held.size > MAX_STREAMS) this.held.delete(this.held.keys().next().value!);
    if (ready.length > 0) out.push(withText(o, this.redactText(ready)));
    return out;
  }

  /** Where the text can be cut: before its last HOLD characters and outside every match, before one that reaches the end. */
  private cutAt(text: string): number {
    if (text.length > MAX_HELD) return text.length;
    const spans: [number, number][] = [];
    for (const d of this.detectors) {
      if (text.search(d.pattern) < 0) continue;
      for (const m of text.matchAll(d.pattern)) {
        if (m[0].length === 0 || (d.accept !== undefined && !d.accept(m[0]))) continue;
        spans.push([m.index, m.index + m[0].length]);
      }
    }
    let cut = Math.max(0, text.length - HOLD);
    for (let moved = true; moved;) {
      moved = false;
      for (const [start, end] of spans) {
        if (start < cut && (end > cut || end === text.length)) {
          cut = start;
          moved = true;
        }
      }
    }
    return cut;
  }
}
