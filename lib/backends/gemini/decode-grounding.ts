import type { LipEvent, WebSearchResult } from '../../canonical/index.js';
import { SEARCH_DIALECTS } from '../../canonical/index.js';
import { MAX_UPSTREAM_ITEMS, upstreamTooMany } from '../../wire/index.js';
import { utf16Offset } from '../../wire/utf8-offsets.js';

type Json = Record<string, any>;

/** A cited span as Gemini gave it: UTF-8 byte offsets in the candidate's text. */
interface ByteCitation {
  readonly url: string;
  readonly title?: string;
  readonly citedText?: string;
  readonly startByte: number;
  readonly endByte: number;
}

/**
 * A candidate's Google Search grounding (`groundingMetadata`), read from every frame that has
 * it and reported once at the end of the answer, as canonical events, the citations first (they
 * cite the text just before them):
 *
 * * one `web_search` event per query of `webSearchQueries` (`completed`: Gemini reports searches
 *   only after they ran), its id made from the response id and the query's place. Gemini does
 *   not say which query found which page: all pages of `groundingChunks` (`web.uri` → `url`,
 *   `web.title` → `title`) go with the first search, and so does `searchEntryPoint.renderedContent`
 *   (the search suggestions Google asks apps to show) as its `entryPoint`;
 * * one `citation` event per `groundingSupports` entry and chunk index, its segment's UTF-8 byte
 *   offsets turned into UTF-16 offsets of the response text, `citedText` the segment's text.
 *
 * An answer grounded by URL context alone has pages and supports but no queries: it reports
 * citations and no search (nothing was searched; the pages read are its `urlContextMetadata`).
 *
 * A frame may repeat what an earlier one said (or add to it): queries, pages and citations are
 * each reported once. A support's `partIndex` is not read: its offsets count in the candidate's
 * whole text, which is what the Gemini API gives.
 *
 * ```
 * {webSearchQueries: ["q"], groundingChunks: [{web: {uri: "u", title: "t"}}],
 *  groundingSupports: [{segment: {endIndex: 3, text: "né"}, groundingChunkIndices: [0]}]}   text "né!"
 *   -> citation {url: u, title: t, start: 0, end: 2, citedText: né}, web_search {id, status: completed, query: q, results: [{url: u, title: t}]}
 * ```
 * @see spec/backends/gemini/decode-grounding.spec.ts
 */
export class GroundingReader {
  private readonly queries: string[] = [];
  private readonly results: WebSearchResult[] = [];
  private readonly urls = new Set<string>();
  private readonly citations: ByteCitation[] = [];
  private readonly cited = new Set<string>();
  /** Google's search suggestions (`searchEntryPoint.renderedContent`), which it asks apps to show. */
  private entryPoint: string | undefined;

  constructor(private readonly backendId: string) {}

  /** Reads one candidate's `groundingMetadata`. */
  read(metadata: Json): void {
    const rendered = isObject(metadata.searchEntryPoint) ? metadata.searchEntryPoint.renderedContent : undefined;
    if (typeof rendered === 'string' && rendered.length > 0) this.entryPoint = rendered;
    const queries: unknown[] = Array.isArray(metadata.webSearchQueries) ? metadata.webSearchQueries : [];
    for (const query of queries) {
      if (typeof query !== 'string' || query.length === 0 || this.queries.includes(query)) continue;
      if (this.queries.length >= MAX_UPSTREAM_ITEMS) throw upstreamTooMany(this.backendId, 'web searches');
      this.queries.push(query);
    }
    const chunks: unknown[] = Array.isArray(metadata.groundingChunks) ? metadata.groundingChunks : [];
    const pages = chunks.map(page);
    for (const p of pages) {
      if (p === undefined || this.urls.has(p.url)) continue;
      if (this.results.length >= MAX_UPSTREAM_ITEMS) throw upstreamTooMany(this.backendId, 'search results');
      this.urls.add(p.url);
      this.results.push(p);
    }
    const supports: unknown[] = Array.isArray(metadata.groundingSupports) ? metadata.groundingSupports : [];
    for (const support of supports) {
      if (!isObject(support) || !isObject(support.segment) || !Array.isArray(support.groundingChunkIndices)) continue;
      const segment = support.segment;
      // Protobuf JSON leaves zeros out: a segment without startIndex starts at 0.
      const startByte = typeof segment.startIndex === 'number' && segment.startIndex > 0 ? segment.startIndex : 0;
      const endByte = typeof segment.endIndex === 'number' ? Math.max(startByte, segment.endIndex) : startByte;
      for (const index of support.groundingChunkIndices as unknown[]) {
        const p = typeof index === 'number' ? pages[index] : undefined;
        if (p === undefined) continue;
        const key = `${startByte}:${endByte}:${p.url}`;
        if (this.cited.has(key)) continue;
        if (this.citations.length >= MAX_UPSTREAM_ITEMS) throw upstreamTooMany(this.backendId, 'citations');
        this.cited.add(key);
        this.citations.push({ url: p.url, ...(p.title !== undefined ? { title: p.title } : {}), ...(typeof segment.text === 'string' ? { citedText: segment.text } : {}), startByte, endByte });
      }
    }
  }

  /**
   * The citations (when the response text is known), then the searches. `idPrefix` + the
   * query's place is each search's id. Citations come first as they cite the text just
   * streamed: a search after it opens a block of its own (an Anthropic client's
   * `server_tool_use`), and a citation after that one would land on a new, empty text block.
   */
  events(idPrefix: string, text: string | undefined, out: LipEvent[]): void {
    if (text !== undefined) {
      for (const { startByte, endByte, ...citation } of this.citations) {
        const start = utf16Offset(text, startByte);
        out.push({ type: 'citation', ...citation, start, end: Math.max(start, utf16Offset(text, endByte)), dialect: SEARCH_DIALECTS.gemini });
      }
    }
    this.queries.forEach((query, i) => {
      const results = i === 0 && this.results.length > 0 ? { results: this.results } : {};
      const entryPoint = i === 0 && this.entryPoint !== undefined ? { entryPoint: this.entryPoint } : {};
      out.push({ type: 'web_search', id: `${idPrefix}${i}`, status: 'completed', query, ...results, dialect: SEARCH_DIALECTS.gemini, ...entryPoint });
    });
  }
}

/** A grounding chunk's web page, when it is one with a url. */
function page(chunk: unknown): WebSearchResult | undefined {
  const web = isObject(chunk) && isObject(chunk.web) ? chunk.web : undefined;
  if (web === undefined || typeof web.uri !== 'string' || web.uri.length === 0) return undefined;
  return { url: web.uri, ...(typeof web.title === 'string' ? { title: web.title } : {}) };
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null;
}
