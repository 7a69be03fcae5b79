import type { CitationEvent, ToolDefinition, WebSearchEvent, WebSearchPart, WebSearchResult } from '../../canonical/index.js';
import { SEARCH_DIALECTS } from '../../canonical/index.js';

type Json = Record<string, any>;

/** What a request adds to `include` so that a `web_search_call` lists the sources it found. */
export const SEARCH_SOURCES_INCLUDE = 'web_search_call.action.sources';

/**
 * The call's hosted web search as a Responses tool: a Responses client's own declaration as it
 * wrote it, else `{type: "web_search"}` with the options the API has (`filters.allowed_domains`,
 * an approximate `user_location`, `search_context_size`, `external_web_access`); `maxUses` and
 * `blockedDomains` have no Responses form and are left out.
 *
 * ```ts
 * webSearchToolBody({ name: 'web_search', parameters: {}, kind: 'web_search', webSearch: { maxUses: 3, allowedDomains: ['a.com'] } })
 * // { type: 'web_search', filters: { allowed_domains: ['a.com'] } }
 * ```
 */
export function webSearchToolBody(tool: ToolDefinition): Json {
  if (tool.providerTool?.dialect === SEARCH_DIALECTS.openaiResponses) return { ...tool.providerTool.definition };
  const o = tool.webSearch ?? {};
  return {
    type: 'web_search',
    ...(o.allowedDomains !== undefined && o.allowedDomains.length > 0 ? { filters: { allowed_domains: [...o.allowedDomains] } } : {}),
    ...(o.userLocation !== undefined ? { user_location: { type: 'approximate', ...o.userLocation } } : {}),
    ...(o.contextSize !== undefined ? { search_context_size: o.contextSize } : {}),
    ...(o.liveAccess !== undefined ? { external_web_access: o.liveAccess } : {}),
  };
}

/**
 * A web search of this dialect in the history as a `web_search_call` input item: its status and
 * a `search` action with the query and the sources. Sent without its id, as Codex CLI sends it:
 * lip keeps nothing upstream (`store: false`), so the item stands for itself.
 */
export function webSearchCallInput(part: WebSearchPart): Json {
  return {
    type: 'web_search_call', status: part.status,
    action: {
      type: 'search',
      ...(part.query !== undefined ? { query: part.query } : {}),
      ...(part.results !== undefined ? { sources: part.results.map((r) => ({ type: 'url', url: r.url })) } : {}),
    },
  };
}

/**
 * A `web_search_call` output item as a canonical search. `searching` when it is added (its query
 * when the item already has one); done: `failed` when the item says so, else `completed`, with
 * the query (`action.query`, else the first of `action.queries`) and the sources as results. An
 * `open_page` or `find_in_page` action is a completed search without a query whose one result
 * is the page.
 */
export function webSearchEvent(id: string, item: Json, done: boolean): WebSearchEvent {
  const action: Json = typeof item.action === 'object' && item.action !== null ? item.action : {};
  const query = typeof action.query === 'string' ? action.query : Array.isArray(action.queries) && typeof action.queries[0] === 'string' ? action.queries[0] : undefined;
  const status = !done ? 'searching' : item.status === 'failed' ? 'failed' : 'completed';
  const results = done ? resultsOf(action) : undefined;
  return {
    type: 'web_search', id, status,
    ...(query !== undefined ? { query } : {}),
    ...(results !== undefined ? { results } : {}),
    dialect: SEARCH_DIALECTS.openaiResponses,
  };
}

function resultsOf(action: Json): WebSearchResult[] | undefined {
  if (Array.isArray(action.sources)) {
    return (action.sources as unknown[]).flatMap((s) => {
      if (typeof s !== 'object' || s === null || typeof (s as Json).url !== 'string') return [];
      const title = (s as Json).title;
      return [{ url: (s as Json).url as string, ...(typeof title === 'string' ? { title } : {}) }];
    });
  }
  return typeof action.url === 'string' && action.url.length > 0 ? [{ url: action.url }] : undefined;
}

/**
 * A `url_citation` annotation as a canonical citation; `partStart` is where its output_text
 * starts in the response's text. Other annotation types (file citations, paths) and malformed
 * ones: undefined.
 */
export function citationEvent(annotation: unknown, partStart: number): CitationEvent | undefined {
  if (typeof annotation !== 'object' || annotation === null) return undefined;
  const a = annotation as Json;
  if (a.type !== 'url_citation' || typeof a.url !== 'string') return undefined;
  const start = Number.isInteger(a.start_index) && a.start_index >= 0 ? a.start_index as number : 0;
  const end = Number.isInteger(a.end_index) && a.end_index >= start ? a.end_index as number : start;
  return {
    type: 'citation', url: a.url, ...(typeof a.title === 'string' && a.title.length > 0 ? { title: a.title } : {}),
    start: partStart + start, end: partStart + end, dialect: SEARCH_DIALECTS.openaiResponses,
  };
}
