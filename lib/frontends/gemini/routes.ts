import type { GenerateRoute } from '../protocol.js';
import { resolveGeminiReferences } from './files.js';
import { badField } from './decode-contents.js';
import { decodeGenerateContent } from './decode-request.js';
import { encodeGenerateContentResponse } from './encode-response.js';
import { GeminiJsonArrayEncoder } from './encode-json-array.js';
import { modelOfPath } from './model-path.js';
import { GeminiStreamEncoder } from './encode-stream.js';

/** A JSON array is no SSE: no `: keepalive` comments may go into it. */
const JSON_ARRAY_WIRE = { contentType: 'application/json; charset=UTF-8', keepalive: false } as const;


/**
 * `/v1beta/models/{model}:method` (and `/v1/...`, `/v1beta1/...`, `/v1alpha/...`). The model id may contain `:`
 * and `/` (`stub:stub-default`, `openrouter:meta/llama`): the method is the last `:` segment.
 * The path is percent-decoded. A body naming a `cachedContent` gets it put in its place before it
 * is decoded (cached-contents.ts). A stream is SSE with `?alt=sse` (what the SDKs ask for) and
 * otherwise one JSON array written element by element (encode-json-array.ts).
 */
function route(method: 'generateContent' | 'streamGenerateContent'): GenerateRoute {
  return {
    method: 'POST',
    path: `/v1beta/models/{model}:${method}`,
    match: (pathname) => modelOfPath(pathname, method),
    resolveReferences: resolveGeminiReferences,
    decode: (body, context) => {
      // Google's `alt=proto` (protobuf) is not spoken here: JSON in its place would not parse.
      const alt = context.query.get('alt');
      if (alt !== null && alt !== 'sse' && alt !== 'json') throw badField('alt', `must be sse or json (got ${JSON.stringify(alt.slice(0, 40))}); protobuf answers are not supported`, true);
      const decoded = decodeGenerateContent(body, context.params.model ?? '', method === 'streamGenerateContent');
      if (method !== 'streamGenerateContent' || alt === 'sse') return decoded;
      return { ...decoded, hints: { ...decoded.hints, jsonArray: true }, streamWire: JSON_ARRAY_WIRE };
    },
    streamEncoder: (context) => (context.hints.jsonArray === true ? new GeminiJsonArrayEncoder(new GeminiStreamEncoder(context)) : new GeminiStreamEncoder(context)),
    encodeResponse: encodeGenerateContentResponse,
  };
}

export const geminiRoutes: readonly GenerateRoute[] = [route('generateContent'), route('streamGenerateContent')];
