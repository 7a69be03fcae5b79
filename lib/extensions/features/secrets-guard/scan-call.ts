import type { Call, Message, Part, SearchResultPart, TextPart, ToolResultPart, WrittenResult } from '../../../canonical/index.js';
import type { Detector } from './detectors.js';

/** What a scan found: the detector ids with their match counts (never the matches). */
export type Findings = Map<string, number>;

/** Fields of a result kept as written that are not text: its item type, and images (not scanned, as image parts are not). */
const UNSCANNED_FIELDS = new Set(['type', 'data', 'image_url']);

/**
 * Runs every detector over the client's text in a call: system text, text parts, search results
 * (source, title, text), tool-call arguments, tool results (with their search results, and the
 * result as the client wrote it for its provider, `written`) and visible reasoning text. With
 * `replacement`, answers the call with every match replaced (`{id}` in the replacement is the
 * detector id); otherwise the same call.
 */
export function scanCall(call: Call, detectors: readonly Detector[], replacement?: string): { call: Call; findings: Findings } {
  const findings: Findings = new Map();
  const scan = (text: string, into: Findings = findings): string => {
    let out = text;
    for (const d of detectors) {
      if (out.search(d.pattern) < 0) continue;
      let n = 0;
      const replaced = out.replace(d.pattern, () => { n++; return replacement === undefined ? '' : replacement.replace(/\{id\}/g, d.id); });
      into.set(d.id, (into.get(d.id) ?? 0) + n);
      if (replacement !== undefined) out = replaced;
    }
    return out;
  };
  const textPart = (p: TextPart, into: Findings = findings): TextPart => { const t = scan(p.text, into); return t === p.text ? p : { ...p, text: t }; };
  const searchResult = (p: SearchResultPart, into: Findings = findings): SearchResultPart => {
    const source = scan(p.source, into);
    const title = scan(p.title, into);
    const content = p.content.map((c) => textPart(c, into));
    return source === p.source && title === p.title && content.every((c, i) => c === p.content[i]) ? p : { ...p, source, title, content };
  };
  const toolResult = (p: ToolResultPart): ToolResultPart => {
    const inContent: Findings = new Map();
    let content = p.content;
    if (typeof p.content === 'string') content = scan(p.content, inContent);
    else {
      const mapped = p.content.map((c) => (c.type === 'text' ? textPart(c, inContent) : c.type === 'search_result' ? searchResult(c, inContent) : c));
      if (mapped.some((c, i) => c !== (p.content as readonly unknown[])[i])) content = mapped;
    }
    // The result as written (what a backend of its dialect sends instead of the content) holds
    // the content's text again: a match in both counts once.
    const inWritten: Findings = new Map();
    const item = p.written === undefined ? undefined : deepScan(p.written.item, (text) => scan(text, inWritten)) as WrittenResult['item'];
    for (const id of new Set([...inContent.keys(), ...inWritten.keys()])) {
      findings.set(id, (findings.get(id) ?? 0) + Math.max(inContent.get(id) ?? 0, inWritten.get(id) ?? 0));
    }
    if (content === p.content && item === p.written?.item) return p;
    return { ...p, content, ...(p.written !== undefined ? { written: { ...p.written, item: item! } } : {}) };
  };
  const part = (p: Part): Part => {
    switch (p.type) {
      case 'text': return textPart(p);
      case 'search_result': return searchResult(p);
      case 'tool_call': { const a = scan(p.arguments); return a === p.arguments ? p : { ...p, arguments: a }; }
      case 'tool_result': return toolResult(p);
      case 'reasoning': { if (p.text === undefined) return p; const t = scan(p.text); return t === p.text ? p : { ...p, text: t }; }
      default: return p;
    }
  };
  const message = (m: Message): Message => {
    const parts = m.parts.map(part);
    return parts.every((p, i) => p === m.parts[i]) ? m : { ...m, parts };
  };
  const system = call.system.map((p) => textPart(p));
  const messages = call.messages.map(message);
  if (findings.size === 0 || replacement === undefined) return { call, findings };
  return { call: { ...call, system, messages }, findings };
}

/** `value` with `scan` applied to every string in it but those of UNSCANNED_FIELDS; the same object where nothing changed. */
function deepScan(value: unknown, scan: (text: string) => string): unknown {
  if (typeof value === 'string') return scan(value);
  if (Array.isArray(value)) {
    const out = value.map((v) => deepScan(v, scan));
    return out.every((v, i) => v === value[i]) ? value : out;
  }
  if (value === null || typeof value !== 'object') return value;
  let changed = false;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = UNSCANNED_FIELDS.has(k) ? v : deepScan(v, scan);
    if (out[k] !== v) changed = true;
  }
  return changed ? out : value;
}
