import type { Call, Message, Part, TextPart } from '../../../canonical/index.js';
import type { Detector } from './detectors.js';

/** What a scan found: the detector ids with their match counts (never the matches). */
export type Findings = Map<string, number>;

/**
 * Runs every detector over the client's text in a call: system text, text parts, tool-call
 * arguments, tool results and visible reasoning text. With `replacement`, answers the call with
 * every match replaced (`{id}` in the replacement is the detector id); otherwise the same call.
 */
export function scanCall(call: Call, detectors: readonly Detector[], replacement?: string): { call: Call; findings: Findings } {
  const findings: Findings = new Map();
  const scan = (text: string): string => {
    let out = text;
    for (const d of detectors) {
      if (out.search(d.pattern) < 0) continue;
      let n = 0;
      const replaced = out.replace(d.pattern, () => { n++; return replacement === undefined ? '' : replacement.replace(/\{id\}/g, d.id); });
      findings.set(d.id, (findings.get(d.id) ?? 0) + n);
      if (replacement !== undefined) out = replaced;
    }
    return out;
  };
  const textPart = (p: TextPart): TextPart => { const t = scan(p.text); return t === p.text ? p : { ...p, text: t }; };
  const part = (p: Part): Part => {
    switch (p.type) {
      case 'text': return textPart(p);
      case 'tool_call': { const a = scan(p.arguments); return a === p.arguments ? p : { ...p, arguments: a }; }
      case 'tool_result': {
        if (typeof p.content === 'string') { const c = scan(p.content); return c === p.content ? p : { ...p, content: c }; }
        const content = p.content.map((c) => (c.type === 'text' ? textPart(c) : c));
        return content.every((c, i) => c === (p.content as readonly unknown[])[i]) ? p : { ...p, content };
      }
      case 'reasoning': { if (p.text === undefined) return p; const t = scan(p.text); return t === p.text ? p : { ...p, text: t }; }
      default: return p;
    }
  };
  const message = (m: Message): Message => {
    const parts = m.parts.map(part);
    return parts.every((p, i) => p === m.parts[i]) ? m : { ...m, parts };
  };
  const system = call.system.map(textPart);
  const messages = call.messages.map(message);
  if (findings.size === 0 || replacement === undefined) return { call, findings };
  return { call: { ...call, system, messages }, findings };
}
