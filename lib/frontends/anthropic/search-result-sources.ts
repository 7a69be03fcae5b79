import type { Call, CollectedCitation, Part } from '../../canonical/index.js';

/** A search result of the request: its place among the request's search results, its title, how many text blocks it holds. */
export interface SearchResultSource {
  readonly index: number;
  readonly title: string;
  readonly blocks: number;
}

/**
 * The request's search results (`search_result` blocks of user turns and tool results) by
 * source, each with its index among them in the order the request holds them (Anthropic's
 * `search_result_index`; the first of several with one source stands for them); undefined when the
 * request holds none.
 */
export function searchResultSources(call: Call): ReadonlyMap<string, SearchResultSource> | undefined {
  let sources: Map<string, SearchResultSource> | undefined;
  let index = 0;
  const add = (part: Part) => {
    if (part.type !== 'search_result') return;
    sources ??= new Map();
    if (!sources.has(part.source)) sources.set(part.source, { index, title: part.title, blocks: part.content.length });
    index++;
  };
  for (const message of call.messages) {
    for (const part of message.parts) {
      add(part);
      if (part.type === 'tool_result' && typeof part.content !== 'string') for (const inner of part.content) add(inner);
    }
  }
  return sources;
}

/**
 * A citation of a url that is the source of one of the request's search results, as a citation of
 * that search result: a provider without search-result blocks read the result as text
 * (lib/backends/search-results.ts) and cites its source as a url, so it says neither which blocks
 * it cites nor their text; the citation covers all the result's blocks, under the result's own
 * title. Any other citation, and one that already names its location, as it is.
 *
 * ```ts
 * citingSearchResult({ url: 'https://docs.example/api', start: 5, end: 9 }, sources)
 * // { url: 'https://docs.example/api', title: 'API Reference', searchResult: { index: 1, start: 0, end: 2 }, start: 5, end: 9 }
 * ```
 * @see spec/e2e/regression-search-result-citations-across.spec.ts
 */
export function citingSearchResult<C extends CollectedCitation>(c: C, sources: ReadonlyMap<string, SearchResultSource> | undefined): C {
  if (sources === undefined || c.url === undefined || c.searchResult !== undefined || c.document !== undefined) return c;
  const source = sources.get(c.url);
  return source === undefined ? c : { ...c, title: source.title, searchResult: { index: source.index, start: 0, end: source.blocks } };
}
