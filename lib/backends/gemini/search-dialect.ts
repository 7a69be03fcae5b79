/**
 * The dialect of Gemini's Google Search: a `googleSearch` declaration a Gemini client wrote, and
 * the searches this backend reports (`SEARCH_DIALECTS.gemini` once lib/canonical/dialect-registry.ts
 * lists the search dialects; the gemini frontend has the same constant).
 */
export const GEMINI_SEARCH_DIALECT = 'gemini.google_search';
