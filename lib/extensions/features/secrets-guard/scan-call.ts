import type { Call, FilePart, HostedToolPart, Message, Part, ReasoningPart, SearchResultPart, TextPart, ToolCallPart, ToolResultPart, WebSearchPart, WrittenResult } from '../../../canonical/index.js';
import { isTextMediaType } from '../../../wire/media-types.js';
import { replaceMatches, type Detector } from './detectors.js';

/** What a scan found: the detector ids with their match counts (never the matches). */
export type Findings = Map<string, number>;

/**
 * Fields of a record kept as written (a tool result's, a hosted tool's) that are not text: its
 * item type, images (not scanned, as image parts are not) and opaque payloads (encrypted content,
 * signatures, a generated image) that only their provider reads.
 */
const UNSCANNED_FIELDS = new Set(['type', 'data', 'image_url', 'encrypted_content', 'signature', 'result']);

/**
 * Runs every detector over the client's text in a call: system text, text parts, search results
 * (source, title, text), text documents (and what the client says about a document, `context`),
 * tool-call arguments (each string of JSON arguments, so that a replacement leaves them JSON),
 * tool results (with their search results and documents, and the result as the client wrote it
 * for its provider, `written`), visible reasoning text (with the summary parts it is joined
 * from), hosted web searches' queries and results, and hosted tools' records (with a
 * compaction's summary). With `replacement`, answers the call with every match replaced (`{id}`
 * in the replacement is the detector id); otherwise the same call.
 */
export function scanCall(call: Call, detectors: readonly Detector[], replacement?: string): { call: Call; findings: Findings } {
  const findings: Findings = new Map();
  const scan = (text: string, into: Findings = findings): string => {
    let out = text;
    for (const d of detectors) {
      // A zero-length match, or one the detector does not accept, is no finding: it stays as it is.
      const { text: replaced, n } = replaceMatches(out, d, () => (replacement === undefined ? '' : replacement.replace(/\{id\}/g, d.id)));
      if (n === 0) continue;
      into.set(d.id, (into.get(d.id) ?? 0) + n);
      if (replacement !== undefined) out = replaced;
    }
    return out;
  };
  /** Counts the matches of one text kept in several forms (each scanned into its own findings) once: the most any form holds. */
  const countOnce = (...forms: Findings[]): void => {
    for (const id of new Set(forms.flatMap((f) => [...f.keys()]))) {
      findings.set(id, (findings.get(id) ?? 0) + Math.max(...forms.map((f) => f.get(id) ?? 0)));
    }
  };
  const textPart = (p: TextPart, into: Findings = findings): TextPart => { const t = scan(p.text, into); return t === p.text ? p : { ...p, text: t }; };
  const searchResult = (p: SearchResultPart, into: Findings = findings): SearchResultPart => {
    const source = scan(p.source, into);
    const title = scan(p.title, into);
    const content = p.content.map((c) => textPart(c, into));
    return source === p.source && title === p.title && content.every((c, i) => c === p.content[i]) ? p : { ...p, source, title, content };
  };
  /** A text document inline (Anthropic's plain-text source, a text file) is the client's text, in base64; other files are not read. */
  const file = (p: FilePart, into: Findings = findings): FilePart => {
    const context = p.context === undefined ? undefined : scan(p.context, into);
    let data = p.data;
    if (p.data !== undefined && p.mediaType !== undefined && isTextMediaType(p.mediaType)) {
      const text = Buffer.from(p.data, 'base64').toString('utf8');
      const scanned = scan(text, into);
      if (scanned !== text) data = Buffer.from(scanned, 'utf8').toString('base64');
    }
    return context === p.context && data === p.data ? p : { ...p, ...(context !== undefined ? { context } : {}), ...(data !== undefined ? { data } : {}) };
  };
  /**
   * JSON arguments string by string, written again only when one changed, so that a replacement
   * (or a private key cut short, which runs to the end of its text) stays inside its string; a
   * custom tool's input, or arguments that are not JSON, as text.
   */
  const toolCall = (p: ToolCallPart): ToolCallPart => {
    const args = p.custom ? scan(p.arguments) : scanJson(p.arguments);
    return args === p.arguments ? p : { ...p, arguments: args };
  };
  const scanJson = (json: string): string => {
    let value: unknown;
    try {
      value = JSON.parse(json);
    } catch {
      return scan(json);
    }
    const scanned = deepScan(value, (text) => scan(text));
    return scanned === value ? json : JSON.stringify(scanned);
  };
  const toolResult = (p: ToolResultPart): ToolResultPart => {
    const inContent: Findings = new Map();
    let content = p.content;
    if (typeof p.content === 'string') content = scan(p.content, inContent);
    else {
      const mapped = p.content.map((c) => (c.type === 'text' ? textPart(c, inContent) : c.type === 'search_result' ? searchResult(c, inContent) : c.type === 'file' ? file(c, inContent) : c));
      if (mapped.some((c, i) => c !== (p.content as readonly unknown[])[i])) content = mapped;
    }
    // The result as written (what a backend of its dialect sends instead of the content) holds
    // the content's text again: a match in both counts once.
    const inWritten: Findings = new Map();
    const item = p.written === undefined ? undefined : deepScan(p.written.item, (text) => scan(text, inWritten), UNSCANNED_FIELDS) as WrittenResult['item'];
    countOnce(inContent, inWritten);
    if (content === p.content && item === p.written?.item) return p;
    return { ...p, content, ...(p.written !== undefined ? { written: { ...p.written, item: item! } } : {}) };
  };
  /** `text` is the summary parts joined (what a Responses backend sends instead, part by part): a match in both counts once. */
  const reasoning = (p: ReasoningPart): ReasoningPart => {
    const inText: Findings = new Map();
    const inSummary: Findings = new Map();
    const text = p.text === undefined ? undefined : scan(p.text, inText);
    const summary = p.summary?.map((s) => scan(s, inSummary));
    countOnce(inText, inSummary);
    if (text === p.text && (summary ?? []).every((s, i) => s === p.summary![i])) return p;
    return { ...p, ...(text !== undefined ? { text } : {}), ...(summary !== undefined ? { summary } : {}) };
  };
  const webSearch = (p: WebSearchPart): WebSearchPart => {
    const query = p.query === undefined ? undefined : scan(p.query);
    const results = p.results === undefined ? undefined : deepScan(p.results, (text) => scan(text), new Set(['encrypted'])) as WebSearchPart['results'];
    return query === p.query && results === p.results ? p : { ...p, ...(query !== undefined ? { query } : {}), ...(results !== undefined ? { results } : {}) };
  };
  /** A compaction's summary is the record's text again (Anthropic's `content`): a match in both counts once. */
  const hostedTool = (p: HostedToolPart): HostedToolPart => {
    const inBlock: Findings = new Map();
    const inSummary: Findings = new Map();
    const block = deepScan(p.block, (text) => scan(text, inBlock), UNSCANNED_FIELDS) as HostedToolPart['block'];
    const summary = p.compaction?.summary === undefined ? undefined : scan(p.compaction.summary, inSummary);
    countOnce(inBlock, inSummary);
    if (block === p.block && summary === p.compaction?.summary) return p;
    return { ...p, block, ...(summary !== undefined ? { compaction: { ...p.compaction, summary } } : {}) };
  };
  const part = (p: Part): Part => {
    switch (p.type) {
      case 'text': return textPart(p);
      case 'search_result': return searchResult(p);
      case 'file': return file(p);
      case 'tool_call': return toolCall(p);
      case 'tool_result': return toolResult(p);
      case 'reasoning': return reasoning(p);
      case 'web_search': return webSearch(p);
      case 'hosted_tool': return hostedTool(p);
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

/** `value` with `scan` applied to every string in it but those of the `unscanned` fields; the same object where nothing changed. */
function deepScan(value: unknown, scan: (text: string) => string, unscanned: ReadonlySet<string> = new Set()): unknown {
  if (typeof value === 'string') return scan(value);
  if (Array.isArray(value)) {
    const out = value.map((v) => deepScan(v, scan, unscanned));
    return out.every((v, i) => v === value[i]) ? value : out;
  }
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  const out = entries.map(([k, v]) => [k, unscanned.has(k) ? v : deepScan(v, scan, unscanned)] as const);
  // fromEntries, so that a `__proto__` key (JSON arguments may hold one) stays a key.
  return out.every(([, v], i) => v === entries[i]![1]) ? value : Object.fromEntries(out);
}
