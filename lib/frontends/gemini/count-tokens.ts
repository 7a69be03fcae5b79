import { LipError } from '../../errors/index.js';
import type { CountTokensRoute } from '../protocol.js';
import { resolveGeminiFiles, resolveGeminiReferences } from './files.js';
import { badField } from './decode-contents.js';
import { modelOfPath } from './model-path.js';
import { decodeGenerateContent } from './decode-request.js';


/**
 * `POST /v1beta/models/{model}:countTokens` (and `/v1/...`, `/v1beta1/...`, `/v1alpha/...`), answered
 * `{"totalTokens": N}`. The body is either `contents` alone (what the SDK's
 * `models.countTokens` sends) or a whole `generateContentRequest` (system instruction, tools and
 * generation config count too), decoded like a generation (a 400 names the field, under
 * `generateContentRequest.` for the second form). lip's own estimate says so: `"estimated": true`.
 */
export const geminiCountTokensRoute: CountTokensRoute = {
  path: '/v1beta/models/{model}:countTokens',
  match: (pathname) => modelOfPath(pathname, 'countTokens'),
  // A whole request may name a cached content: it counts as the request would run.
  resolveReferences(body, responses, params) {
    const b = body !== null && typeof body === 'object' && !Array.isArray(body) ? body as Record<string, unknown> : undefined;
    if (b === undefined) return undefined;
    const key = b.generateContentRequest !== undefined ? 'generateContentRequest' : 'generate_content_request';
    // `contents` alone (the SDK's countTokens) may name files; a whole request also a cached content.
    if (b[key] === undefined || b[key] === null) return resolveGeminiFiles(b, responses);
    const resolving = resolveGeminiReferences(b[key], responses, params);
    return resolving?.then((inner) => ({ ...b, [key]: inner }), (err: unknown) => {
      throw err instanceof LipError && err.param !== undefined ? underRequest(err) : err;
    });
  },
  decode(body, context) {
    const model = context.params.model ?? '';
    const b = body !== null && typeof body === 'object' && !Array.isArray(body) ? body as Record<string, unknown> : undefined;
    if (!b) throw badField('body', 'must be a JSON object');
    const whole = b.generateContentRequest ?? b.generate_content_request;
    if (whole === undefined || whole === null) return { call: decodeGenerateContent({ contents: b.contents }, model, false).call };
    if (b.contents !== undefined) throw badField('contents', 'send contents or generateContentRequest, not both');
    try {
      return { call: decodeGenerateContent(whole, model, false).call };
    } catch (err) {
      throw err instanceof LipError && err.param !== undefined ? underRequest(err) : err;
    }
  },
  encode: (count) => ({ totalTokens: count.inputTokens, ...(count.estimated ? { estimated: true } : {}) }),
};

/** A decode error of the inner request, named by its place in the count body. */
function underRequest(err: LipError): LipError {
  const param = `generateContentRequest.${err.param!}`;
  const message = err.message.startsWith(`${err.param!}:`) ? `generateContentRequest.${err.message}` : err.message;
  return new LipError(err.code, message, { param, status: err.status, ...(err.detail ? { detail: err.detail } : {}) });
}
