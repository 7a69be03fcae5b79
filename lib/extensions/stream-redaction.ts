import type { LipEvent } from '../canonical/index.js';
import type { Observation, TrafficLeg } from './observation.js';

/** What a stream is searched for: a global regex (for matchAll), and a second look at a match (false: it is none). */
export interface StreamDetector {
  readonly id: string;
  readonly pattern: RegExp;
  readonly accept?: (match: string) => boolean;
  /**
   * A block that a match may leave open (a private key cut short matches to the end of its
   * text): when a match of this detector reaches the end of the text let out (more than
   * CLOSING_HOLD characters of it came, more than a stream holds, or another event came), the
   * text that follows in its channel is masked until this closing line matches.
   */
  readonly closing?: RegExp;
}

/** A detector of one literal substring. */
export function substringDetector(id: string, substring: string): StreamDetector {
  return { id, pattern: new RegExp(substring.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'g') };
}

/** Characters held back at the end of a stream's text: longer than any credential's unmatched start. */
const HOLD = 256;
/** Characters held back while a block is open: longer than its closing line (which may come split). */
const CLOSING_HOLD = 128;
/** A stream's text held beyond this goes out (redacted as it is) rather than grow without bound. */
const MAX_HELD = 64 * 1024;
/** Streams with held text at once; the oldest is forgotten past this (its attempt ended without closing). */
const MAX_STREAMS = 10_000;

type EventObservation = Observation & { kind: 'event' };

/** The text an event streams: output text, visible reasoning, a tool call's arguments (keyed by the call). */
function streamed(event: LipEvent): { channel: string; text: string } | undefined {
  switch (event.type) {
    case 'text_delta': return { channel: 'text', text: event.text };
    case 'reasoning_delta': return { channel: 'reasoning', text: event.text };
    case 'tool_call_delta': return { channel: `tool:${event.id}`, text: event.args };
    default: return undefined;
  }
}

function withText(o: EventObservation, text: string): Observation {
  const event = o.event;
  const changed = event.type === 'tool_call_delta' ? { ...event, args: text } : { ...event, text };
  return { ...o, event: changed as LipEvent };
}

/** One delta held: its observation, where its text lies in its channel's text, and (once redacted) what it carries out. */
interface Piece {
  readonly o: EventObservation;
  readonly start: number;
  readonly end: number;
  out?: string;
}

/** One channel's text not yet redacted (from offset `base` of all it streamed), with its pieces. */
interface Channel {
  text: string;
  base: number;
  pieces: Piece[];
  /** The detector whose block is open (let out before its end): the text is masked until its closing line. */
  open?: StreamDetector;
  /**
   * Where (in all the channel streamed) a match that reached the end of the text, and so held
   * back all from its start, is looked for again: reading the held text at every delta would
   * cost its length each time.
   */
  lookAgainAt?: number;
}

/** One stream (request, leg, attempt): its deltas in order, and its channels. */
interface Stream {
  readonly queue: Piece[];
  readonly channels: Map<string, Channel>;
  held: number;
}

/** A match: [start, end, detector id (`''`: an open block's masked rest), the detector]. */
type Span = [number, number, string, StreamDetector?];

/**
 * Redacts the text of event observations across delta boundaries: per stream (request, leg,
 * attempt) the text of each channel (output text, reasoning, each tool call's arguments) is
 * joined, every match of the detectors in it replaced, and its last HOLD characters (or from the
 * start of a match that reaches its end) held back until more text comes, so that a credential
 * split across deltas is never kept in pieces. Deltas are held whole and go out in their order,
 * each at its own time with its own share of the redacted text (a match's replacement in the
 * delta where it starts; a delta left with nothing, wholly inside a match, is dropped), so that
 * the copies keep the stream's shape and timing: a recording replays as it was served. Held
 * deltas go out before the stream's next other event, and when it ends (`end`: the attempt
 * ended, the response to the client is over), whatever ended it. Shared by the redactors that
 * hold text back (secrets-guard's detectors, ref-traffic-transcript's substrings).
 */
export class StreamRedaction {
  private readonly streams = new Map<string, Stream>();

  constructor(private readonly detectors: readonly StreamDetector[], private readonly replacement: (detectorId: string) => string) {}

  redact(o: EventObservation): Observation[] {
    const key = keyOf(o);
    const piece = streamed(o.event);
    const stream = this.streams.get(key);
    if (piece === undefined) {
      if (stream === undefined) return [o];
      const out = [...this.release(stream, true), o];
      // A block left open goes on masked in the deltas that follow this event.
      if (![...stream.channels.values()].some((c) => c.open)) this.streams.delete(key);
      return out;
    }
    let s = stream;
    if (s === undefined) {
      s = { queue: [], channels: new Map(), held: 0 };
      this.streams.set(key, s);
      if (this.streams.size > MAX_STREAMS) this.streams.delete(this.streams.keys().next().value!);
    }
    let channel = s.channels.get(piece.channel);
    if (channel === undefined) s.channels.set(piece.channel, (channel = { text: '', base: 0, pieces: [] }));
    const start = channel.base + channel.text.length;
    const held: Piece = { o, start, end: start + piece.text.length };
    channel.text += piece.text;
    channel.pieces.push(held);
    s.queue.push(held);
    s.held += piece.text.length;
    if (s.held > MAX_HELD) return this.release(s, true);
    this.settle(channel, this.cutAt(channel));
    const out = this.release(s, false);
    if (s.queue.length === 0 && ![...s.channels.values()].some((c) => c.open)) this.streams.delete(key);
    return out;
  }

  /** The stream of `leg` (an attempt's, on the backend legs) ended: what is held of it goes out. */
  end(stream: { readonly requestId: string; readonly leg: TrafficLeg; readonly attemptSeq?: number | undefined }): Observation[] {
    const key = keyOf(stream);
    const s = this.streams.get(key);
    if (s === undefined) return [];
    this.streams.delete(key);
    return this.release(s, true);
  }

  /** The deltas at the front of the stream that are redacted (with `all`, every channel's text is first). */
  private release(s: Stream, all: boolean): Observation[] {
    if (all) for (const channel of s.channels.values()) this.settle(channel, channel.text.length);
    const out: Observation[] = [];
    let n = 0;
    while (n < s.queue.length && s.queue[n]!.out !== undefined) n++;
    // Taken off at once: one shift per delta moves all the queue each time once it is long.
    for (const piece of s.queue.splice(0, n)) {
      s.held -= piece.end - piece.start;
      // A delta wholly inside a match carries nothing: it is dropped (one that came empty goes as it came).
      if (piece.out!.length > 0 || piece.end === piece.start) out.push(piece.out === streamed(piece.o.event)!.text ? piece.o : withText(piece.o, piece.out!));
    }
    return out;
  }

  /** Where the channel's text can be cut: before its last HOLD characters, outside every match, before one that reaches the end, and between deltas. */
  private cutAt(channel: Channel): number {
    const text = channel.text;
    // An open block: masked up to its closing line; without one yet, all but what could be its start.
    if (channel.open !== undefined && this.closingEnd(channel) < 0) return this.pieceStart(channel, Math.max(0, text.length - CLOSING_HOLD));
    // A match that reached the end holds all from its start until it is looked at again.
    if (channel.base + text.length < (channel.lookAgainAt ?? 0)) return 0;
    const spans = this.spans(channel);
    const last = spans.at(-1);
    const reachesEnd = last !== undefined && last[1] === text.length;
    // A block left open (a private key whose END line has not come): it opens now, its text let out masked but for what could start its closing line.
    if (reachesEnd && leftOpen(last, text)) {
      const cut = this.pieceStart(channel, Math.max(0, text.length - CLOSING_HOLD));
      if (cut > last[0]) return cut;
    }
    // Any other holds all from its start: as much text again (HOLD at least) comes before it is looked at again, so each character is read a bounded number of times.
    channel.lookAgainAt = reachesEnd ? channel.base + text.length + Math.max(HOLD, text.length - last[0]) : undefined;
    let cut = Math.max(0, text.length - HOLD);
    for (let moved = true; moved;) {
      moved = false;
      for (const [start, end] of spans) {
        if (start < cut && (end > cut || end === text.length)) {
          cut = start;
          moved = true;
        }
      }
      const start = this.pieceStart(channel, cut);
      if (start < cut) {
        cut = start;
        moved = true;
      }
    }
    return cut;
  }

  /** `cut`, or the start of the delta it falls inside. */
  private pieceStart(channel: Channel, cut: number): number {
    for (const p of channel.pieces) {
      const start = p.start - channel.base;
      if (start < cut && cut < p.end - channel.base) return start;
    }
    return cut;
  }

  /** Where the open block's closing line ends in the channel's text (-1: not there yet). */
  private closingEnd(channel: Channel, text = channel.text): number {
    const m = channel.open?.closing?.exec(text);
    return m ? m.index + m[0].length : -1;
  }

  /** Redacts the channel's text up to `cut` (a delta boundary) into its deltas' `out`, and lets go of it. */
  private settle(channel: Channel, cut: number): void {
    if (cut <= 0) return;
    const text = channel.text.slice(0, cut);
    const spans = this.spans(channel, text);
    // The open block reached its end (its closing line), or goes on past what is let out; a match
    // let out that reaches the end of it leaves its block open.
    if (channel.open !== undefined) channel.open = this.closingEnd(channel, text) < 0 ? channel.open : undefined;
    const last = spans.at(-1);
    if (channel.open === undefined && last !== undefined && last[1] === text.length && leftOpen(last, text)) channel.open = last[3];
    // All of the text let out: no match holds any back.
    if (cut === channel.text.length) channel.lookAgainAt = undefined;
    let i = 0;
    let n = 0;
    for (; n < channel.pieces.length && channel.pieces[n]!.end - channel.base <= cut; n++) {
      const p = channel.pieces[n]!;
      const from = p.start - channel.base;
      const to = p.end - channel.base;
      let out = '';
      let at = from;
      while (i < spans.length && spans[i]![1] <= from) i++;
      for (let j = i; j < spans.length && spans[j]![0] < to; j++) {
        const [start, end, id] = spans[j]!;
        if (start >= from) out += text.slice(at, start) + (id === '' ? '' : this.replacement(id));
        at = Math.min(Math.max(at, end), to);
      }
      p.out = out + text.slice(at, to);
    }
    channel.pieces.splice(0, n);
    channel.text = channel.text.slice(cut);
    channel.base += cut;
  }

  /**
   * The matches in `text`, apart and in order: each detector's (a zero-length match, or one it
   * does not accept, is none), one overlapping an earlier detector's match joined to it.
   */
  private spans(channel: Channel, text = channel.text): Span[] {
    let spans: Span[] = [];
    // An open block's rest (masked, its replacement went out before) up to its closing line, or all of the text.
    if (channel.open !== undefined) {
      const end = this.closingEnd(channel, text);
      spans.push([0, end < 0 ? text.length : end, '']);
    }
    for (const d of this.detectors) {
      if (text.search(d.pattern) < 0) continue;
      for (const m of text.matchAll(d.pattern)) {
        if (m[0].length === 0 || (d.accept !== undefined && !d.accept(m[0]))) continue;
        const start = m.index;
        const end = start + m[0].length;
        const overlapping = spans.filter(([s, e]) => s < end && start < e);
        if (overlapping.length === 0) spans.push([start, end, d.id, d]);
        else {
          const first = overlapping.reduce((a, b) => (b[0] < a[0] ? b : a));
          const joined: Span = [Math.min(start, ...overlapping.map((o) => o[0])), Math.max(end, ...overlapping.map((o) => o[1])), first[2], end >= Math.max(...overlapping.map((o) => o[1])) ? d : first[3]];
          spans = [...spans.filter((s) => !overlapping.includes(s)), joined];
        }
      }
    }
    return spans.sort((a, b) => a[0] - b[0]);
  }
}

/** Whether a match (one that reaches the end of `text`) is a block cut short: its detector has a closing line, not in it. */
function leftOpen([start, end, , detector]: Span, text: string): boolean {
  return detector?.closing !== undefined && !detector.closing.test(text.slice(start, end));
}

function keyOf(o: { readonly requestId: string; readonly leg: TrafficLeg; readonly attemptSeq?: number | undefined }): string {
  return `${o.requestId}\u0000${o.leg}\u0000${o.attemptSeq ?? ''}`;
}
