/** The API versions of Gemini's paths (the SDKs' `apiVersion`): `v1beta` (their default), `v1beta1`, `v1alpha` and `v1`. */
export const GEMINI_VERSIONS: readonly string[] = ['v1beta', 'v1beta1', 'v1alpha', 'v1'];

const METHOD_PATH = new RegExp(`^/(?:${GEMINI_VERSIONS.join('|')})/models/(.+)(?::|%3[Aa])([A-Za-z]+)$`);

/**
 * `/v1beta/models/{model}:{method}` (and under the other GEMINI_VERSIONS): the model of a Gemini method path,
 * percent-decoded (kept raw when the escapes are malformed: the backend then says it does not
 * know the model) and without its `models/` prefix; undefined when the path is another method's.
 * Model ids may hold `:` and `/` (`stub:stub-default`, `openrouter:meta/llama`): the method is
 * the last `:` segment, that colon written as it is or percent-encoded (`%3A`, as some HTTP
 * clients encode a colon in a path segment).
 *
 * ```ts
 * modelOfPath('/v1beta/models/gemini-2.5-flash:countTokens', 'countTokens') // { model: 'gemini-2.5-flash' }
 * ```
 */
export function modelOfPath(pathname: string, method: string): { model: string } | undefined {
  const m = METHOD_PATH.exec(pathname);
  if (!m || m[2] !== method) return undefined;
  let model = m[1]!;
  try {
    model = decodeURIComponent(model);
  } catch {
    // keep the raw text
  }
  return { model: model.startsWith('models/') ? model.slice(7) : model };
}
