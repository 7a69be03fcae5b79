import { createHash } from 'node:crypto';
import type { Message, Part, ReasoningPart } from '../../../canonical/index.js';

/** A reasoning part and the unit of its turn it came before (or inside: a text run it interrupted). */
export interface PlacedReasoning {
  readonly at: number;
  readonly part: ReasoningPart;
}

/**
 * An assistant turn seen without its reasoning: its units (a run of text, however it was split
 * into parts and whatever reasoning interrupted it, is one unit; every other part is one), the
 * exact anchor they make, and where each reasoning part sat among them.
 */
export interface TurnShape {
  /** Exact identity of the turn's visible content; '' when it has none (reasoning only). */
  readonly anchor: string;
  /** The unit of each part, -1 for a reasoning part (and an empty text). */
  readonly unitOf: readonly number[];
  readonly reasoning: readonly PlacedReasoning[];
}

/** Anchors longer than this are kept as their SHA-256 (the store holds them as keys). */
const LONGEST_PLAIN_ANCHOR = 512;

/**
 * The shape of an assistant message (not cached per message object: a WeakMap entry for every
 * message of every request costs more in garbage collection than computing it again). Text is
 * compared exactly; tool-call arguments as the JSON they parse to (a client may echo
 * `{"a": 1}` as `{"a":1}`, or send back the object).
 *
 * ```
 * parts: [reasoning R1] [text "Let me "] [reasoning R2] [text "look."] [tool_call c1 read {"p":1}]
 * units: "tLet me look." and "c2:c14:read0:j{"p":1}"   R1 at 0, R2 at 0
 * ```
 */
export function turnShape(message: Message): TurnShape {
  const parts = message.parts;
  const units: string[] = [];
  const unitOf: number[] = [];
  let text: string | undefined; // the open text run: only reasoning and empty text since its last text
  for (const part of parts) {
    if (part.type === 'reasoning' || (part.type === 'text' && part.text.length === 0)) {
      unitOf.push(-1);
    } else if (part.type === 'text') {
      if (text === undefined) text = part.text;
      else text += part.text;
      unitOf.push(units.length);
    } else {
      if (text !== undefined) {
        units.push(`t${text}`);
        text = undefined;
      }
      unitOf.push(units.length);
      units.push(unitText(part));
    }
  }
  if (text !== undefined) units.push(`t${text}`);
  // Each reasoning part goes before the unit of the next visible part after it.
  const reasoning: PlacedReasoning[] = [];
  let next = units.length;
  for (let i = parts.length - 1; i >= 0; i--) {
    const part = parts[i]!;
    if (part.type === 'reasoning') reasoning.push({ at: next, part });
    else if (unitOf[i]! >= 0) next = unitOf[i]!;
  }
  reasoning.reverse();
  return { anchor: units.length === 0 ? '' : anchorOf(units), unitOf, reasoning };
}

/** The units, each written after its length (so that no text can pass for a unit boundary). */
function anchorOf(units: readonly string[]): string {
  let plain = '';
  for (const unit of units) plain += `${unit.length}:${unit}`;
  return plain.length <= LONGEST_PLAIN_ANCHOR ? plain : `#${createHash('sha256').update(plain).digest('base64url')}`;
}

function unitText(part: Exclude<Part, ReasoningPart>): string {
  if (part.type === 'tool_call') {
    const ns = part.namespace ?? '';
    return `c${part.id.length}:${part.id}${part.name.length}:${part.name}${ns.length}:${ns}${part.custom === true ? `r${part.arguments}` : `j${sameJson(part.arguments)}`}`;
  }
  return `x${JSON.stringify(part)}`;
}

/** `text` as the JSON it parses to, written without white space; the text itself when it is not JSON. */
function sameJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    return text;
  }
}

/**
 * The message with `placed` put back: each part before the first part of its unit (after the
 * message's own parts of an earlier unit), those of the turn's end at its end.
 */
export function withReasoning(message: Message, shape: TurnShape, placed: readonly PlacedReasoning[]): Message {
  const parts: Part[] = [];
  let next = 0;
  let unit = -1;
  message.parts.forEach((part, i) => {
    const u = shape.unitOf[i]!;
    if (u > unit) { // the first part of the next unit
      unit = u;
      while (next < placed.length && placed[next]!.at <= u) parts.push(placed[next++]!.part);
    }
    parts.push(part);
  });
  while (next < placed.length) parts.push(placed[next++]!.part);
  return { role: message.role, parts };
}
