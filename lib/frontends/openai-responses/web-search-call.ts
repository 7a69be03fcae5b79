import type { CitationEvent, ToolDefinition, WebSearchOptions, WebSearchPart, WebSearchResult } from '../../canonical/index.js';
import { SEARCH_DIALECTS, WEB_SEARCH_TOOL_NAME } from '../../canonical/index.js';
import { derivedId } from '../../wire/ids.js';

type Json = Record<string, any>; // validated by responsesRequestSchema before any field is read

/** The tool types of OpenAI's hosted web search (the current one, its dated form, the preview ones). */
export const WEB_SEARCH_TOOL_TYPES: ReadonlySet<string> = new Set(['web_search', 'web_search_2025_08_26', 'web_search_preview', 'web_search_preview_2025_03_11']);

/** `include` values that ask for a search's sources in `web_search_call.action` (the second is the older name). */
const SOURCES_INCLUDES = ['web_search_call.action.sources', 'web_search_call.results'];

/** Whether an `include` list asks for the sources of web searches. */
export function includesSearchSources(include: unknown): boolean {
  return Array.isArray(include) && SOURCES_INCLUDES.some((value) => include.includes(value));
}

/**
 * A `web_search` tool (any of WEB_SEARCH_TOOL_TYPES) -> the canonical hosted web search:
 * `filters.allowed_domains` -> `allowedDomains`, the approximate `user_location` ->
 * `userLocation`, `search_context_size` -> `contextSize`, `external_web_access` -> `liveAccess`;
 * the declaration itself is kept for a backend of this dialect, which sends it as written
 * (`search_content_types` of the preview tool reaches only such a backend).
 *
 * ```ts
 * webSearchTool({ type: 'web_search', external_web_access: false })
 * // { name: 'web_search', parameters: {}, kind: 'web_search', webSearch: { liveAccess: false },
 * //   providerTool: { dialect: 'openai.responses.web_search', definition: { type: 'web_search', external_web_access: false } } }
 * ```
 */
export function webSearchTool(t: Json): ToolDefinition {
  const domains: string[] | undefined = t.filters?.allowed_domains ?? undefined;
  const location = userLocation(t.user_location);
  const options: WebSearchOptions = {
    ...(domains !== undefined && domains.length > 0 ? { allowedDomains: domains } : {}),
    ...(location !== undefined ? { userLocation: location } : {}),
    ...(typeof t.search_context_size === 'string' ? { contextSize: t.search_context_size as 'low' | 'medium' | 'high' } : {}),
    ...(typeof t.external_web_access === 'boolean' ? { liveAccess: t.external_web_access } : {}),
  };
  return {
    name: WEB_SEARCH_TOOL_NAME, parameters: {}, kind: 'web_search',
    ...(Object.keys(options).length > 0 ? { webSearch: options } : {}),
    providerTool: { dialect: SEARCH_DIALECTS.openaiResponses, definition: t },
  };
}

function userLocation(l: Json | null | undefined): WebSearchOptions['userLocation'] {
  if (l === undefined || l === null) return undefined;
  const fields = ['city', 'region', 'country', 'timezone'] as const;
  const out: { -readonly [K in (typeof fields)[number]]?: string } = {};
  for (const field of fields) if (typeof l[field] === 'string' && l[field].length > 0) out[field] = l[field];
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * A `web_search_call` input item -> a web search of this dialect in the assistant turn: the
 * query (`action.query`, else the first of `action.queries`), the sources as results (an
 * `open_page` or `find_in_page` action: its page), `failed` when the item says so, `completed`
 * otherwise. Codex CLI sends the item without its id: the part then gets one derived from its
 * place and action (backends send these items back without ids anyway).
 */
export function webSearchPart(item: Json, path: string): WebSearchPart {
  const action: Json = item.action ?? {};
  const query = typeof action.query === 'string' ? action.query : Array.isArray(action.queries) && typeof action.queries[0] === 'string' ? action.queries[0] : undefined;
  const results: WebSearchResult[] | undefined = Array.isArray(action.sources)
    ? (action.sources as Json[]).map((s) => ({ url: s.url, ...(typeof s.title === 'string' ? { title: s.title } : {}) }))
    : typeof action.url === 'string' && action.url.length > 0 ? [{ url: action.url }] : undefined;
  return {
    type: 'web_search',
    id: typeof item.id === 'string' && item.id.length > 0 ? item.id : derivedId('ws_', `${path}/${JSON.stringify(action)}`),
    status: item.status === 'failed' ? 'failed' : 'completed',
    ...(query !== undefined ? { query } : {}),
    ...(results !== undefined ? { results } : {}),
    dialect: SEARCH_DIALECTS.openaiResponses,
  };
}

/** The id a search shows as a `web_search_call` item: its own when it is this dialect's, else a `ws_` id made from it (the same each time). */
export function webSearchItemId(search: { readonly id: string; readonly dialect?: string }): string {
  return search.dialect === SEARCH_DIALECTS.openaiResponses ? search.id : derivedId('ws_', search.id);
}

/** The status of a `web_search_call` item. */
export type WebSearchCallStatus = 'in_progress' | 'searching' | 'completed' | 'failed';

/** What a search's `action` is made of. */
export interface SearchAction {
  readonly query?: string;
  readonly results?: readonly WebSearchResult[];
}

/**
 * A `web_search_call` item. `search`: the search once it ran, written as a `search` action with
 * its query and, when `sources` (the client's `include` asked for them) and the provider
 * reported results, their URLs as `sources`.
 */
export function webSearchCallItem(id: string, status: WebSearchCallStatus, search?: SearchAction, sources = false): Record<string, unknown> {
  return { id, type: 'web_search_call', status, ...(search !== undefined ? { action: searchAction(search, sources) } : {}) };
}

function searchAction(search: SearchAction, sources: boolean): Record<string, unknown> {
  return {
    type: 'search',
    ...(search.query !== undefined ? { query: search.query } : {}),
    ...(sources && search.results !== undefined ? { sources: search.results.map((r) => ({ type: 'url', url: r.url })) } : {}),
  };
}

/** A citation as a `url_citation` annotation; `start` / `end` already made offsets in its output_text. */
export function urlCitation(citation: Pick<CitationEvent, 'url' | 'title'>, start: number, end: number): Record<string, unknown> {
  return { type: 'url_citation', start_index: start, end_index: end, url: citation.url, title: citation.title ?? '' };
}
