import type { CollectedCitation, DocumentLocation, WebSearchEvent, WebSearchResult } from '../../canonical/index.js';
import { CALL_LIMITS, SEARCH_DIALECTS } from '../../canonical/index.js';
import { LipError } from '../../errors/index.js';

type Json = Record<string, unknown>;

/** A hosted web search as the encoders write it: the event's fields that the blocks need. */
export type Search = Pick<WebSearchEvent, 'id' | 'status' | 'query' | 'results' | 'error' | 'dialect'>;

/**
 * The wire forms of a hosted web search in Anthropic Messages: the `server_tool_use` id, the
 * `web_search_tool_result` content and the `web_search_result_location` citation, for searches
 * and citations of any dialect. Anthropic's own (`SEARCH_DIALECTS.anthropic`) keep their ids and
 * encrypted fields; another provider's get an id of Anthropic's form that carries the search's
 * own id and dialect (`srvtoolu_lip1_<hex>`: letters and digits, as Anthropic's ids are), so that
 * the search the client sends back in its history regains them, and empty encrypted fields
 * (which only Anthropic reads, and only its own).
 * @see spec/frontends/anthropic/web-search.spec.ts
 */
const SEALED = 'srvtoolu_lip1_';
const HEX = /^(?:[0-9a-f]{2})+$/;
const MAX_SEALED_CHARS = SEALED.length + 4 * CALL_LIMITS.idChars;

/** Whether a search's ids and encrypted data are Anthropic's own. */
export function isOwnSearch(dialect: string | undefined): boolean {
  return dialect === SEARCH_DIALECTS.anthropic;
}

/** The `server_tool_use` id of a search: its own id in Anthropic's dialect, else one carrying the id and dialect. */
export function searchWireId(search: Pick<Search, 'id' | 'dialect'>): string {
  if (isOwnSearch(search.dialect)) return search.id;
  return SEALED + Buffer.from(JSON.stringify([search.dialect ?? null, search.id]), 'utf8').toString('hex');
}

/**
 * A `server_tool_use` id from the client's history taken apart: an id lip made for another
 * dialect's search gives back that search's id and dialect (none when it had none); any other id
 * is Anthropic's. A broken one is a 400 naming the field.
 */
export function openSearchId(wireId: string, path: string): { id: string; dialect?: string } {
  if (!wireId.startsWith(SEALED)) return { id: wireId, dialect: SEARCH_DIALECTS.anthropic };
  const hex = wireId.slice(SEALED.length);
  if (wireId.length > MAX_SEALED_CHARS || !HEX.test(hex)) throw broken(path);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(hex, 'hex').toString('utf8'));
  } catch {
    throw broken(path);
  }
  if (!Array.isArray(value) || value.length !== 2 || (value[0] !== null && typeof value[0] !== 'string') || typeof value[1] !== 'string' || value[1].length === 0) throw broken(path);
  return { id: value[1] as string, ...(typeof value[0] === 'string' ? { dialect: value[0] } : {}) };
}

function broken(path: string): LipError {
  return new LipError('LIP_ERR_REQUEST_INVALID', `${path}: a server_tool_use id lip made for another provider's search that does not decode`, { param: path });
}

/**
 * The content of a search's `web_search_tool_result`: its results as `web_search_result`s
 * (`encrypted_content` empty unless the search is Anthropic's own; `page_age` null when unknown;
 * `title` the url when the provider gave none: OpenAI lists sources as urls only, and a client
 * such as Claude Code shows each result by its title), or a `web_search_tool_result_error` with the
 * provider's code (`unavailable` when it gave none).
 */
export function searchResultContent(search: Search): Json | Json[] {
  if (search.status === 'failed') return { type: 'web_search_tool_result_error', error_code: search.error ?? 'unavailable' };
  const own = isOwnSearch(search.dialect);
  return (search.results ?? []).map((r) => ({
    type: 'web_search_result', url: r.url, title: r.title ?? r.url, encrypted_content: own ? r.encrypted ?? '' : '', page_age: r.pageAge ?? null,
  }));
}

/** The `server_tool_use` block of a finished search (its `input` is the query). */
export function serverToolUseBlock(search: Search, query = search.query): Json {
  return { type: 'server_tool_use', id: searchWireId(search), name: 'web_search', input: query !== undefined ? { query } : {} };
}

/** The `web_search_tool_result` block of a finished search. */
export function searchResultBlock(search: Search): Json {
  return { type: 'web_search_tool_result', tool_use_id: searchWireId(search), content: searchResultContent(search) };
}

/**
 * A citation as a `web_search_result_location`: `cited_text` the provider's, else the span of the
 * response text it covers (`text`); `encrypted_index` only for Anthropic's own.
 */
export function citationLocation(c: Omit<CollectedCitation, 'start' | 'end'>, text: string): Json {
  if (c.document !== undefined) return documentLocation(c.document, c.citedText ?? text);
  if (c.searchResult !== undefined) {
    return {
      type: 'search_result_location', cited_text: c.citedText ?? text, source: c.url ?? '', title: c.title ?? null,
      search_result_index: c.searchResult.index, start_block_index: c.searchResult.start, end_block_index: c.searchResult.end,
    };
  }
  return {
    type: 'web_search_result_location', cited_text: c.citedText ?? text, url: c.url, title: c.title ?? null,
    encrypted_index: isOwnSearch(c.dialect) ? c.encryptedIndex ?? '' : '',
  };
}

/**
 * A citation of a request document as Anthropic writes it: `char_location` (character range),
 * `page_location` (pages of a PDF) or `content_block_location` (blocks of a custom-content
 * document), each with `document_index`, `document_title` (null when none) and `cited_text`.
 */
export function documentLocation(d: DocumentLocation, citedText: string): Json {
  const common = { cited_text: citedText, document_index: d.index, document_title: d.title ?? null, ...(d.fileId !== undefined ? { file_id: d.fileId } : {}) };
  switch (d.kind) {
    case 'char': return { type: 'char_location', ...common, start_char_index: d.start, end_char_index: d.end };
    case 'page': return { type: 'page_location', ...common, start_page_number: d.start, end_page_number: d.end };
    case 'block': return { type: 'content_block_location', ...common, start_block_index: d.start, end_block_index: d.end };
  }
}

/**
 * A `web_search_result` of the client's history as a canonical result (a title that is only the
 * url, as lip writes a result that had none, is no title).
 */
export function resultOf(r: Json): WebSearchResult {
  return {
    url: r.url as string,
    ...(typeof r.title === 'string' && r.title.length > 0 && r.title !== r.url ? { title: r.title } : {}),
    ...(typeof r.page_age === 'string' ? { pageAge: r.page_age } : {}),
    ...(typeof r.encrypted_content === 'string' && r.encrypted_content.length > 0 ? { encrypted: r.encrypted_content } : {}),
  };
}
