import { LipError } from '../../errors/index.js';
import type { CountTokensRoute, DecodedRequest } from '../protocol.js';
import { resolveGeminiFiles, resolveGeminiReferences } from './files.js';
import { badField } from './decode-contents.js';
import { modelOfPath } from './model-path.js';
import { decodeGenerateContent } from './decode-request.js';


/**
 * `POST /v1beta/models/{model}:countTokens` (and `/v1/...`, `/v1beta1/...`, `/v1alpha/...`), answered
 * `{"totalTokens": N}`. The body is either `contents` alone (what the SDK's
 * `models.countTokens` sends) or a whole `generateContentRequest` (system instruction, tools and
 * generation config count too), decoded and checked like a generation (a 400 names the field,
 * under `generateContentRequest.` for the second form: `wrapped`). lip's own estimate says so:
 * `"estimated": true`.
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
    const whole = wholeRequest(b);
    if (whole === undefined) return pick(decodeGenerateContent({ contents: b.contents }, model, false));
    if (b.contents !== undefined) throw badField('contents', 'send contents or generateContentRequest, not both');
    try {
      return pick(decodeGenerateContent(whole, model, false));
    } catch (err) {
      throw err instanceof LipError && err.param !== undefined ? underRequest(err) : err;
    }
  },
  wrapped(body) {
    const whole = body !== null && typeof body === 'object' && !Array.isArray(body) ? wholeRequest(body as Record<string, unknown>) : undefined;
    return whole === undefined ? undefined : { request: whole, under: 'generateContentRequest' };
  },
  encode: (count) => ({ totalTokens: count.inputTokens, ...(count.estimated ? { estimated: true } : {}) }),
};

/** The whole generateContentRequest of a count body (either spelling); undefined for `contents` alone. */
function wholeRequest(b: Record<string, unknown>): unknown {
  const whole = b.generateContentRequest ?? b.generate_content_request;
  return whole === null ? undefined : whole;
}

/** What a count keeps of a decoded request: the call, and where its fields came from. */
function pick(decoded: DecodedRequest): Pick<DecodedRequest, 'call' | 'origins'> {
  return { call: decoded.call, ...(decoded.origins ? { origins: decoded.origins } : {}) };
}

/** A decode error of the inner request, named by its place in the count body. */
function underRequest(err: LipError): LipError {
  const param = `generateContentRequest.${err.param!}`;
  const message = err.message.startsWith(`${err.param!}:`) ? `generateContentRequest.${err.message}` : err.message;
  return new LipError(err.code, message, { param, status: err.status, ...(err.detail ? { detail: err.detail } : {}) });
}
