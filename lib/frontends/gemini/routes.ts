import type { GenerateRoute } from '../protocol.js';
import { decodeGenerateContent } from './decode-request.js';
import { encodeGenerateContentResponse } from './encode-response.js';
import { GeminiStreamEncoder } from './encode-stream.js';

const PATH = /^\/(?:v1beta|v1)\/models\/(.+):(generateContent|streamGenerateContent)$/;

/**
 * `/v1beta/models/{model}:method` (and `/v1/...`). The model id may contain `:` and `/`
 * (`stub:stub-default`, `openrouter:meta/llama`): the method is the last `:` segment. The
 * path is percent-decoded. Streaming is always SSE (the `?alt=sse` form every SDK uses).
 */
function route(method: 'generateContent' | 'streamGenerateContent'): GenerateRoute {
  return {
    method: 'POST',
    path: `/v1beta/models/{model}:${method}`,
    match(pathname) {
      const m = PATH.exec(pathname);
      if (!m || m[2] !== method) return undefined;
      let model = m[1]!;
      try {
        model = decodeURIComponent(model);
      } catch {
        // keep the raw text; the backend will say it does not know the model
      }
      return { model: model.startsWith('models/') ? model.slice(7) : model };
    },
    decode: (body, context) => decodeGenerateContent(body, context.params.model ?? '', method === 'streamGenerateContent'),
    streamEncoder: (context) => new GeminiStreamEncoder(context),
    encodeResponse: encodeGenerateContentResponse,
  };
}

export const geminiRoutes: readonly GenerateRoute[] = [route('generateContent'), route('streamGenerateContent')];
