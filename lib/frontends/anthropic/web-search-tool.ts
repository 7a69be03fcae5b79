import type { ToolDefinition, WebSearchOptions } from '../../canonical/index.js';
import { SEARCH_DIALECTS, WEB_SEARCH_TOOL_NAME } from '../../canonical/index.js';
import { cacheOf } from '../cache-control.js';
import { badField } from './decode-content.js';
import { CARRIED_APART, toolFields } from './client-tools.js';

type Json = Record<string, any>; // validated by messagesRequestSchema before any field is read

/** Anthropic's web search server tool, by the date of its version (`web_search_20250305`, `web_search_20260209`). */
const WEB_SEARCH = /^web_search_\d{8}$/;

/** Whether a tool `type` names a version of Anthropic's web search tool. */
export function isWebSearchTool(type: unknown): boolean {
  return typeof type === 'string' && WEB_SEARCH.test(type);
}

/**
 * Anthropic's web search tool as the canonical hosted web search: `max_uses`, `allowed_domains`,
 * `blocked_domains` and the approximate `user_location` as its options (types checked by the
 * request schema), the declaration as the client wrote it (less the cache mark, deferral and
 * callers, which lip carries itself: client-tools.ts) for an Anthropic backend to send on.
 * Giving both domain lists is a 400, as Anthropic's own API answers.
 *
 * ```ts
 * webSearchTool({ type: 'web_search_20250305', name: 'web_search', max_uses: 3 }, 0)
 * // { name: 'web_search', kind: 'web_search', parameters: {}, webSearch: { maxUses: 3 },
 * //   providerTool: { dialect: 'anthropic.web_search', definition: { type: 'web_search_20250305', name: 'web_search', max_uses: 3 } } }
 * ```
 */
export function webSearchTool(t: Json, i: number): ToolDefinition {
  if (t.name !== WEB_SEARCH_TOOL_NAME) throw badField(`tools[${i}].name`, `must be "${WEB_SEARCH_TOOL_NAME}" for a ${t.type} tool`);
  if (isSet(t.allowed_domains) && isSet(t.blocked_domains)) throw badField(`tools[${i}].blocked_domains`, 'cannot be given with allowed_domains (give one of the two lists)');
  const o: { -readonly [K in keyof WebSearchOptions]: WebSearchOptions[K] } = {};
  if (isSet(t.max_uses)) o.maxUses = t.max_uses;
  if (isSet(t.allowed_domains)) o.allowedDomains = t.allowed_domains;
  if (isSet(t.blocked_domains)) o.blockedDomains = t.blocked_domains;
  const where = t.user_location as Json | null | undefined;
  if (isSet(where)) {
    const location = Object.fromEntries(['city', 'region', 'country', 'timezone'].filter((k) => typeof where![k] === 'string').map((k) => [k, where![k] as string]));
    if (Object.keys(location).length > 0) o.userLocation = location;
  }
  return {
    name: WEB_SEARCH_TOOL_NAME,
    kind: 'web_search',
    parameters: {},
    ...(Object.keys(o).length > 0 ? { webSearch: o } : {}),
    providerTool: { dialect: SEARCH_DIALECTS.anthropic, definition: Object.fromEntries(Object.entries(t).filter(([key]) => !CARRIED_APART.has(key))) },
    ...toolFields(t),
    ...cacheOf(t),
  };
}

function isSet(value: unknown): boolean {
  return value !== undefined && value !== null;
}
