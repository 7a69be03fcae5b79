import { asksForCompaction, type Call, type Message, type Part } from '../../../canonical/index.js';
import { LIP_COMPACT_INSTRUCTION, POST_MARKERS, START_RULES, type StartRule } from './registry.js';

/** A text longer than this is matched by its head and tail only (a quoted conversation). */
const MATCH_WINDOW = 65_536;
/** How many leading messages a post marker is looked for in. */
const POST_MESSAGES = 3;

/** How the history heuristic decides that a conversation was compacted (thresholds of the Go original's). */
export const HEURISTIC = {
  /** The previous request held at least this many tokens (about four characters a token). */
  priorTokens: 8_000,
  /** ... and this request at least this many fewer ... */
  absoluteReduction: 8_000,
  /** ... and at least this share fewer. */
  relativeReduction: 0.25,
  /** The previous request's last items that must survive, in order. */
  tailItems: 2,
  /** The leading items whose keys make the prefix key. */
  prefixItems: 8,
} as const;

/**
 * The request that asks for a compaction (the whole conversation before it is in it): the rule
 * that recognised it, or undefined. A provider's own compaction request and lip's own
 * `/responses/compact` come first, then (unless `signatures` is false) the agents' prompt
 * signatures (registry.ts), matched in the system text and the last user message.
 */
export function startRuleOf(call: Call, signatures = true): string | undefined {
  if (asksForCompaction(call)) return 'protocol.compaction-request.v1';
  const last = call.messages[call.messages.length - 1];
  if (last === undefined || last.role !== 'user') return undefined;
  const lastText = textOf(last);
  if (lastText === LIP_COMPACT_INSTRUCTION) return 'lip.responses-compact.v1';
  if (!signatures) return undefined;
  let text = '';
  for (const part of call.system) text += `${windowed(part.text)}\n`;
  text = `${text}${windowed(lastText)}`.toLowerCase();
  for (const rule of START_RULES) {
    if (!matches(rule, text)) continue;
    if (rule.noTools && call.tools.length > 0) continue;
    return rule.id;
  }
  return undefined;
}

/** The rule id of a provider's compaction record in the history (its key adds which record it is). */
export const COMPACTION_RECORD_RULE = 'protocol.compaction-record.v1';

/**
 * What says the conversation was compacted before this request: a provider's compaction record
 * in the history (Anthropic's `compaction` block, OpenAI's `compaction` item: the provider
 * compacted the turns before it), keyed by which record it is, or else the summary marker its
 * first messages hold (registry.ts; unless `signatures` is false). Undefined when neither.
 */
export function postMarkerOf(call: Call, signatures = true): string | undefined {
  for (let i = call.messages.length - 1; i >= 0; i--) {
    const parts = call.messages[i]!.parts;
    for (let j = parts.length - 1; j >= 0; j--) {
      const part = parts[j]!;
      if (part.type === 'hosted_tool' && part.compaction !== undefined) return `${COMPACTION_RECORD_RULE}:${recordIdentity(part.block, part.compaction.summary)}`;
    }
  }
  if (!signatures) return undefined;
  let text = '';
  for (let i = 0; i < Math.min(POST_MESSAGES, call.messages.length); i++) text += `${windowed(textOf(call.messages[i]!))}\n`;
  if (text.length === 0) return undefined;
  text = text.toLowerCase();
  return POST_MARKERS.find((marker) => marker.all.every((m) => text.includes(m)))?.id;
}

/** Which compaction record: its id when the provider gave one, else its size and the start of its summary. */
function recordIdentity(block: Readonly<Record<string, unknown>>, summary: string | undefined): string {
  if (typeof block.id === 'string' && block.id !== '') return block.id;
  const encrypted = typeof block.encrypted_content === 'string' ? block.encrypted_content : '';
  return `${(summary ?? '').length}.${encrypted.length}.${(summary ?? encrypted).slice(0, 32)}`;
}

/** The rule a post marker counts under (a record's key without which record it is). */
export function markerRule(marker: string): string {
  return marker.startsWith(`${COMPACTION_RECORD_RULE}:`) ? COMPACTION_RECORD_RULE : marker;
}

function matches(rule: StartRule, text: string): boolean {
  return rule.all.every((m) => text.includes(m)) && (rule.any === undefined || rule.any.some((m) => text.includes(m)));
}

function windowed(text: string): string {
  return text.length <= 2 * MATCH_WINDOW ? text : `${text.slice(0, MATCH_WINDOW)}\n${text.slice(-MATCH_WINDOW)}`;
}

/** A message's text parts, joined. */
export function textOf(message: Message): string {
  let text = '';
  for (const part of message.parts) if (part.type === 'text') text += part.text;
  return text;
}

/**
 * What the heuristic keeps of a request: its size and the keys of its first and last items
 * (a key is the item's role, length and the ends of its content: no hash, no copy of the text).
 */
export interface Fingerprint {
  readonly tokens: number;
  readonly items: number;
  readonly tail: readonly string[];
  readonly prefix: string;
  /** Its post marker (postMarkerOf): a compaction record's key, or the summary marker its first messages held. */
  readonly post: string | undefined;
}

export function fingerprintOf(call: Call, signatures = true): { readonly fingerprint: Fingerprint; readonly keys: () => readonly string[] } {
  let chars = 0;
  for (const part of call.system) chars += part.text.length;
  const { messages } = call;
  for (const message of messages) for (const part of message.parts) chars += partLength(part);
  const n = messages.length;
  const tail: string[] = [];
  for (let i = Math.max(0, n - HEURISTIC.tailItems); i < n; i++) tail.push(itemKey(messages[i]!));
  let prefix = '';
  for (let i = 0; i < Math.min(n, HEURISTIC.prefixItems); i++) prefix += `${itemKey(messages[i]!)}\u0001`;
  let keys: string[] | undefined;
  return {
    // Every item's key is needed only when the sizes already say "compacted" (compactedSince asks last).
    keys: () => (keys ??= messages.map(itemKey)),
    fingerprint: { tokens: Math.ceil(chars / 4), items: n, tail, prefix, post: postMarkerOf(call, signatures) },
  };
}

function itemKey(message: Message): string {
  let content = '';
  let length = 0;
  for (const part of message.parts) {
    const text = partText(part);
    length += text.length;
    content += `${part.type}:${text.length}:${text.slice(0, 48)}|${text.slice(-48)};`;
  }
  return `${message.role}|${length}|${content}`;
}

/** A part's size in characters, without building its text. */
function partLength(part: Part): number {
  switch (part.type) {
    case 'text': return part.text.length;
    case 'tool_call': return part.name.length + part.arguments.length + 2;
    case 'tool_result': {
      if (typeof part.content === 'string') return part.content.length;
      let n = 0;
      for (const p of part.content) n += p.type === 'text' ? p.text.length : p.type.length + 2;
      return n;
    }
    case 'reasoning': return part.text?.length ?? 0;
    default: return part.type.length + 2;
  }
}

function partText(part: Part): string {
  switch (part.type) {
    case 'text': return part.text;
    case 'tool_call': return `${part.name}(${part.arguments})`;
    case 'tool_result': return typeof part.content === 'string' ? part.content : part.content.map((p) => (p.type === 'text' ? p.text : `[${p.type}]`)).join('');
    case 'reasoning': return part.text ?? '';
    default: return `[${part.type}]`;
  }
}

/**
 * Whether the conversation was compacted between the previous request and this one, by the
 * history alone: the previous one was large, this one is much smaller (in tokens and in share),
 * the previous one's last items survive in this one in order, and older history is gone or
 * replaced. Ambiguous changes (a fresh conversation, a fork, an edit) answer false.
 */
export function compactedSince(prev: Fingerprint, cur: Fingerprint, curKeys: () => readonly string[]): boolean {
  if (prev.items === 0 || cur.items === 0 || prev.tokens < HEURISTIC.priorTokens) return false;
  const reduction = prev.tokens - cur.tokens;
  if (reduction < HEURISTIC.absoluteReduction || reduction < prev.tokens * HEURISTIC.relativeReduction) return false;
  if (prev.tail.length < HEURISTIC.tailItems) return false;
  const keys = curKeys();
  let at = -1;
  for (const key of prev.tail) {
    at = keys.indexOf(key, at + 1);
    if (at < 0) return false;
  }
  return cur.items < prev.items || cur.prefix !== prev.prefix;
}
