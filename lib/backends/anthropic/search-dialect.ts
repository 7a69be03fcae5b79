/**
 * Stand-in for `SEARCH_DIALECTS` of lib/canonical/dialect-registry.ts, which the web search design
 * names but canonical/ does not export yet: the same value, so that importing the canonical one
 * instead is the only change when it lands.
 */
export const SEARCH_DIALECTS = { anthropic: 'anthropic.web_search' } as const;
