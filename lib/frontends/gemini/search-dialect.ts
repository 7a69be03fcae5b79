/**
 * The dialect of a Gemini client's `googleSearch` declaration and of the searches a gemini
 * backend reports (`SEARCH_DIALECTS.gemini` once lib/canonical/dialect-registry.ts lists the
 * search dialects; the gemini backend has the same constant).
 */
export const GEMINI_SEARCH_DIALECT = 'gemini.google_search';
