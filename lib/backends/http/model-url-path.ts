import { LipError } from '../../errors/index.js';

/**
 * `text` as one URL path segment, the way the AWS SDKs put a model id there: every reserved
 * character percent-encoded once (`/` -> `%2F`, `:` -> `%3A`, `#`, `?`, `%`, and `!'()*`).
 *
 * ```ts
 * pathSegment('arn:aws:bedrock:us-east-1::foundation-model/x') // 'arn%3Aaws%3Abedrock%3Aus-east-1%3A%3Afoundation-model%2Fx'
 * ```
 */
export function pathSegment(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * A client's model id as the URL path under a backend's own prefix (Gemini's
 * `{version}/`, Bedrock's `/model/`). Split at `/` when the provider's ids name nested resources
 * (Gemini's `models/x`, `tunedModels/x`), else one segment (a Bedrock ARN's `/` is `%2F`); each
 * segment percent-encoded, so that a `#` or `?` cannot end the path and a `:` cannot name
 * another method. A model with an empty, `.` or `..` segment is refused with a 400: encoding
 * leaves dots as they are, and a server that normalises the path would climb out of the
 * prefix (`models/../../v1/corpora/x`), to what no route or key's `allow` names.
 *
 * ```ts
 * modelUrlPath('ge', 'tunedModels/a#b', { nested: true }) // 'tunedModels/a%23b'
 * modelUrlPath('ge', 'x/../../v1', { nested: true })      // throws LIP_ERR_REQUEST_INVALID
 * ```
 * @see spec/e2e/regression-gemini-model-path-traversal.spec.ts
 */
export function modelUrlPath(backend: string, model: string, options: { readonly nested: boolean }): string {
  const segments = options.nested ? model.split('/') : [model];
  const bad = segments.find((s) => s === '' || s === '.' || s === '..');
  if (bad !== undefined) {
    const what = bad === '' ? 'an empty path segment' : `a "${bad}" path segment`;
    const shown = model.length > 200 ? `${model.slice(0, 200)}…` : model;
    throw new LipError('LIP_ERR_REQUEST_INVALID', `model "${shown}" cannot be sent to backend "${backend}": ${what} would leave the upstream's model path (a model id is a name${options.nested ? ' or collection/name' : ''}, without "." or ".." segments)`, {
      detail: { backend },
    });
  }
  return segments.map(pathSegment).join('/');
}
