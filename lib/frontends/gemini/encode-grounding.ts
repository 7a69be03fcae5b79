import type { CollectedCitation, WebSearchResult } from '../../canonical/index.js';
import { utf8Offset } from '../../wire/utf8-offsets.js';

type Json = Record<string, unknown>;

/** What grounding needs of one hosted web search (a `web_search` event or a collected block). */
export interface GroundingSearch {
  readonly status: 'searching' | 'completed' | 'failed';
  readonly query?: string;
  readonly results?: readonly WebSearchResult[];
  readonly entryPoint?: string;
}

/**
 * Hosted web searches and citations (of any dialect) as a candidate's `groundingMetadata`:
 * `webSearchQueries` are the queries of the searches that did not fail, in order;
 * `searchEntryPoint` the first search's `entryPoint` (Google's search suggestions), when it has one;
 * `groundingChunks` the pages (`{web: {uri, title}}`), the searches' results then the cited
 * urls not among them, one per url in order of first appearance; `groundingSupports` one per
 * cited span, its `segment` in UTF-8 byte offsets of `text` (the candidate's text; Gemini leaves
 * a zero `startIndex` out, as protobuf JSON does) with the text it covers, and the indices of the
 * chunks it cites. Without `text` (not kept) there are no supports. Undefined when there is
 * nothing to report.
 *
 * ```ts
 * groundingMetadata([{ status: 'completed', query: 'q', results: [{ url: 'u', title: 't' }] }], [{ url: 'u', start: 0, end: 2 }], 'né!')
 * // { webSearchQueries: ['q'], groundingChunks: [{ web: { uri: 'u', title: 't' } }],
 * //   groundingSupports: [{ segment: { endIndex: 3, text: 'né' }, groundingChunkIndices: [0] }] }
 * ```
 * @see spec/frontends/gemini/encode-grounding.spec.ts
 */
export function groundingMetadata(searches: Iterable<GroundingSearch>, citations: readonly CollectedCitation[], text: string | undefined): Json | undefined {
  const queries: string[] = [];
  let entryPoint: string | undefined;
  const chunks: { web: { uri: string; title?: string } }[] = [];
  const chunkOf = new Map<string, number>();
  const chunk = (url: string, title: string | undefined): number => {
    let at = chunkOf.get(url);
    if (at === undefined) {
      at = chunks.push({ web: { uri: url, ...(title !== undefined ? { title } : {}) } }) - 1;
      chunkOf.set(url, at);
    } else if (title !== undefined && chunks[at]!.web.title === undefined) chunks[at]!.web.title = title;
    return at;
  };
  for (const search of searches) {
    if (search.status === 'failed') continue;
    if (search.query !== undefined && search.query.length > 0) queries.push(search.query);
    entryPoint ??= search.entryPoint;
    for (const result of search.results ?? []) chunk(result.url, result.title);
  }
  const supports = new Map<string, { segment: Json; groundingChunkIndices: number[] }>();
  for (const citation of citations) {
    if (citation.url === undefined) continue; // a document's: grounding names web pages only
    const index = chunk(citation.url, citation.title);
    if (text === undefined) continue;
    const start = Math.max(0, Math.min(citation.start, text.length));
    const end = Math.max(start, Math.min(citation.end, text.length));
    const key = `${start}:${end}`;
    const support = supports.get(key);
    if (support) {
      if (!support.groundingChunkIndices.includes(index)) support.groundingChunkIndices.push(index);
      continue;
    }
    const from = utf8Offset(text, start);
    const segment = { ...(from > 0 ? { startIndex: from } : {}), endIndex: utf8Offset(text, end), text: text.slice(start, end) };
    supports.set(key, { segment, groundingChunkIndices: [index] });
  }
  if (queries.length === 0 && chunks.length === 0) return undefined;
  return {
    ...(queries.length > 0 ? { webSearchQueries: queries } : {}),
    ...(entryPoint !== undefined ? { searchEntryPoint: { renderedContent: entryPoint } } : {}),
    ...(chunks.length > 0 ? { groundingChunks: chunks } : {}),
    ...(supports.size > 0 ? { groundingSupports: [...supports.values()] } : {}),
  };
}
