/**
 * The URL of one endpoint under a row's `base_url`: `path` appended to the base's path, and the
 * base's query kept after it (Azure's `?api-version=...`), then a query of `path`'s own.
 * Trailing slashes of the base's path are dropped. Appending to the text instead sent
 * `...?api-version=2024-10-21/chat/completions`. (A fragment is refused when the config loads.)
 *
 * ```ts
 * endpointUrl('https://r.openai.azure.com/openai/deployments/gpt-4o?api-version=2024-10-21', '/chat/completions')
 * // 'https://r.openai.azure.com/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21'
 * endpointUrl('https://api.anthropic.com/', '/v1/models?limit=1000') // 'https://api.anthropic.com/v1/models?limit=1000'
 * ```
 * @see spec/backends/http/endpoint-url.spec.ts
 */
export function endpointUrl(base: string, path: string): string {
  const [basePath, baseQuery] = splitQuery(base);
  const [ownPath, ownQuery] = splitQuery(path);
  const query = [baseQuery, ownQuery].filter((q) => q.length > 0).join('&');
  return `${basePath.replace(/\/+$/, '')}${ownPath}${query ? `?${query}` : ''}`;
}

/** A base URL's path without its query: what a kind checks the ending of. */
export function basePath(base: string): string {
  return splitQuery(base)[0].replace(/\/+$/, '');
}

function splitQuery(url: string): [path: string, query: string] {
  const at = url.indexOf('?');
  return at < 0 ? [url, ''] : [url.slice(0, at), url.slice(at + 1)];
}
